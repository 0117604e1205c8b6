package constructs

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	codebuild "github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	ssm "github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/nag"
)

// ReleaseRecordProps configures ReleaseRecord.
type ReleaseRecordProps struct {
	// ContainerName is the container whose image imagedefinitions.json names.
	ContainerName string
	// ImageParameter is where the released image is recorded.
	ImageParameter ssm.IStringParameter
	RetentionDays  int
	// LogKey encrypts the project's log group.
	LogKey kms.IKey
}

// ReleaseRecord is the CodeBuild project of the pipeline's last step: it
// copies the image of imagedefinitions.json into the image parameter. It
// runs only after the ECS deploy action has rolled the image out, so the
// parameter, which every `cdk deploy` resolves, never names an image that
// was rejected, is waiting for approval, or was rolled back.
type ReleaseRecord interface {
	constructs.Construct
	Project() codebuild.PipelineProject
}

type releaseRecord struct {
	constructs.Construct
	project codebuild.PipelineProject
}

func (r *releaseRecord) Project() codebuild.PipelineProject { return r.project }

// NewReleaseRecord creates the project. It is the only principal that may
// write the image parameter.
func NewReleaseRecord(scope constructs.Construct, id string, props *ReleaseRecordProps) ReleaseRecord {
	r := &releaseRecord{}
	constructs.NewConstruct_Override(r, scope, &id)
	name, _ := json.Marshal(props.ContainerName)
	commands := []string{
		fmt.Sprintf(`IMAGE_URI="$(jq -er --argjson name '%s' '.[] | select(.name == $name) | .imageUri' imagedefinitions.json)" || { echo "imagedefinitions.json names no image for container %s" >&2; exit 1; }`, name, props.ContainerName),
		`aws ssm put-parameter --name "$IMAGE_PARAMETER" --value "$IMAGE_URI" --type String --overwrite`,
		`echo "released $IMAGE_URI: $IMAGE_PARAMETER now names it"`,
	}
	r.project = codebuild.NewPipelineProject(r, jsii.String("Project"), &codebuild.PipelineProjectProps{
		Description: jsii.String("Records the image the ECS deploy rolled out as the released one"),
		// The x86_64 image of the image build (standard:8.0, with jq and
		// the AWS CLI) on a small host: the one CodeBuild has in every
		// region, where Arm hosts are not. The step runs for seconds, so
		// Graviton's lower rate would save nothing worth a region it
		// cannot run in.
		Environment: &codebuild.BuildEnvironment{
			BuildImage:  codebuild.LinuxBuildImage_STANDARD_8_0(),
			ComputeType: codebuild.ComputeType_SMALL,
		},
		EnvironmentVariables: &map[string]*codebuild.BuildEnvironmentVariable{
			"IMAGE_PARAMETER": {Value: props.ImageParameter.ParameterName()},
		},
		BuildSpec: codebuild.BuildSpec_FromObject(&map[string]any{
			"version": "0.2",
			"env":     map[string]any{"shell": "bash"},
			"phases":  map[string]any{"build": map[string]any{"on-failure": "ABORT", "commands": commands}},
		}),
		Logging: &codebuild.LoggingOptions{CloudWatch: &codebuild.CloudWatchLoggingOptions{
			LogGroup: NewLogGroup(r, "Logs", props.RetentionDays, props.LogKey),
		}},
		Timeout: awscdk.Duration_Minutes(jsii.Number(5)),
	})
	props.ImageParameter.GrantWrite(r.project)
	nag.Suppress(nag.DefaultPolicy(r.project.Role()), "AwsSolutions-IAM5", "The CDK's standard grant to this project's own report groups and default log group, both named after the project",
		nag.Finding{Regex: `/^Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group\/<ReleaseRecordProject[0-9A-F]{8}>-\*$/`},
		nag.Finding{Regex: `/^Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:\/aws\/codebuild\/<ReleaseRecordProject[0-9A-F]{8}>:\*$/`})
	return r
}
