package report

import (
	"encoding/json"
	"fmt"
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
			ro := rollouts([]Stack{serviceStack(t, svc, appTG, `{}`)})[0]
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
			ro := rollouts([]Stack{serviceStack(t, tc.service, tc.tg, tc.taskDef)})[0]
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
	ro := rollouts([]Stack{serviceStack(t, svc, appTG, `{"ContainerDefinitions": [{"HealthCheck": {"Command": ["CMD", "true"]}}]}`)})[0]
	notes := strings.Join(ro.Notes, "\n")
	for _, want := range []string{"CODE_DEPLOY", "circuit breaker", "Docker health check"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}
