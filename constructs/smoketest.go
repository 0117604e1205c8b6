package constructs

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	codebuild "github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SmokeTestProps configures SmokeTest.
type SmokeTestProps struct {
	// URL is where the service answers (ServiceStack.URL).
	URL string
	// Service is what a failed smoke test rolls back, and TaskDef whose
	// roles that update hands to ECS again.
	Service ecs.IBaseService
	TaskDef ecs.TaskDefinition
	// Paths are requested in order: the health-check path, then the
	// configured smokeTestPaths.
	Paths         []string
	RetentionDays int
	LogKey        kms.IKey
}

// SmokeTest is the pipeline step after the deploy and before the release
// record: a CodeBuild project outside the VPC that requests each path
// through the load balancer, as a user would, a few times (the load
// balancer spreads them over the tasks). A 4xx or 5xx answer, or none
// within SmokeTestRequestSeconds, fails the step: it points the service
// back at the task definition the deploy replaced (the deploy step's
// PREVIOUS_TASK_DEFINITION; ECS rolls that out with the service's
// strategy), the run fails, which notifies the alarm topic, and the image
// is not recorded as released.
type SmokeTest interface {
	constructs.Construct
	Project() codebuild.PipelineProject
}

type smokeTest struct {
	constructs.Construct
	project codebuild.PipelineProject
}

func (s *smokeTest) Project() codebuild.PipelineProject { return s.project }

// SmokeTestRequestSeconds bounds one request; SmokeTestTries is how often
// each path is requested.
const (
	SmokeTestRequestSeconds = "10"
	SmokeTestTries          = "3"
)

const smokeScript = `set -euo pipefail
back() {
  echo "smoke test failed: $1; rolling $SERVICE back to $PREVIOUS_TASK_DEFINITION" >&2
  aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$PREVIOUS_TASK_DEFINITION" --query service.taskDefinition --output text >&2 || echo "the rollback did not start: run make deploy, which restores the released image" >&2
  exit 1
}
# Outside its working hours (the schedule's scale-to-zero) the service has
# no task, and the load balancer answers 503 for it: say so.
desired="$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --query 'services[0].desiredCount' --output text)"
if [ "$desired" = "0" ]; then
  back "$SERVICE has no tasks to answer (desired count 0: outside its working hours, or scaled to zero); release the change again when it runs tasks"
fi
for path in $SMOKE_PATHS; do
  for try in $(seq "$SMOKE_TRIES"); do
    code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time "$SMOKE_REQUEST_SECONDS" "$SMOKE_URL$path")" || back "$SMOKE_URL$path gave no answer within $SMOKE_REQUEST_SECONDS s (curl exit $?)"
    case "$code" in
      2??|3??) echo "smoke test: $SMOKE_URL$path answered $code ($try/$SMOKE_TRIES)" ;;
      *) back "$SMOKE_URL$path answered $code, want 2xx or 3xx" ;;
    esac
  done
done`

// NewSmokeTest creates the project. Besides CodeBuild's own grants (logs,
// reports), its role may read and update this service, and pass the task's
// roles with it, only: to tell a service without tasks from a failing one,
// and to go back on a failure.
func NewSmokeTest(scope constructs.Construct, id string, props *SmokeTestProps) SmokeTest {
	s := &smokeTest{}
	constructs.NewConstruct_Override(s, scope, &id)
	s.project = codebuild.NewPipelineProject(s, jsii.String("Project"), &codebuild.PipelineProjectProps{
		Description: jsii.String("Requests the health-check path and the smoke-test paths through the load balancer after a deploy"),
		Environment: stepEnvironment(),
		EnvironmentVariables: &map[string]*codebuild.BuildEnvironmentVariable{
			"SMOKE_URL":             {Value: jsii.String(props.URL)},
			"CLUSTER":               {Value: props.Service.Cluster().ClusterArn()},
			"SERVICE":               {Value: props.Service.ServiceName()},
			"SMOKE_PATHS":           {Value: jsii.String(strings.Join(props.Paths, " "))},
			"SMOKE_TRIES":           {Value: jsii.String(SmokeTestTries)},
			"SMOKE_REQUEST_SECONDS": {Value: jsii.String(SmokeTestRequestSeconds)},
		},
		BuildSpec: codebuild.BuildSpec_FromObject(&map[string]any{
			"version": "0.2",
			"env":     map[string]any{"shell": "bash"},
			"phases":  map[string]any{"build": map[string]any{"on-failure": "ABORT", "commands": []string{smokeScript}}},
		}),
		Logging: &codebuild.LoggingOptions{CloudWatch: &codebuild.CloudWatchLoggingOptions{
			LogGroup: NewLogGroup(s, "Logs", props.RetentionDays, props.LogKey),
		}},
		Timeout: awscdk.Duration_Minutes(jsii.Number(5)),
	})
	s.project.AddToRolePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{Sid: jsii.String("RollBackThisService"),
		Actions: jsii.Strings("ecs:DescribeServices", "ecs:UpdateService"), Resources: &[]*string{props.Service.ServiceArn()}}))
	s.project.AddToRolePolicy(iam.NewPolicyStatement(passTaskRoles(props.TaskDef)))
	suppressProjectGrants(s.project, id+"Project")
	return s
}
