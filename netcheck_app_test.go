package main

// Netcheck (netcheck/, issue 7) on the app's own templates: for every
// environment and egress mode, and with custom NACLs on the private
// subnets, every required path must hold; a NACL without the ephemeral
// return rule must break them, for the reason netcheck gives.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/netcheck"
)

// goodNacl admits the ALB on the container port and HTTPS from the VPC
// (interface endpoints in the other AZ), and the return traffic of the
// tasks' own connections; it lets out HTTPS and the return traffic to the
// VPC.
func goodNacl(port int) string {
	return fmt.Sprintf(`[
		{"rule":100,"action":"allow","direction":"ingress","protocol":"tcp","fromPort":%d,"toPort":%d,"cidr":"10.0.0.0/16"},
		{"rule":105,"action":"allow","direction":"ingress","protocol":"tcp","fromPort":443,"toPort":443,"cidr":"10.0.0.0/16"},
		{"rule":110,"action":"allow","direction":"ingress","protocol":"tcp","fromPort":1024,"toPort":65535,"cidr":"0.0.0.0/0"},
		{"rule":90,"action":"deny","direction":"ingress","protocol":"tcp","fromPort":22,"toPort":22,"cidr":"0.0.0.0/0"},
		{"rule":100,"action":"allow","direction":"egress","protocol":"tcp","fromPort":443,"toPort":443,"cidr":"0.0.0.0/0"},
		{"rule":110,"action":"allow","direction":"egress","protocol":"tcp","fromPort":1024,"toPort":65535,"cidr":"10.0.0.0/16"}]`, port, port)
}

func TestNetcheck(t *testing.T) {
	cases := []struct {
		name      string
		overrides map[string]any
		// naclIn is a fragment a reason must hold when a custom NACL is on.
		naclIn string
	}{
		{name: "dev nat", overrides: map[string]any{"egress": "nat"}},
		{name: "dev nat-per-az", overrides: map[string]any{"egress": "nat-per-az"}},
		{name: "dev endpoints", overrides: map[string]any{"egress": "endpoints"}},
		{name: "prod default (canary)", overrides: map[string]any{"env": "prod"}},
		{name: "dev blue-green, test listener open to a CIDR", overrides: map[string]any{"deploymentStrategy": "blue-green", "testListenerCidrs": "198.51.100.0/24"}},
		{name: "dev linear, HTTPS", overrides: map[string]any{"deploymentStrategy": "linear", "deployTimeoutMinutes": "35", "domainName": "app.example.com", "hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com"}},
		{name: "prod nat", overrides: map[string]any{"env": "prod", "egress": "nat"}},
		{name: "prod endpoints", overrides: map[string]any{"env": "prod", "egress": "endpoints"}},
		{name: "dev nat, NACL, port 8080, allowed CIDRs",
			overrides: map[string]any{"egress": "nat", "containerPort": "8080", "placeholderImage": "public.ecr.aws/example/web:8080", "allowedCidrs": "203.0.113.0/24,198.51.100.0/24", "smokeTest": "false", "privateNaclRules": goodNacl(8080)},
			naclIn:    "NACL PrivateNacl8F92192C ingress rule 110 allow tcp 1024-65535 from 0.0.0.0/0 (return tcp 1024-65535)"},
		{name: "prod endpoints, NACL",
			overrides: map[string]any{"env": "prod", "egress": "endpoints", "privateNaclRules": goodNacl(80)},
			naclIn:    "NACL PrivateNacl8F92192C ingress rule 105 allow tcp 443 from 10.0.0.0/16 (tcp 443)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(t, tc.overrides)
			m, err := netcheck.Load(s.outdir)
			if err != nil {
				t.Fatal(err)
			}
			cfg := s.cfg
			rep := m.Required(netcheck.Options{Egress: string(cfg.Network.Egress), InternetSources: cfg.Service.AllowedCidrs, TestSources: cfg.Service.Rollout.TestListenerCidrs})
			for _, c := range rep.Broken() {
				t.Errorf("broken: %s", c.Why)
			}
			if _, ok := s.templates["Service"]; ok && len(rep.Skipped) > 0 {
				t.Errorf("checks skipped although there is a ServiceStack: %v", rep.Skipped)
			}
			listeners := 1
			if cfg.Service.HTTPS() {
				listeners = 2
			}
			// A traffic-shifting strategy adds the test listener (denied
			// from the internet, allowed from its configured CIDRs) and a
			// second target group to reach the tasks through.
			shifts := cfg.Service.Rollout.Strategy.ECS().Shifts()
			testChecks, groups := 0, 1
			if shifts {
				testChecks, groups = 1+len(cfg.Service.Rollout.TestListenerCidrs), 2
			}
			// A NAT instance adds internet -> instance, which must be denied.
			natInstances := 0
			if cfg.Network.Egress == config.EgressNatInstance {
				natInstances = 1
			}
			if want := listeners + testChecks + groups + 1 + len(netcheck.RequiredServices) + 1 + natInstances; len(rep.Checks) != want {
				t.Errorf("%d required checks, want %d", len(rep.Checks), want)
			}
			// Without being told, netcheck infers the same egress mode.
			if inferred := m.Required(netcheck.Options{}); inferred.Egress != rep.Egress {
				t.Errorf("inferred egress %s (%s), configured %s", inferred.Egress, inferred.EgressWhy, rep.Egress)
			}
			if len(m.LoadBalancers) != 1 || len(m.Services) != 1 {
				t.Fatalf("%d load balancers and %d ECS services in the templates, want 1 and 1", len(m.LoadBalancers), len(m.Services))
			}
			alb, svc := m.LoadBalancers[0].Name(), m.Services[0].Name()
			var sawNacl bool
			seen := map[string]int{}
			for _, c := range rep.Checks {
				sawNacl = sawNacl || tc.naclIn != "" && strings.Contains(c.Reason, tc.naclIn)
				switch [2]string{c.Row, c.Col} {
				case [2]string{"internet", alb}:
					if strings.HasPrefix(c.Via, "test listener ") {
						seen["internet -> test listener"]++
						if c.Want == netcheck.Denied && !strings.Contains(c.Reason, "no rule admits tcp 8") {
							t.Errorf("internet -> test listener denied for another reason: %s", c.Reason)
						}
						if c.Want == netcheck.Allowed && !strings.Contains(c.From, "198.51.100.0/24") {
							t.Errorf("test listener checked open from %s, want the configured 198.51.100.0/24", c.From)
						}
						break
					}
					seen["internet -> ALB"]++
					if c.Verdict != netcheck.Allowed || !strings.Contains(c.Reason, "AlbSecurityGroup") {
						t.Errorf("internet -> ALB: %s", c.Reason)
					}
					if len(cfg.Service.AllowedCidrs) == 2 && !strings.Contains(c.From, "198.51.100.0/24, 203.0.113.0/24") {
						t.Errorf("internet -> ALB checked from %s, want the allowed CIDRs", c.From)
					}
				case [2]string{"internet", svc}:
					seen["internet -> tasks"]++
					if c.Verdict != netcheck.Denied || !strings.Contains(c.Reason, "AssignPublicIp DISABLED") {
						t.Errorf("internet -> tasks: %s", c.Reason)
					}
				case [2]string{svc, "internet"}:
					seen["tasks -> internet"]++
					want := netcheck.Allowed
					if cfg.Network.Egress == config.EgressEndpoints {
						want = netcheck.Denied
					}
					if c.Verdict != want {
						t.Errorf("tasks -> internet: %s, want %s", c.Reason, want)
					}
				case [2]string{alb, svc}:
					seen["ALB -> tasks"]++
					if shifts {
						for _, kind := range []string{"target group ", "alternate target group "} {
							if strings.HasPrefix(c.Via, kind) {
								seen["ALB -> tasks via "+kind]++
							}
						}
					}
					if c.Traffic != fmt.Sprintf("tcp %d", cfg.Service.ContainerPort) {
						t.Errorf("ALB -> tasks checked on %s, want tcp %d", c.Traffic, cfg.Service.ContainerPort)
					}
				default:
					seen["tasks -> "+c.Col]++
				}
			}
			required := []string{"internet -> ALB", "internet -> tasks", "ALB -> tasks", "tasks -> internet", "tasks -> ecr.api", "tasks -> ecr.dkr", "tasks -> s3", "tasks -> logs"}
			if shifts {
				required = append(required, "internet -> test listener", "ALB -> tasks via target group ", "ALB -> tasks via alternate target group ")
			}
			for _, k := range required {
				if seen[k] == 0 {
					t.Errorf("no required check %s (checks: %v)", k, seen)
				}
			}
			if tc.naclIn != "" && !sawNacl {
				t.Errorf("no reason names the custom NACL's %q", tc.naclIn)
			}
		})
	}
}

// TestNetcheckTestListenerOpenBeyondItsCidrs: a test listener its security
// group opens to more of the internet than configured is a broken required
// path; netcheck names the rule that lets the rest in.
func TestNetcheckTestListenerOpenBeyondItsCidrs(t *testing.T) {
	s := synth(t, map[string]any{"deploymentStrategy": "blue-green", "testListenerCidrs": "198.51.100.0/24"})
	m, err := netcheck.Load(s.outdir)
	if err != nil {
		t.Fatal(err)
	}
	// Configured: 192.0.2.0/24 only. The template admits 198.51.100.0/24.
	rep := m.Required(netcheck.Options{Egress: "nat", TestSources: []string{"192.0.2.0/24"}})
	var broken []string
	for _, c := range rep.Broken() {
		broken = append(broken, c.From+" -> "+c.To+" via "+c.Via+": "+string(c.Verdict))
	}
	want := []string{
		"the internet but 192.0.2.0/24 -> Alb16C2F182 via test listener AlbTestE7EAB1C4: allowed",
		"the internet (192.0.2.0/24) -> Alb16C2F182 via test listener AlbTestE7EAB1C4: denied",
	}
	if strings.Join(broken, "\n") != strings.Join(want, "\n") {
		t.Errorf("broken paths:\n%s\nwant:\n%s", strings.Join(broken, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range rep.Broken() {
		if c.Verdict == netcheck.Allowed && !strings.Contains(c.Reason, "from 198.51.100.0/24 tcp 8080") {
			t.Errorf("the broken path does not name the rule that admits the internet: %s", c.Reason)
		}
	}
}

// TestNetcheckNaclWithoutReturnRule shows netcheck catching, on the real
// NACL construct's output, the rule a NACL most often misses: NACLs are
// stateless, and without an ingress rule for 1024-65535 no connection the
// tasks open ever gets its answer.
func TestNetcheckNaclWithoutReturnRule(t *testing.T) {
	s := synth(t, map[string]any{"egress": "nat", "privateNaclRules": `[
		{"rule":100,"action":"allow","direction":"ingress","protocol":"tcp","fromPort":80,"toPort":80,"cidr":"10.0.0.0/16"},
		{"rule":100,"action":"allow","direction":"egress","protocol":"all","cidr":"0.0.0.0/0"}]`})
	m, err := netcheck.Load(s.outdir)
	if err != nil {
		t.Fatal(err)
	}
	rep := m.Required(netcheck.Options{Egress: "nat"})
	var broken []string
	for _, c := range rep.Broken() {
		broken = append(broken, c.Col)
		if !strings.Contains(c.Why, "NACL PrivateNacl8F92192C ingress rule * deny: no rule allows return traffic tcp 1024-65535 from") {
			t.Errorf("%s -> %s broken for another reason: %s", c.Row, c.Col, c.Why)
		}
	}
	if strings.Join(broken, " ") != "ecr.api ecr.dkr s3 logs internet" {
		t.Errorf("broken paths to %v, want ecr.api ecr.dkr s3 logs internet", broken)
	}
}
