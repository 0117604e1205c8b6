package constructs

import (
	codebuild "github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/nag"
)

// stepEnvironment is the build host of the pipeline's steps other than the
// image build (the deploy step, the smoke test, the release record): the
// x86_64 standard:8.0 image (bash, curl, jq, the AWS CLI) on a small host,
// the one CodeBuild has in every region, where Arm hosts are not. They run
// whatever the service's architecture, for seconds or in waits, so
// Graviton's lower rate would save nothing worth a region they cannot run in.
func stepEnvironment() *codebuild.BuildEnvironment {
	return &codebuild.BuildEnvironment{
		BuildImage:  codebuild.LinuxBuildImage_STANDARD_8_0(),
		ComputeType: codebuild.ComputeType_SMALL,
	}
}

// passTaskRoles lets a step hand the task definition's two roles to ECS
// tasks, and nothing else: needed to update the service with a revision.
func passTaskRoles(taskDef ecs.TaskDefinition) *iam.PolicyStatementProps {
	return &iam.PolicyStatementProps{Sid: jsii.String("PassTaskRoles"), Actions: jsii.Strings("iam:PassRole"),
		Resources:  &[]*string{taskDef.TaskRole().RoleArn(), taskDef.ExecutionRole().RoleArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}
}

// suppressProjectGrants explains the wildcards of the grants the CDK gives
// every CodeBuild project: its own report groups and its default log
// group, both named after the project, whose logical ID starts with
// logicalPrefix (the construct's ID and "Project").
func suppressProjectGrants(project codebuild.PipelineProject, logicalPrefix string) {
	nag.Suppress(nag.DefaultPolicy(project.Role()), "AwsSolutions-IAM5", "The CDK's standard grant to this project's own report groups and default log group, both named after the project",
		nag.Finding{Regex: `/^Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group\/<` + logicalPrefix + `[0-9A-F]{8}>-\*$/`},
		nag.Finding{Regex: `/^Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:\/aws\/codebuild\/<` + logicalPrefix + `[0-9A-F]{8}>:\*$/`})
}
