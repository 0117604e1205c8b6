// Package rollout computes how long an ECS deployment of the service takes,
// for each deployment strategy, and what it exposes users to. It is the one
// computation behind both the configuration's check of deployTimeoutMinutes
// (config) and the report's rollout-time bound (report, from the
// templates): both fill in Params, from settings or from a template, and
// call Compute. It uses the standard library only.
package rollout

import (
	"fmt"
	"math"
)

// Strategy is an ECS deployment strategy, as AWS::ECS::Service
// DeploymentConfiguration.Strategy names it.
type Strategy string

// The strategies of the ECS deployment controller: rolling since 2015,
// blue/green since July 2025, linear and canary since October 2025.
const (
	Rolling   Strategy = "ROLLING"
	BlueGreen Strategy = "BLUE_GREEN"
	Canary    Strategy = "CANARY"
	Linear    Strategy = "LINEAR"
)

// Shifts reports whether the strategy shifts traffic between two target
// groups (an alternate target group, a production and a test listener
// rule), as blue/green, canary and linear do.
func (s Strategy) Shifts() bool { return s == BlueGreen || s == Canary || s == Linear }

// TaskStartSeconds is the assumed time from ECS placing a task to its
// container running: ENI attachment, image pull and container start. It is
// the one term no template or setting holds; a small image from ECR in the
// same region usually starts in well under a minute.
const TaskStartSeconds = 60

// The rollback alarms (constructs.NewRollout) evaluate one-minute
// datapoints and go to ALARM when 2 of the last 3 breach. An alarm can
// therefore take up to AlarmPeriods × AlarmPeriodSeconds after a bad image
// starts answering to fire: that is the detection time of a rollback.
const (
	AlarmPeriodSeconds = 60
	AlarmPeriods       = 3
	AlarmDatapoints    = 2
)

// DeployOverheadSeconds is what the pipeline's deploy step needs besides
// the ECS deployment itself: CodeBuild provisioning its container, and,
// when the deployment outlasts its time, asking ECS to roll it back. The
// step waits for ECS at most deployTimeoutMinutes minus this.
const DeployOverheadSeconds = 180

// ECS's defaults where a template omits a value (AWS::ECS::Service
// DeploymentConfiguration, CanaryConfiguration, LinearConfiguration).
const (
	DefaultBlueGreenBakeMinutes = 2160 // 36 hours, for BLUE_GREEN, LINEAR and CANARY
	DefaultCanaryPercent        = 5.0
	DefaultCanaryBakeMinutes    = 10
	DefaultStepPercent          = 10.0
	DefaultStepBakeMinutes      = 6
)

// Term is one part of a rollout.
type Term struct {
	Name    string `json:"name"`
	Seconds int    `json:"seconds"`
	// Times is how often the term repeats (waves, linear steps); 1 otherwise.
	Times int    `json:"times"`
	From  string `json:"from"`
}

// Total is the term's share of the bound.
func (t Term) Total() int { return t.Seconds * t.Times }

// Term names.
const (
	TermStart      = "task start"
	TermHealthy    = "become healthy"
	TermDrain      = "deregistration delay"
	TermStop       = "stop timeout"
	TermAlarmBake  = "alarm bake"
	TermCanaryBake = "canary bake"
	TermStepBake   = "step bake"
	TermBake       = "bake time"
)

// Params is what a bound needs. Start, Healthy, Drain and Stop are the
// per-task terms (with their Seconds and From filled in); the rest are the
// strategy's knobs.
type Params struct {
	Strategy Strategy
	// Waves is how many rounds a rolling deployment replaces the tasks in
	// (see Waves); traffic-shifting strategies start all new tasks at once.
	Waves int
	// Tasks is the task count the deployment replaces.
	Tasks                       int
	Start, Healthy, Drain, Stop Term
	BakeMinutes                 int
	CanaryPercent               float64
	CanaryBakeMinutes           int
	StepPercent                 float64
	StepBakeMinutes             int
	// AlarmSeconds is how long the slowest rollback alarm takes to fire
	// (period × evaluation periods); 0 when the service has none.
	AlarmSeconds int
	AlarmFrom    string
}

// Bound is the time a deployment takes and what it exposes users to.
type Bound struct {
	Strategy Strategy `json:"strategy"`
	Terms    []Term   `json:"terms"`
	// Seconds is the time from the deploy starting to the deployment being
	// done (old tasks gone, bake over): what the pipeline waits for.
	Seconds  int    `json:"bound_seconds"`
	Dominant string `json:"dominant_term"`
	// FirstShiftPercent is the share of production traffic a new image
	// gets first: 100 for rolling (once its wave is in) and blue/green.
	FirstShiftPercent float64 `json:"first_shift_percent"`
	// DetectSeconds is how long a bad image serves before a rollback alarm
	// fires (0: no alarms, nothing but the circuit breaker rolls back).
	DetectSeconds int `json:"detect_seconds"`
	// ExposurePercent is the share of users the bad image serves when the
	// alarm fires.
	ExposurePercent float64 `json:"exposure_percent"`
	// RestoreSeconds is the time from the alarm firing to every user being
	// back on the old image: a traffic shift back for the traffic-shifting
	// strategies (the old tasks still run), a rolling deployment back for
	// rolling.
	RestoreSeconds int `json:"restore_seconds"`
	// ExtraTasks run beside the service's own for ExtraTaskSeconds during a
	// deployment: the second fleet of blue/green, canary and linear (all
	// new tasks start at once and the old ones stay through the bake), one
	// wave's worth for rolling.
	ExtraTasks       int `json:"extra_tasks"`
	ExtraTaskSeconds int `json:"extra_task_seconds"`
}

// Waves is how many rounds a rolling deployment of n tasks takes: ECS keeps
// at least ceil(n × minPct / 100) tasks healthy and runs at most
// floor(n × maxPct / 100), and each round replaces the difference.
func Waves(n, minPct, maxPct int) (perWave, waves int) {
	maxTasks := n * maxPct / 100
	minHealthy := (n*minPct + 99) / 100
	perWave = min(maxTasks-minHealthy, n)
	if n <= 0 || perWave <= 0 {
		return perWave, 0
	}
	return perWave, (n + perWave - 1) / perWave
}

// HealthySeconds is how long a new task takes to count as healthy behind a
// load balancer: the longer of the grace period and interval × healthy
// threshold (ECS ignores failing checks during the grace period, and the
// target needs threshold passes in a row).
func HealthySeconds(grace, interval, threshold int) int {
	return max(grace, interval*threshold)
}

// StepBakes is how many step bakes a linear deployment waits: the bake is
// not applied after the final shift, so (100 ÷ step) − 1 when the step
// divides 100, otherwise floor(100 ÷ step) (AWS::ECS::Service
// LinearConfiguration).
func StepBakes(stepPercent float64) int {
	tenths := int(math.Round(stepPercent * 10))
	if tenths <= 0 {
		return 0
	}
	if 1000%tenths == 0 {
		return 1000/tenths - 1
	}
	return 1000 / tenths
}

// Compute is the bound of one deployment.
func Compute(p Params) Bound {
	b := Bound{Strategy: p.Strategy, DetectSeconds: p.AlarmSeconds}
	once := func(t Term) Term {
		t.Times = 1
		return t
	}
	alarm := Term{Name: TermAlarmBake, Seconds: p.AlarmSeconds, Times: 1, From: p.AlarmFrom}
	bake := Term{Name: TermBake, Seconds: p.BakeMinutes * 60, Times: 1, From: fmt.Sprintf("%d min: both fleets run, traffic on the new one, alarms watched", p.BakeMinutes)}
	switch p.Strategy {
	case BlueGreen, Canary, Linear:
		// All new tasks start at once into the alternate target group; test
		// traffic, then production traffic shifts by listener rule weights
		// (seconds); the old tasks stay through the bake, then drain.
		b.Terms = []Term{once(p.Start), once(p.Healthy)}
		switch p.Strategy {
		case BlueGreen:
			b.FirstShiftPercent = 100
		case Canary:
			b.FirstShiftPercent = p.CanaryPercent
			b.Terms = append(b.Terms, Term{Name: TermCanaryBake, Seconds: p.CanaryBakeMinutes * 60, Times: 1,
				From: fmt.Sprintf("%d min on %s %% of production traffic", p.CanaryBakeMinutes, num(p.CanaryPercent))})
		case Linear:
			b.FirstShiftPercent = p.StepPercent
			b.Terms = append(b.Terms, Term{Name: TermStepBake, Seconds: p.StepBakeMinutes * 60, Times: StepBakes(p.StepPercent),
				From: fmt.Sprintf("%d min after each shift of %s %% but the last", p.StepBakeMinutes, num(p.StepPercent))})
		}
		b.Terms = append(b.Terms, bake, once(p.Drain), once(p.Stop))
		b.ExtraTasks = p.Tasks
		b.RestoreSeconds = 0 // the listener rule shifts back; the old tasks never stopped
	default:
		waves := p.Waves
		for _, t := range []Term{p.Start, p.Healthy, p.Drain, p.Stop} {
			t.Times = waves
			b.Terms = append(b.Terms, t)
		}
		if p.AlarmSeconds > 0 {
			// ECS watches the alarms for a bake it computes from them after
			// the last old task stopped.
			b.Terms = append(b.Terms, alarm)
		}
		b.FirstShiftPercent = 100
		if p.Tasks > 0 && waves > 0 {
			b.ExtraTasks = (p.Tasks + waves - 1) / waves
		}
		b.RestoreSeconds = waves * (p.Start.Seconds + p.Healthy.Seconds + p.Drain.Seconds + p.Stop.Seconds)
	}
	dominant := -1
	for i, t := range b.Terms {
		b.Seconds += t.Total()
		if dominant < 0 || t.Total() > b.Terms[dominant].Total() {
			dominant = i
		}
	}
	if dominant >= 0 {
		b.Dominant = b.Terms[dominant].Name
	}
	// The second fleet runs from its first task starting to the old
	// fleet's last task draining (the stop timeout is the old fleet's).
	for _, t := range b.Terms {
		if t.Name != TermStop && t.Name != TermAlarmBake {
			b.ExtraTaskSeconds += t.Total()
		}
	}
	if !p.Strategy.Shifts() {
		// Rolling: a wave's new tasks run beside the old ones from their
		// start until the old ones have drained.
		b.ExtraTaskSeconds = p.Waves * (p.Start.Seconds + p.Healthy.Seconds + p.Drain.Seconds)
	}
	b.ExposurePercent = exposure(p, b)
	return b
}

// exposure is the share of production traffic a bad image serves when the
// alarm fires, DetectSeconds after its first shift.
func exposure(p Params, b Bound) float64 {
	if p.AlarmSeconds == 0 {
		return 100 // nothing stops it: it reaches everyone
	}
	switch p.Strategy {
	case Canary:
		if p.AlarmSeconds <= p.CanaryBakeMinutes*60 {
			return p.CanaryPercent
		}
		return 100
	case Linear:
		if p.StepBakeMinutes == 0 {
			return 100
		}
		shifts := 1 + p.AlarmSeconds/(p.StepBakeMinutes*60)
		return math.Min(100, float64(shifts)*p.StepPercent)
	}
	return b.FirstShiftPercent
}

// num formats a percentage without trailing zeros: 10, 2.5.
func num(x float64) string {
	return fmt.Sprintf("%g", math.Round(x*10)/10)
}
