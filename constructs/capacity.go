package constructs

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	appscaling "github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
)

// Fargate's capacity providers, as a capacity provider strategy names them.
const (
	FargateOnDemand = "FARGATE"
	FargateSpot     = "FARGATE_SPOT"
)

// CapacityProviderStrategies is the service's capacity provider strategy,
// for every capacity mode: all tasks on FARGATE for on-demand; all on
// Fargate Spot for spot; for mixed, the first base tasks on on-demand
// Fargate and every further one on Spot (weight 0 on FARGATE: nothing above
// the base goes there). Never the FARGATE launch type: ECS cannot take a
// service created with a strategy back to a launch type ("No launch type to
// fall back to for empty capacity provider strategy", AWS::ECS::Service),
// so with a launch type for on-demand, switching a running Spot service
// back would fail. Strategy to strategy is an in-place update. The cluster
// offers both providers (AssociateFargateCapacityProviders), and the
// service then has no launch type.
//
// Spot has no fallback to on-demand: while Fargate Spot has no capacity,
// the tasks it should run stay unplaced (docs/service.md).
func CapacityProviderStrategies(c config.Capacity, base int) *[]*ecs.CapacityProviderStrategy {
	switch c {
	case config.CapacitySpot:
		return &[]*ecs.CapacityProviderStrategy{{CapacityProvider: jsii.String(FargateSpot), Weight: jsii.Number(1)}}
	case config.CapacityMixed:
		return &[]*ecs.CapacityProviderStrategy{
			{CapacityProvider: jsii.String(FargateOnDemand), Base: jsii.Number(base), Weight: jsii.Number(0)},
			{CapacityProvider: jsii.String(FargateSpot), Weight: jsii.Number(1)},
		}
	}
	return &[]*ecs.CapacityProviderStrategy{{CapacityProvider: jsii.String(FargateOnDemand), Weight: jsii.Number(1)}}
}

// StopTimeout is the container's stop timeout: with Spot, the two minutes
// AWS warns before it takes a task back (SIGTERM then, SIGKILL at the
// end), so the app can finish its requests while the load balancer
// drains it; otherwise ECS's default (30 s, nil here).
func StopTimeout(c config.Capacity) awscdk.Duration {
	if !c.UsesSpot() {
		return nil
	}
	return awscdk.Duration_Seconds(jsii.Number(config.SpotStopTimeoutSeconds))
}

// ScaleOnSchedule adds the working hours as two Application Auto Scaling
// scheduled actions on the service's scalable target: at the start, on
// each day listed, the target's range goes back to minCount..maxCount
// (autoscaling then starts minCount tasks); at the end it becomes 0..0 and
// ECS stops every task. Both use the schedule's time zone, daylight saving
// time included. Outside the hours an ALB without targets answers 503.
func ScaleOnSchedule(scaling ecs.ScalableTaskCount, sch *config.Schedule, minCount, maxCount int) {
	if sch == nil {
		return
	}
	at := func(clock string) appscaling.Schedule {
		h, m, ok := config.ClockTime(clock)
		if !ok {
			panic(fmt.Sprintf("schedule time %q: config.Validate should have rejected it", clock))
		}
		return appscaling.Schedule_Cron(&appscaling.CronOptions{
			Minute: jsii.String(strconv.Itoa(m)), Hour: jsii.String(strconv.Itoa(h)), WeekDay: jsii.String(sch.Days),
		})
	}
	zone := awscdk.TimeZone_Of(jsii.String(sch.TimeZone))
	scaling.ScaleOnSchedule(jsii.String("WorkingHoursStart"), &appscaling.ScalingSchedule{
		Schedule: at(sch.Start), TimeZone: zone,
		MinCapacity: jsii.Number(minCount), MaxCapacity: jsii.Number(maxCount),
	})
	scaling.ScaleOnSchedule(jsii.String("WorkingHoursEnd"), &appscaling.ScalingSchedule{
		Schedule: at(sch.End), TimeZone: zone,
		MinCapacity: jsii.Number(0), MaxCapacity: jsii.Number(0),
	})
}

// AssociateFargateCapacityProviders gives the cluster the FARGATE and
// FARGATE_SPOT capacity providers, whatever the capacity mode (so a switch
// of mode changes the service's strategy and nothing else), and makes the
// service wait for them: a service created first fails
// ("The specified capacity provider strategy cannot contain a capacity
// provider that is not associated with the cluster"). The CDK's own
// EnableFargateCapacityProviders adds the association in an aspect at
// synth, too late to depend on.
func AssociateFargateCapacityProviders(scope constructs.Construct, cluster ecs.ICluster, service ecs.FargateService) {
	assoc := ecs.NewCfnClusterCapacityProviderAssociations(scope, jsii.String("FargateCapacityProviders"), &ecs.CfnClusterCapacityProviderAssociationsProps{
		Cluster:                         cluster.ClusterName(),
		CapacityProviders:               &[]interface{}{jsii.String(FargateOnDemand), jsii.String(FargateSpot)},
		DefaultCapacityProviderStrategy: &[]interface{}{},
	})
	service.Node().AddDependency(assoc)
}
