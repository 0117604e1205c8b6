package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	cwactions "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	events "github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	sns "github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	subs "github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	ievents "github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlarmTopicProps configures NewAlarmTopic.
type AlarmTopicProps struct {
	// Email is subscribed to the topic when not empty.
	Email string
	// Key encrypts the topic (NewEnvironmentKey, whose policy lets
	// CloudWatch alarms and EventBridge rules use it for this topic): the
	// AWS-managed SNS key lets neither.
	Key kms.IKey
}

// NewAlarmTopic is the SNS topic every alarm and pipeline failure goes to.
// It is encrypted with the environment's key, because CloudWatch and
// EventBridge cannot publish to a topic under the AWS-managed SNS key, and
// it accepts only TLS.
//
// The topic's policy replaces SNS's default one, so it names both
// publishers, each held to this account and region by aws:SourceAccount
// and aws:SourceArn (the confused-deputy conditions of AWS's examples:
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html):
// CloudWatch for the alarms, EventBridge for rules such as the pipeline's
// failure rule (which publishes through TopicTarget, so that it adds no
// unconditioned grant of its own). The key's policy lets both use the key
// for this topic only (NewEnvironmentKey).
func NewAlarmTopic(scope constructs.Construct, id string, props *AlarmTopicProps) sns.Topic {
	c := constructs.NewConstruct(scope, &id)
	stack := awscdk.Stack_Of(c)
	arn := func(service, resource string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":" + service + ":"), stack.Region(), jsii.String(":"), stack.Account(), jsii.String(":" + resource),
		})
	}
	alarms, rules := arn("cloudwatch", "alarm:*"), arn("events", "rule/*")
	source := func(of *string) *map[string]any {
		return &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": of},
		}
	}
	// By ARN: a grant on the topic would otherwise add kms:Decrypt for its
	// principal, without a condition, to the environment key's policy.
	key := kms.Key_FromKeyArn(c, jsii.String("Key"), props.Key.KeyArn())

	topic := sns.NewTopic(c, jsii.String("Topic"), &sns.TopicProps{
		MasterKey:  key,
		EnforceSSL: jsii.Bool(true),
	})
	topic.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarms"),
		Actions:    jsii.Strings("sns:Publish"),
		Principals: &[]iam.IPrincipal{iam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: source(alarms),
	}))
	topic.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeRules"),
		Actions:    jsii.Strings("sns:Publish"),
		Principals: &[]iam.IPrincipal{iam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: source(rules),
	}))
	if props.Email != "" {
		topic.AddSubscription(subs.NewEmailSubscription(jsii.String(props.Email), nil))
	}
	return topic
}

// TopicTarget is an EventBridge rule target that publishes message to a
// topic of NewAlarmTopic. Unlike the CDK's SnsTopic target it adds no
// grant: the topic's own policy and key policy admit EventBridge, with
// their conditions, where SnsTopic would add an unconditioned statement to
// both.
func TopicTarget(topic sns.ITopic, message events.RuleTargetInput) events.IRuleTarget {
	return &topicTarget{topic: topic, message: message}
}

type topicTarget struct {
	topic   sns.ITopic
	message events.RuleTargetInput
}

func (t *topicTarget) Bind(_ ievents.IRuleRef, _ *string) *events.RuleTargetConfig {
	return &events.RuleTargetConfig{Arn: t.topic.TopicArn(), Input: t.message}
}

// ServiceAlarmsProps configures NewServiceAlarms.
type ServiceAlarmsProps struct {
	Topic        sns.ITopic
	LoadBalancer elbv2.ApplicationLoadBalancer
	// TargetGroups are the service's: the primary and, with a
	// traffic-shifting strategy, the alternate. Each is watched, since
	// production traffic may be in either after a deployment.
	TargetGroups []elbv2.ApplicationTargetGroup
	Service      ecs.FargateService
	Cluster      ecs.ICluster
}

// ServiceAlarms watches what users notice first: errors, unhealthy or
// missing tasks, slow answers, and a service running hot.
type ServiceAlarms interface {
	constructs.Construct
	Alarms() []cw.Alarm
}

type serviceAlarms struct {
	constructs.Construct
	alarms []cw.Alarm
}

func (s *serviceAlarms) Alarms() []cw.Alarm { return s.alarms }

// NewServiceAlarms creates the alarms, each notifying the topic.
func NewServiceAlarms(scope constructs.Construct, id string, props *ServiceAlarmsProps) ServiceAlarms {
	s := &serviceAlarms{}
	constructs.NewConstruct_Override(s, scope, &id)
	c := s
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	action := cwactions.NewSnsAction(props.Topic)
	add := func(id, description string, metric cw.IMetric, threshold float64, op cw.ComparisonOperator, periods float64) {
		alarm := cw.NewAlarm(c, jsii.String(id), &cw.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: op,
			EvaluationPeriods:  jsii.Number(periods),
			DatapointsToAlarm:  jsii.Number(periods),
			TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
		s.alarms = append(s.alarms, alarm)
	}
	lb := props.LoadBalancer.Metrics()
	add("Alb5xx", "The load balancer answered 5xx (no healthy target, or the target failed) 10 or more times in 5 minutes",
		lb.HttpCodeElb(elbv2.HttpCodeElb_ELB_5XX_COUNT, &cw.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}),
		10, cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1)
	for i, g := range props.TargetGroups {
		tg, suffix, where := g.Metrics(), "", ""
		if i > 0 {
			suffix, where = "Alternate", " in the alternate target group"
		}
		add("Target5xx"+suffix, "The tasks"+where+" answered 5xx 10 or more times in 5 minutes",
			tg.HttpCodeTarget(elbv2.HttpCodeTarget_TARGET_5XX_COUNT, &cw.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}),
			10, cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1)
		add("UnhealthyHosts"+suffix, "A task"+where+" has failed its ALB health checks for 3 minutes",
			tg.UnhealthyHostCount(&cw.MetricOptions{Period: minute, Statistic: jsii.String("Maximum")}),
			1, cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 3)
		add("TargetResponseTime"+suffix, "p95 response time of the tasks"+where+" above 1 second for 5 minutes",
			tg.TargetResponseTime(&cw.MetricOptions{Period: minute, Statistic: jsii.String("p95")}),
			1, cw.ComparisonOperator_GREATER_THAN_THRESHOLD, 5)
	}
	add("CpuHigh", "Service CPU above 85% for 5 minutes: autoscaling is at its maximum or too slow",
		props.Service.MetricCpuUtilization(&cw.MetricOptions{Period: minute}),
		85, cw.ComparisonOperator_GREATER_THAN_THRESHOLD, 5)
	add("MemoryHigh", "Service memory above 85% for 5 minutes: tasks risk being killed out of memory",
		props.Service.MetricMemoryUtilization(&cw.MetricOptions{Period: minute}),
		85, cw.ComparisonOperator_GREATER_THAN_THRESHOLD, 5)

	// Container Insights publishes both counts; their difference stays above
	// zero while tasks fail to start or keep crashing.
	dims := &map[string]*string{"ClusterName": props.Cluster.ClusterName(), "ServiceName": props.Service.ServiceName()}
	insights := func(name string) cw.Metric {
		return cw.NewMetric(&cw.MetricProps{Namespace: jsii.String("ECS/ContainerInsights"), MetricName: jsii.String(name), DimensionsMap: dims, Period: minute, Statistic: jsii.String("Average")})
	}
	missing := cw.NewMathExpression(&cw.MathExpressionProps{
		Expression:   jsii.String("desired - running"),
		UsingMetrics: &map[string]cw.IMetric{"desired": insights("DesiredTaskCount"), "running": insights("RunningTaskCount")},
		Label:        jsii.String("Tasks missing"),
		Period:       minute,
	})
	add("RunningTasksBelowDesired", "Fewer tasks running than desired for 5 minutes: tasks fail to start or keep stopping",
		missing, 0, cw.ComparisonOperator_GREATER_THAN_THRESHOLD, 5)
	return s
}
