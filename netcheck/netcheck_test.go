package netcheck

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// update rewrites the golden pictures (testdata/svg/*.svg and
// docs/network-dev.svg); the suite runs as `go test ./... -update`.
var update = flag.Bool("update", false, "rewrite the golden pictures under testdata/svg and docs/network-dev.svg")

func load(t *testing.T, dir string) *Model {
	t.Helper()
	m, err := Load(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return m
}

// broken is a required path a crafted template must break, with the words
// of the reason that say why.
type broken struct {
	row, col string
	verdict  Verdict
	reason   []string
}

const (
	svc  = "ServiceD69D759B"
	alb  = "Alb16C2F182"
	inet = "internet"
)

// TestRequiredPaths runs the required checks on the app's templates (good
// cases) and on one crafted template per classic mistake, checking each
// broken path's verdict and the reason it gives, and that nothing else
// breaks.
func TestRequiredPaths(t *testing.T) {
	natRoute := "route 0.0.0.0/0 -> VpcPublicSubnet1NATGateway4D7517AA in VpcPublicSubnet1Subnet5C2D37C4"
	const natInst = "VpcPublicSubnet1NatInstance57B636B8"
	natInstRoute := "route 0.0.0.0/0 -> " + natInst + " in VpcPublicSubnet1Subnet5C2D37C4"
	cases := []struct {
		dir    string
		egress string
		// checks is how many required paths there are: 8, and one more
		// per NAT instance (the internet must not reach it).
		checks int
		broken []broken
		// holds are reason fragments of paths that must hold, proving the
		// path went the expected way (not vacuously allowed).
		holds map[[2]string][]string
	}{
		{dir: "nat", holds: map[[2]string][]string{
			{inet, alb}:      {"subnet VpcPublicSubnet1Subnet5C2D37C4 route 0.0.0.0/0 -> VpcIGWD7BA715C", "AlbSGE6D0E5D1 ingress from 0.0.0.0/0 tcp 80 (inline)", "listener AlbHttp7966E42E HTTP 80"},
			{inet, svc}:      {"ServiceD69D759B AssignPublicIp DISABLED", "ServiceSG3DD30CA4 admits nothing from the internet"},
			{alb, svc}:       {"AlbSGE6D0E5D1 egress to ServiceSG3DD30CA4 tcp 80", "ServiceSG3DD30CA4 ingress from AlbSGE6D0E5D1 tcp 80"},
			{svc, "ecr.dkr"}: {"subnet VpcPrivateSubnet1Subnet536B997A " + natRoute + " -> VpcIGWD7BA715C"},
			{svc, "s3"}:      {"route prefix list of s3 -> EndpointsS332DF97CF (gateway endpoint)"},
			{svc, inet}:      {natRoute + " -> VpcIGWD7BA715C"},
		}},
		{dir: "nat-weak", holds: map[[2]string][]string{
			{svc, "logs"}: {natRoute},
			{alb, svc}:    {"ServiceSG3DD30CA4 ingress from AlbSGE6D0E5D1 tcp 80"},
		}},
		{dir: "endpoints", holds: map[[2]string][]string{
			{svc, "ecr.api"}: {"route 10.0.0.0/16 local -> EndpointsEcrApiEA5E8197 (interface endpoint", "EndpointsSecurityGroup252B86E5 ingress from 10.0.0.0/16 tcp 443"},
			{svc, "s3"}:      {"EndpointsS332DF97CF (gateway endpoint)"},
			{svc, inet}:      {"subnet VpcPrivateSubnet1Subnet536B997A has no route to the internet"},
		}},
		{dir: "nacl-ok", holds: map[[2]string][]string{
			{alb, svc}:       {"NACL PrivateNacl8F92192C ingress rule 100 allow tcp 80 from 10.0.0.0/16 (tcp 80)", "NACL PrivateNacl8F92192C egress rule 110 allow tcp 1024-65535 to 10.0.0.0/16 (return tcp 1024-65535)"},
			{svc, "ecr.api"}: {"NACL PrivateNacl8F92192C egress rule 100 allow tcp 443 to 0.0.0.0/0 (tcp 443)", "NACL PrivateNacl8F92192C ingress rule 110 allow tcp 1024-65535 from 0.0.0.0/0 (return tcp 1024-65535)"},
		}},
		{dir: "no-egress", broken: []broken{
			{svc, "ecr.api", Denied, []string{"subnet VpcPrivateSubnet1Subnet536B997A has no route to ecr.api: no interface endpoint for ecr.api and no NAT", "route table VpcPrivateSubnet1RouteTableB2C5B500: 10.0.0.0/16 local)"}},
			{svc, "ecr.dkr", Denied, []string{"has no route to ecr.dkr: no interface endpoint for ecr.dkr and no NAT"}},
			{svc, "s3", Denied, []string{"has no route to s3: no s3 gateway endpoint and no NAT"}},
			{svc, "logs", Denied, []string{"has no route to logs"}},
			{svc, inet, Denied, []string{"has no route to the internet"}},
		}},
		{dir: "igw-detached", broken: []broken{
			{inet, alb, Denied, []string{"subnet VpcPublicSubnet1Subnet5C2D37C4 route 0.0.0.0/0 -> VpcIGWD7BA715C: blackhole, VpcIGWD7BA715C is not attached to Vpc8378EB38"}},
			{svc, "ecr.api", Denied, []string{natRoute + " -> route 0.0.0.0/0 -> VpcIGWD7BA715C: blackhole"}},
			{svc, "ecr.dkr", Denied, []string{"blackhole"}},
			{svc, "logs", Denied, []string{"blackhole"}},
			{svc, inet, Denied, []string{"blackhole"}},
		}},
		{dir: "sg-open-world", broken: []broken{
			{inet, svc, Denied, []string{"ServiceSG3DD30CA4 ingress from 0.0.0.0/0 tcp 80 (inline) admits the internet", "must be denied by its security group too", "kept out only by: ServiceD69D759B AssignPublicIp DISABLED"}},
		}},
		{dir: "sg-missing-alb", broken: []broken{
			{alb, svc, Denied, []string{"ServiceSG3DD30CA4 ingress: no rule admits tcp 80 from Alb16C2F182 (AlbSGE6D0E5D1 in 10.0.1.0/24)", "(no ingress rule)"}},
		}},
		{dir: "nacl-deny-first", broken: []broken{
			{alb, svc, Denied, []string{"NACL PrivateNacl8F92192C ingress rule 90 deny tcp 0-1023 from 0.0.0.0/0 (evaluated before rule 100 allow)"}},
		}},
		{dir: "nacl-no-ephemeral", broken: []broken{
			{svc, "ecr.api", Denied, []string{"NACL PrivateNacl8F92192C ingress rule * deny: no rule allows return traffic tcp 1024-65535 from ecr.api", "NACLs are stateless"}},
			{svc, "ecr.dkr", Denied, []string{"rule * deny: no rule allows return traffic tcp 1024-65535 from ecr.dkr"}},
			{svc, "s3", Denied, []string{"rule * deny: no rule allows return traffic tcp 1024-65535 from s3"}},
			{svc, "logs", Denied, []string{"rule * deny"}},
			{svc, inet, Denied, []string{"rule * deny: no rule allows return traffic tcp 1024-65535 from the internet"}},
		}},
		{dir: "alb-private", broken: []broken{
			{inet, alb, Denied, []string{"subnet VpcPrivateSubnet1Subnet536B997A " + natRoute + ", not to an internet gateway"}},
		}},
		{dir: "endpoints-no-s3", broken: []broken{
			{svc, "s3", Denied, []string{"subnet VpcPrivateSubnet1Subnet536B997A has no route to s3: no s3 gateway endpoint and no NAT"}},
		}},
		{dir: "endpoints-nacl-cross-az", broken: []broken{
			{svc, "ecr.api", Partial, []string{"NACL PrivateNacl8F92192C ingress rule * deny: no rule allows tcp 443 from VpcPrivateSubnet1Subnet536B997A (10.0.3.0/24)", "denied for VpcPrivateSubnet1Subnet536B997A -> EndpointsEcrApiEA5E8197 in VpcPrivateSubnet2Subnet3788AAA1", "allowed for VpcPrivateSubnet1Subnet536B997A -> EndpointsEcrApiEA5E8197 in VpcPrivateSubnet1Subnet536B997A"}},
			{svc, "ecr.dkr", Partial, []string{"no rule allows tcp 443 from VpcPrivateSubnet2Subnet3788AAA1 (10.0.4.0/24)"}},
			{svc, "logs", Partial, []string{"denied for VpcPrivateSubnet1Subnet536B997A -> EndpointsLogs925F157B in VpcPrivateSubnet2Subnet3788AAA1"}},
		}},
		// Longest-prefix match over each destination's addresses: more
		// specific routes that take part or all of them decide the verdict.
		{dir: "more-specific-denied", broken: []broken{
			{svc, "ecr.api", Denied, []string{
				"subnet VpcPrivateSubnet1Subnet536B997A route 0.0.0.0/1 -> StrayIgw (most specific for 49.8% of the addresses of ecr.api): blackhole, StrayIgw is not attached to Vpc8378EB38",
				"subnet VpcPrivateSubnet1Subnet536B997A route 128.0.0.0/1 -> StrayIgw (most specific for 50.2% of the addresses of ecr.api): blackhole",
				"subnet VpcPrivateSubnet2Subnet3788AAA1 route 0.0.0.0/1 -> StrayIgw",
				"route 0.0.0.0/0 -> VpcPublicSubnet1NATGateway4D7517AA in VpcPublicSubnet1Subnet5C2D37C4 is most specific for none of the addresses of ecr.api"}},
			{svc, "ecr.dkr", Denied, []string{"route 0.0.0.0/1 -> StrayIgw (most specific for 49.8% of the addresses of ecr.dkr): blackhole"}},
			{svc, "logs", Denied, []string{"route 128.0.0.0/1 -> StrayIgw (most specific for 50.2% of the addresses of logs): blackhole"}},
			{svc, inet, Denied, []string{"route 0.0.0.0/1 -> StrayIgw (most specific for 49.8% of the addresses of the internet): blackhole"}},
		}, holds: map[[2]string][]string{
			{svc, "s3"}: {"route prefix list of s3 -> EndpointsS332DF97CF (gateway endpoint)"},
		}},
		{dir: "more-specific-partial", broken: []broken{
			{svc, "ecr.api", Partial, []string{
				"subnet VpcPrivateSubnet1Subnet536B997A route 0.0.0.0/1 -> StrayIgw (most specific for 49.8% of the addresses of ecr.api): blackhole, StrayIgw is not attached to Vpc8378EB38",
				"denied for VpcPrivateSubnet1Subnet536B997A -> ecr.api [49.8% of its addresses], VpcPrivateSubnet2Subnet3788AAA1 -> ecr.api [49.8% of its addresses]",
				"allowed for VpcPrivateSubnet1Subnet536B997A -> ecr.api [50.2% of its addresses], VpcPrivateSubnet2Subnet3788AAA1 -> ecr.api [50.2% of its addresses]"}},
			{svc, "ecr.dkr", Partial, []string{"route 0.0.0.0/1 -> StrayIgw (most specific for 49.8% of the addresses of ecr.dkr): blackhole"}},
			{svc, "logs", Partial, []string{"route 0.0.0.0/1 -> StrayIgw (most specific for 49.8% of the addresses of logs): blackhole"}},
			{svc, inet, Partial, []string{"route 0.0.0.0/1 -> StrayIgw (most specific for 49.8% of the addresses of the internet): blackhole"}},
		}},
		{dir: "more-specific-nat-subnet", broken: []broken{
			{inet, alb, Partial, []string{
				"subnet VpcPublicSubnet1Subnet5C2D37C4 route 128.0.0.0/1 -> StrayIgw (most specific for 50.2% of the addresses of the internet): blackhole, StrayIgw is not attached to Vpc8378EB38",
				"denied for the internet [50.2% of its addresses] -> VpcPublicSubnet1Subnet5C2D37C4",
				"allowed for the internet [49.8% of its addresses] -> VpcPublicSubnet1Subnet5C2D37C4, the internet -> VpcPublicSubnet2Subnet691E08A3"}},
			{svc, "ecr.api", Partial, []string{
				"subnet VpcPrivateSubnet1Subnet536B997A " + natRoute + " -> route 128.0.0.0/1 -> StrayIgw (most specific in VpcPublicSubnet1Subnet5C2D37C4 for 50.2% of the addresses of ecr.api): blackhole, StrayIgw is not attached to Vpc8378EB38"}},
			{svc, "ecr.dkr", Partial, []string{"-> route 128.0.0.0/1 -> StrayIgw (most specific in VpcPublicSubnet1Subnet5C2D37C4 for 50.2% of the addresses of ecr.dkr): blackhole"}},
			{svc, "logs", Partial, []string{"blackhole"}},
			{svc, inet, Partial, []string{"-> route 128.0.0.0/1 -> StrayIgw (most specific in VpcPublicSubnet1Subnet5C2D37C4 for 50.2% of the addresses of the internet): blackhole"}},
		}, holds: map[[2]string][]string{
			{svc, "s3"}: {"route prefix list of s3 -> EndpointsS332DF97CF (gateway endpoint)"},
		}},
		{dir: "endpoints", egress: "nat", broken: []broken{
			{svc, inet, Denied, []string{"has no route to the internet"}},
		}},

		// A NAT instance: the route to it (InstanceId, or one of its
		// network interfaces), its source/destination check, its security
		// group, its public address and its subnet decide; and the internet
		// must not reach it.
		{dir: "nat-instance", checks: 9, holds: map[[2]string][]string{
			{svc, "ecr.api"}: {"subnet VpcPrivateSubnet1Subnet536B997A " + natInstRoute, natInst + " forwards: source/destination check off",
				"VpcNatSecurityGroup8DA26EDC ingress from 10.0.3.0/24 tcp (inline)", "VpcNatSecurityGroup8DA26EDC ingress from 10.0.4.0/24 tcp (inline)",
				"VpcNatSecurityGroup8DA26EDC egress to 0.0.0.0/0 all traffic (inline)", natInst + " has a public IP (AssociatePublicIpAddress)", "on from " + natInst + " -> VpcIGWD7BA715C"},
			{svc, inet}:     {natInstRoute, "on from " + natInst + " -> VpcIGWD7BA715C"},
			{svc, "s3"}:     {"route prefix list of s3 -> EndpointsS332DF97CF (gateway endpoint)"},
			{inet, natInst}: {"VpcNatSecurityGroup8DA26EDC admits nothing from the internet (ingress: VpcNatSecurityGroup8DA26EDC from 10.0.3.0/24 tcp (inline), VpcNatSecurityGroup8DA26EDC from 10.0.3.0/24 udp (inline), VpcNatSecurityGroup8DA26EDC from 10.0.3.0/24 icmp (inline), VpcNatSecurityGroup8DA26EDC from 10.0.4.0/24 tcp (inline)"},
		}},
		{dir: "nat-instance-eni", checks: 9, holds: map[[2]string][]string{
			{svc, "ecr.dkr"}: {"route 0.0.0.0/0 -> NatEni in VpcPublicSubnet1Subnet5C2D37C4", "NatEni forwards: source/destination check off", "NatEni has a public IP (Elastic IP NatEipAssociation)", "on from NatEni -> VpcIGWD7BA715C"},
		}},
		{dir: "nat-instance-no-public-ip", checks: 9, broken: []broken{
			{svc, "ecr.api", Denied, []string{natInst + " has no public IP (AssociatePublicIpAddress false, and no Elastic IP): the internet gateway carries only traffic of public addresses"}},
			{svc, "ecr.dkr", Denied, []string{"has no public IP"}},
			{svc, "logs", Denied, []string{"has no public IP"}},
			{svc, inet, Denied, []string{"has no public IP"}},
		}},
		{dir: "nat-instance-src-dest-check", checks: 9, broken: []broken{
			{svc, "ecr.api", Denied, []string{natInst + " has its source/destination check on (SourceDestCheck is not false): it drops traffic not addressed to itself, so it forwards nothing"}},
			{svc, "ecr.dkr", Denied, []string{"source/destination check on"}},
			{svc, "logs", Denied, []string{"source/destination check on"}},
			{svc, inet, Denied, []string{"source/destination check on"}},
		}},
		{dir: "nat-instance-sg-one-subnet", checks: 9, broken: []broken{
			{svc, "ecr.api", Partial, []string{"VpcNatSecurityGroup8DA26EDC ingress: no rule admits tcp 443 from ServiceD69D759B (ServiceSecurityGroup61DE1A49 in 10.0.4.0/24) (its rules: from 10.0.3.0/24 tcp (inline), from 10.0.3.0/24 udp (inline), from 10.0.3.0/24 icmp (inline))", "denied for VpcPrivateSubnet2Subnet3788AAA1 -> ecr.api", "allowed for VpcPrivateSubnet1Subnet536B997A -> ecr.api"}},
			{svc, "ecr.dkr", Partial, []string{"no rule admits tcp 443 from ServiceD69D759B (ServiceSecurityGroup61DE1A49 in 10.0.4.0/24)"}},
			{svc, "logs", Partial, []string{"denied for VpcPrivateSubnet2Subnet3788AAA1 -> logs"}},
			{svc, inet, Partial, []string{"denied for VpcPrivateSubnet2Subnet3788AAA1 -> the internet"}},
		}},
		{dir: "nat-instance-open-world", checks: 9, broken: []broken{
			{inet, natInst, Allowed, []string{"VpcNatSecurityGroup8DA26EDC ingress from 0.0.0.0/0 all traffic (inline) admits the internet", "Admit only the private subnets' CIDRs"}},
		}},
		{dir: "nat-instance-eni-detached", broken: []broken{
			{svc, "ecr.api", Denied, []string{"subnet VpcPrivateSubnet1Subnet536B997A route 0.0.0.0/0 -> NatEni in VpcPublicSubnet1Subnet5C2D37C4: blackhole, network interface NatEni is attached to no instance"}},
			{svc, "ecr.dkr", Denied, []string{"blackhole, network interface NatEni is attached to no instance"}},
			{svc, "logs", Denied, []string{"attached to no instance"}},
			{svc, inet, Denied, []string{"attached to no instance"}},
		}},
		{dir: "nat-instance-private-subnet", checks: 9, broken: []broken{
			{svc, "ecr.api", Denied, []string{"on from " + natInst + ", but VpcPrivateSubnet1Subnet536B997A routes 0.0.0.0/0 -> " + natInst + " in VpcPrivateSubnet1Subnet536B997A: the NAT instance sits in a private subnet"}},
			{svc, "ecr.dkr", Denied, []string{"the NAT instance sits in a private subnet"}},
			{svc, "logs", Denied, []string{"the NAT instance sits in a private subnet"}},
			{svc, inet, Denied, []string{"the NAT instance sits in a private subnet"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.dir+"/"+tc.egress, func(t *testing.T) {
			rep := load(t, tc.dir).Required(Options{Egress: tc.egress})
			if tc.checks == 0 {
				tc.checks = 8
			}
			if len(rep.Checks) != tc.checks {
				t.Fatalf("got %d required checks, want %d (internet->ALB, internet->tasks, ALB->tasks, 4 services, internet, internet->each NAT instance): %v", len(rep.Checks), tc.checks, rep.Checks)
			}
			if rep.OK != (len(tc.broken) == 0) {
				t.Errorf("report OK = %v, want %v", rep.OK, len(tc.broken) == 0)
			}
			for _, c := range rep.Checks {
				i := slices.IndexFunc(tc.broken, func(b broken) bool { return b.row == c.Row && b.col == c.Col })
				if i < 0 {
					if !c.OK {
						t.Errorf("%s -> %s broke unexpectedly: %s", c.Row, c.Col, c.Why)
					}
					for _, want := range tc.holds[[2]string{c.Row, c.Col}] {
						if !strings.Contains(c.Reason, want) {
							t.Errorf("%s -> %s: reason lacks %q:\n%s", c.Row, c.Col, want, c.Reason)
						}
					}
					continue
				}
				b := tc.broken[i]
				if c.OK {
					t.Errorf("%s -> %s holds (%s), want it broken", c.Row, c.Col, c.Reason)
				}
				if c.Verdict != b.verdict {
					t.Errorf("%s -> %s: verdict %s, want %s (%s)", c.Row, c.Col, c.Verdict, b.verdict, c.Reason)
				}
				for _, want := range b.reason {
					if !strings.Contains(c.Why, want) {
						t.Errorf("%s -> %s: why lacks %q:\n%s", c.Row, c.Col, want, c.Why)
					}
				}
			}
			for k := range tc.holds {
				if !slices.ContainsFunc(rep.Checks, func(c Check) bool { return c.Row == k[0] && c.Col == k[1] }) {
					t.Errorf("no required check %s -> %s", k[0], k[1])
				}
			}
		})
	}
}

// TestNetworkOnly checks that before there is an ECS service, the tasks'
// paths are checked from the private subnets, and the rest is skipped.
func TestNetworkOnly(t *testing.T) {
	rep := load(t, "network-only-no-egress").Required(Options{})
	if len(rep.Checks) != 5 || len(rep.Skipped) != 2 {
		t.Fatalf("%d checks and %d skipped, want 5 (4 services, internet) and 2: %v", len(rep.Checks), len(rep.Skipped), rep.Skipped)
	}
	for _, c := range rep.Checks {
		if c.Row != "private subnets" || c.OK || c.Verdict != Denied || !strings.Contains(c.Reason, "subnet VpcPrivateSubnet2Subnet3788AAA1 has no route to "+c.To) {
			t.Errorf("%s -> %s: ok %v, %s; want denied for lack of a route", c.Row, c.Col, c.OK, c.Reason)
		}
	}
}

// TestEgressMode checks the mode is inferred from what the templates hold,
// since it decides whether tasks must reach the internet.
func TestEgressMode(t *testing.T) {
	for _, tc := range []struct{ dir, mode, why string }{
		{"nat", "nat", "NAT gateway VpcPublicSubnet1NATGateway4D7517AA"},
		{"endpoints", "endpoints", "interface endpoints EndpointsEcrApiEA5E8197"},
		{"no-egress", "nat", "neither NAT gateway nor interface endpoint"},
		{"nat-instance", "nat", "NAT instance VpcPublicSubnet1NatInstance57B636B8"},
		{"nat-instance-eni-detached", "nat", "NAT instance NatEni (a network interface attached to no instance)"},
	} {
		rep := load(t, tc.dir).Required(Options{})
		if rep.Egress != tc.mode || !strings.Contains(rep.EgressWhy, tc.why) {
			t.Errorf("%s: egress %s (%s), want %s (%s)", tc.dir, rep.Egress, rep.EgressWhy, tc.mode, tc.why)
		}
	}
}

// TestInternetSources checks that the load balancer is checked from the
// configured CIDRs when given, and from what its groups admit otherwise.
func TestInternetSources(t *testing.T) {
	m := load(t, "nat")
	for _, tc := range []struct {
		sources []string
		from    string
		verdict Verdict
	}{
		{nil, "the internet", Allowed},
		{[]string{"0.0.0.0/0"}, "the internet", Allowed},
		{[]string{"203.0.113.0/24"}, "the internet (203.0.113.0/24)", Allowed},
		{[]string{"10.1.0.0/16", "192.168.0.0/24"}, "the internet (10.1.0.0/16, 192.168.0.0/24)", Allowed},
	} {
		rep := m.Required(Options{InternetSources: tc.sources})
		c := rep.Checks[0]
		if c.Col != alb || c.From != tc.from || c.Verdict != tc.verdict {
			t.Errorf("sources %v: %s -> %s %s, want from %q %s", tc.sources, c.From, c.Col, c.Verdict, tc.from, tc.verdict)
		}
	}
}

// TestQuery checks paths asked on the command line, and the user errors.
func TestQuery(t *testing.T) {
	cases := []struct {
		dir     string
		q       Query
		verdict Verdict
		reason  []string
	}{
		{"nat", Query{From: svc, To: "ecr.dkr", Port: 443}, Allowed, []string{"ServiceSG3DD30CA4 egress to 0.0.0.0/0 all traffic (inline)", "VpcPublicSubnet1NATGateway4D7517AA in VpcPublicSubnet1Subnet5C2D37C4 -> VpcIGWD7BA715C"}},
		{"nat", Query{From: "Service", To: "ecr.dkr", Port: 443}, Allowed, nil},
		{"nat", Query{From: "internet", To: svc, Port: 80}, Denied, []string{"ServiceD69D759B AssignPublicIp DISABLED: no public IP", "not to an internet gateway", "ServiceSG3DD30CA4 ingress: no rule admits tcp 80 from the internet"}},
		{"nat", Query{From: alb, To: svc, Port: 22}, Denied, []string{"AlbSGE6D0E5D1 egress: no rule admits tcp 22", "ServiceSG3DD30CA4 ingress: no rule admits tcp 22 from Alb16C2F182"}},
		{"nat", Query{From: "internet", To: alb, Port: 443}, Denied, []string{"AlbSGE6D0E5D1 ingress: no rule admits tcp 443 from the internet", "Alb16C2F182 has no listener on tcp 443 (listeners: 80)"}},
		{"nat", Query{From: svc, To: "internet", Proto: "udp", Port: 53}, Allowed, []string{"(udp 53)", "(return udp 1024-65535)"}},
		{"nat", Query{From: "VpcPrivateSubnet1Subnet536B997A", To: "VpcPublicSubnet1Subnet5C2D37C4", Proto: "icmp"}, Allowed, []string{"route 10.0.0.0/16 local"}},
		{"nat", Query{From: "203.0.113.0/24", To: alb, Port: 80}, Allowed, []string{"AlbSGE6D0E5D1 ingress from 0.0.0.0/0 tcp 80"}},
		{"nat", Query{From: svc, To: "VpcPublicSubnet1NATGateway4D7517AA", Port: 80}, Denied, []string{"a NAT gateway takes no inbound connection"}},
		{"nacl-ok", Query{From: "10.0.1.0/24", To: svc, Port: 22}, Denied, []string{"NACL PrivateNacl8F92192C ingress rule 90 deny tcp 22 from 0.0.0.0/0"}},
		{"nacl-ok", Query{From: "10.0.1.0/24", To: svc, Port: 80}, Denied, []string{"ServiceSG3DD30CA4 ingress: no rule admits tcp 80 from VpcPublicSubnet1Subnet5C2D37C4 (10.0.1.0/24)"}},
		{"nacl-ok", Query{From: alb, To: svc, Port: 80}, Allowed, []string{"NACL PrivateNacl8F92192C ingress rule 100 allow tcp 80 from 10.0.0.0/16"}},
		{"nacl-ok", Query{From: svc, To: "internet", Port: 80}, Denied, []string{"NACL PrivateNacl8F92192C egress rule * deny: no rule allows tcp 80 to the internet"}},
		{"endpoints", Query{From: svc, To: "ecr.api", Port: 443}, Allowed, []string{"-> EndpointsEcrApiEA5E8197 (interface endpoint, ENI in VpcPrivateSubnet2Subnet3788AAA1)"}},
		{"endpoints", Query{From: svc, To: "sts", Port: 443}, Denied, []string{"has no route to sts: no interface endpoint for sts and no NAT"}},
		{"igw-detached", Query{From: "internet", To: alb, Port: 80}, Denied, []string{"blackhole"}},
		{"nat-instance", Query{From: "internet", To: "VpcPublicSubnet1NatInstance57B636B8", Port: 22}, Denied, []string{"VpcNatSecurityGroup8DA26EDC ingress: no rule admits tcp 22 from the internet"}},
		{"nat-instance", Query{From: svc, To: "VpcPublicSubnet1NatInstance57B636B8", Port: 443}, Allowed, []string{"VpcNatSecurityGroup8DA26EDC ingress from 10.0.3.0/24 tcp (inline)", "VpcNatSecurityGroup8DA26EDC ingress from 10.0.4.0/24 tcp (inline)"}},
		{"nat-instance", Query{From: svc, To: "internet", Proto: "udp", Port: 123}, Allowed, []string{"VpcPublicSubnet1NatInstance57B636B8 forwards: source/destination check off", "(udp 123)"}},
		{"nat-instance-eni", Query{From: svc, To: "internet", Port: 80}, Allowed, []string{"route 0.0.0.0/0 -> NatEni in VpcPublicSubnet1Subnet5C2D37C4", "NatEni has a public IP (Elastic IP NatEipAssociation)"}},
	}
	for _, tc := range cases {
		t.Run(tc.dir+"/"+tc.q.From+"->"+tc.q.To, func(t *testing.T) {
			res, err := load(t, tc.dir).Check(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s: %s", res.Verdict, tc.verdict, res.Reason)
			}
			if !strings.HasPrefix(res.Reason, string(tc.verdict)+": ") {
				t.Errorf("reason does not start with the verdict: %s", res.Reason)
			}
			for _, want := range tc.reason {
				if !strings.Contains(res.Reason, want) {
					t.Errorf("reason lacks %q:\n%s", want, res.Reason)
				}
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	m := load(t, "nat")
	for _, tc := range []struct {
		q    Query
		want string
	}{
		{Query{From: "Nope", To: svc, Port: 80}, "--from Nope: no such resource in testdata/nat"},
		{Query{From: svc, To: "ServiceSG3DD30CA4", Port: 80}, "ServiceSG3DD30CA4 is a AWS::EC2::SecurityGroup, which sits nowhere"},
		{Query{From: "ecr.dkr", To: svc, Port: 80}, "traffic from an AWS service is not modeled"},
		{Query{From: svc, To: alb, Proto: "tcpp", Port: 80}, `--proto: "tcpp" is not an IP protocol`},
		{Query{From: svc, To: alb}, "--port: which port? tcp needs one"},
		{Query{From: svc, To: alb, Port: 70000}, "--port 70000: not a port"},
		{Query{From: "internet", To: "203.0.113.0/24", Port: 80}, "neither end sits in the VPC"},
		{Query{From: "Vpc", To: svc, Port: 80}, "Vpc8378EB38 is a AWS::EC2::VPC, which sits nowhere"},
	} {
		_, err := m.Check(tc.q)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%+v) = %v, want an error with %q", tc.q, err, tc.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	empty := t.TempDir()
	notJSON := t.TempDir()
	if err := os.WriteFile(filepath.Join(notJSON, "Network.template.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(empty, "cdk.out"), "no such file or directory (run `make synth` first)"},
		{empty, "no stack templates in it"},
		{notJSON, "is not a CloudFormation template"},
	} {
		_, err := Load(tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) = %v, want an error with %q", tc.dir, err, tc.want)
		}
	}
}

// TestHopAt checks that every hop says where it was decided, so a reader
// (and the picture) can point at the route table, NACL or security group
// that stops a path: a route or NACL hop names a subnet, and one on from
// a NAT gateway names the NAT gateway's subnet, not the tasks'; any other
// hop names one end of the path.
func TestHopAt(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "*", "manifest.json"))
	golden, _ := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", "Network.template.json"))
	if len(dirs) < 10 || len(golden) < 4 {
		t.Fatalf("found %d crafted and %d golden assemblies", len(dirs), len(golden))
	}
	for _, f := range append(dirs, golden...) {
		dir := filepath.Dir(f)
		m, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		subnets := map[string]bool{}
		for _, sn := range m.Subnets {
			subnets[sn.Name()] = true
		}
		// A NAT instance (or its network interface) the route hands the
		// traffic to decides with its security groups and whether it
		// forwards, as a hop of its own.
		forwarders := map[string]bool{}
		for _, in := range m.natInstances() {
			forwarders[in.Name()] = true
		}
		for _, e := range m.ENIs {
			forwarders[e.Name()] = true
		}
		for _, c := range m.Required(Options{}).Checks {
			for _, l := range c.Legs {
				routedVia := func(name string) bool {
					return slices.ContainsFunc(l.Hops, func(h Hop) bool { return h.Layer == "route" && strings.Contains(h.Text, "-> "+name+" ") })
				}
				for _, h := range l.Hops {
					ok := subnets[h.At]
					if h.Layer != "route" && h.Layer != "nacl" {
						ok = strings.HasSuffix(c.From, h.At) || h.At == c.To || strings.HasPrefix(l.To, h.At) ||
							(h.Layer == "sg" || h.Layer == "nat") && forwarders[h.At] && routedVia(h.At)
					}
					if !ok {
						t.Errorf("%s: %s -> %s: %s hop %q: At %q names no subnet or end of the path", dir, c.From, c.To, h.Layer, h.Text, h.At)
					}
				}
			}
		}
	}
	// Where the deciding route table is another subnet's than the leg's.
	for _, tc := range []struct{ dir, row, col, at string }{
		{"igw-detached", svc, "ecr.api", "VpcPublicSubnet1Subnet5C2D37C4"}, // the NAT gateway's route to a detached gateway
		{"alb-private", inet, alb, "VpcPrivateSubnet1Subnet536B997A"},      // replies would leave through the NAT
		{"no-egress", svc, "ecr.api", "VpcPrivateSubnet1Subnet536B997A"},
		{"sg-missing-alb", alb, svc, svc},
	} {
		rep := load(t, tc.dir).Required(Options{})
		i := slices.IndexFunc(rep.Checks, func(c Check) bool { return c.Row == tc.row && c.Col == tc.col })
		if i < 0 {
			t.Fatalf("%s: no check %s -> %s", tc.dir, tc.row, tc.col)
		}
		var at []string
		for _, l := range rep.Checks[i].Legs {
			for _, h := range l.Hops {
				if h.Verdict == Denied {
					at = append(at, h.At)
				}
			}
		}
		if !slices.Contains(at, tc.at) {
			t.Errorf("%s: %s -> %s: denied at %v, want at %s", tc.dir, tc.row, tc.col, at, tc.at)
		}
	}
}
