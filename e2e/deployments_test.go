//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestDeployedDeployment checks how each deployment rolls a new image out,
// as far as moto shows it: dev rolls, prod goes canary first, the
// endpoints deployment is linear (and dev switches to blue-green on its
// redeploy). The strategy, bake and alarms are in the service's
// DeploymentConfiguration, which moto drops (a known gap); what moto does
// create is checked against the account: the alternate target group, the
// production and test listener rules ECS is handed, the test listener's
// sources, and the traffic-shift role's policy on exactly those.
func TestDeployedDeployment(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		ctx := context.Background()
		sv := readService(t, d)
		s := sv.stack
		p := s.Template.Resources[s.one(t, "AWS::ECS::Service")].Properties
		dc, _ := p["DeploymentConfiguration"].(map[string]any)
		strategy, _ := dc["Strategy"].(string)
		t.Logf("%s deploys %s", d.Name, strategy)

		t.Run("deployment configuration", func(t *testing.T) {
			got := sv.ECS.DeploymentConfiguration
			if got == nil || got.Strategy == "" {
				recordGap(t, "ecs-service-deployment-strategy", fmt.Sprintf("DescribeServices shows deploymentConfiguration %+v, template strategy %s", got, strategy))
				return
			}
			if string(got.Strategy) != strategy || fmt.Sprint(aws.ToInt32(got.BakeTimeInMinutes)) != fmt.Sprint(dc["BakeTimeInMinutes"]) {
				t.Errorf("ECS deploys %s baking %d min, template %s baking %v", got.Strategy, aws.ToInt32(got.BakeTimeInMinutes), strategy, dc["BakeTimeInMinutes"])
			}
		})

		if sv.AlternateTargetGroup == "" {
			if strategy != "ROLLING" {
				t.Fatalf("%s has no alternate target group", strategy)
			}
			return
		}
		lb := s.resolve(t, p["LoadBalancers"]).([]any)[0].(map[string]any)
		adv := lb["AdvancedConfiguration"].(map[string]any)
		ruleListener := map[string]string{}    // rule ARN -> its listener's port
		ruleListenerArn := map[string]string{} // rule ARN -> its listener's ARN
		for _, key := range []string{"ProductionListenerRule", "TestListenerRule"} {
			arn, _ := adv[key].(string)
			out, err := elbC.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{arn}})
			if err != nil || len(out.Rules) != 1 {
				t.Fatalf("%s %s: %v", key, arn, err)
			}
			ls, err := elbC.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(sv.LoadBalancer)})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls.Listeners {
				rs, _ := elbC.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.ListenerArn})
				for _, r := range rs.Rules {
					if aws.ToString(r.RuleArn) == arn {
						ruleListener[arn] = fmt.Sprint(aws.ToInt32(l.Port))
						ruleListenerArn[arn] = aws.ToString(l.ListenerArn)
					}
				}
			}
		}
		t.Run("ECS is handed the alternate group and the rules of the production and test listeners", func(t *testing.T) {
			if adv["AlternateTargetGroupArn"] != sv.AlternateTargetGroup {
				t.Errorf("alternate target group %v, want %s", adv["AlternateTargetGroupArn"], sv.AlternateTargetGroup)
			}
			if ruleListener[adv["ProductionListenerRule"].(string)] != "80" || ruleListener[adv["TestListenerRule"].(string)] != "8080" {
				t.Errorf("production rule on %q, test rule on %q; want the listeners of 80 and 8080", ruleListener[adv["ProductionListenerRule"].(string)], ruleListener[adv["TestListenerRule"].(string)])
			}
		})
		t.Run("the test listener admits the VPC and nothing else", func(t *testing.T) {
			lbs, err := elbC.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{sv.LoadBalancer}})
			if err != nil || len(lbs.LoadBalancers) != 1 {
				t.Fatalf("load balancer %s: %v", sv.LoadBalancer, err)
			}
			vpcs, err := ec2C.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{sv.net.VPC}})
			if err != nil || len(vpcs.Vpcs) != 1 {
				t.Fatalf("VPC %s: %v", sv.net.VPC, err)
			}
			var from []string
			for _, r := range rules(securityGroup(t, lbs.LoadBalancers[0].SecurityGroups[0]).IpPermissions) {
				if r.From == 8080 || r.To == 8080 {
					from = append(from, r.Source)
				}
			}
			if want := []string{aws.ToString(vpcs.Vpcs[0].CidrBlock)}; !slices.Equal(from, want) {
				t.Errorf("the test listener's port is open to %v, want %v only", from, want)
			}
		})
		t.Run("the shift role may touch these groups, rules and their listeners only", func(t *testing.T) {
			arn, _ := adv["RoleArn"].(string)
			name := arn[strings.LastIndexByte(arn, '/')+1:]
			role, err := iamC.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if err != nil {
				t.Fatalf("role %s: %v", arn, err)
			}
			trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
			if !strings.Contains(trust, `"ecs.amazonaws.com"`) {
				t.Errorf("role %s trusts %s, want ecs.amazonaws.com", name, trust)
			}
			pol, err := iamC.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("ShiftTraffic")})
			if err != nil {
				t.Fatalf("inline policy of %s: %v", name, err)
			}
			raw, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
			var doc struct {
				Statement []struct {
					Sid      string
					Action   any
					Resource any
				}
			}
			if err := json.Unmarshal([]byte(raw), &doc); err != nil {
				// moto answers with the policy as Python prints it: single
				// quotes, which neither the ARNs nor the actions contain.
				if err := json.Unmarshal([]byte(strings.ReplaceAll(raw, "'", `"`)), &doc); err != nil {
					t.Fatalf("policy %s: %v", raw, err)
				}
			}
			for _, st := range doc.Statement {
				res := fmt.Sprint(st.Resource)
				switch st.Sid {
				case "RegisterTasks":
					if !strings.Contains(res, sv.TargetGroup) || !strings.Contains(res, sv.AlternateTargetGroup) || strings.Contains(res, "*") {
						t.Errorf("RegisterTasks on %s, want the two target groups", res)
					}
				case "ShiftTraffic":
					for arn := range ruleListener {
						if !strings.Contains(res, arn) {
							t.Errorf("ShiftTraffic on %s lacks the rule %s", res, arn)
						}
					}
					if strings.Contains(res, "*") {
						t.Errorf("ShiftTraffic on %s", res)
					}
				case "ShiftListeners":
					for _, lsn := range ruleListenerArn {
						if !strings.Contains(res, lsn) {
							t.Errorf("ShiftListeners on %s lacks the listener %s", res, lsn)
						}
					}
					if strings.Contains(res, "*") {
						t.Errorf("ShiftListeners on %s", res)
					}
				case "ReadLoadBalancing":
				default:
					t.Errorf("unexpected statement %s", st.Sid)
				}
			}
		})
	})
}
