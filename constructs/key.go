package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// EnvironmentKeyProps configures NewEnvironmentKey.
type EnvironmentKeyProps struct {
	// Retain keeps the key when its stack is deleted: the environment
	// keeps its pipeline artifacts (autoDeleteArtifacts off), which stay
	// readable only with it.
	Retain bool
	// AlarmTopicStack is the stack whose SNS topic receives the alarms
	// (its name as CloudFormation names the topic: "<stack>-…").
	AlarmTopicStack string
}

// NewEnvironmentKey is the one customer-managed KMS key of an environment,
// $1 a month instead of five: it encrypts the CloudWatch Logs groups (flow
// logs, the container's, the builds'), the alarm topic and the pipeline's
// artifacts. Its policy is no wider than the five single-purpose keys'
// were together, statement by statement:
//   - the account, as the CDK's default policy has it, so that IAM
//     policies decide which roles use the key; the pipeline's roles get
//     their grants that way, on this key's ARN only;
//   - CloudWatch Logs of this region, only for this account's log groups
//     (the encryption context Logs sends names the group), as AWS's key
//     policy for Logs prescribes;
//   - CloudWatch alarms (of this account) and EventBridge rules, to
//     publish to the alarm topic: only for this environment's topic (SNS
//     sends its topic's ARN as the encryption context), where the topic's
//     own key allowed them every topic of the account and region.
//
// It belongs to the RegistryStack: deployed before every stack that uses
// it, and kept by `make destroy`, so a destroy and a deploy again neither
// orphan a key nor leave kept artifacts unreadable.
func NewEnvironmentKey(scope constructs.Construct, id string, props *EnvironmentKeyProps) kms.Key {
	removal := awscdk.RemovalPolicy_DESTROY
	if props.Retain {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	key := kms.NewKey(scope, &id, &kms.KeyProps{
		Description:       jsii.String("Encrypts the environment's CloudWatch Logs groups, alarm topic and pipeline artifacts"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	stack := awscdk.Stack_Of(scope)
	arn := func(service, resource string) string {
		return "arn:" + *stack.Partition() + ":" + service + ":" + *stack.Region() + ":" + *stack.Account() + ":" + resource
	}
	key.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchLogs"),
		Principals: &[]iam.IPrincipal{iam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+".amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
		Conditions: &map[string]interface{}{"ArnLike": map[string]interface{}{
			"kms:EncryptionContext:aws:logs:arn": arn("logs", "log-group:*"),
		}},
	}), nil)
	// The alarm topic's publishers, for that topic only: CloudFormation
	// names it "<stack>-<logical ID>-<suffix>", and SNS sends its ARN as
	// the encryption context. CloudWatch is held to this account's alarms
	// too; EventBridge cannot be: AWS does not support aws:SourceAccount and
	// aws:SourceArn in a key policy for EventBridge publishing to an
	// encrypted topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
	topic := map[string]any{"kms:EncryptionContext:aws:sns:topicArn": arn("sns", props.AlarmTopicStack+"-*")}
	key.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarms"),
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Principals: &[]iam.IPrincipal{iam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": arn("cloudwatch", "alarm:*")},
			"StringLike":   topic,
		},
	}), nil)
	key.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeRules"),
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Principals: &[]iam.IPrincipal{iam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringLike": topic},
	}), nil)
	return key
}
