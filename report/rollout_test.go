package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// serviceStack builds a stack with one ECS service behind one target group
// from property JSON, so each case states only what it varies.
func serviceStack(t *testing.T, service, targetGroup, taskDef string) Stack {
	t.Helper()
	tmpl := fmt.Sprintf(`{"Resources": {
		"Svc": {"Type": "AWS::ECS::Service", "Properties": %s},
		"Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": %s},
		"Td": {"Type": "AWS::ECS::TaskDefinition", "Properties": %s}
	}}`, service, targetGroup, taskDef)
	var tm Template
	if err := json.Unmarshal([]byte(tmpl), &tm); err != nil {
		t.Fatalf("%v:\n%s", err, tmpl)
	}
	return Stack{ID: "Service", Template: tm}
}

const lb = `"LoadBalancers": [{"TargetGroupArn": {"Ref": "Tg"}}], "TaskDefinition": {"Ref": "Td"}`

// appTG is the app's target group: interval 10 s, threshold 2, drain 30 s.
const appTG = `{"HealthCheckIntervalSeconds": 10, "HealthyThresholdCount": 2,
	"TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]}`

func TestRolloutWaves(t *testing.T) {
	for _, tc := range []struct {
		desired, min, max int
		perWave, waves    int
	}{
		// floor(N × max%) running at most, ceil(N × min%) healthy at least:
		{2, 100, 200, 2, 1},  // 4 − 2 = 2 at once: both in one wave
		{2, 50, 100, 1, 2},   // 2 − 1 = 1: stop one, start one, twice
		{3, 100, 150, 1, 3},  // floor(4.5) = 4, 4 − 3 = 1 at once: three waves
		{4, 50, 200, 4, 1},   // 8 − 2 = 6, capped at the 4 tasks there are
		{10, 100, 120, 2, 5}, // 12 − 10 = 2: ceil(10 / 2) = 5 waves
		{3, 67, 100, 0, 0},   // ceil(2.01) = 3 healthy, 3 at most: no room
		{0, 100, 200, 0, 0},  // nothing runs
	} {
		name := fmt.Sprintf("N=%d,min=%d,max=%d", tc.desired, tc.min, tc.max)
		t.Run(name, func(t *testing.T) {
			svc := fmt.Sprintf(`{"DesiredCount": %d, "DeploymentConfiguration": {"MinimumHealthyPercent": %d, "MaximumPercent": %d}, %s}`, tc.desired, tc.min, tc.max, lb)
			ro := rollouts([]Stack{serviceStack(t, svc, appTG, `{}`)}, prices(t))[0]
			if ro.PerWave != tc.perWave || ro.Waves != tc.waves {
				t.Errorf("%d per wave, %d waves; want %d, %d", ro.PerWave, ro.Waves, tc.perWave, tc.waves)
			}
			if tc.waves == 0 && len(ro.Notes) == 0 {
				t.Errorf("no note says why nothing is replaced")
			}
			if ro.Seconds != tc.waves*ro.WaveSeconds {
				t.Errorf("bound %d s, want %d waves × %d s", ro.Seconds, tc.waves, ro.WaveSeconds)
			}
		})
	}
}

func TestRolloutTerms(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		service, tg, taskDef string
		// per-wave terms: start, healthy, drain, stop
		terms    [4]int
		dominant string
		// the same with ELB/ECS defaults for the drain and the health check
		defaults [4]int
	}{
		{
			name:    "the app: grace 30 s over 10 s × 2",
			service: `{"DesiredCount": 2, "HealthCheckGracePeriodSeconds": 30, ` + lb + `}`,
			tg:      appTG, taskDef: `{}`,
			// 60 + max(30, 10 × 2 = 20) + 30 + 30 (ECS default stop timeout) = 150 s
			terms: [4]int{60, 30, 30, 30}, dominant: TermStart,
			// 60 + max(30, 30 × 5 = 150) + 300 + 30 = 540 s
			defaults: [4]int{60, 150, 300, 30},
		},
		{
			name:    "health check longer than the grace period",
			service: `{"DesiredCount": 2, "HealthCheckGracePeriodSeconds": 10, ` + lb + `}`,
			tg:      `{"HealthCheckIntervalSeconds": 30, "HealthyThresholdCount": 3}`, taskDef: `{}`,
			// 60 + max(10, 30 × 3 = 90) + 300 (ELB default drain) + 30 = 480 s
			terms: [4]int{60, 90, 300, 30}, dominant: TermDrain,
			defaults: [4]int{60, 150, 300, 30},
		},
		{
			name:    "template omits everything: ELB and ECS defaults",
			service: `{` + lb + `}`, tg: `{}`, taskDef: `{}`,
			// 60 + max(0, 30 × 5 = 150) + 300 + 30 = 540 s
			terms: [4]int{60, 150, 300, 30}, dominant: TermDrain,
			defaults: [4]int{60, 150, 300, 30},
		},
		{
			name:    "long grace period and stop timeout from the template",
			service: `{"HealthCheckGracePeriodSeconds": 120, ` + lb + `}`,
			tg:      appTG, taskDef: `{"ContainerDefinitions": [{"StopTimeout": 10}, {"StopTimeout": 45}]}`,
			// 60 + max(120, 20) + 30 + 45 (the longest container's) = 255 s
			terms: [4]int{60, 120, 30, 45}, dominant: TermHealthy,
			defaults: [4]int{60, 150, 300, 45},
		},
		{
			name:    "no load balancer",
			service: `{"DesiredCount": 2, "TaskDefinition": {"Ref": "Td"}}`, tg: `{}`, taskDef: `{}`,
			terms: [4]int{60, 0, 0, 30}, dominant: TermStart,
			defaults: [4]int{60, 0, 0, 30},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := rollouts([]Stack{serviceStack(t, tc.service, tc.tg, tc.taskDef)}, prices(t))[0]
			check := func(what string, f Figure, want [4]int) {
				sum := 0
				for i, name := range []string{TermStart, TermHealthy, TermDrain, TermStop} {
					if f.Terms[i].Name != name || f.Terms[i].Seconds != want[i] {
						t.Errorf("%s: term %d = %s %d s, want %s %d s", what, i, f.Terms[i].Name, f.Terms[i].Seconds, name, want[i])
					}
					sum += want[i]
				}
				if f.WaveSeconds != sum {
					t.Errorf("%s: wave %d s, want %d s", what, f.WaveSeconds, sum)
				}
			}
			check("template", ro.Figure, tc.terms)
			check("defaults", ro.WithDefaults, tc.defaults)
			if ro.Dominant != tc.dominant {
				t.Errorf("dominant term %q, want %q", ro.Dominant, tc.dominant)
			}
		})
	}
}

func TestRolloutNotes(t *testing.T) {
	svc := `{"DesiredCount": 2, "DeploymentConfiguration": {"DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}},
		"DeploymentController": {"Type": "CODE_DEPLOY"}, ` + lb + `}`
	ro := rollouts([]Stack{serviceStack(t, svc, appTG, `{"ContainerDefinitions": [{"HealthCheck": {"Command": ["CMD", "true"]}}]}`)}, prices(t))[0]
	notes := strings.Join(ro.Notes, "\n")
	for _, want := range []string{"CODE_DEPLOY", "circuit breaker", "Docker health check"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

// shifting is the app's service with a traffic-shifting strategy: its
// DeploymentConfiguration, the alternate group, and its two rollback
// alarms (one named, one by Ref) of 3 periods of 60 s.
func shifting(t *testing.T, dc string) Stack {
	t.Helper()
	tmpl := fmt.Sprintf(`{"Resources": {
		"Svc": {"Type": "AWS::ECS::Service", "Properties": {"HealthCheckGracePeriodSeconds": 30, "TaskDefinition": {"Ref": "Td"},
			"DeploymentConfiguration": %s,
			"LoadBalancers": [{"TargetGroupArn": {"Ref": "Tg"}, "AdvancedConfiguration": {"AlternateTargetGroupArn": {"Ref": "Tg2"}}}]}},
		"Scale": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {"MinCapacity": 2, "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": {"Fn::Join": ["", ["service/", {"Fn::GetAtt": ["Svc", "Name"]}]]}}},
		"Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": %s},
		"Tg2": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": %s},
		"Td": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "512", "Memory": "1024"}},
		"Rate": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "app-rollback-5xx-rate", "EvaluationPeriods": 3, "Metrics": [{"Id": "e", "Expression": "x"}, {"Id": "x", "MetricStat": {"Period": 60}}]}},
		"Slow": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 60, "EvaluationPeriods": 2}}
	}}`, dc, appTG, appTG)
	var tm Template
	if err := json.Unmarshal([]byte(tmpl), &tm); err != nil {
		t.Fatalf("%v:\n%s", err, tmpl)
	}
	return Stack{ID: "Service", Template: tm}
}

func TestRolloutStrategies(t *testing.T) {
	const alarms = `"Alarms": {"Enable": true, "Rollback": true, "AlarmNames": ["app-rollback-5xx-rate", {"Ref": "Slow"}]}`
	for _, tc := range []struct {
		name, dc string
		// 60 s start + 30 s healthy, the strategy's bakes, 30 s drain, 30 s stop
		seconds  int
		dominant string
		exposure float64
		note     string
	}{
		{"blue/green", `{"Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 10, ` + alarms + `}`, 60 + 30 + 600 + 30 + 30, TermBake, 100, ""},
		{"canary", `{"Strategy": "CANARY", "BakeTimeInMinutes": 5, "CanaryConfiguration": {"CanaryPercent": 2.5, "CanaryBakeTimeInMinutes": 15}, ` + alarms + `}`, 60 + 30 + 900 + 300 + 30 + 30, TermCanaryBake, 2.5, ""},
		// 20 %: shifts at 20, 40, 60, 80, 100; four step bakes of 4 min.
		{"linear", `{"Strategy": "LINEAR", "BakeTimeInMinutes": 0, "LinearConfiguration": {"StepPercent": 20, "StepBakeTimeInMinutes": 4}, ` + alarms + `}`, 60 + 30 + 4*240 + 0 + 30 + 30, TermStepBake, 20, ""},
		// Without the knobs, ECS's defaults: a 36-hour bake, 5 % for 10 minutes.
		{"canary on ECS's defaults", `{"Strategy": "CANARY"}`, 60 + 30 + 600 + 2160*60 + 30 + 30, TermBake, 100, "36 hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := rollouts([]Stack{shifting(t, tc.dc)}, prices(t))[0]
			if ro.Seconds != tc.seconds || ro.Dominant != tc.dominant {
				t.Errorf("bound %d s, dominant %q; want %d s, %q: %+v", ro.Seconds, ro.Dominant, tc.seconds, tc.dominant, ro.Terms)
			}
			if ro.ExposurePercent != tc.exposure {
				t.Errorf("a bad image reaches %v %% when the alarm fires, want %v %%", ro.ExposurePercent, tc.exposure)
			}
			if tc.note == "" && ro.DetectSeconds != 180 {
				t.Errorf("the alarms fire within %d s, want the slower one's 3 × 60 s", ro.DetectSeconds)
			}
			// The second fleet: 2 tasks, from their start to the old ones
			// drained, at 0.5 vCPU and 1 GB.
			fleet := tc.seconds - 30
			if ro.ExtraTasks != 2 || ro.ExtraTaskSeconds != fleet {
				t.Errorf("second fleet %d tasks for %d s, want 2 for %d s", ro.ExtraTasks, ro.ExtraTaskSeconds, fleet)
			}
			want := 2 * float64(fleet) / 3600 * (0.5*0.04048 + 1*0.004445)
			if math.Abs(ro.ExtraCost-want) > 1e-6 {
				t.Errorf("second fleet costs $%v a deploy, want $%v", ro.ExtraCost, want)
			}
			if tc.note != "" && !strings.Contains(strings.Join(ro.Notes, "\n"), tc.note) {
				t.Errorf("notes %v lack %q", ro.Notes, tc.note)
			}
		})
	}
}

func TestRolloutAlarmNotInTheTemplate(t *testing.T) {
	ro := rollouts([]Stack{shifting(t, `{"Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 1, "Alarms": {"Enable": true, "Rollback": true, "AlarmNames": ["someone-elses"]}}`)}, prices(t))[0]
	if ro.DetectSeconds != 0 || !strings.Contains(strings.Join(ro.Notes, "\n"), "someone-elses is not in this template") {
		t.Errorf("detect %d s, notes %v", ro.DetectSeconds, ro.Notes)
	}
}
