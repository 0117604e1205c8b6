package constructs

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	codebuild "github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/nag"
	"github.com/cdkdemo/fargate/rollout"
)

// EcsDeployProps configures EcsDeploy.
type EcsDeployProps struct {
	Service ecs.IBaseService
	TaskDef ecs.TaskDefinition
	// ContainerName is the container whose image imagedefinitions.json names.
	ContainerName string
	// TimeoutMinutes bounds the whole step; it waits for ECS at most
	// rollout.DeployOverheadSeconds less.
	TimeoutMinutes int
	RetentionDays  int
	LogKey         kms.IKey
}

// EcsDeploy is the pipeline's deploy step: a CodeBuild project that rolls
// the image of imagedefinitions.json out with ECS's own API and waits for
// ECS's verdict on that deployment. It does what CodePipeline's Amazon ECS
// action does (a new revision of the service's task definition with the
// new image, UpdateService), then waits on the service deployment ECS
// starts until it is SUCCESSFUL, which for blue/green, canary and linear
// is after the bake time, with the rollback alarms watched throughout. Any
// rollback (circuit breaker or alarm) or a stop fails the step, and with
// it the pipeline run: the image is never recorded as released. The Amazon
// ECS action's reference documents no behaviour for these strategies, so
// the pipeline does not depend on it (docs/pipeline.md).
type EcsDeploy interface {
	constructs.Construct
	Project() codebuild.PipelineProject
}

type ecsDeploy struct {
	constructs.Construct
	project codebuild.PipelineProject
}

func (d *ecsDeploy) Project() codebuild.PipelineProject { return d.project }

// deployScript is the step's one command (it ends by leaving its loop,
// never by exit 0, so CodeBuild still exports PREVIOUS_TASK_DEFINITION
// from the shell). It reads imagedefinitions.json,
// registers the service's current task definition again with the new
// image (tags kept), updates the service, and polls the service deployment
// that update started. When WAIT_SECONDS pass first, it asks ECS to roll
// the deployment back, so the service never ends up on an image the
// pipeline did not release.
const deployScript = `set -euo pipefail
image="$(jq -er --arg name "$CONTAINER_NAME" '.[] | select(.name == $name) | .imageUri' imagedefinitions.json)" || { echo "imagedefinitions.json names no image for container $CONTAINER_NAME" >&2; exit 1; }
current="$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --query 'services[0].taskDefinition' --output text)"
aws ecs describe-task-definition --task-definition "$current" --include TAGS --output json > current.json
jq --arg name "$CONTAINER_NAME" --arg image "$image" '.tags as $tags | .taskDefinition
  | .containerDefinitions |= map(if .name == $name then .image = $image else . end)
  | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)
  | if ($tags | length) > 0 then .tags = $tags else . end' current.json > next.json
next="$(aws ecs register-task-definition --cli-input-json file://next.json --query taskDefinition.taskDefinitionArn --output text)"
echo "registered $next with $image (was $current)"
# The revision this deploy replaces, for the smoke test to go back to.
export PREVIOUS_TASK_DEFINITION="$current"
since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$next" --query service.serviceArn --output text
deadline=$(( $(date +%s) + WAIT_SECONDS ))
deployment=""
while :; do
  if [ -z "$deployment" ]; then
    deployment="$(aws ecs list-service-deployments --cluster "$CLUSTER" --service "$SERVICE" --created-at "after=$since" --query 'sort_by(serviceDeployments, &createdAt)[-1].serviceDeploymentArn' --output text || true)"
    [ "$deployment" = None ] && deployment=""
  fi
  if [ -n "$deployment" ] && state="$(aws ecs describe-service-deployments --service-deployment-arns "$deployment" --query 'serviceDeployments[0].[status, lifecycleStage, statusReason]' --output text)"; then
    status="${state%%$'\t'*}"
    echo "$(date -u +%H:%M:%S) $deployment: $state"
    case "$status" in
      SUCCESSFUL) echo "released to ECS: $image"; break ;;
      ROLLBACK_*|STOPPED|STOP_REQUESTED) echo "the deployment of $image did not succeed: $state" >&2; exit 1 ;;
    esac
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "the deployment of $image did not finish in $WAIT_SECONDS s (deployTimeoutMinutes); asking ECS to roll it back" >&2
    [ -z "$deployment" ] || aws ecs stop-service-deployment --service-deployment-arn "$deployment" --stop-type ROLLBACK || true
    exit 1
  fi
  sleep 15
done`

// PreviousTaskDefinitionVariable is the variable the step exports: the
// task definition the service ran before, which a failed smoke test goes
// back to.
const PreviousTaskDefinitionVariable = "PREVIOUS_TASK_DEFINITION"

// NewEcsDeploy creates the project. Its role may update this service only,
// register revisions of its task family, pass the task's two roles to ECS,
// and read and stop this service's deployments.
func NewEcsDeploy(scope constructs.Construct, id string, props *EcsDeployProps) EcsDeploy {
	d := &ecsDeploy{}
	constructs.NewConstruct_Override(d, scope, &id)
	stack := awscdk.Stack_Of(d)
	cluster := props.Service.Cluster()
	wait := props.TimeoutMinutes*60 - rollout.DeployOverheadSeconds
	d.project = codebuild.NewPipelineProject(d, jsii.String("Project"), &codebuild.PipelineProjectProps{
		Description: jsii.String("Rolls the built image out to the ECS service and waits for ECS's verdict, bake time included"),
		Environment: stepEnvironment(),
		EnvironmentVariables: &map[string]*codebuild.BuildEnvironmentVariable{
			// The ARN, which the pipeline imported before this step
			// replaced CodePipeline's ECS action: the ServiceStack keeps
			// exporting it, and an export dropped while a deployed stack
			// still imports it fails the update (the export lock).
			"CLUSTER":        {Value: cluster.ClusterArn()},
			"SERVICE":        {Value: props.Service.ServiceName()},
			"CONTAINER_NAME": {Value: jsii.String(props.ContainerName)},
			"WAIT_SECONDS":   {Value: jsii.String(strconv.Itoa(wait))},
		},
		BuildSpec: codebuild.BuildSpec_FromObject(&map[string]any{
			"version": "0.2",
			"env":     map[string]any{"shell": "bash", "exported-variables": []string{PreviousTaskDefinitionVariable}},
			"phases":  map[string]any{"build": map[string]any{"on-failure": "ABORT", "commands": []string{deployScript}}},
		}),
		Logging: &codebuild.LoggingOptions{CloudWatch: &codebuild.CloudWatchLoggingOptions{
			LogGroup: NewLogGroup(d, "Logs", props.RetentionDays, props.LogKey),
		}},
		Timeout: awscdk.Duration_Minutes(jsii.Number(float64(props.TimeoutMinutes))),
	})
	arn := func(resource, name string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecs"), Resource: jsii.String(resource), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME, ResourceName: jsii.String(name)})
	}
	deployments := arn("service-deployment", fmt.Sprintf("%s/%s/*", *cluster.ClusterName(), *props.Service.ServiceName()))
	statements := []*iam.PolicyStatementProps{
		{Sid: jsii.String("UpdateThisService"), Actions: jsii.Strings("ecs:DescribeServices", "ecs:UpdateService", "ecs:ListServiceDeployments"), Resources: &[]*string{props.Service.ServiceArn()}},
		{Sid: jsii.String("WatchItsDeployments"), Actions: jsii.Strings("ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment"), Resources: &[]*string{deployments}},
		// RegisterTaskDefinition and DescribeTaskDefinition take no resource.
		{Sid: jsii.String("RegisterRevisions"), Actions: jsii.Strings("ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"), Resources: jsii.Strings("*")},
		{Sid: jsii.String("TagRevisions"), Actions: jsii.Strings("ecs:TagResource"), Resources: &[]*string{arn("task-definition", *props.TaskDef.Family()+":*")}},
		passTaskRoles(props.TaskDef),
	}
	for _, st := range statements {
		d.project.AddToRolePolicy(iam.NewPolicyStatement(st))
	}
	policy := nag.DefaultPolicy(d.project.Role())
	nag.Suppress(policy, "AwsSolutions-IAM5", "ecs:RegisterTaskDefinition and ecs:DescribeTaskDefinition take no resource ARN", nag.Finding{Exact: "Resource::*"})
	nag.Suppress(policy, "AwsSolutions-IAM5", "Each deploy registers a new revision of this service's task family, and watches the deployments of this service",
		nag.Finding{Regex: `/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition\/[a-z0-9-]+:\*$/`},
		nag.Finding{Regex: `/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service-deployment\/.+\/\*$/`})
	suppressProjectGrants(d.project, id+"Project")
	return d
}
