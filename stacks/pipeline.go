package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	codebuild "github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	codepipeline "github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	cpactions "github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	connections "github.com/aws/aws-cdk-go/awscdk/v2/awscodestarconnections"
	ecr "github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	events "github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	sns "github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	ssm "github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	appconstructs "github.com/cdkdemo/fargate/constructs"
	"github.com/cdkdemo/fargate/nag"
)

// PipelineStackProps configures the pipeline of one environment.
type PipelineStackProps struct {
	awscdk.StackProps
	Pipeline config.Pipeline
	// Arm64 builds the image for ARM64 tasks, on an ARM build host.
	Arm64            bool
	LogRetentionDays int
	// ConnectionName names the connection the stack creates when the
	// configuration gives no connectionArn.
	ConnectionName string

	// From the ServiceStack.
	Repository    ecr.IRepository
	BuildCache    ecr.IRepository // from the RegistryStack: the build's layer cache
	Service       ecs.IBaseService
	TaskDef       ecs.TaskDefinition
	ContainerName string
	FailureTopic  sns.ITopic
	// ServiceURL and HealthCheckPath are what the smoke test requests.
	ServiceURL      string
	HealthCheckPath string
	// From the RegistryStack: the Release stage records the deployed image
	// here; Key encrypts the artifacts and the build logs.
	ImageParameter ssm.IStringParameter
	Key            kms.IKey
}

// PipelineStack turns a git push into a running image: Source (CodeConnections)
// → Build (CodeBuild: image to ECR, imagedefinitions.json) → optional
// Approval → Deploy (the image rolled out with the service's deployment
// strategy, until ECS reports it done) → Release (the smoke test, then the
// record of the released image, for every later `cdk deploy`).
type PipelineStack interface {
	awscdk.Stack
	Pipeline() codepipeline.Pipeline
	// ConnectionArn is the connection the source uses (a token when created here).
	ConnectionArn() string
}

type pipelineStack struct {
	awscdk.Stack
	pipeline      codepipeline.Pipeline
	connectionArn string
}

func (s *pipelineStack) Pipeline() codepipeline.Pipeline { return s.pipeline }
func (s *pipelineStack) ConnectionArn() string           { return s.connectionArn }

// NewPipelineStack builds the pipeline, its build project and artifact bucket.
func NewPipelineStack(scope constructs.Construct, id string, props *PipelineStackProps) PipelineStack {
	s := &pipelineStack{}
	awscdk.NewStack_Override(s, scope, &id, &props.StackProps)
	stack := s.Stack
	cfg := props.Pipeline

	s.connectionArn = cfg.ConnectionArn
	if s.connectionArn == "" {
		conn := connections.NewCfnConnection(stack, jsii.String("Connection"), &connections.CfnConnectionProps{
			ConnectionName: jsii.String(props.ConnectionName),
			ProviderType:   jsii.String(cfg.Provider),
		})
		s.connectionArn = *conn.AttrConnectionArn()
		awscdk.NewCfnOutput(stack, jsii.String("ConnectionArn"), &awscdk.CfnOutputProps{
			Value:       conn.AttrConnectionArn(),
			Description: jsii.String("Starts PENDING: approve it once in the console (Developer Tools > Settings > Connections > Update pending connection)"),
		})
	}

	artifacts := appconstructs.NewArtifactStore(stack, "Artifacts", &appconstructs.ArtifactStoreProps{
		Retain:           !cfg.AutoDeleteArtifacts,
		LogRetentionDays: props.LogRetentionDays,
		Key:              props.Key,
	}).Bucket()

	logKey := props.Key
	build := appconstructs.NewImageBuild(stack, "ImageBuild", &appconstructs.ImageBuildProps{
		Repository:         props.Repository,
		CacheRepository:    props.BuildCache,
		ContainerName:      props.ContainerName,
		Arm64:              props.Arm64,
		ComputeType:        cfg.ComputeType,
		Dockerfile:         cfg.Dockerfile,
		BuildContext:       cfg.BuildContext,
		TestCommand:        cfg.TestCommand,
		RetentionDays:      props.LogRetentionDays,
		LogKey:             logKey,
		DockerHubSecretArn: cfg.DockerHubSecretArn,
	})

	role := iam.NewRole(stack, jsii.String("PipelineRole"), &iam.RoleProps{
		AssumedBy:   iam.NewServicePrincipal(jsii.String("codepipeline.amazonaws.com"), nil),
		Description: jsii.String("The pipeline and all its actions"),
	})
	// The source action and the build's full clone both use the connection:
	// without UseConnection CodeBuild fails with "authorization failed for
	// primary source and source version".
	appconstructs.GrantUseConnection(role, s.connectionArn)
	appconstructs.GrantUseConnection(build.Project(), s.connectionArn)

	owner, repo, _ := strings.Cut(cfg.Repository, "/")
	sourceOutput := codepipeline.NewArtifact(jsii.String("Source"), nil)
	buildOutput := codepipeline.NewArtifact(jsii.String("Image"), nil)
	source := cpactions.NewCodeStarConnectionsSourceAction(&cpactions.CodeStarConnectionsSourceActionProps{
		ActionName:           jsii.String("Source"),
		ConnectionArn:        jsii.String(s.connectionArn),
		Owner:                jsii.String(owner),
		Repo:                 jsii.String(repo),
		Branch:               jsii.String(cfg.Branch),
		Output:               sourceOutput,
		CodeBuildCloneOutput: jsii.Bool(true), // git metadata in the build
		TriggerOnPush:        jsii.Bool(true),
	})
	stages := []*codepipeline.StageProps{
		{StageName: jsii.String("Source"), Actions: &[]codepipeline.IAction{source}},
		{StageName: jsii.String("Build"), Actions: &[]codepipeline.IAction{cpactions.NewCodeBuildAction(&cpactions.CodeBuildActionProps{
			ActionName: jsii.String("BuildImage"),
			Project:    build.Project(),
			Input:      sourceOutput,
			Outputs:    &[]codepipeline.Artifact{buildOutput},
		})}},
	}
	if cfg.ManualApproval {
		stages = append(stages, &codepipeline.StageProps{StageName: jsii.String("Approval"), Actions: &[]codepipeline.IAction{
			cpactions.NewManualApprovalAction(&cpactions.ManualApprovalActionProps{
				ActionName:            jsii.String("Approve"),
				AdditionalInformation: jsii.String("The image is built and pushed; approve to deploy it."),
			}),
		}})
	}
	// The deploy step waits for ECS's verdict on the deployment, bake time
	// included, for every strategy (constructs.EcsDeploy).
	deploy := appconstructs.NewEcsDeploy(stack, "EcsDeploy", &appconstructs.EcsDeployProps{
		Service:        props.Service,
		TaskDef:        props.TaskDef,
		ContainerName:  props.ContainerName,
		TimeoutMinutes: cfg.DeployTimeoutMinutes,
		RetentionDays:  props.LogRetentionDays,
		LogKey:         logKey,
	})
	deployAction := cpactions.NewCodeBuildAction(&cpactions.CodeBuildActionProps{
		ActionName:         jsii.String("Deploy"),
		Project:            deploy.Project(),
		Input:              buildOutput,
		VariablesNamespace: jsii.String("Deploy"),
	})
	stages = append(stages, &codepipeline.StageProps{StageName: jsii.String("Deploy"), Actions: &[]codepipeline.IAction{deployAction}})
	// Only now, after ECS reported the deployment successful and the
	// smoke test passed, does the image parameter name it: a rejected
	// approval, a failed or rolled-back deploy or a failed smoke test leave
	// the last released image in place for `cdk deploy`.
	record := appconstructs.NewReleaseRecord(stack, "ReleaseRecord", &appconstructs.ReleaseRecordProps{
		ContainerName:     props.ContainerName,
		ImageParameter:    props.ImageParameter,
		Repository:        props.Repository,
		ReleasedTagPrefix: ReleasedTagPrefix,
		RetentionDays:     props.LogRetentionDays,
		LogKey:            logKey,
	})
	release := []codepipeline.IAction{}
	roles := []constructs.IConstruct{role, build.Project().Role(), record.Project().Role(), deploy.Project().Role()}
	if cfg.SmokeTest {
		smoke := appconstructs.NewSmokeTest(stack, "SmokeTest", &appconstructs.SmokeTestProps{
			URL:           props.ServiceURL,
			Service:       props.Service,
			TaskDef:       props.TaskDef,
			Paths:         append([]string{props.HealthCheckPath}, cfg.SmokeTestPaths...),
			RetentionDays: props.LogRetentionDays,
			LogKey:        logKey,
		})
		release = append(release, cpactions.NewCodeBuildAction(&cpactions.CodeBuildActionProps{
			ActionName: jsii.String("SmokeTest"),
			Project:    smoke.Project(),
			Input:      buildOutput,
			RunOrder:   jsii.Number(1),
			EnvironmentVariables: &map[string]*codebuild.BuildEnvironmentVariable{
				appconstructs.PreviousTaskDefinitionVariable: {Value: deployAction.Variable(jsii.String(appconstructs.PreviousTaskDefinitionVariable))},
			},
		}))
		roles = append(roles, smoke.Project().Role())
	}
	release = append(release, cpactions.NewCodeBuildAction(&cpactions.CodeBuildActionProps{
		ActionName: jsii.String("RecordImage"),
		Project:    record.Project(),
		Input:      buildOutput,
		RunOrder:   jsii.Number(2),
	}))
	stages = append(stages, &codepipeline.StageProps{StageName: jsii.String("Release"), Actions: &release})

	s.pipeline = codepipeline.NewPipeline(stack, jsii.String("Pipeline"), &codepipeline.PipelineProps{
		PipelineType:              codepipeline.PipelineType_V2,
		ArtifactBucket:            artifacts,
		CrossAccountKeys:          jsii.Bool(false),
		Role:                      role,
		UsePipelineRoleForActions: jsii.Bool(true),
		RestartExecutionOnUpdate:  jsii.Bool(false),
		Stages:                    &stages,
		Triggers: &[]*codepipeline.TriggerProps{{
			ProviderType: codepipeline.ProviderType_CODE_STAR_SOURCE_CONNECTION,
			GitConfiguration: &codepipeline.GitConfiguration{
				SourceAction: source,
				PushFilter:   &[]*codepipeline.GitPushFilter{{BranchesIncludes: jsii.Strings(cfg.Branch)}},
			},
		}},
	})

	s.pipeline.OnStateChange(jsii.String("Failed"), &events.OnEventOptions{
		Description:  jsii.String("A pipeline execution failed"),
		EventPattern: &events.EventPattern{Detail: &map[string]interface{}{"state": []string{"FAILED"}}},
		// The topic's own policy admits EventBridge rules of this account.
		Target: appconstructs.TopicTarget(props.FailureTopic, events.RuleTargetInput_FromText(jsii.String(
			"Pipeline "+*events.EventField_FromPath(jsii.String("$.detail.pipeline"))+
				" execution "+*events.EventField_FromPath(jsii.String("$.detail.execution-id"))+" failed."))),
	})

	awscdk.NewCfnOutput(stack, jsii.String("PipelineName"), &awscdk.CfnOutputProps{Value: s.pipeline.PipelineName()})

	// Every role that touches the artifacts gets the CDK's artifact grant:
	// object actions, as families, on this bucket's objects only.
	for _, role := range roles {
		nag.Suppress(nag.DefaultPolicy(role), "AwsSolutions-IAM5", "CodePipeline's artifact access as the CDK grants it: object actions on this pipeline's artifact bucket and its objects, and data-key actions on its artifact key, only",
			nag.Finding{Regex: `/^Action::s3:[A-Za-z]+\*$/`},
			nag.Finding{Regex: `/^Action::kms:(GenerateDataKey|ReEncrypt)\*$/`},
			nag.Finding{Regex: `/^Resource::<ArtifactsBucket[0-9A-F]{8}\.Arn>\/\*$/`})
	}
	return s
}
