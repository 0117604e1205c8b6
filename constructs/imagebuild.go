package constructs

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	codebuild "github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	ecr "github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/nag"
)

// ImageBuildProps configures ImageBuild.
type ImageBuildProps struct {
	Repository ecr.IRepository
	// ContainerName goes into imagedefinitions.json; it must be the task
	// definition's container name, so it is passed, never retyped.
	ContainerName string
	// CacheRepository holds BuildKit's registry cache of every build
	// stage; the build imports it and pushes it again.
	CacheRepository ecr.IRepository
	Arm64           bool
	// ComputeType is SMALL, MEDIUM, LARGE, XLARGE or 2XLARGE.
	ComputeType   string
	Dockerfile    string
	BuildContext  string
	TestCommand   string
	RetentionDays int
	// LogKey encrypts the build's log group.
	LogKey kms.IKey
	// DockerHubSecretArn, when set, names a secret with "username" and
	// "password"; the build logs in to Docker Hub with it.
	DockerHubSecretArn string
}

// ImageBuild is the CodeBuild project that turns a commit into an image in
// ECR and the imagedefinitions.json the ECS deploy action reads.
type ImageBuild interface {
	constructs.Construct
	Project() codebuild.PipelineProject
}

type imageBuild struct {
	constructs.Construct
	project codebuild.PipelineProject
}

func (b *imageBuild) Project() codebuild.PipelineProject { return b.project }

// NewImageBuild creates the project with its buildspec, generated here in Go
// so the container name and the artifact cannot drift from the service.
func NewImageBuild(scope constructs.Construct, id string, props *ImageBuildProps) ImageBuild {
	b := &imageBuild{}
	constructs.NewConstruct_Override(b, scope, &id)

	// The newest majors of the CodeBuild images the CDK offers: Ubuntu
	// (standard:8.0) for x86_64, Amazon Linux 2023 (aarch64-standard:4.0)
	// for ARM64. Both have Docker, the AWS CLI, bash and awk.
	image := codebuild.LinuxBuildImage_STANDARD_8_0()
	compute := map[string]codebuild.ComputeType{
		"SMALL": codebuild.ComputeType_SMALL, "MEDIUM": codebuild.ComputeType_MEDIUM, "LARGE": codebuild.ComputeType_LARGE,
		"XLARGE": codebuild.ComputeType_X_LARGE, "2XLARGE": codebuild.ComputeType_X2_LARGE,
	}[props.ComputeType]
	if props.Arm64 {
		// The image is built natively for the task's architecture.
		image = codebuild.LinuxArmBuildImage_AMAZON_LINUX_2023_STANDARD_4_0()
	}
	env := map[string]*codebuild.BuildEnvironmentVariable{
		"REPOSITORY_URI":       {Value: props.Repository.RepositoryUri()},
		"REPOSITORY_NAME":      {Value: props.Repository.RepositoryName()},
		"CACHE_REPOSITORY_URI": {Value: props.CacheRepository.RepositoryUri()},
		"BUILDKIT_IMAGE":       {Value: jsii.String(BuildKitImage)},
		"DOCKERFILE":           {Value: jsii.String(props.Dockerfile)},
		"BUILD_CONTEXT":        {Value: jsii.String(props.BuildContext)},
	}
	if props.DockerHubSecretArn != "" {
		env["DOCKERHUB_USERNAME"] = &codebuild.BuildEnvironmentVariable{Type: codebuild.BuildEnvironmentVariableType_SECRETS_MANAGER, Value: jsii.String(props.DockerHubSecretArn + ":username")}
		env["DOCKERHUB_PASSWORD"] = &codebuild.BuildEnvironmentVariable{Type: codebuild.BuildEnvironmentVariableType_SECRETS_MANAGER, Value: jsii.String(props.DockerHubSecretArn + ":password")}
	}

	b.project = codebuild.NewPipelineProject(b, jsii.String("Project"), &codebuild.PipelineProjectProps{
		Description: jsii.String("Builds the image, pushes it to ECR, writes imagedefinitions.json"),
		Environment: &codebuild.BuildEnvironment{
			BuildImage:  image,
			ComputeType: compute,
			Privileged:  jsii.Bool(true), // docker build needs the Docker daemon
		},
		EnvironmentVariables: &env,
		BuildSpec:            codebuild.BuildSpec_FromObject(&map[string]any{"version": "0.2", "env": map[string]any{"shell": "bash"}, "phases": buildPhases(props), "artifacts": map[string]any{"files": []string{"imagedefinitions.json"}}}),
		Logging: &codebuild.LoggingOptions{CloudWatch: &codebuild.CloudWatchLoggingOptions{
			LogGroup: NewLogGroup(b, "Logs", props.RetentionDays, props.LogKey),
		}},
		Timeout: awscdk.Duration_Minutes(jsii.Number(30)),
		// The encryption key is the pipeline's artifact key, which the CDK
		// sets when the project joins the pipeline.
	})

	// Push and pull on the image repository and the cache, and
	// ecr:GetAuthorizationToken, which AWS allows only on "*": no
	// AmazonEC2ContainerRegistryFullAccess.
	props.Repository.GrantPullPush(b.project)
	props.CacheRepository.GrantPullPush(b.project)
	policy := nag.DefaultPolicy(b.project.Role())
	nag.Suppress(policy, "AwsSolutions-IAM5", "ecr:GetAuthorizationToken is authorized only on *; push and pull are limited to the image repository and the build cache", nag.Finding{Exact: "Resource::*"})
	suppressProjectGrants(b.project, id+"Project")
	if props.DockerHubSecretArn != "" {
		nag.Suppress(policy, "AwsSolutions-IAM5", "Secrets Manager appends a random suffix to a secret's ARN; the grant covers the configured Docker Hub secret with any suffix, and nothing else",
			nag.Finding{Exact: "Resource::" + props.DockerHubSecretArn + "*"}, nag.Finding{Exact: "Resource::" + props.DockerHubSecretArn + "-??????"})
	}
	props.Repository.Grant(b.project, jsii.String("ecr:DescribeImages"))
	return b
}

// BuildKitImage is the BuildKit the build's builder runs, from ECR Public's
// copy of Docker Hub's moby/buildkit: `docker buildx create` would pull it
// from Docker Hub, whose anonymous pull limit CodeBuild's shared addresses
// hit ("toomanyrequests").
const BuildKitImage = "public.ecr.aws/vend/moby/buildkit:buildx-stable-1"

// CacheTag is the tag of the build cache in the cache repository: one
// cache, overwritten by every build.
const CacheTag = "buildcache"

// dockerHubCheck is an awk program that reads a Dockerfile (the file in
// variable f) the way package dockerfile does, in brief: the `# syntax=`
// directive, FROM (global ARG defaults substituted, stages and scratch
// skipped), COPY --from= and RUN --mount=from=, continuation lines and
// comments. It prints each reference on Docker Hub, or whose registry an
// ARG without a default decides, and exits 1. It is POSIX awk, free of
// single quotes, so the command can quote it. TestBuildRefusesDockerHubPulls
// runs it from the template over package dockerfile's corpus and holds it to
// the scanner's verdicts; make test runs the scanner itself.
//
//go:embed dockerhub.awk
var dockerHubAwk string

var dockerHubCheck = strings.TrimSpace(dockerHubAwk)

// buildPhases is the buildspec's phases. Each phase stops the build at its
// first failing command: post_build would otherwise run after a failed build.
func buildPhases(props *ImageBuildProps) map[string]any {
	name, _ := json.Marshal(props.ContainerName)
	pre := []string{
		`COMMIT="${CODEBUILD_RESOLVED_SOURCE_VERSION:?the build has no source version}"`,
		`IMAGE_TAG="${COMMIT:0:7}"`,
		`IMAGE_URI="$REPOSITORY_URI:$IMAGE_TAG"`,
		`aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "${REPOSITORY_URI%%/*}"`,
	}
	if props.DockerHubSecretArn != "" {
		pre = append(pre, `echo "$DOCKERHUB_PASSWORD" | docker login --username "$DOCKERHUB_USERNAME" --password-stdin`)
	}
	pre = append(pre,
		// Tags are immutable: a retried commit reuses its image. Only
		// ImageNotFoundException means "build it"; any other failure
		// (denied, throttled, no network) stops the build with the error,
		// rather than build and push over a tag that may exist.
		`if LOOKUP="$(aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$IMAGE_TAG" 2>&1 >/dev/null)"; then EXISTS=1; elif [[ "$LOOKUP" == *ImageNotFoundException* ]]; then EXISTS=0; else echo "error: cannot tell whether $IMAGE_URI exists, so the build stops instead of pushing over an immutable tag: $LOOKUP" >&2; false; fi`,
		`CACHE_REF="$CACHE_REPOSITORY_URI:`+CacheTag+`"`,
	)
	var build []string
	if props.DockerHubSecretArn == "" {
		// Without a Docker Hub login, a Dockerfile that pulls from Docker
		// Hub fails here, with its lines named, not later on a rate limit.
		build = append(build, `awk -v f="$DOCKERFILE" -v q="'" '`+dockerHubCheck+`' "$DOCKERFILE"`)
	}
	if props.TestCommand != "" {
		build = append(build, props.TestCommand)
	}
	// The image's build, with BuildKit's registry cache of every stage
	// (mode=max) in the cache repository, where an inline cache would
	// hold only the final stage's layers. The Docker engine's own builder
	// cannot export a registry cache (it needs the containerd image store),
	// so a docker-container builder runs BuildKit. image-manifest=true and
	// oci-mediatypes=true write the cache as an OCI image manifest, the
	// form ECR stores; a failed cache export only warns, since the image is
	// pushed by then. --push pushes the image itself, a single manifest
	// (--provenance=false: no attestation index), as docker push did.
	build = append(build,
		`if [ "$EXISTS" = 0 ]; then docker buildx create --name cache --driver docker-container --driver-opt image="$BUILDKIT_IMAGE" --bootstrap; fi`,
		`if [ "$EXISTS" = 0 ]; then docker buildx build --builder cache --provenance=false --push --cache-from "type=registry,ref=$CACHE_REF" --cache-to "type=registry,ref=$CACHE_REF,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true" -f "$DOCKERFILE" -t "$IMAGE_URI" "$BUILD_CONTEXT"; fi`,
	)
	post := []string{
		fmt.Sprintf(`printf '[{"name":%s,"imageUri":"%%s"}]' "$IMAGE_URI" > imagedefinitions.json`, name),
		`cat imagedefinitions.json`,
	}
	phase := func(commands []string) map[string]any {
		return map[string]any{"on-failure": "ABORT", "commands": commands}
	}
	return map[string]any{"pre_build": phase(pre), "build": phase(build), "post_build": phase(post)}
}

// GrantUseConnection lets a role use one CodeConnections connection, under
// both of the service's action prefixes: connections created before the
// rename answer to codestar-connections, newer ones to codeconnections.
func GrantUseConnection(role iam.IGrantable, connectionArn string) {
	role.GrantPrincipal().AddToPrincipalPolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:       jsii.String("UseSourceConnection"),
		Actions:   jsii.Strings("codestar-connections:UseConnection", "codeconnections:UseConnection"),
		Resources: jsii.Strings(connectionArn),
	}))
}
