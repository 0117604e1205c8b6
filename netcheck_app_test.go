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
		{name: "prod default", overrides: map[string]any{"env": "prod"}},
		{name: "prod nat", overrides: map[string]any{"env": "prod", "egress": "nat"}},
		{name: "prod endpoints", overrides: map[string]any{"env": "prod", "egress": "endpoints"}},
		{name: "dev nat, NACL, port 8080, allowed CIDRs",
			overrides: map[string]any{"egress": "nat", "containerPort": "8080", "placeholderImage": "public.ecr.aws/example/web:8080", "allowedCidrs": "203.0.113.0/24,198.51.100.0/24", "privateNaclRules": goodNacl(8080)},
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
			rep := m.Required(netcheck.Options{Egress: string(cfg.Network.Egress), InternetSources: cfg.Service.AllowedCidrs})
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
			if want := listeners + 2 + len(netcheck.RequiredServices) + 1; len(rep.Checks) != want {
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
					if c.Traffic != fmt.Sprintf("tcp %d", cfg.Service.ContainerPort) {
						t.Errorf("ALB -> tasks checked on %s, want tcp %d", c.Traffic, cfg.Service.ContainerPort)
					}
				default:
					seen["tasks -> "+c.Col]++
				}
			}
			for _, k := range []string{"internet -> ALB", "internet -> tasks", "ALB -> tasks", "tasks -> internet", "tasks -> ecr.api", "tasks -> ecr.dkr", "tasks -> s3", "tasks -> logs"} {
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
