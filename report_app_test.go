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
	// registry, network: the idle lines of the stack, and their sum.
	registry      map[string]float64
	registryTotal float64
	network       map[string]float64
	networkTotal  float64
	// egressFixed: the NetworkStack's egress lines alone (NAT gateways or
	// NAT instance, their addresses), which the egress comparison swaps.
	egressFixed float64
	// service: the lines of the ServiceStack that follow from the
	// configuration; alarms are added from the template.
	service      map[string]float64
	serviceFixed float64
	// alwaysOn: what the tasks would add without the working hours.
	alwaysOn  float64
	egressNow string
	// rollout: the bound, and the same with the ELB/ECS defaults, and the
	// terms that dominate them.
	bound, boundDefaults       int
	dominant, dominantDefaults string
	// lean: what "What dev could cost" says each choice saves ("" in use),
	// and the app with all of them.
	lean     map[string]float64
	leanCost float64
	// push: "git push → running" with and without the layer cache, the
	// buildspec's cache, the dominant term, whether a manual approval
	// waits (not counted).
	pushCached, pushUncached int
	pushCache, pushDominant  string
	approval                 bool
}

func TestReport(t *testing.T) {
	prices, err := report.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	// A month is 730 hours; the working hours MON-FRI 08:00-20:00 are 60
	// of the week's 168, so 60 × 730 / 168 = 260.714286 hours a month.
	const workingHours = 60.0 * 730 / 168
	alb := map[string]float64{
		"Application Load Balancer":                               16.425, // 1 × $0.0225 × 730 h
		"Public IPv4 address/internet-facing ALB, one per AZ (2)": 7.30,   // 2 × $0.005 × 730 h
	}
	with := func(m map[string]float64, more map[string]float64) map[string]float64 {
		out := map[string]float64{}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	// dev (cdk.json): 2 tasks of 0.5 vCPU and 1 GB on ARM64 Fargate Spot,
	// in working hours; a t4g.nano NAT instance; one KMS key.
	devSpotCPU := 2 * 0.5 * 0.009714 * workingHours // = $2.532579
	devSpotGB := 2 * 1.0 * 0.001068 * workingHours  // = $0.556886
	// prod: 2 tasks of 0.5 vCPU and 1 GB on X86_64 on-demand, all month.
	prodCPU := 2 * 0.5 * 0.04048 * 730 // = $29.5504
	prodGB := 2 * 1.0 * 0.004445 * 730 // = $6.4897
	for _, want := range []appFigures{
		{
			env:           "dev",
			registry:      map[string]float64{"KMS key": 1.00}, // the environment's one key
			registryTotal: 1.00,
			network: map[string]float64{
				"NAT instance t4g.nano":                                  3.066, // 1 × $0.0042 × 730 h
				"Public IPv4 address/NAT instance's, assigned at launch": 3.65,  // 1 × $0.005 × 730 h
				"EBS volume (gp3)/NAT instance's root volume, 8 GB":      0.64,  // 8 GB × $0.08
			},
			networkTotal: 3.066 + 3.65 + 0.64, // = $7.356
			egressFixed:  3.066 + 3.65 + 0.64,
			service: with(alb, map[string]float64{
				"Fargate Spot vCPU (ARM64)/2 tasks × 0.5 vCPU on Spot, 260.71 h a month in working hours": devSpotCPU,
				"Fargate Spot memory (ARM64)/2 tasks × 1 GB on Spot, 260.71 h a month in working hours":   devSpotGB,
			}),
			serviceFixed: 16.425 + 7.30 + devSpotCPU + devSpotGB, // = $26.814465
			// the same tasks all month: 2 × (0.5 × $0.009714 + 1 × $0.001068) × 730 h = $8.65055
			alwaysOn:  2*(0.5*0.009714+1*0.001068)*730 - devSpotCPU - devSpotGB,
			egressNow: report.ModeNatInstance,
			// rolling, one wave: start 60 s + max(grace 30 s, interval 10 s ×
			// threshold 2 = 20 s) + drain 30 s + stop 120 s (Spot's two
			// minutes), then ECS watches the rollback alarms for their 3 × 60 s
			bound: 60 + 30 + 30 + 120 + 180, dominant: report.TermAlarmBake, // = 420 s
			// start 60 s + max(30 s, 30 s × 5 = 150 s) + drain 300 s + stop 120 s + 180 s
			boundDefaults: 60 + 150 + 300 + 120 + 180, dominantDefaults: report.TermDrain, // = 810 s
			lean: map[string]float64{"a NAT instance": 0, "Fargate Spot": 0, "ARM64 (Graviton)": 0, "working hours": 0, "one KMS key": 0},
			// Source: trigger 30 s* + source action and clone 20 s*;
			// BuildImage: hand-off 5 s* + provisioning 60 s* (ARM_CONTAINER
			// SMALL) + build 90 s* with the cache, 240 s* without;
			// Deploy: 5 s* + 60 s* + step commands 15 s* + the rollout
			// bound above 420 s + status poll 15 s (sleep 15);
			// SmokeTest: 5 s* + 60 s* + 15 s* + 2 paths (/ /smoke) × 3
			// tries × 10 s = 60 s; RecordImage: 5 s* + 60 s* + 15 s*.
			// (* timings.json's assumptions.)
			pushCached:   30 + 20 + 5 + 60 + 90 + 5 + 60 + 15 + 420 + 15 + 5 + 60 + 15 + 2*3*10 + 5 + 60 + 15,  // = 940 s
			pushUncached: 30 + 20 + 5 + 60 + 240 + 5 + 60 + 15 + 420 + 15 + 5 + 60 + 15 + 2*3*10 + 5 + 60 + 15, // = 1090 s
			// BuildKit's registry cache of every stage (--cache-to
			// type=registry,…,mode=max, --cache-from type=registry): a push
			// after the first takes the with-cache figure
			pushCache: report.CacheRegistry, pushDominant: "Deploy/Deploy: rollout bound",
		},
		{
			env:           "prod",
			registry:      map[string]float64{"KMS key": 1.00}, // retained with the artifacts
			registryTotal: 1.00,
			network: map[string]float64{
				"NAT gateway": 65.70, // egress nat-per-az: 2 × $0.045 × 730 h
				"Public IPv4 address/Elastic IP of a NAT gateway": 7.30, // 2 × $0.005 × 730 h
			},
			networkTotal: 65.70 + 7.30, // = $73.00
			egressFixed:  65.70 + 7.30,
			service: with(alb, map[string]float64{
				"Fargate vCPU (X86_64)/2 tasks × 0.5 vCPU": prodCPU,
				"Fargate memory (X86_64)/2 tasks × 1 GB":   prodGB,
			}),
			serviceFixed: 16.425 + 7.30 + prodCPU + prodGB, // = $59.7651
			egressNow:    report.ModeNatPerAz,
			// canary: start 60 s + healthy 30 s + canary bake 600 s + bake
			// 600 s + drain 30 s + stop 30 s
			bound: 60 + 30 + 600 + 600 + 30 + 30, dominant: report.TermCanaryBake, // = 1350 s
			// healthy 150 s and drain 300 s with the defaults
			boundDefaults: 60 + 150 + 600 + 600 + 300 + 30, dominantDefaults: report.TermCanaryBake, // = 1740 s
			lean: map[string]float64{
				"a NAT instance": 73.00 - 7.356, // nat-per-az's $73.00 for the NAT instance's $7.356
				// on Spot: 1 vCPU × ($0.04048 − $0.012144) × 730 + 2 GB × ($0.004445 − $0.0013335) × 730
				"Fargate Spot": 1*(0.04048-0.012144)*730 + 2*(0.004445-0.0013335)*730,
				// on ARM64: 1 vCPU × ($0.04048 − $0.03238) × 730 + 2 GB × ($0.004445 − $0.00356) × 730
				"ARM64 (Graviton)": 1*(0.04048-0.03238)*730 + 2*(0.004445-0.00356)*730,
				// 108 of 168 hours without tasks
				"working hours": (prodCPU + prodGB) * 108 / 168,
				"one KMS key":   0,
			},
			// as dev, but the build's provisioning on LINUX_CONTAINER
			// SMALL (the same 60 s*), the canary's bound 1350 s, and the
			// manual approval, which waits for a person and is not counted
			pushCached:   30 + 20 + 5 + 60 + 90 + 5 + 60 + 15 + 1350 + 15 + 5 + 60 + 15 + 2*3*10 + 5 + 60 + 15,  // = 1870 s
			pushUncached: 30 + 20 + 5 + 60 + 240 + 5 + 60 + 15 + 1350 + 15 + 5 + 60 + 15 + 2*3*10 + 5 + 60 + 15, // = 2020 s
			pushCache:    report.CacheRegistry, pushDominant: "Deploy/Deploy: rollout bound",
			approval: true,
		},
	} {
		t.Run(want.env, func(t *testing.T) {
			s := synth(t, map[string]any{"env": want.env})
			svc := s.cfg.Service
			arch, schedule := "ARM64", true
			if want.env == "prod" {
				arch, schedule = "X86_64", false
			}
			if svc.Cpu != 512 || svc.MemoryMiB != 1024 || svc.MinCount != 2 || svc.Architecture != arch || (svc.Schedule != nil) != schedule ||
				svc.HealthCheckGracePeriodSeconds != 30 || svc.HealthCheck.IntervalSeconds != 10 ||
				svc.HealthCheck.HealthyThreshold != 2 || svc.DeregistrationDelaySeconds != 30 {
				t.Fatalf("the hand calculation assumes 2 tasks of cpu 512, memory 1024, %s, a schedule %v, grace 30 s, health check 10 s × 2, drain 30 s; the %s config has %+v", arch, schedule, want.env, svc)
			}
			if want.env == "dev" && (s.cfg.Network.NatInstanceType != "t4g.nano" || svc.Schedule.String() != "MON-FRI 08:00-20:00 UTC" || svc.Capacity != "spot") {
				t.Fatalf("the hand calculation assumes a t4g.nano, Spot and MON-FRI 08:00-20:00; dev has %s, %s, %s", s.cfg.Network.NatInstanceType, svc.Capacity, svc.Schedule)
			}
			r, err := report.Build(s.outdir, prices)
			if err != nil {
				t.Fatal(err)
			}
			stacks := map[string]report.StackCost{}
			for _, sc := range r.Stacks {
				stacks[sc.Stack] = sc
			}

			checkLines(t, stacks["Registry"], want.registry)
			checkLines(t, stacks["Network"], want.network)
			if got := stacks["Network"].Monthly; !cents(got, want.networkTotal) {
				t.Errorf("Network at idle $%.4f, want $%.4f", got, want.networkTotal)
			}

			// Alarms are counted from the template here, not by the
			// report: $0.10 per alarm metric (a metric-math alarm bills
			// each metric it reads), 2 alarms per target-tracking policy.
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
			checkLines(t, stacks["Service"], want.service)
			serviceTotal := want.serviceFixed + float64(alarms)*0.10
			if got := stacks["Service"].Monthly; !cents(got, serviceTotal) {
				t.Errorf("Service at idle $%.4f, want $%.4f + %d alarms × $0.10 = $%.4f", got, want.serviceFixed, alarms, serviceTotal)
			}
			// The PipelineStack bills by use only: CodePipeline V2 per
			// action-minute, CodeBuild per build-minute, S3 and logs per GB;
			// its key is the environment's.
			if sc := stacks["Pipeline"]; sc.Monthly != 0 {
				t.Errorf("Pipeline at idle $%.4f, want $0: %v", sc.Monthly, sc.Items)
			}
			total := want.registryTotal + want.networkTotal + serviceTotal
			if !cents(r.Monthly, total) {
				t.Errorf("total at idle $%.4f, want $%.4f", r.Monthly, total)
			}
			if !cents(r.AlwaysOnMonthly, total+want.alwaysOn) {
				t.Errorf("total always on $%.4f, want $%.4f + $%.4f", r.AlwaysOnMonthly, total, want.alwaysOn)
			}
			if want.env == "dev" && r.Monthly > 40 {
				t.Errorf("dev at idle costs $%.2f a month with cdk.json's settings, want at most $40", r.Monthly)
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
			// endpoints 3 × 2 AZs × $0.01 × 730 h = $43.80, a t4g.nano NAT
			// instance $3.066 + $3.65 + $0.64 = $7.356.
			for i, fixed := range []float64{36.50, 73.00, 43.80, 7.356} {
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

			// git push → running: the pipeline's stages from the template,
			// the deploy's bound from section 3 as it is.
			if len(r.Pushes) != 1 {
				t.Fatalf("push estimates for %d pipelines, want 1", len(r.Pushes))
			}
			if strings.Join(s.cfg.Pipeline.SmokeTestPaths, " ") != "/smoke" || svc.HealthCheck.Path != "/" {
				t.Fatalf("the hand calculation assumes the smoke test requests / and /smoke; %s has health path %q and smokeTestPaths %q", want.env, svc.HealthCheck.Path, s.cfg.Pipeline.SmokeTestPaths)
			}
			p := r.Pushes[0]
			if p.WithCache != want.pushCached || p.WithoutCache != want.pushUncached {
				t.Errorf("git push → running: %d s with the cache, %d s without; want %d s and %d s", p.WithCache, p.WithoutCache, want.pushCached, want.pushUncached)
			}
			// A registry cache of every stage makes a push take the
			// with-cache total; an inline cache (the final stage only) the
			// without-cache one, for app/'s multi-stage Dockerfile.
			expected := want.pushUncached
			if want.pushCache == report.CacheRegistry {
				expected = want.pushCached
			}
			if p.Cache.Kind != want.pushCache || p.Expected != expected {
				t.Errorf("build cache %+v, a push %d s; want %s and %d s", p.Cache, p.Expected, want.pushCache, expected)
			}
			if p.Dominant != want.pushDominant {
				t.Errorf("git push → running: dominant term %q, want %q", p.Dominant, want.pushDominant)
			}
			if (len(p.Waits) == 1) != want.approval || len(p.Waits) > 1 {
				t.Errorf("waits for a person %+v, want an approval: %v", p.Waits, want.approval)
			}

			// What dev could cost: each lean choice, in use or its saving.
			if r.Lean == nil || len(r.Lean.Options) != len(want.lean) {
				t.Fatalf("lean choices %+v, want %v", r.Lean, want.lean)
			}
			for _, o := range r.Lean.Options {
				saving, ok := want.lean[o.Name]
				if !ok || o.InUse != (saving == 0) || !cents(o.Saving, saving) {
					t.Errorf("lean choice %q: in use %v, saves $%.4f; want $%.4f", o.Name, o.InUse, o.Saving, saving)
				}
			}
			// With all of them, every environment costs what dev does.
			if !cents(r.Lean.Monthly, 1.00+7.356+16.425+7.30+devSpotCPU+devSpotGB+float64(alarms)*0.10) {
				t.Errorf("with every lean choice $%.4f", r.Lean.Monthly)
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
