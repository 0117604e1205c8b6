package main

// How a new image reaches users, read from the synthesized Service
// template for each deployment strategy: the service's
// DeploymentConfiguration, its LoadBalancers' advanced configuration, the
// listener rules and target groups ECS shifts traffic between, the test
// listener's security-group rule, the traffic-shift role, the rollback
// alarms and autoscaling on both target groups.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// strategyVariants are the four strategies, each with what its knobs are.
var strategyVariants = []struct {
	name      string
	overrides map[string]any
	ecs       string
	// shift is the CanaryConfiguration or LinearConfiguration wanted.
	key, shift string
}{
	{"rolling", nil, "ROLLING", "", ""},
	{"canary", map[string]any{"env": "prod"}, "CANARY", "CanaryConfiguration", `{"CanaryBakeTimeInMinutes":10,"CanaryPercent":10}`},
	{"linear", map[string]any{"deploymentStrategy": "linear", "linearStepPercent": "20", "linearStepBakeMinutes": "4", "bakeTimeMinutes": "7", "deployTimeoutMinutes": "35"}, "LINEAR", "LinearConfiguration", `{"StepBakeTimeInMinutes":4,"StepPercent":20}`},
	{"blue-green", map[string]any{"deploymentStrategy": "blue-green", "testListenerCidrs": "198.51.100.0/24", "domainName": "app.example.com", "hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com"}, "BLUE_GREEN", "", ""},
}

func TestDeploymentStrategies(t *testing.T) {
	for _, v := range strategyVariants {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.overrides)
			tm := s.templates["Service"]
			r := s.cfg.Service.Rollout
			shifts := r.Strategy.ECS().Shifts()
			_, svc := tm.Only(t, "AWS::ECS::Service")
			dc := svc["DeploymentConfiguration"].(map[string]any)
			groups := sortedIDs(tm.Resources("AWS::ElasticLoadBalancingV2::TargetGroup"))
			lbs := svc["LoadBalancers"].([]any)
			primary := ref(lbs[0].(map[string]any)["TargetGroupArn"])
			alarms := rollbackAlarms(tm)

			t.Run("DeploymentConfiguration: strategy, bake, shift, alarms with rollback, circuit breaker", func(t *testing.T) {
				if dc["Strategy"] != v.ecs || jsonOf(dc["DeploymentCircuitBreaker"]) != `{"Enable":true,"Rollback":true}` {
					t.Errorf("strategy %v, circuit breaker %s", dc["Strategy"], jsonOf(dc["DeploymentCircuitBreaker"]))
				}
				bake, hasBake := dc["BakeTimeInMinutes"]
				if shifts != hasBake || shifts && bake != float64(r.BakeMinutes) {
					t.Errorf("BakeTimeInMinutes %v, want %d for %s only (ECS's default is 36 hours)", bake, r.BakeMinutes, "blue/green, canary and linear")
				}
				for _, k := range []string{"CanaryConfiguration", "LinearConfiguration"} {
					got, set := dc[k]
					if k == v.key && jsonOf(got) != v.shift || k != v.key && set {
						t.Errorf("%s %s, want %s", k, jsonOf(got), v.shift)
					}
				}
				a := dc["Alarms"].(map[string]any)
				if a["Enable"] != true || a["Rollback"] != true || !sameSet(strs(a["AlarmNames"]), keysOf(alarms)) || len(alarms) != 2*len(groups) {
					t.Errorf("deployment alarms %s, want rollback on the %d rollback alarms %v", jsonOf(a), 2*len(groups), keysOf(alarms))
				}
			})
			t.Run("LoadBalancers: the alternate group, both rules and the shift role", func(t *testing.T) {
				if len(lbs) != 1 {
					t.Fatalf("load balancers %s", jsonOf(lbs))
				}
				adv, set := lbs[0].(map[string]any)["AdvancedConfiguration"].(map[string]any)
				if !shifts {
					if set || len(groups) != 1 {
						t.Errorf("rolling with an advanced configuration %s or %d target groups", jsonOf(adv), len(groups))
					}
					return
				}
				alt := ref(adv["AlternateTargetGroupArn"])
				if len(groups) != 2 || alt == primary || !slices.Contains(groups, alt) {
					t.Errorf("alternate target group %s, primary %s, groups %v", alt, primary, groups)
				}
				prod, test := listenerOfRule(tm, ref(adv["ProductionListenerRule"])), listenerOfRule(tm, ref(adv["TestListenerRule"]))
				wantProd, wantTest := 80.0, 8080.0
				if s.cfg.Service.HTTPS() {
					wantProd, wantTest = 443, 8443
				}
				if tm.Props(prod)["Port"] != wantProd || tm.Props(test)["Port"] != wantTest {
					t.Errorf("production rule on the listener of port %v, test rule on %v; want %v and %v", tm.Props(prod)["Port"], tm.Props(test)["Port"], wantProd, wantTest)
				}
				if role := adv["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string); tm.Props(role)["AssumeRolePolicyDocument"] == nil {
					t.Errorf("shift role %s is not a role of this stack", role)
				}
			})
			t.Run("rules: production through a rule, shifting weights over both groups", func(t *testing.T) {
				for id, l := range tm.Resources("AWS::ElasticLoadBalancingV2::Listener") {
					if p := l["Properties"].(map[string]any); !strings.Contains(jsonOf(p["DefaultActions"]), `"fixed-response"`) && !strings.Contains(jsonOf(p["DefaultActions"]), `"redirect"`) {
						t.Errorf("listener %s forwards by default: %s", id, jsonOf(p["DefaultActions"]))
					}
				}
				want := `[{"TargetGroupArn":{"Ref":"` + primary + `"},"Type":"forward"}]`
				if shifts {
					want = fmt.Sprintf(`[{"ForwardConfig":{"TargetGroups":[{"TargetGroupArn":{"Ref":"%s"},"Weight":100},{"TargetGroupArn":{"Ref":"%s"},"Weight":0}]},"Type":"forward"}]`, primary, otherThan(groups, primary))
				}
				rules := tm.Resources("AWS::ElasticLoadBalancingV2::ListenerRule")
				if wantN := map[bool]int{false: 1, true: 2}[shifts]; len(rules) != wantN {
					t.Errorf("%d listener rules, want %d", len(rules), wantN)
				}
				for id, rule := range rules {
					if got := jsonOf(rule["Properties"].(map[string]any)["Actions"]); got != want {
						t.Errorf("rule %s: %s, want %s", id, got, want)
					}
				}
			})
			t.Run("target groups: the alternate is a copy of the primary", func(t *testing.T) {
				base := tm.Props(primary)
				for _, g := range groups {
					p := tm.Props(g)
					for _, k := range []string{"Port", "Protocol", "TargetType", "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher", "TargetGroupAttributes"} {
						if jsonOf(p[k]) != jsonOf(base[k]) {
							t.Errorf("target group %s %s %s, primary %s", g, k, jsonOf(p[k]), jsonOf(base[k]))
						}
					}
				}
			})
			t.Run("test listener: from the VPC and the configured CIDRs only", func(t *testing.T) {
				_, alb := tm.Only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
				var from []string
				for _, in := range asList(tm.Props(ref(alb["SecurityGroups"].([]any)[0]))["SecurityGroupIngress"]) {
					m := in.(map[string]any)
					if m["FromPort"] == 8080.0 || m["FromPort"] == 8443.0 {
						from = append(from, jsonOf(m["CidrIp"]))
					}
				}
				_, vpc := s.templates["Network"].Only(t, "AWS::EC2::VPC")
				var want []string
				if shifts {
					want = []string{jsonOf(vpc["CidrBlock"])}
					for _, c := range r.TestListenerCidrs {
						want = append(want, strconv.Quote(c))
					}
				}
				if !sameSet(from, want) {
					t.Errorf("test listener admits %v, want %v", from, want)
				}
			})
			t.Run("shift role: these target groups, listeners and rules, nothing else", func(t *testing.T) {
				roles := 0
				for id, role := range tm.Resources("AWS::IAM::Role") {
					p := role["Properties"].(map[string]any)
					if !strings.Contains(jsonOf(p["AssumeRolePolicyDocument"]), `"Service":"ecs.amazonaws.com"`) {
						continue
					}
					roles++
					if p["ManagedPolicyArns"] != nil || len(policyStatements(tm, id)) != 4 {
						t.Errorf("shift role %s: managed %s, %d statements", id, jsonOf(p["ManagedPolicyArns"]), len(policyStatements(tm, id)))
					}
					rules := sortedIDs(tm.Resources("AWS::ElasticLoadBalancingV2::ListenerRule"))
					// The listeners those rules are on: production and test.
					var listeners []string
					for _, r := range rules {
						listeners = append(listeners, ref(tm.Props(r)["ListenerArn"]))
					}
					for _, st := range policyStatements(tm, id) {
						actions, resources := strs(st["Action"]), strs(st["Resource"])
						switch st["Sid"] {
						case "ReadLoadBalancing":
							for _, a := range actions {
								if !strings.HasPrefix(a, "elasticloadbalancing:Describe") {
									t.Errorf("%s on *", a)
								}
							}
						case "RegisterTasks":
							if !sameSet(actions, []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}) || !sameSet(refs(st["Resource"]), groups) {
								t.Errorf("%v on %v, want the target groups %v", actions, resources, groups)
							}
						case "ShiftTraffic":
							if !slices.Equal(actions, []string{"elasticloadbalancing:ModifyRule"}) || !sameSet(refs(st["Resource"]), rules) {
								t.Errorf("%v on %v, want the rules %v", actions, resources, rules)
							}
						case "ShiftListeners":
							// AWS's AmazonECSInfrastructureRolePolicyForLoadBalancers
							// grants ModifyListener on every ALB listener.
							if !slices.Equal(actions, []string{"elasticloadbalancing:ModifyListener"}) || !sameSet(refs(st["Resource"]), listeners) || len(listeners) != 2 {
								t.Errorf("%v on %v, want the listeners %v", actions, resources, listeners)
							}
						default:
							t.Errorf("unexpected statement %s", jsonOf(st))
						}
					}
				}
				if want := map[bool]int{false: 0, true: 1}[shifts]; roles != want {
					t.Errorf("%d roles ECS may assume, want %d", roles, want)
				}
			})
			t.Run("rollback alarms: 5xx rate and p95 per target group, guarded, notifying the topic", func(t *testing.T) {
				topicID, _ := tm.Only(t, "AWS::SNS::Topic")
				perGroup := map[string][]string{}
				for name, p := range alarms {
					expr, group := "", ""
					for _, m := range asList(p["Metrics"]) {
						mm := m.(map[string]any)
						if e, ok := mm["Expression"].(string); ok {
							expr = e
						}
						if strings.Contains(jsonOf(mm["MetricStat"]), "TargetGroupFullName") {
							for _, g := range groups {
								if strings.Contains(jsonOf(mm["MetricStat"]), g) {
									group = g
								}
							}
						}
					}
					guard := fmt.Sprintf("IF(requests >= %d, ", r.MinRequests)
					switch {
					case strings.Contains(name, "5xx-rate"):
						if expr != guard+"100 * FILL(errors, 0) / requests, 0)" || p["Threshold"] != r.ErrorRatePercent {
							t.Errorf("%s: %q > %v", name, expr, p["Threshold"])
						}
					case strings.Contains(name, "p95-latency"):
						if expr != guard+"1000 * p95, 0)" || p["Threshold"] != float64(r.LatencyP95Ms) {
							t.Errorf("%s: %q > %v", name, expr, p["Threshold"])
						}
					default:
						t.Errorf("unexpected rollback alarm %s", name)
					}
					if p["EvaluationPeriods"] != 3.0 || p["DatapointsToAlarm"] != 2.0 || p["TreatMissingData"] != "notBreaching" || !slices.Equal(refs(p["AlarmActions"]), []string{topicID}) {
						t.Errorf("%s: %v of %v, missing data %v, actions %s", name, p["DatapointsToAlarm"], p["EvaluationPeriods"], p["TreatMissingData"], jsonOf(p["AlarmActions"]))
					}
					perGroup[group] = append(perGroup[group], name)
				}
				for _, g := range groups {
					if len(perGroup[g]) != 2 {
						t.Errorf("target group %s has rollback alarms %v, want the 5xx rate and the p95", g, perGroup[g])
					}
				}
			})
			t.Run("autoscaling on the requests of each target group", func(t *testing.T) {
				var on []string
				for _, p := range tm.Resources("AWS::ApplicationAutoScaling::ScalingPolicy") {
					m := p["Properties"].(map[string]any)["TargetTrackingScalingPolicyConfiguration"].(map[string]any)["PredefinedMetricSpecification"].(map[string]any)
					if m["PredefinedMetricType"] == "ALBRequestCountPerTarget" {
						for _, g := range groups {
							if strings.Contains(jsonOf(m["ResourceLabel"]), g) {
								on = append(on, g)
							}
						}
					}
				}
				if !sameSet(on, groups) {
					t.Errorf("request scaling on %v, want each of %v: the group without traffic must not be the only one", on, groups)
				}
			})
		})
	}
}

// TestStrategyLeavesTheNetworkAlone: switching the strategy of a running
// environment must not change what the NetworkStack exports, or the
// switch would fail on the export lock (an export dropped while the
// deployed ServiceStack still imports it).
func TestStrategyLeavesTheNetworkAlone(t *testing.T) {
	want := jsonOf(synth(t, nil).templates["Network"]["Outputs"])
	for _, o := range []map[string]any{{"deploymentStrategy": "canary", "deployTimeoutMinutes": "30"}, strategyVariants[2].overrides} {
		if got := jsonOf(synth(t, o).templates["Network"]["Outputs"]); got != want {
			t.Errorf("with %v the NetworkStack exports %s, with rolling %s", o, got, want)
		}
	}
}

func TestRollbackAlarmsOff(t *testing.T) {
	s := synth(t, map[string]any{"rollbackAlarms": "false"})
	tm := s.templates["Service"]
	_, svc := tm.Only(t, "AWS::ECS::Service")
	if a, set := svc["DeploymentConfiguration"].(map[string]any)["Alarms"]; set || len(rollbackAlarms(tm)) != 0 {
		t.Errorf("rollbackAlarms false, yet deployment alarms %s and rollback alarms %v", jsonOf(a), keysOf(rollbackAlarms(tm)))
	}
	if jsonOf(svc["DeploymentConfiguration"].(map[string]any)["DeploymentCircuitBreaker"]) != `{"Enable":true,"Rollback":true}` {
		t.Errorf("the circuit breaker is off with the alarms")
	}
}

// rollbackAlarms are the template's alarms named *-rollback-*, by name.
func rollbackAlarms(tm template) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, a := range tm.Resources("AWS::CloudWatch::Alarm") {
		p := a["Properties"].(map[string]any)
		if name, _ := p["AlarmName"].(string); strings.Contains(name, "-rollback-") {
			out[name] = p
		}
	}
	return out
}

func listenerOfRule(tm template, rule string) string { return ref(tm.Props(rule)["ListenerArn"]) }

func otherThan(ids []string, id string) string {
	for _, x := range ids {
		if x != id {
			return x
		}
	}
	return ""
}

func keysOf[V any](m map[string]V) []string { return sortedIDs(m) }
