package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	ecr "github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	ssm "github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	appconstructs "github.com/cdkdemo/fargate/constructs"
)

// NoRelease is the image parameter's value until the pipeline has released
// an image: the ServiceStack runs its placeholder while the parameter holds
// it. The parameter is created with it once, and no `cdk deploy` ever
// writes it again (constructs.CreateOnlyParameter).
const NoRelease = "no-release-yet"

// RegistryStackProps configures the environment's registry.
type RegistryStackProps struct {
	awscdk.StackProps
	Service config.Service
	// RepositoryName names the ECR repository, e.g. "demo-dev".
	RepositoryName string
	// ImageParameterName is the SSM parameter that records the released image.
	ImageParameterName string
	// RetainKey keeps the environment's key on `make destroy-all`: the
	// pipeline's kept artifacts need it.
	RetainKey bool
	// AlarmTopicStack is the ServiceStack's name, whose alarm topic the
	// key lets CloudWatch and EventBridge publish to.
	AlarmTopicStack string
}

// RegistryStack holds what outlives the app's other stacks: the ECR
// repository with the images, the build's layer cache, the parameter
// naming the image the pipeline last released, and the environment's KMS
// key. `make destroy` deletes the Network, Service and
// Pipeline stacks and keeps this one, so the next `make deploy` finds both
// in place instead of colliding with a retained repository of the same
// name, and the service comes back on the image it ran.
type RegistryStack interface {
	awscdk.Stack
	// Repository is where the pipeline pushes and the tasks pull.
	Repository() ecr.IRepository
	// BuildCache holds BuildKit's layer cache of every build stage, which
	// each build imports and exports again. Only the build may use it.
	BuildCache() ecr.IRepository
	// ImageParameter records the released image. Only the pipeline's
	// Release stage writes it, after the ECS deploy succeeded; the
	// ServiceStack resolves it at every deploy.
	ImageParameter() ssm.IStringParameter
	// Key is the environment's one KMS key: log groups, the alarm topic,
	// the pipeline's artifacts (constructs.NewEnvironmentKey).
	Key() kms.IKey
}

type registryStack struct {
	awscdk.Stack
	repo  ecr.Repository
	cache ecr.Repository
	image ssm.IStringParameter
	key   kms.Key
}

func (s *registryStack) Repository() ecr.IRepository          { return s.repo }
func (s *registryStack) BuildCache() ecr.IRepository          { return s.cache }
func (s *registryStack) ImageParameter() ssm.IStringParameter { return s.image }
func (s *registryStack) Key() kms.IKey                        { return s.key }

// NewRegistryStack builds the repositories, the key and the image parameter.
func NewRegistryStack(scope constructs.Construct, id string, props *RegistryStackProps) RegistryStack {
	s := &registryStack{}
	awscdk.NewStack_Override(s, scope, &id, &props.StackProps)
	s.repo = newRepository(s.Stack, props.RepositoryName, props.Service)
	s.cache = newBuildCache(s.Stack, props.RepositoryName+"-build-cache")
	awscdk.NewCfnOutput(s.Stack, jsii.String("RepositoryUri"), &awscdk.CfnOutputProps{
		Value:       s.repo.RepositoryUri(),
		Description: jsii.String("ECR repository the pipeline pushes to"),
	})
	// The key every other stack of the environment uses: here, because
	// this stack is deployed before them and outlives `make destroy`.
	s.key = appconstructs.NewEnvironmentKey(s.Stack, "Key", &appconstructs.EnvironmentKeyProps{Retain: props.RetainKey, AlarmTopicStack: props.AlarmTopicStack})
	// Created once, never written by CloudFormation again: a tag or
	// description change of an AWS::SSM::Parameter would put NoRelease
	// over the released image.
	s.image = appconstructs.NewCreateOnlyParameter(s.Stack, "ImageUri", &appconstructs.CreateOnlyParameterProps{
		Name:          props.ImageParameterName,
		Initial:       NoRelease,
		Description:   "Image the service runs: written by the pipeline's Release stage after a successful ECS deploy, read by the ServiceStack at every deploy; " + NoRelease + " until the first release.",
		RetentionDays: props.Service.LogRetentionDays,
		LogKey:        s.key,
	}).Parameter()
	return s
}

// ReleasedTagPrefix marks a released image: the Release stage tags the
// image it recorded released-<tag> (constructs.ReleaseRecord), and the
// lifecycle policy keeps the last N of those apart from the builds.
const ReleasedTagPrefix = "released-"

// newRepository is the ECR repository the pipeline pushes to: scanned on
// push, immutable tags, untagged images expire, the last N released and
// the last N other tagged images stay.
// It is retained even if its stack is deleted, unless the environment
// allows deletion.
func newRepository(stack awscdk.Stack, name string, cfg config.Service) ecr.Repository {
	removal, empty := awscdk.RemovalPolicy_RETAIN, false
	if cfg.DeleteRepositoryOnDestroy {
		removal, empty = awscdk.RemovalPolicy_DESTROY, true
	}
	return ecr.NewRepository(stack, jsii.String("Repository"), &ecr.RepositoryProps{
		// An explicit name: the build pushes to it, and it survives destroy.
		RepositoryName:     jsii.String(name),
		ImageScanOnPush:    jsii.Bool(true),
		ImageTagMutability: ecr.TagMutability_IMMUTABLE,
		RemovalPolicy:      removal,
		EmptyOnDelete:      jsii.Bool(empty),
		// "An image that matches the tagging requirements of a rule cannot
		// be expired by a rule with a lower priority" (ECR user guide,
		// lifecycle policies): the released images, which the Release
		// stage tags released-<tag>, are counted apart from the builds, so
		// builds that are never released (waiting for approval, rejected,
		// rolled back) cannot push out the image the service runs.
		LifecycleRules: &[]*ecr.LifecycleRule{
			{RulePriority: jsii.Number(1), Description: jsii.String("Expire untagged images after a day"), TagStatus: ecr.TagStatus_UNTAGGED, MaxImageAge: awscdk.Duration_Days(jsii.Number(1))},
			{RulePriority: jsii.Number(2), Description: jsii.String(fmt.Sprintf("Keep the last %d released images", cfg.KeepImages)), TagStatus: ecr.TagStatus_TAGGED, TagPrefixList: jsii.Strings(ReleasedTagPrefix), MaxImageCount: jsii.Number(cfg.KeepImages)},
			{RulePriority: jsii.Number(3), Description: jsii.String(fmt.Sprintf("Keep the last %d other tagged images", cfg.KeepImages)), TagStatus: ecr.TagStatus_TAGGED, TagPatternList: jsii.Strings("*"), MaxImageCount: jsii.Number(cfg.KeepImages)},
		},
	})
}

// newBuildCache is the repository of BuildKit's registry cache. It is not
// the image repository because the cache must be overwritten on every build,
// which the images' immutable tags forbid, and because it holds every build
// stage (sources, build tools), which the tasks have no business pulling:
// ECR grants per repository, not per tag. The cache is one tag, pushed over
// on each build; what it replaces becomes untagged and expires. Losing it
// costs one slow build, so it goes with its stack, emptied first.
func newBuildCache(stack awscdk.Stack, name string) ecr.Repository {
	return ecr.NewRepository(stack, jsii.String("BuildCache"), &ecr.RepositoryProps{
		RepositoryName:     jsii.String(name),
		ImageTagMutability: ecr.TagMutability_MUTABLE,
		// On for the Control Tower control CT.ECR.PR.2; the scan that
		// matters is the image repository's, of what the tasks run.
		ImageScanOnPush: jsii.Bool(true),
		RemovalPolicy:   awscdk.RemovalPolicy_DESTROY,
		EmptyOnDelete:   jsii.Bool(true),
		LifecycleRules: &[]*ecr.LifecycleRule{
			{RulePriority: jsii.Number(1), Description: jsii.String("Expire replaced caches (untagged) after a day"), TagStatus: ecr.TagStatus_UNTAGGED, MaxImageAge: awscdk.Duration_Days(jsii.Number(1))},
		},
	})
}
