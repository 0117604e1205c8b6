package preflight

import (
	"slices"
	"strings"
	"testing"
)

// deployedVariant is a golden variant deployed as environment env into a
// bootstrapped account.
func deployedVariant(t *testing.T, variant, env string) (*Assembly, *fakeAWS) {
	t.Helper()
	a := golden(t, variant, env)
	f := newFake()
	f.bootstrap("30")
	f.linkedRoles()
	for _, s := range a.Stacks {
		f.deploy(s)
	}
	return a, f
}

// Logical IDs of the Service stack's traffic (constructs/traffic.go).
const (
	prodRuleID    = "TrafficProductionRule9300D194"
	testRuleID    = "TrafficTestRule926F2424"
	primaryTGID   = "TargetGroup3D7CD9B8"
	alternateTGID = "TrafficAlternateTargetGroup22A5B99B"
)

// flip makes the live rules forward as ECS leaves them after an odd
// number of deployments: everything to the alternate group.
func flip(f *fakeAWS, stack string) {
	res := f.stacks[stack].resources
	for _, id := range []string{prodRuleID, testRuleID} {
		f.rules[res[id]] = []groupWeight{{Arn: res[primaryTGID], Weight: 0}, {Arn: res[alternateTGID], Weight: 100}}
	}
}

// weightLines are the weights check's results, "status rule" each.
func weightLines(t *testing.T, r *Report) map[string]Result {
	t.Helper()
	out := map[string]Result{}
	for _, res := range r.results("weights") {
		for _, id := range []string{prodRuleID, testRuleID} {
			if strings.Contains(res.Found, " rule "+id+" of ") {
				out[id] = res
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no weights line names a rule: %+v", r.results("weights"))
	}
	return out
}

// TestWeights: the linear strategy (canary's and blue-green's rules are
// the same) deployed as dev, ECS's weights as the deployed template's or
// flipped, and a new template that leaves the rules alone, changes their
// priority, switches to rolling, or turns HTTPS on (the production rule
// moves to the 443 listener: replaced).
func TestWeights(t *testing.T) {
	priority := func(t *testing.T, a *Assembly) *Assembly {
		c := clone(t, a)
		for _, id := range []string{prodRuleID, testRuleID} {
			c.stack(t, "Service").Template.Resources[id].Properties["Priority"] = 900.0
		}
		return c
	}
	same := func(_ *testing.T, a *Assembly) *Assembly { return a }
	rolling := func(t *testing.T, _ *Assembly) *Assembly { return golden(t, "dev", "dev") }
	https := func(t *testing.T, _ *Assembly) *Assembly { return golden(t, "blue-green", "dev") }
	for _, tc := range []struct {
		name    string
		next    func(*testing.T, *Assembly) *Assembly
		flipped bool
		// want: rule -> status; found and fix: substrings of the production line.
		want       map[string]Status
		found, fix []string
	}{
		{"untouched, flipped", same, true, map[string]Status{prodRuleID: OK, testRuleID: OK},
			[]string{"forwards by weight, and this deploy does not change it: CloudFormation leaves the weights ECS set alone"}, nil},
		{"priority changed, flipped", priority, true, map[string]Status{prodRuleID: Fail, testRuleID: Warn},
			[]string{"the production rule " + prodRuleID + " of demo-dev-service forwards 0/100 live (" + primaryTGID + " 0, " + alternateTGID + " 100: ECS's last deployment left the traffic on " + alternateTGID + ")", "the deployed template says 100/0", "this deploy modifies it (its Priority property changes)",
				"aws/aws-cdk#36649", "answer 503"},
			[]string{"aws ecs update-service --cluster ClusterEB0386A7-phys --service ServiceD69D759B-phys --force-new-deployment --region us-east-1",
				"moves the traffic back to " + primaryTGID, "make preflight again, which passes once the rule's live weights are 100/0", "docs/deployments.md"}},
		{"priority changed, template weights", priority, false, map[string]Status{prodRuleID: OK, testRuleID: OK},
			[]string{"changes in this deploy (its Priority property changes), and its live weights are the deployed template's, 100/0", "the rewrite moves no traffic"}, nil},
		{"switched to rolling, flipped", rolling, true, map[string]Status{prodRuleID: Fail, testRuleID: OK},
			[]string{"forwards 0/100 live", "this deploy modifies it (its Actions property changes)", "answer 503"}, []string{"--force-new-deployment"}},
		{"switched to rolling, template weights", rolling, false, map[string]Status{prodRuleID: OK, testRuleID: OK},
			[]string{"its live weights are the deployed template's"}, nil},
		{"HTTPS turned on, flipped", https, true, map[string]Status{prodRuleID: Fail, testRuleID: OK},
			[]string{"this deploy replaces it with a new rule (it is replaced: ListenerArn changes)", "answer 503"}, []string{"--force-new-deployment"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, f := deployedVariant(t, "linear", "dev")
			if tc.flipped {
				flip(f, "demo-dev-service")
			}
			r := run(t, tc.next(t, a), f)
			lines := weightLines(t, r)
			for id, want := range tc.want {
				if got := lines[id]; got.Status != want {
					t.Errorf("%s: %s, want %s: %s", id, got.Status, want, got.Found)
				}
			}
			p := lines[prodRuleID]
			mustContain(t, "production line", p.Found, tc.found...)
			mustContain(t, "fix", p.Fix, tc.fix...)
			if tc.fix == nil && p.Fix != "" {
				t.Errorf("a fix on an %s line: %s", p.Status, p.Fix)
			}
			assertReadOnly(t, f)
			// The live weights are read only for a rule the deploy changes.
			if read := slices.Contains(f.calls, "elasticloadbalancing:DescribeRules"); read != (tc.want[prodRuleID] != OK || strings.Contains(p.Found, "changes in this deploy")) {
				t.Errorf("DescribeRules called %v for %s", read, p.Found)
			}
		})
	}
}

// TestWeightsWithoutShifting: rolling deployed, or nothing deployed: the
// check says there are no weights to reset, and reads no rule.
func TestWeightsWithoutShifting(t *testing.T) {
	a, f := deployedVariant(t, "dev", "dev")
	r := run(t, golden(t, "blue-green", "dev"), f) // switching to blue-green is an ordinary update
	w := r.results("weights")
	if len(w) != 1 || w[0].Status != OK {
		t.Fatalf("weights %+v", w)
	}
	mustContain(t, "weights", w[0].Found, "no deployed stack of the app has a listener rule that forwards by weight (deploymentStrategy rolling)")
	if slices.Contains(f.calls, "elasticloadbalancing:DescribeRules") {
		t.Error("DescribeRules called with no weighted rule deployed")
	}
	r = run(t, a, newFake())
	mustContain(t, "weights", r.results("weights")[0].Found, "no stack of the app is deployed yet")
}

// TestWeightsDenied: DescribeRules denied on a rule the deploy changes is
// a warning naming the permission.
func TestWeightsDenied(t *testing.T) {
	a, f := deployedVariant(t, "linear", "dev")
	f.fail["elasticloadbalancing:DescribeRules"] = errDenied
	r := run(t, golden(t, "dev", "dev"), f)
	_ = a
	p := weightLines(t, r)[prodRuleID]
	if p.Status != Warn {
		t.Fatalf("%s: %s", p.Status, p.Found)
	}
	mustContain(t, "denied", p.Found+p.Fix, "AccessDenied", "allow elasticloadbalancing:DescribeRules")
}

// TestNatInstanceOffering: dev's t4g.nano in Fn::GetAZs's first AZ
// (us-east-1a: the fake lists the AZs out of order), offered or not.
func TestNatInstanceOffering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*fakeAWS)
		status Status
		found  []string
		fix    []string
	}{
		{"offered", func(*fakeAWS) {}, OK,
			[]string{"the NAT instance VpcPublicSubnet1NatInstance57B636B8 of demo-dev-network (natInstanceType t4g.nano) is launched in us-east-1a (the first AZ of us-east-1, which Fn::GetAZs gives the instance), which offers it"}, nil},
		{"not offered", func(f *fakeAWS) { f.offerings["t4g.nano"] = []string{"us-east-1c", "us-east-1b"} }, Fail,
			[]string{"is launched in us-east-1a", "which does not offer t4g.nano", "network stack roll back", "t4g.nano is offered in us-east-1b, us-east-1c"},
			[]string{"set natInstanceType to a type us-east-1a offers, e.g. t3.nano, which us-east-1a offers", "Name=location,Values=us-east-1a", "egress to nat"}},
		{"nor the alternative", func(f *fakeAWS) {
			f.offerings["t4g.nano"] = []string{"us-east-1b"}
			f.offerings["t3.nano"] = []string{"us-east-1b"}
		}, Fail, []string{"which does not offer t4g.nano"}, []string{"set natInstanceType to a type us-east-1a offers (list them"}},
		{"nowhere in the region", func(f *fakeAWS) { f.offerings["t4g.nano"] = nil }, Fail,
			[]string{"is offered in no Availability Zone of us-east-1"}, []string{"set natInstanceType"}},
		{"denied", func(f *fakeAWS) { f.fail["ec2:DescribeInstanceTypeOfferings"] = errDenied }, Warn,
			[]string{"cannot tell whether", "AccessDenied"}, []string{"allow ec2:DescribeInstanceTypeOfferings and ec2:DescribeAvailabilityZones", "Values=t4g.nano"}},
		{"zones denied", func(f *fakeAWS) { f.fail["ec2:DescribeAvailabilityZones"] = errDenied }, Warn,
			[]string{"AccessDenied"}, []string{"allow ec2:DescribeInstanceTypeOfferings and ec2:DescribeAvailabilityZones"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			tc.setup(f)
			r := run(t, golden(t, "dev", "dev"), f)
			n := r.results("nat instance")
			if len(n) != 1 {
				t.Fatalf("nat instance: %+v", n)
			}
			if n[0].Status != tc.status {
				t.Errorf("%s, want %s: %s", n[0].Status, tc.status, n[0].Found)
			}
			mustContain(t, "found", n[0].Found, tc.found...)
			mustContain(t, "fix", n[0].Fix, tc.fix...)
			assertReadOnly(t, f)
		})
	}
	// A pinned AZ is taken as the template has it.
	a := clone(t, golden(t, "dev", "dev"))
	a.stack(t, "Network").Template.Resources["VpcPublicSubnet1NatInstance57B636B8"].Properties["AvailabilityZone"] = "us-east-1c"
	f := newFake()
	f.offerings["t4g.nano"] = []string{"us-east-1a"}
	n := run(t, a, f).results("nat instance")[0]
	if n.Status != Fail || !strings.Contains(n.Found, "launched in us-east-1c (the template's)") {
		t.Errorf("pinned AZ: %s %s", n.Status, n.Found)
	}
	// No instance: egress nat.
	n = run(t, golden(t, "dev-nat", "dev"), newFake()).results("nat instance")[0]
	if n.Status != OK || !strings.Contains(n.Found, "the templates launch no EC2 instance") {
		t.Errorf("no instance: %s %s", n.Status, n.Found)
	}
}
