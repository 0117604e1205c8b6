package report

import (
	"cmp"
	"fmt"

	"github.com/cdkdemo/fargate/rollout"
)

// TaskStartSeconds is the assumed time from ECS placing a task to its
// container running (rollout.TaskStartSeconds).
const TaskStartSeconds = rollout.TaskStartSeconds

// Defaults of ECS and Elastic Load Balancing, used where the template
// omits a value, and for the "with defaults" comparison (the last three).
const (
	ecsDefaultDesiredCount    = 1   // CloudFormation, for a new service
	ecsDefaultMinHealthy      = 100 // rolling update
	ecsDefaultMaxPercent      = 200 // rolling update
	ecsDefaultGraceSeconds    = 0
	ecsDefaultStopTimeout     = 30 // SIGTERM to SIGKILL on Fargate
	elbDefaultDeregistration  = 300
	elbDefaultIntervalSeconds = 30
	elbDefaultHealthyCount    = 5
)

// Rollout is the bound on the time a deployment of one ECS service takes,
// from the template's numbers, for its deployment strategy; what a bad
// image reaches before the rollback alarms fire; and what the second
// fleet of a deployment costs.
type Rollout struct {
	Stack   string `json:"stack"`
	Service string `json:"service"`
	Desired int    `json:"desired_count"`
	MinPct  int    `json:"minimum_healthy_percent"`
	MaxPct  int    `json:"maximum_percent"`
	// PerWave is how many tasks a rolling deployment replaces at once;
	// Waves how many rounds replace them all.
	PerWave int `json:"tasks_per_wave"`
	Waves   int `json:"waves"`
	Figure
	// WithDefaults is the same service with ELB's and ECS's defaults for
	// the deregistration delay and the health check.
	WithDefaults Figure `json:"with_defaults"`
	// Params is what the bound was computed from (rollout.Compute).
	Params rollout.Params `json:"-"`
	// ExtraCost is what the extra tasks of one deployment cost (the second
	// fleet of blue/green, canary and linear; a wave of rolling), in USD;
	// 0 when the task size or price is not known.
	ExtraCost float64  `json:"extra_cost_per_deploy_usd"`
	Notes     []string `json:"notes,omitempty"`
	// logicalID is the service's, for the push estimate to find the
	// service a deploy step names.
	logicalID string
}

// Figure is one computation of the bound (rollout.Bound) with the length
// of one wave of a rolling deployment.
type Figure struct {
	rollout.Bound
	WaveSeconds int `json:"wave_seconds,omitempty"`
}

// Term is one part of a rollout.
type Term = rollout.Term

// Term names.
const (
	TermStart      = rollout.TermStart
	TermHealthy    = rollout.TermHealthy
	TermDrain      = rollout.TermDrain
	TermStop       = rollout.TermStop
	TermAlarmBake  = rollout.TermAlarmBake
	TermCanaryBake = rollout.TermCanaryBake
	TermStepBake   = rollout.TermStepBake
	TermBake       = rollout.TermBake
)

// health is what the bound needs from a service and its target groups,
// each value with where it came from.
type health struct {
	balanced                                          bool
	grace, interval, threshold, deregistration        int
	graceFrom, intervalFrom, thresholdFrom, drainFrom string
}

// rollouts computes the bound for every ECS service of the stacks.
func rollouts(stacks []Stack, prices Prices) []Rollout {
	out := []Rollout{}
	for _, st := range stacks {
		for _, id := range st.Template.idsOf("AWS::ECS::Service") {
			out = append(out, rolloutOf(st, id, prices))
		}
	}
	return out
}

func rolloutOf(st Stack, id string, prices Prices) Rollout {
	r := st.Template.Resources[id]
	p := r.Properties
	ro := Rollout{Stack: st.ID, Service: r.path(id), logicalID: id}
	or := func(v any, def int) int {
		if n, ok := integer(v); ok {
			return n
		}
		return def
	}
	dc := object(p["DeploymentConfiguration"])
	if n, _, ok := taskCount(st.Template, id); ok {
		ro.Desired = n
	} else {
		ro.Desired = ecsDefaultDesiredCount
	}
	ro.MinPct = or(dc["MinimumHealthyPercent"], ecsDefaultMinHealthy)
	ro.MaxPct = or(dc["MaximumPercent"], ecsDefaultMaxPercent)

	strategy := rollout.Strategy(cmp.Or(text(dc["Strategy"]), string(rollout.Rolling)))
	switch strategy {
	case rollout.Rolling, rollout.BlueGreen, rollout.Canary, rollout.Linear:
	default:
		ro.Notes = append(ro.Notes, fmt.Sprintf("deployment strategy %s is not modeled: bounded as a rolling update", strategy))
		strategy = rollout.Rolling
	}
	if ctl := text(object(p["DeploymentController"])["Type"]); ctl != "" && ctl != "ECS" {
		ro.Notes = append(ro.Notes, fmt.Sprintf("deployment controller %s: only the ECS controller's strategies are modeled", ctl))
	}
	if object(dc["DeploymentCircuitBreaker"])["Enable"] == true {
		ro.Notes = append(ro.Notes, "the circuit breaker rolls a failing deploy back: that path takes longer and is not this bound")
	}

	if strategy == rollout.Rolling {
		ro.PerWave, ro.Waves = rollout.Waves(ro.Desired, ro.MinPct, ro.MaxPct)
		switch {
		case ro.Desired == 0:
			ro.Notes = append(ro.Notes, "desired count 0: nothing to replace")
		case ro.PerWave <= 0:
			ro.Notes = append(ro.Notes, fmt.Sprintf("maximum %d %% and minimum healthy %d %% of %d tasks leave no room to replace a task: the deploy cannot proceed", ro.MaxPct, ro.MinPct, ro.Desired))
		}
	}

	h := serviceHealth(st, p)
	stop, stopFrom := ecsDefaultStopTimeout, "ECS default"
	td, hasTD := st.Template.Resources[refID(p["TaskDefinition"])]
	if hasTD {
		cds, _ := list(td.Properties["ContainerDefinitions"])
		longest := -1
		for _, cd := range cds {
			if n, ok := integer(object(cd)["StopTimeout"]); ok && n > longest {
				longest = n
			}
			if object(cd)["HealthCheck"] != nil {
				ro.Notes = append(ro.Notes, "a container has a Docker health check: ECS also waits for it to report HEALTHY, which is not modeled")
			}
		}
		if longest >= 0 {
			stop, stopFrom = longest, "template (StopTimeout)"
		}
	}
	params := rollout.Params{Strategy: strategy, Waves: ro.Waves, Tasks: ro.Desired}
	if strategy.Shifts() {
		params.BakeMinutes = rollout.DefaultBlueGreenBakeMinutes
		if n, ok := integer(dc["BakeTimeInMinutes"]); ok {
			params.BakeMinutes = n
		} else {
			ro.Notes = append(ro.Notes, "no BakeTimeInMinutes: ECS bakes for its default of 36 hours")
		}
		c, l := object(dc["CanaryConfiguration"]), object(dc["LinearConfiguration"])
		params.CanaryPercent, params.CanaryBakeMinutes = rollout.DefaultCanaryPercent, rollout.DefaultCanaryBakeMinutes
		if x, ok := number(c["CanaryPercent"]); ok {
			params.CanaryPercent = x
		}
		params.CanaryBakeMinutes = or(c["CanaryBakeTimeInMinutes"], params.CanaryBakeMinutes)
		params.StepPercent, params.StepBakeMinutes = rollout.DefaultStepPercent, rollout.DefaultStepBakeMinutes
		if x, ok := number(l["StepPercent"]); ok {
			params.StepPercent = x
		}
		params.StepBakeMinutes = or(l["StepBakeTimeInMinutes"], params.StepBakeMinutes)
		if strategy != rollout.Canary {
			params.CanaryPercent, params.CanaryBakeMinutes = 0, 0
		}
		if strategy != rollout.Linear {
			params.StepPercent, params.StepBakeMinutes = 0, 0
		}
	}
	params.AlarmSeconds, params.AlarmFrom = deploymentAlarms(st.Template, object(dc["Alarms"]), &ro.Notes)

	ro.Figure = figure(params, h, stop, stopFrom)
	d := h
	d.interval, d.intervalFrom = elbDefaultIntervalSeconds, "ELB default"
	d.threshold, d.thresholdFrom = elbDefaultHealthyCount, "ELB default"
	d.deregistration, d.drainFrom = elbDefaultDeregistration, "ELB default"
	ro.WithDefaults = figure(params, d, stop, stopFrom)
	ro.Params = paramsOf(params, h, stop, stopFrom)
	if hasTD {
		ro.ExtraCost = extraCost(td, ro.ExtraTasks, ro.ExtraTaskSeconds, prices)
	}
	return ro
}

// deploymentAlarms is how long the slowest of the service's deployment
// alarms takes to fire: its period times its evaluation periods. Alarms
// are found by name (or Ref) among the template's alarms.
func deploymentAlarms(tm Template, alarms map[string]any, notes *[]string) (int, string) {
	if alarms["Enable"] != true {
		return 0, ""
	}
	names, _ := list(alarms["AlarmNames"])
	longest, from := 0, ""
	for _, n := range names {
		var found *Resource
		for id, r := range tm.Resources {
			if r.Type == "AWS::CloudWatch::Alarm" && (text(r.Properties["AlarmName"]) == text(n) && text(n) != "" || refID(n) == id) {
				r := r
				found = &r
			}
		}
		if found == nil {
			*notes = append(*notes, fmt.Sprintf("deployment alarm %s is not in this template: its time to fire is not counted", flatten(n)))
			continue
		}
		period, _ := integer(found.Properties["Period"])
		ms, _ := list(found.Properties["Metrics"])
		for _, m := range ms {
			if p, ok := integer(object(object(m)["MetricStat"])["Period"]); ok && p > period {
				period = p
			}
		}
		evals, _ := integer(found.Properties["EvaluationPeriods"])
		if s := period * evals; s > longest {
			longest, from = s, fmt.Sprintf("deployment alarm %s: %d periods of %d s", flatten(n), evals, period)
		}
	}
	return longest, from
}

// paramsOf fills in the per-task terms of the bound's input.
func paramsOf(p rollout.Params, h health, stop int, stopFrom string) rollout.Params {
	p.Start = Term{Name: TermStart, Seconds: TaskStartSeconds, From: "assumption: ENI, image pull and container start"}
	switch {
	case !h.balanced:
		p.Healthy = Term{Name: TermHealthy, Seconds: 0, From: "no load balancer: a task counts once it runs"}
	case h.grace >= h.interval*h.threshold:
		p.Healthy = Term{Name: TermHealthy, Seconds: h.grace, From: fmt.Sprintf(
			"grace period %d s (%s), longer than interval %d s × healthy threshold %d = %d s", h.grace, h.graceFrom, h.interval, h.threshold, h.interval*h.threshold)}
	default:
		p.Healthy = Term{Name: TermHealthy, Seconds: rollout.HealthySeconds(h.grace, h.interval, h.threshold), From: fmt.Sprintf(
			"interval %d s (%s) × healthy threshold %d (%s), longer than the grace period %d s (%s)", h.interval, h.intervalFrom, h.threshold, h.thresholdFrom, h.grace, h.graceFrom)}
	}
	p.Drain = Term{Name: TermDrain, Seconds: h.deregistration, From: h.drainFrom}
	if !h.balanced {
		p.Drain = Term{Name: TermDrain, Seconds: 0, From: "no load balancer"}
	}
	p.Stop = Term{Name: TermStop, Seconds: stop, From: stopFrom}
	return p
}

// figure computes the bound of one set of health values.
func figure(p rollout.Params, h health, stop int, stopFrom string) Figure {
	p = paramsOf(p, h, stop, stopFrom)
	f := Figure{Bound: rollout.Compute(p)}
	if !p.Strategy.Shifts() {
		f.WaveSeconds = p.Start.Seconds + p.Healthy.Seconds + p.Drain.Seconds + p.Stop.Seconds
	}
	return f
}

// extraCost prices the extra tasks of one deployment at Fargate's rates.
func extraCost(td Resource, tasks, seconds int, prices Prices) float64 {
	cpu, okCPU := number(td.Properties["Cpu"])
	mem, okMem := number(td.Properties["Memory"])
	if !okCPU || !okMem || tasks == 0 {
		return 0
	}
	vcpuKey, gbKey := pFargateX86VCPU, pFargateX86GB
	if text(object(td.Properties["RuntimePlatform"])["CpuArchitecture"]) == "ARM64" {
		vcpuKey, gbKey = pFargateARMVCPU, pFargateARMGB
	}
	hours := float64(tasks) * float64(seconds) / 3600
	return round6(hours * (cpu/1024*prices.usd(vcpuKey) + mem/1024*prices.usd(gbKey)))
}

// serviceHealth reads the grace period, and the health check and
// deregistration delay of the service's target groups (the slowest, when
// there are several, alternate ones included).
func serviceHealth(st Stack, p map[string]any) health {
	h := health{grace: ecsDefaultGraceSeconds, graceFrom: "ECS default"}
	if n, ok := integer(p["HealthCheckGracePeriodSeconds"]); ok {
		h.grace, h.graceFrom = n, "template"
	}
	lbs, _ := list(p["LoadBalancers"])
	var groups []any
	for _, lb := range lbs {
		groups = append(groups, object(lb)["TargetGroupArn"])
		if alt := object(object(lb)["AdvancedConfiguration"])["AlternateTargetGroupArn"]; alt != nil {
			groups = append(groups, alt)
		}
	}
	for _, g := range groups {
		h.balanced = true
		interval, intervalFrom := elbDefaultIntervalSeconds, "ELB default"
		threshold, thresholdFrom := elbDefaultHealthyCount, "ELB default"
		drain, drainFrom := elbDefaultDeregistration, "ELB default"
		tg, ok := st.Template.Resources[refID(g)]
		if !ok {
			const missing = "ELB default (target group not in this template)"
			intervalFrom, thresholdFrom, drainFrom = missing, missing, missing
		}
		if n, ok := integer(tg.Properties["HealthCheckIntervalSeconds"]); ok {
			interval, intervalFrom = n, "template"
		}
		if n, ok := integer(tg.Properties["HealthyThresholdCount"]); ok {
			threshold, thresholdFrom = n, "template"
		}
		attrs, _ := list(tg.Properties["TargetGroupAttributes"])
		for _, a := range attrs {
			if text(object(a)["Key"]) != "deregistration_delay.timeout_seconds" {
				continue
			}
			if n, ok := integer(object(a)["Value"]); ok {
				drain, drainFrom = n, "template"
			}
		}
		if h.intervalFrom == "" || interval*threshold > h.interval*h.threshold {
			h.interval, h.intervalFrom, h.threshold, h.thresholdFrom = interval, intervalFrom, threshold, thresholdFrom
		}
		if h.drainFrom == "" || drain > h.deregistration {
			h.deregistration, h.drainFrom = drain, drainFrom
		}
	}
	return h
}
