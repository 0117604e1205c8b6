package main

// The cost and rollout report (report/, issue 8) on the app's own dev and
// prod templates, checked against figures worked out by hand below.

import (
	"math"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/report"
	"github.com/cdkdemo/fargate/rollout"
)

// appFigures is what the hand calculation expects of one environment.
type appFigures struct {
	env string
	// network: the idle lines of the NetworkStack, and their sum.
	network      map[string]float64
	networkTotal float64
	// egressFixed: the NetworkStack's egress lines alone (NAT gateways and
	// their addresses), which the egress comparison swaps.
	egressFixed float64
	// service: the lines of the ServiceStack that follow from the
	// configuration; alarms and KMS keys are added from the template.
	service      map[string]float64
	serviceFixed float64
	egressNow    string
	// rollout: the bound, and the same with the ELB/ECS defaults.
	bound, boundDefaults       int
	dominant, dominantDefaults string
}

func TestReport(t *testing.T) {
	prices, err := report.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	// Both environments run 2 tasks of 0.5 vCPU and 1 GB on X86_64, behind
	// an internet-facing ALB in 2 AZs. A month is 730 hours.
	service := map[string]float64{
		"Application Load Balancer":                               16.425,  // 1 × $0.0225 × 730 h
		"Public IPv4 address/internet-facing ALB, one per AZ (2)": 7.30,    // 2 × $0.005 × 730 h
		"Fargate vCPU (X86_64)/2 tasks × 0.5 vCPU":                29.5504, // 2 × 512/1024 vCPU × $0.04048 × 730 h
		"Fargate memory (X86_64)/2 tasks × 1 GB":                  6.4897,  // 2 × 1024/1024 GB × $0.004445 × 730 h
	}
	const serviceFixed = 16.425 + 7.30 + 29.5504 + 6.4897 // = $59.7651
	for _, want := range []appFigures{
		{
			env: "dev",
			network: map[string]float64{
				"NAT gateway": 32.85, // egress nat: 1 × $0.045 × 730 h
				"Public IPv4 address/Elastic IP of a NAT gateway": 3.65, // 1 × $0.005 × 730 h
				"KMS key": 1.00, // the log key: 1 × $1.00 a month
			},
			networkTotal: 32.85 + 3.65 + 1.00, // = $37.50
			egressFixed:  32.85 + 3.65,        // = $36.50
			service:      service, serviceFixed: serviceFixed,
			egressNow: report.ModeNat,
			// rolling, one wave: start 60 s + max(grace 30 s, interval 10 s ×
			// threshold 2 = 20 s) + drain 30 s + stop 30 s, then ECS watches
			// the rollback alarms for their 3 × 60 s
			bound: 60 + 30 + 30 + 30 + 180, dominant: report.TermAlarmBake, // = 330 s
			// start 60 s + max(30 s, 30 s × 5 = 150 s) + drain 300 s + stop 30 s + 180 s
			boundDefaults: 60 + 150 + 300 + 30 + 180, dominantDefaults: report.TermDrain, // = 720 s
		},
		{
			env: "prod",
			network: map[string]float64{
				"NAT gateway": 65.70, // egress nat-per-az: 2 × $0.045 × 730 h
				"Public IPv4 address/Elastic IP of a NAT gateway": 7.30, // 2 × $0.005 × 730 h
				"KMS key": 1.00, // the log key: 1 × $1.00 a month
			},
			networkTotal: 65.70 + 7.30 + 1.00, // = $74.00
			egressFixed:  65.70 + 7.30,        // = $73.00
			service:      service, serviceFixed: serviceFixed,
			egressNow: report.ModeNatPerAz,
			// canary: start 60 s + healthy 30 s + canary bake 600 s + bake
			// 600 s + drain 30 s + stop 30 s
			bound: 60 + 30 + 600 + 600 + 30 + 30, dominant: report.TermCanaryBake, // = 1350 s
			// healthy 150 s and drain 300 s with the defaults
			boundDefaults: 60 + 150 + 600 + 600 + 300 + 30, dominantDefaults: report.TermCanaryBake, // = 1740 s
		},
	} {
		t.Run(want.env, func(t *testing.T) {
			s := synth(t, map[string]any{"env": want.env})
			svc := s.cfg.Service
			if svc.Cpu != 512 || svc.MemoryMiB != 1024 || svc.MinCount != 2 || svc.Architecture != "X86_64" ||
				svc.HealthCheckGracePeriodSeconds != 30 || svc.HealthCheck.IntervalSeconds != 10 ||
				svc.HealthCheck.HealthyThreshold != 2 || svc.DeregistrationDelaySeconds != 30 {
				t.Fatalf("the hand calculation assumes 2 tasks of cpu 512, memory 1024, X86_64, grace 30 s, health check 10 s × 2, drain 30 s; the %s config has %+v", want.env, svc)
			}
			r, err := report.Build(s.outdir, prices)
			if err != nil {
				t.Fatal(err)
			}
			stacks := map[string]report.StackCost{}
			for _, sc := range r.Stacks {
				stacks[sc.Stack] = sc
			}

			checkLines(t, stacks["Network"], want.network)
			if got := stacks["Network"].Monthly; !cents(got, want.networkTotal) {
				t.Errorf("Network at idle $%.4f, want $%.4f", got, want.networkTotal)
			}

			// Alarms and KMS keys are counted from the template here, not
			// by the report: $0.10 per alarm metric (a metric-math alarm
			// bills each metric it reads), 2 alarms per target-tracking
			// policy, $1.00 per key.
			tm := s.templates["Service"]
			alarms := 0
			for _, a := range tm.Resources("AWS::CloudWatch::Alarm") {
				p, _ := a["Properties"].(map[string]any)
				metrics, _ := p["Metrics"].([]any)
				n := 0
				for _, m := range metrics {
					if _, ok := m.(map[string]any)["MetricStat"]; ok {
						n++
					}
				}
				alarms += max(n, 1)
			}
			for _, pol := range tm.Resources("AWS::ApplicationAutoScaling::ScalingPolicy") {
				if p, _ := pol["Properties"].(map[string]any); p["PolicyType"] == "TargetTrackingScaling" {
					alarms += 2
				}
			}
			keys := len(tm.Resources("AWS::KMS::Key"))
			checkLines(t, stacks["Service"], want.service)
			serviceTotal := want.serviceFixed + float64(alarms)*0.10 + float64(keys)*1.00
			if got := stacks["Service"].Monthly; !cents(got, serviceTotal) {
				t.Errorf("Service at idle $%.4f, want $%.4f + %d alarms × $0.10 + %d keys × $1.00 = $%.4f", got, want.serviceFixed, alarms, keys, serviceTotal)
			}

			// The PipelineStack bills by use only: CodePipeline V2 per
			// action-minute, CodeBuild per build-minute, S3 and logs per GB.
			pipelineTotal := 0.0
			if sc, ok := stacks["Pipeline"]; ok {
				pipelineTotal = float64(len(s.templates["Pipeline"].Resources("AWS::KMS::Key"))) * 1.00
				if !cents(sc.Monthly, pipelineTotal) {
					t.Errorf("Pipeline at idle $%.4f, want $%.2f: %v", sc.Monthly, pipelineTotal, sc.Items)
				}
			}
			// The RegistryStack bills its log key (the image parameter's
			// provider logs), and storage by use.
			registryTotal := float64(len(s.templates["Registry"].Resources("AWS::KMS::Key"))) * 1.00
			if sc, ok := stacks["Registry"]; ok && !cents(sc.Monthly, registryTotal) {
				t.Errorf("Registry at idle $%.4f, want $%.2f: %v", sc.Monthly, registryTotal, sc.Items)
			}
			if total := want.networkTotal + serviceTotal + pipelineTotal + registryTotal; !cents(r.Monthly, total) {
				t.Errorf("total at idle $%.4f, want $%.4f", r.Monthly, total)
			}

			// Every resource type of the app is classified in
			// report/classify.go, free or priced: a new type fails here
			// until someone decides what it costs.
			for _, sc := range r.Stacks {
				for _, np := range sc.NotPriced {
					if strings.Contains(np.Reason, "not classified") {
						t.Errorf("%s: %s (%s) is not classified in report/classify.go", sc.Stack, np.Type, np.Path)
					}
				}
			}

			if r.Egress == nil || r.Egress.Current != want.egressNow {
				t.Fatalf("egress comparison %+v, want the current mode %s", r.Egress, want.egressNow)
			}
			// The egress lines of the templates, swapped for each mode:
			// nat 1 × ($0.045 + $0.005) × 730 h = $36.50, nat-per-az $73.00,
			// endpoints 3 × 2 AZs × $0.01 × 730 h = $43.80.
			for i, fixed := range []float64{36.50, 73.00, 43.80} {
				if m := r.Egress.Modes[i]; !cents(m.Fixed, fixed) || !cents(m.AppMonthly, r.Monthly-want.egressFixed+fixed) {
					t.Errorf("egress %s: $%.2f, app $%.2f; want $%.2f, $%.2f", m.Mode, m.Fixed, m.AppMonthly, fixed, r.Monthly-want.egressFixed+fixed)
				}
			}

			if len(r.Rollouts) != 1 {
				t.Fatalf("rollout bounds for %d services, want 1", len(r.Rollouts))
			}
			ro := r.Rollouts[0]
			if ro.Seconds != want.bound || ro.WithDefaults.Seconds != want.boundDefaults {
				t.Errorf("rollout: %d s, with defaults %d s; want %d s and %d s", ro.Seconds, ro.WithDefaults.Seconds, want.bound, want.boundDefaults)
			}
			if ro.Dominant != want.dominant || ro.WithDefaults.Dominant != want.dominantDefaults {
				t.Errorf("dominant terms %q and, with defaults, %q; want %q and %q", ro.Dominant, ro.WithDefaults.Dominant, want.dominant, want.dominantDefaults)
			}
		})
	}
}

// checkLines compares a stack's idle lines, keyed "resource/detail" (or the
// resource alone when it has no detail), with the expected monthly figures.
func checkLines(t *testing.T, sc report.StackCost, want map[string]float64) {
	t.Helper()
	got := map[string]float64{}
	for _, it := range sc.Items {
		key := it.Resource
		if it.Detail != "" {
			key += "/" + it.Detail
		}
		got[key] = it.Monthly
	}
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("%s: no line %q; have %v", sc.Stack, key, got)
		} else if !cents(g, w) {
			t.Errorf("%s: %s = $%.4f, want $%.4f", sc.Stack, key, g, w)
		}
	}
}

// cents compares dollar figures to a hundredth of a cent.
func cents(got, want float64) bool { return math.Abs(got-want) < 0.0001 }

// TestRolloutBoundFromTemplateAndSettingsAgree: validation checks
// deployTimeoutMinutes against the rollout bound computed from the
// settings (config.RolloutBound), `make report` computes it from the
// synthesized templates. Both go through rollout.Compute; here, for every
// gate variant, their inputs and results must be equal, so a template that
// drifts from its settings (a bake the stack forgets, an alarm period that
// changes) fails here.
func TestRolloutBoundFromTemplateAndSettingsAgree(t *testing.T) {
	prices, err := report.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.overrides)
			r, err := report.Build(s.outdir, prices)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Rollouts) != 1 {
				t.Fatalf("%d rollouts", len(r.Rollouts))
			}
			fromTemplate, fromSettings := r.Rollouts[0].Params, s.cfg.RolloutParams()
			type knobs struct {
				strategy                                  string
				waves, tasks, start, healthy, drain, stop int
				bake, canaryBake, stepBake, alarm         int
				canaryPercent, stepPercent                float64
			}
			of := func(p rollout.Params) knobs {
				return knobs{string(p.Strategy), p.Waves, p.Tasks, p.Start.Seconds, p.Healthy.Seconds, p.Drain.Seconds, p.Stop.Seconds,
					p.BakeMinutes, p.CanaryBakeMinutes, p.StepBakeMinutes, p.AlarmSeconds, p.CanaryPercent, p.StepPercent}
			}
			if of(fromTemplate) != of(fromSettings) {
				t.Errorf("the report reads %+v from the templates, the settings give %+v", of(fromTemplate), of(fromSettings))
			}
			if got, want := r.Rollouts[0].Seconds, s.cfg.RolloutBound().Seconds; got != want {
				t.Errorf("the report bounds the rollout at %d s, validation at %d s", got, want)
			}
		})
	}
}
