package config

import (
	"fmt"

	"github.com/cdkdemo/fargate/rollout"
)

// RollingMinHealthyPercent and RollingMaxPercent bound a rolling
// deployment: the new tasks start next to the old ones, so capacity never
// dips. The ServiceStack sets them and the rollout bound counts with them.
const (
	RollingMinHealthyPercent = 100
	RollingMaxPercent        = 200
)

// StopTimeoutSeconds is how long ECS waits between SIGTERM and SIGKILL:
// the task definition sets no StopTimeout, so it is ECS's default on
// Fargate.
const StopTimeoutSeconds = 30

// RolloutParams is the rollout bound's input as the settings give it. The
// report reads the same from the synthesized templates (report.rollouts),
// and a test holds the two equal, so validation and `make report` agree.
func (c Config) RolloutParams() rollout.Params {
	s, r := c.Service, c.Service.Rollout
	waves := 0 // blue/green, canary and linear start every new task at once
	if r.Strategy == StrategyRolling {
		_, waves = rollout.Waves(s.MinCount, RollingMinHealthyPercent, RollingMaxPercent)
	}
	hc := s.HealthCheck
	p := rollout.Params{
		Strategy: r.Strategy.ECS(),
		Waves:    waves,
		Tasks:    s.MinCount,
		Start:    rollout.Term{Name: rollout.TermStart, Seconds: rollout.TaskStartSeconds, From: "assumption: ENI, image pull and container start"},
		Healthy: rollout.Term{Name: rollout.TermHealthy, Seconds: rollout.HealthySeconds(s.HealthCheckGracePeriodSeconds, hc.IntervalSeconds, hc.HealthyThreshold),
			From: fmt.Sprintf("the longer of healthCheckGracePeriodSeconds %d s and healthCheckIntervalSeconds %d s × healthyThresholdCount %d", s.HealthCheckGracePeriodSeconds, hc.IntervalSeconds, hc.HealthyThreshold)},
		Drain: rollout.Term{Name: rollout.TermDrain, Seconds: s.DeregistrationDelaySeconds, From: "deregistrationDelaySeconds"},
		Stop:  rollout.Term{Name: rollout.TermStop, Seconds: StopTimeoutSeconds, From: "ECS default"},
	}
	if s.Capacity.UsesSpot() {
		p.Stop = rollout.Term{Name: rollout.TermStop, Seconds: SpotStopTimeoutSeconds, From: "the container's stop timeout with Fargate Spot"}
	}
	if r.Strategy != StrategyRolling {
		p.BakeMinutes = r.BakeMinutes
	}
	switch r.Strategy {
	case StrategyCanary:
		p.CanaryPercent, p.CanaryBakeMinutes = r.CanaryPercent, r.CanaryBakeMinutes
	case StrategyLinear:
		p.StepPercent, p.StepBakeMinutes = r.StepPercent, r.StepBakeMinutes
	}
	if r.Alarms {
		p.AlarmSeconds = rollout.AlarmPeriodSeconds * rollout.AlarmPeriods
		p.AlarmFrom = fmt.Sprintf("rollback alarms: %d periods of %d s", rollout.AlarmPeriods, rollout.AlarmPeriodSeconds)
	}
	return p
}

// RolloutBound is how long a deployment of the service takes with these
// settings (rollout.Compute).
func (c Config) RolloutBound() rollout.Bound { return rollout.Compute(c.RolloutParams()) }
