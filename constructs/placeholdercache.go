package constructs

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	ecr "github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// placeholderCacheHandler is the provider function's code, tested by
// placeholdercache/index.test.js.
//
//go:embed placeholdercache/index.js
var placeholderCacheHandler []byte

// PublicRegistry is ECR Public's registry prefix.
const PublicRegistry = "public.ecr.aws/"

// PlaceholderCacheProps configures PlaceholderCache.
type PlaceholderCacheProps struct {
	// Prefix is the cache's repository prefix in this account's ECR.
	Prefix string
	// Image is an image on ECR Public by tag, e.g.
	// "public.ecr.aws/nginx/nginx:stable-alpine" (config.Validate rejects a
	// digest alone: a cache does not fill on a first pull by digest).
	Image string
	// Platform is the task's, "linux/amd64" or "linux/arm64".
	Platform string
}

// PlaceholderCache brings an ECR Public image into this account's ECR
// before anything runs it, for tasks that reach ECR only (egress
// endpoints): an ECR pull-through cache rule for ECR Public, and a custom
// resource that pulls the image through it once, from a Lambda function
// outside the VPC, and completes only when ECR holds the image and every
// layer of the task's platform.
//
// A first pull through the cache by the tasks themselves is what this
// avoids: on a cache miss ECR may redirect the layer downloads to the
// upstream registry's CDN, which tasks without internet cannot reach
// (aws/containers-roadmap#939), and the ECR user guide's pull-through cache
// considerations ask for a NAT gateway for an image's first pull when ECR
// is used through PrivateLink. Once cached, the layers come from ECR's S3
// bucket, through the S3 gateway endpoint.
type PlaceholderCache interface {
	constructs.Construct
	// ImageUri is the image in this account's ECR, through the cache, by
	// tag.
	ImageUri() string
	// ImageUriByDigest is the same image by the digest the fill found in
	// ECR (a token, resolved at deploy time).
	ImageUriByDigest() string
	// RepositoryArnPattern matches the repositories the cache creates.
	RepositoryArnPattern() string
}

type placeholderCache struct {
	constructs.Construct
	image, byDigest, arn string
}

func (c *placeholderCache) ImageUri() string             { return c.image }
func (c *placeholderCache) ImageUriByDigest() string     { return c.byDigest }
func (c *placeholderCache) RepositoryArnPattern() string { return c.arn }

// NewPlaceholderCache creates the rule, the custom resource and its
// provider. The rule is the construct's default child, so its logical ID is
// the construct's id.
func NewPlaceholderCache(scope constructs.Construct, id string, props *PlaceholderCacheProps) PlaceholderCache {
	c := &placeholderCache{}
	constructs.NewConstruct_Override(c, scope, &id)
	stack := awscdk.Stack_Of(c)
	rule := ecr.NewCfnPullThroughCacheRule(c, jsii.String("Default"), &ecr.CfnPullThroughCacheRuleProps{
		EcrRepositoryPrefix: jsii.String(props.Prefix),
		UpstreamRegistryUrl: jsii.String(strings.TrimSuffix(PublicRegistry, "/")),
	})
	upstream, tag := splitTag(strings.TrimPrefix(props.Image, PublicRegistry))
	repo := props.Prefix + "/" + upstream
	c.image = fmt.Sprintf("%s.dkr.ecr.%s.%s/%s:%s", *stack.Account(), *stack.Region(), *stack.UrlSuffix(), repo, tag)
	c.arn = fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s/*", *stack.Partition(), *stack.Region(), *stack.Account(), props.Prefix)

	code := handlerDir()
	defer os.RemoveAll(code) // staged into the assembly while the provider is created
	provider := awscdk.CustomResourceProvider_GetOrCreateProvider(c, jsii.String("Custom::PlaceholderImageCacheProvider"), &awscdk.CustomResourceProviderProps{
		CodeDirectory: jsii.String(code),
		Runtime:       awscdk.CustomResourceProviderRuntime_NODEJS_24_X,
		Description:   jsii.String("Pulls the placeholder image through this account's ECR pull-through cache before the service's first deploy"),
		Timeout:       awscdk.Duration_Minutes(jsii.Number(10)),
		MemorySize:    awscdk.Size_Mebibytes(jsii.Number(256)),
		PolicyStatements: &[]any{
			map[string]any{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
			map[string]any{
				"Effect": "Allow",
				// Pull through the cache (which creates the repository and
				// imports the image), then see that ECR holds it.
				"Action":   []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:DescribeImages", "ecr:BatchCheckLayerAvailability"},
				"Resource": c.arn,
			},
		},
	})
	fill := awscdk.NewCustomResource(c, jsii.String("Fill"), &awscdk.CustomResourceProps{
		ServiceToken:   provider.ServiceToken(),
		ResourceType:   jsii.String("Custom::PlaceholderImageCache"),
		ServiceTimeout: awscdk.Duration_Minutes(jsii.Number(15)),
		Properties: &map[string]any{
			"RepositoryName": repo,
			"Tag":            tag,
			"Platform":       props.Platform,
		},
	})
	fill.Node().AddDependency(rule)
	// The handler answers with the tag's digest as ECR holds it (an index
	// for a multi-platform image, whose manifest for this platform it
	// pulled too).
	c.byDigest = fmt.Sprintf("%s.dkr.ecr.%s.%s/%s@%s", *stack.Account(), *stack.Region(), *stack.UrlSuffix(), repo, *fill.GetAttString(jsii.String("ImageDigest")))
	return c
}

// splitTag splits "nginx/nginx:stable-alpine" into the repository and its
// tag ("latest" when none).
func splitTag(ref string) (repo, tag string) {
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}

// handlerDir writes the provider's code to a temporary directory for the
// CDK to stage as an asset: the code is embedded in the binary, so synth
// works from any working directory.
func handlerDir() string {
	dir, err := os.MkdirTemp("", "placeholdercache-")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "index.js"), placeholderCacheHandler, 0o644)
	}
	if err != nil {
		panic(fmt.Sprintf("writing the placeholder cache's handler: %v", err))
	}
	return dir
}
