package constructs

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	codebuild "github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	ecr "github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	ssm "github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ReleaseRecordProps configures ReleaseRecord.
type ReleaseRecordProps struct {
	// ContainerName is the container whose image imagedefinitions.json names.
	ContainerName string
	// ImageParameter is where the released image is recorded.
	ImageParameter ssm.IStringParameter
	// Repository holds the image; the released one is tagged there too.
	Repository ecr.IRepository
	// ReleasedTagPrefix is the tag prefix of released images, which the
	// repository's lifecycle policy keeps apart from the other builds.
	ReleasedTagPrefix string
	RetentionDays     int
	// LogKey encrypts the project's log group.
	LogKey kms.IKey
}

// ReleaseRecord is the CodeBuild project of the pipeline's last step: it
// tags the image of imagedefinitions.json released-<tag>, which protects it
// from the repository's lifecycle policy, then copies it into the image
// parameter. It runs only after the ECS deploy action has rolled the image
// out, so the parameter, which every `cdk deploy` resolves, never names an
// image that was rejected, is waiting for approval, or was rolled back.
type ReleaseRecord interface {
	constructs.Construct
	Project() codebuild.PipelineProject
}

type releaseRecord struct {
	constructs.Construct
	project codebuild.PipelineProject
}

func (r *releaseRecord) Project() codebuild.PipelineProject { return r.project }

// manifestTypes are the manifest media types ECR stores, images and
// indexes, which BatchGetImage must accept to return a manifest as it is.
var manifestTypes = []string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}

// NewReleaseRecord creates the project. It is the only principal that may
// write the image parameter.
func NewReleaseRecord(scope constructs.Construct, id string, props *ReleaseRecordProps) ReleaseRecord {
	r := &releaseRecord{}
	constructs.NewConstruct_Override(r, scope, &id)
	name, _ := json.Marshal(props.ContainerName)
	commands := []string{
		fmt.Sprintf(`IMAGE_URI="$(jq -er --argjson name '%s' '.[] | select(.name == $name) | .imageUri' imagedefinitions.json)" || { echo "imagedefinitions.json names no image for container %s" >&2; exit 1; }`, name, props.ContainerName),
		`TAG="${IMAGE_URI#"$REPOSITORY_URI":}"; if [ "$TAG" = "$IMAGE_URI" ] || [ -z "$TAG" ]; then echo "imagedefinitions.json names $IMAGE_URI, which is not an image of $REPOSITORY_URI: nothing to release" >&2; exit 1; fi`,
		// The manifest as ECR holds it, by digest: an index or a manifest
		// list only comes back unconverted when its type is accepted, and
		// a re-serialized manifest would be another image.
		`aws ecr batch-get-image --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$TAG" --accepted-media-types ` + strings.Join(manifestTypes, " ") + ` --output json > image.json`,
		`jq -e '.images | length == 1' image.json > /dev/null || { echo "ECR has no image $IMAGE_URI to release: $(jq -c .failures image.json)" >&2; exit 1; }`,
		`jq -j '.images[0].imageManifest' image.json > manifest.json`,
		// A new tag on an existing image is allowed under IMMUTABLE; the same
		// tag on the same image is a release recorded before (a retry).
		fmt.Sprintf(`if OUT="$(aws ecr put-image --repository-name "$REPOSITORY_NAME" --image-tag "%[1]s$TAG" --image-manifest file://manifest.json --image-manifest-media-type "$(jq -r '.images[0].imageManifestMediaType' image.json)" --image-digest "$(jq -r '.images[0].imageId.imageDigest' image.json)" 2>&1 >/dev/null)"; then echo "tagged $IMAGE_URI as %[1]s$TAG"; elif [[ "$OUT" == *ImageAlreadyExistsException* ]]; then echo "$IMAGE_URI was tagged %[1]s$TAG before"; else echo "error: cannot tag $IMAGE_URI as %[1]s$TAG, so the lifecycle policy could expire it; the image parameter still names the previous release: $OUT" >&2; exit 1; fi`, props.ReleasedTagPrefix),
		`aws ssm put-parameter --name "$IMAGE_PARAMETER" --value "$IMAGE_URI" --type String --overwrite`,
		`echo "released $IMAGE_URI: $IMAGE_PARAMETER now names it"`,
	}
	r.project = codebuild.NewPipelineProject(r, jsii.String("Project"), &codebuild.PipelineProjectProps{
		Description: jsii.String("Records the image the ECS deploy rolled out as the released one"),
		Environment: stepEnvironment(),
		EnvironmentVariables: &map[string]*codebuild.BuildEnvironmentVariable{
			"IMAGE_PARAMETER": {Value: props.ImageParameter.ParameterName()},
			"REPOSITORY_URI":  {Value: props.Repository.RepositoryUri()},
			"REPOSITORY_NAME": {Value: props.Repository.RepositoryName()},
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
	// Read the manifest and put it under the new tag, in this repository
	// only; no push of layers, no delete.
	props.Repository.Grant(r.project, jsii.String("ecr:BatchGetImage"), jsii.String("ecr:PutImage"))
	suppressProjectGrants(r.project, id+"Project")
	return r
}
