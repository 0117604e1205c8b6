//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// TestPreflightWeights (step 4w): prod deploys canary, so its production
// and test rules forward by weight, 100/0 in the template. ECS rewrites
// the weights on every deployment; moto runs none, so the test sets them
// as ECS leaves them after an odd number of deployments (ModifyRule,
// 0/100), and puts them back afterwards. Then preflight on the assembly
// prod runs (prod-logs: the rules untouched) passes the weights, and on
// prod synthesized with deploymentStrategy=rolling (the production rule's
// action changes, and CloudFormation would write 100/0 back) fails, naming
// the rule, both weights and the fix.
func TestPreflightWeights(t *testing.T) {
	ctx := context.Background()
	var prod deployment
	for _, d := range deployments(t) {
		if d.Name == "prod" {
			prod = d
		}
	}
	if prod.Name == "" {
		t.Fatal("no prod deployment")
	}
	s := prod.deployed(t, "Service")
	svcID := s.one(t, "AWS::ECS::Service")
	lb := s.resolve(t, s.Template.Resources[svcID].Properties["LoadBalancers"]).([]any)[0].(map[string]any)
	adv, _ := lb["AdvancedConfiguration"].(map[string]any)
	if adv == nil {
		t.Fatal("prod's service has no advanced load balancer configuration: is prod still canary?")
	}
	primary, alternate := lb["TargetGroupArn"].(string), adv["AlternateTargetGroupArn"].(string)
	rules := []string{adv["ProductionListenerRule"].(string), adv["TestListenerRule"].(string)}
	set := func(p, a int32) {
		t.Helper()
		for _, arn := range rules {
			_, err := elbC.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(arn), Actions: []elbtypes.Action{{
				Type: elbtypes.ActionTypeEnumForward,
				ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
					{TargetGroupArn: aws.String(primary), Weight: aws.Int32(p)}, {TargetGroupArn: aws.String(alternate), Weight: aws.Int32(a)},
				}},
			}}})
			if err != nil {
				t.Fatalf("ModifyRule %s: %v", arn, err)
			}
			out, err := elbC.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{arn}})
			if err != nil || len(out.Rules) != 1 || out.Rules[0].Actions[0].ForwardConfig == nil {
				t.Fatalf("DescribeRules %s: %v %+v", arn, err, out)
			}
			if tg := out.Rules[0].Actions[0].ForwardConfig.TargetGroups; len(tg) != 2 || aws.ToInt32(tg[0].Weight) != p || aws.ToInt32(tg[1].Weight) != a {
				t.Fatalf("rule %s forwards %+v after ModifyRule %d/%d", arn, tg, p, a)
			}
		}
	}
	// prod released in step 4a (an UpdateService of its canary service):
	// ECS would have moved production to the alternate group; moto runs no
	// service deployment.
	out, err := elbC.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: rules[:1]})
	if err != nil || len(out.Rules) != 1 || out.Rules[0].Actions[0].ForwardConfig == nil {
		t.Fatalf("DescribeRules %s: %v %+v", rules[0], err, out)
	}
	if tg := out.Rules[0].Actions[0].ForwardConfig.TargetGroups; len(tg) == 2 && aws.ToInt32(tg[0].Weight) == 100 && aws.ToInt32(tg[1].Weight) == 0 {
		recordGap(t, "ecs-traffic-shift", "prod's production rule forwards 100/0 after the release's UpdateService")
	}
	set(0, 100)
	t.Cleanup(func() { set(100, 0) })

	r, _ := preflight(t, workFile("out/prod-logs"))
	w := r.only(t, "weights")
	if len(w) != 2 {
		t.Fatalf("weights: %+v, want the production and the test rule", w)
	}
	for _, res := range w {
		wantLine(t, "untouched rule", res, "ok", "forwards by weight, and this deploy does not change it")
	}

	r, code := preflight(t, workFile("out/prod-rolling"))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var prodLine *struct{ Check, Status, Found, Fix string }
	for i, res := range r.only(t, "weights") {
		if strings.HasPrefix(res.Found, "the production rule ") {
			prodLine = &r.only(t, "weights")[i]
		}
	}
	if prodLine == nil {
		t.Fatalf("no line on the production rule: %+v", r.only(t, "weights"))
	}
	cluster := s.phys(t, s.one(t, "AWS::ECS::Cluster"))
	service := s.phys(t, svcID)
	service = service[strings.LastIndex(service, "/")+1:]
	wantLine(t, "modified rule", *prodLine, "fail", "of "+prod.stackName("service")+" forwards 0/100 live", "the deployed template says 100/0",
		"this deploy modifies it (its Actions property changes)", "answer 503",
		"aws ecs update-service --cluster "+cluster+" --service "+service+" --force-new-deployment --region us-east-1",
		"make preflight again, which passes once the rule's live weights are 100/0")
}

// TestPreflightNatInstanceAZ (step 4w): dev's NAT instance (t4g.nano)
// pinned to us-east-1e, which moto (as AWS) does not offer t4g.nano in:
// the check fails with the AZs that do. A copy of dev's assembly with the
// instance's AvailabilityZone a literal, as a stack pinned to an account
// and region gets it from the CDK's AZ lookup. dev's own (Fn::GetAZs, the
// region's first AZ) passes in TestPreflightDeployed.
func TestPreflightNatInstanceAZ(t *testing.T) {
	src := devDeployment(t).Dir
	dir := filepath.Join(t.TempDir(), "dev-us-east-1e")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // assets: preflight reads the manifest and templates
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "Network.template.json" {
			var tmpl map[string]any
			if err := json.Unmarshal(b, &tmpl); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range tmpl["Resources"].(map[string]any) {
				if r := r.(map[string]any); r["Type"] == "AWS::EC2::Instance" {
					r["Properties"].(map[string]any)["AvailabilityZone"] = "us-east-1e"
					n++
				}
			}
			if n != 1 {
				t.Fatalf("dev's network has %d instances, want its NAT instance", n)
			}
			if b, err = json.Marshal(tmpl); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, code := preflight(t, dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	n := r.only(t, "nat instance")
	if len(n) != 1 {
		t.Fatalf("nat instance: %+v", n)
	}
	wantLine(t, "NAT instance in us-east-1e", n[0], "fail", "(natInstanceType t4g.nano) is launched in us-east-1e (the template's), which does not offer t4g.nano",
		"t4g.nano is offered in us-east-1a, us-east-1b", "set natInstanceType to a type us-east-1e offers", "Name=location,Values=us-east-1e", "egress to nat")
}
