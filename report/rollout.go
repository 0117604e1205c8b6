package report

import (
	"fmt"
	"slices"
)

// TaskStartSeconds is the assumed time from ECS placing a task to its
// container running: ENI attachment, image pull and container start. It is
// the one term of the rollout bound no template holds; a small image from
// ECR in the same region usually starts in well under a minute.
const TaskStartSeconds = 60

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

// Rollout is the bound on the time a rolling deploy of one ECS service
// takes, from the template's numbers.
type Rollout struct {
	Stack   string `json:"stack"`
	Service string `json:"service"`
	Desired int    `json:"desired_count"`
	MinPct  int    `json:"minimum_healthy_percent"`
	MaxPct  int    `json:"maximum_percent"`
	// PerWave is how many tasks are replaced at once; Waves how many
	// rounds replace them all.
	PerWave int `json:"tasks_per_wave"`
	Waves   int `json:"waves"`
	Figure
	// WithDefaults is the same service with ELB's and ECS's defaults for
	// the deregistration delay and the health check.
	WithDefaults Figure   `json:"with_defaults"`
	Notes        []string `json:"notes,omitempty"`
}

// Figure is one computation of the bound: the terms of a wave, their sum,
// and the bound over all waves.
type Figure struct {
	Terms       []Term `json:"terms"`
	WaveSeconds int    `json:"wave_seconds"`
	Seconds     int    `json:"bound_seconds"`
	Dominant    string `json:"dominant_term"`
}

// Term is one part of a wave.
type Term struct {
	Name    string `json:"name"`
	Seconds int    `json:"seconds"`
	From    string `json:"from"`
}

// Term names.
const (
	TermStart   = "task start"
	TermHealthy = "become healthy"
	TermDrain   = "deregistration delay"
	TermStop    = "stop timeout"
)

// health is what the bound needs from a service and its target groups,
// each value with where it came from.
type health struct {
	balanced                                          bool
	grace, interval, threshold, deregistration        int
	graceFrom, intervalFrom, thresholdFrom, drainFrom string
}

// rollouts computes the bound for every ECS service of the stacks.
func rollouts(stacks []Stack) []Rollout {
	out := []Rollout{}
	for _, st := range stacks {
		ids := make([]string, 0)
		for id, r := range st.Template.Resources {
			if r.Type == "AWS::ECS::Service" {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			out = append(out, rollout(st, id))
		}
	}
	return out
}

func rollout(st Stack, id string) Rollout {
	r := st.Template.Resources[id]
	p := r.Properties
	ro := Rollout{Stack: st.ID, Service: r.path(id)}
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

	if ctl := text(object(p["DeploymentController"])["Type"]); ctl != "" && ctl != "ECS" {
		ro.Notes = append(ro.Notes, fmt.Sprintf("deployment controller %s: only ECS rolling updates are modeled", ctl))
	}
	if s := text(dc["Strategy"]); s != "" && s != "ROLLING" {
		ro.Notes = append(ro.Notes, fmt.Sprintf("deployment strategy %s: only rolling updates are modeled", s))
	}
	if object(dc["DeploymentCircuitBreaker"])["Enable"] == true {
		ro.Notes = append(ro.Notes, "the circuit breaker rolls a failing deploy back: that path takes longer and is not this bound")
	}

	// ECS keeps at least ceil(N × min%) tasks healthy and runs at most
	// floor(N × max%): each wave replaces the difference.
	maxTasks := ro.Desired * ro.MaxPct / 100
	minHealthy := (ro.Desired*ro.MinPct + 99) / 100
	ro.PerWave = min(maxTasks-minHealthy, ro.Desired)
	switch {
	case ro.Desired == 0:
		ro.Notes = append(ro.Notes, "desired count 0: nothing to replace")
	case ro.PerWave <= 0:
		ro.Notes = append(ro.Notes, fmt.Sprintf("maximum %d %% and minimum healthy %d %% of %d tasks leave no room to replace a task: the deploy cannot proceed", ro.MaxPct, ro.MinPct, ro.Desired))
	default:
		ro.Waves = (ro.Desired + ro.PerWave - 1) / ro.PerWave
	}

	h := serviceHealth(st, p)
	stop, stopFrom := ecsDefaultStopTimeout, "ECS default"
	if td, ok := st.Template.Resources[refID(p["TaskDefinition"])]; ok {
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
	ro.Figure = figure(h, stop, stopFrom, ro.Waves)
	d := h
	d.interval, d.intervalFrom = elbDefaultIntervalSeconds, "ELB default"
	d.threshold, d.thresholdFrom = elbDefaultHealthyCount, "ELB default"
	d.deregistration, d.drainFrom = elbDefaultDeregistration, "ELB default"
	ro.WithDefaults = figure(d, stop, stopFrom, ro.Waves)
	return ro
}

// serviceHealth reads the grace period, and the health check and
// deregistration delay of the service's target groups (the slowest, when
// there are several).
func serviceHealth(st Stack, p map[string]any) health {
	h := health{grace: ecsDefaultGraceSeconds, graceFrom: "ECS default"}
	if n, ok := integer(p["HealthCheckGracePeriodSeconds"]); ok {
		h.grace, h.graceFrom = n, "template"
	}
	lbs, _ := list(p["LoadBalancers"])
	for _, lb := range lbs {
		h.balanced = true
		interval, intervalFrom := elbDefaultIntervalSeconds, "ELB default"
		threshold, thresholdFrom := elbDefaultHealthyCount, "ELB default"
		drain, drainFrom := elbDefaultDeregistration, "ELB default"
		tg, ok := st.Template.Resources[refID(object(lb)["TargetGroupArn"])]
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

// figure sums one wave: the new tasks start, become healthy in the target
// group, then the old ones drain and stop; waves follow one another.
func figure(h health, stop int, stopFrom string, waves int) Figure {
	var healthy Term
	switch {
	case !h.balanced:
		healthy = Term{Name: TermHealthy, Seconds: 0, From: "no load balancer: a task counts once it runs"}
	case h.grace >= h.interval*h.threshold:
		healthy = Term{Name: TermHealthy, Seconds: h.grace, From: fmt.Sprintf(
			"grace period %d s (%s), longer than interval %d s × healthy threshold %d = %d s", h.grace, h.graceFrom, h.interval, h.threshold, h.interval*h.threshold)}
	default:
		healthy = Term{Name: TermHealthy, Seconds: h.interval * h.threshold, From: fmt.Sprintf(
			"interval %d s (%s) × healthy threshold %d (%s), longer than the grace period %d s (%s)", h.interval, h.intervalFrom, h.threshold, h.thresholdFrom, h.grace, h.graceFrom)}
	}
	drain := Term{Name: TermDrain, Seconds: h.deregistration, From: h.drainFrom}
	if !h.balanced {
		drain = Term{Name: TermDrain, Seconds: 0, From: "no load balancer"}
	}
	f := Figure{Terms: []Term{
		{Name: TermStart, Seconds: TaskStartSeconds, From: "assumption: ENI, image pull and container start"},
		healthy,
		drain,
		{Name: TermStop, Seconds: stop, From: stopFrom},
	}}
	dominant := f.Terms[0]
	for _, t := range f.Terms {
		f.WaveSeconds += t.Seconds
		if t.Seconds > dominant.Seconds {
			dominant = t
		}
	}
	f.Dominant = dominant.Name
	f.Seconds = waves * f.WaveSeconds
	return f
}
