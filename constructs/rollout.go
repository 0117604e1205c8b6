package constructs

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	cwactions "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	sns "github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/rollout"
)

// DeploymentOptions sets the ECS deployment strategy and its knobs on the
// service's props. The circuit breaker stays on for every strategy: ECS
// detects failures with it and with the CloudWatch alarms for rolling and
// blue/green-style deployments alike (Amazon ECS deployment failure
// detection).
func DeploymentOptions(props *ecs.FargateServiceProps, r config.Rollout) {
	props.CircuitBreaker = &ecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)}
	props.MinHealthyPercent = jsii.Number(config.RollingMinHealthyPercent)
	props.MaxHealthyPercent = jsii.Number(config.RollingMaxPercent)
	props.DeploymentStrategy = ecs.DeploymentStrategy(r.Strategy.ECS())
	if !r.Strategy.ECS().Shifts() {
		return
	}
	// Always set: ECS's own default bake is 36 hours, which no pipeline
	// waits for.
	props.BakeTime = awscdk.Duration_Minutes(jsii.Number(float64(r.BakeMinutes)))
	switch r.Strategy {
	case config.StrategyCanary:
		props.CanaryConfiguration = &ecs.TrafficShiftConfig{StepPercent: jsii.Number(r.CanaryPercent), StepBakeTime: awscdk.Duration_Minutes(jsii.Number(float64(r.CanaryBakeMinutes)))}
	case config.StrategyLinear:
		props.LinearConfiguration = &ecs.TrafficShiftConfig{StepPercent: jsii.Number(r.StepPercent), StepBakeTime: awscdk.Duration_Minutes(jsii.Number(float64(r.StepBakeMinutes)))}
	}
}

// RollbackAlarmsProps configures NewRollbackAlarms.
type RollbackAlarmsProps struct {
	Service ecs.FargateService
	Topic   sns.ITopic
	// TargetGroups are every group the service's tasks register with: a
	// new revision may be in either, so each is watched.
	TargetGroups []elbv2.ApplicationTargetGroup
	Rollout      config.Rollout
	// NamePrefix starts the alarms' names ("demo-dev"): the service
	// refers to its deployment alarms by name, and names of our own keep
	// the template free of references from the service to the alarms.
	NamePrefix string
}

// RollbackAlarms are the alarms that roll a deployment back: what users
// see of a bad image that starts and passes its health check.
type RollbackAlarms interface {
	constructs.Construct
	Alarms() []cw.Alarm
}

type rollbackAlarms struct {
	constructs.Construct
	alarms []cw.Alarm
	names  []*string
}

func (r *rollbackAlarms) Alarms() []cw.Alarm { return r.alarms }

// NewRollbackAlarms creates, per target group, an alarm on the target 5xx
// rate and one on the p95 response time, both silent below MinRequests
// requests a minute, each notifying the topic, and makes them the
// service's deployment alarms with rollback.
func NewRollbackAlarms(scope constructs.Construct, id string, props *RollbackAlarmsProps) RollbackAlarms {
	r := &rollbackAlarms{}
	constructs.NewConstruct_Override(r, scope, &id)
	cfg := props.Rollout
	period := awscdk.Duration_Seconds(jsii.Number(rollout.AlarmPeriodSeconds))
	action := cwactions.NewSnsAction(props.Topic)
	minRequests := strconv.Itoa(cfg.MinRequests)
	for i, tg := range props.TargetGroups {
		suffix := ""
		if i > 0 {
			suffix = "Alternate"
		}
		m := tg.Metrics()
		sum := &cw.MetricOptions{Period: period, Statistic: jsii.String("Sum")}
		requests := m.RequestCount(sum)
		errorRate := cw.NewMathExpression(&cw.MathExpressionProps{
			// A minute without 5xx has no datapoint: FILL counts it as 0.
			Expression:   jsii.String("IF(requests >= " + minRequests + ", 100 * FILL(errors, 0) / requests, 0)"),
			UsingMetrics: &map[string]cw.IMetric{"errors": m.HttpCodeTarget(elbv2.HttpCodeTarget_TARGET_5XX_COUNT, sum), "requests": requests},
			Label:        jsii.String("Target 5xx, % of requests"),
			Period:       period,
		})
		latency := cw.NewMathExpression(&cw.MathExpressionProps{
			Expression:   jsii.String("IF(requests >= " + minRequests + ", 1000 * p95, 0)"),
			UsingMetrics: &map[string]cw.IMetric{"p95": m.TargetResponseTime(&cw.MetricOptions{Period: period, Statistic: jsii.String("p95")}), "requests": requests},
			Label:        jsii.String("Target response time p95, ms"),
			Period:       period,
		})
		add := func(id, name, description string, metric cw.IMetric, threshold float64) {
			if i > 0 {
				name += "-alternate"
			}
			name = props.NamePrefix + "-" + name
			alarm := cw.NewAlarm(r, jsii.String(id+suffix), &cw.AlarmProps{
				AlarmName:          jsii.String(name),
				AlarmDescription:   jsii.String(description + "; rolls a deployment back"),
				Metric:             metric,
				Threshold:          jsii.Number(threshold),
				ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_THRESHOLD,
				EvaluationPeriods:  jsii.Number(rollout.AlarmPeriods),
				DatapointsToAlarm:  jsii.Number(rollout.AlarmDatapoints),
				TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
			})
			alarm.AddAlarmAction(action)
			alarm.AddOkAction(action)
			r.alarms = append(r.alarms, alarm)
			r.names = append(r.names, jsii.String(name))
		}
		group := "the target group"
		if i > 0 {
			group = "the alternate target group"
		}
		add("ErrorRate", "rollback-5xx-rate", fmt.Sprintf("Tasks in %s answered more than %s %% of their requests with 5xx, in %d of %d minutes with at least %d requests",
			group, strconv.FormatFloat(cfg.ErrorRatePercent, 'f', -1, 64), rollout.AlarmDatapoints, rollout.AlarmPeriods, cfg.MinRequests), errorRate, cfg.ErrorRatePercent)
		add("LatencyP95", "rollback-p95-latency", fmt.Sprintf("p95 response time of the tasks in %s above %d ms, in %d of %d minutes with at least %d requests",
			group, cfg.LatencyP95Ms, rollout.AlarmDatapoints, rollout.AlarmPeriods, cfg.MinRequests), latency, float64(cfg.LatencyP95Ms))
	}
	// ECS looks the alarms up by name: they exist before the service.
	for _, a := range r.alarms {
		props.Service.Node().AddDependency(a)
	}
	props.Service.EnableDeploymentAlarms(&r.names, &ecs.DeploymentAlarmOptions{Behavior: ecs.AlarmBehavior_ROLLBACK_ON_ALARM})
	return r
}
