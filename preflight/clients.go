package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codestarconnections"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// Clients is the part of the AWS SDK preflight uses: one small interface per
// service, each method with the SDK's own signature, so the SDK clients
// satisfy them (NewClients) and tests pass a fake. Every method is a read
// (ReadOnly): preflight changes nothing in the account.
type Clients struct {
	STS            STSAPI
	CloudFormation CloudFormationAPI
	SSM            SSMAPI
	ECR            ECRAPI
	S3             S3API
	IAM            IAMAPI
	EC2            EC2API
	ELB            ELBAPI
	Quotas         QuotasAPI
	Route53        Route53API
	Secrets        SecretsAPI
	Connections    ConnectionsAPI
	Blobs          BlobAPI
}

// STSAPI tells who the caller is.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// CloudFormationAPI reads the deployed stacks, their templates and exports.
type CloudFormationAPI interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
	ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
	ListExports(context.Context, *cloudformation.ListExportsInput, ...func(*cloudformation.Options)) (*cloudformation.ListExportsOutput, error)
	ListImports(context.Context, *cloudformation.ListImportsInput, ...func(*cloudformation.Options)) (*cloudformation.ListImportsOutput, error)
}

// SSMAPI reads the bootstrap version parameter and describes secret
// parameters (never their values).
type SSMAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
}

// ECRAPI finds a repository and counts its images, and reads the released
// image's manifest and config (its platforms).
type ECRAPI interface {
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	ListImages(context.Context, *ecr.ListImagesInput, ...func(*ecr.Options)) (*ecr.ListImagesOutput, error)
	BatchGetImage(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
	GetDownloadUrlForLayer(context.Context, *ecr.GetDownloadUrlForLayerInput, ...func(*ecr.Options)) (*ecr.GetDownloadUrlForLayerOutput, error)
}

// S3API lists the buckets, to find retained log buckets.
type S3API interface {
	ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
}

// IAMAPI lists the service-linked roles of a service.
type IAMAPI interface {
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

// EC2API counts the Elastic IPs and VPCs of the region, lists its
// Availability Zones, and which of them offer an instance type.
type EC2API interface {
	DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
	DescribeInstanceTypeOfferings(context.Context, *ec2.DescribeInstanceTypeOfferingsInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
}

// ELBAPI reads listener rules: the weights ECS set on them.
type ELBAPI interface {
	DescribeRules(context.Context, *elbv2.DescribeRulesInput, ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error)
}

// QuotasAPI reads the account's quotas, or AWS's defaults.
type QuotasAPI interface {
	GetServiceQuota(context.Context, *servicequotas.GetServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
	GetAWSDefaultServiceQuota(context.Context, *servicequotas.GetAWSDefaultServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetAWSDefaultServiceQuotaOutput, error)
}

// Route53API reads a hosted zone.
type Route53API interface {
	GetHostedZone(context.Context, *route53.GetHostedZoneInput, ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error)
}

// SecretsAPI describes a secret (never its value).
type SecretsAPI interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// ConnectionsAPI reads a CodeStar/CodeConnections connection's status.
type ConnectionsAPI interface {
	GetConnection(context.Context, *codestarconnections.GetConnectionInput, ...func(*codestarconnections.Options)) (*codestarconnections.GetConnectionOutput, error)
}

// ReadOnly tells whether an API operation only reads: preflight calls
// nothing else. Every read it needs is named Get…, Describe…, List… or
// BatchGet… (ecr:BatchGetImage, which reads manifests).
func ReadOnly(operation string) bool {
	for _, p := range []string{"Get", "Describe", "List", "BatchGet"} {
		if strings.HasPrefix(operation, p) && len(operation) > len(p) {
			return true
		}
	}
	return false
}

// Calls records the API operations made, as "service:Operation" (the IAM
// action names), for the report: what preflight read, and which
// permissions it needs.
type Calls struct {
	mu  sync.Mutex
	set map[string]bool
}

// Add records one call.
func (c *Calls) Add(service, operation string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set == nil {
		c.set = map[string]bool{}
	}
	c.set[iamPrefix(service)+":"+operation] = true
}

// List returns the calls made, sorted.
func (c *Calls) List() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.set))
	for k := range c.set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// iamPrefix turns an SDK service ID ("Service Quotas") into its IAM action
// prefix ("servicequotas").
func iamPrefix(serviceID string) string {
	switch serviceID {
	case "CodeStar connections":
		return "codestar-connections"
	case "Elastic Load Balancing v2":
		return "elasticloadbalancing"
	}
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
}

// NewClients builds the SDK clients from cfg. Every client refuses, before
// anything is sent, an operation that is not ReadOnly, and records the
// ones it makes in calls.
func NewClients(cfg aws.Config, calls *Calls) Clients {
	cfg = cfg.Copy()
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), ReadOnlyGuard(calls))
	return Clients{
		STS:            sts.NewFromConfig(cfg),
		CloudFormation: cloudformation.NewFromConfig(cfg),
		SSM:            ssm.NewFromConfig(cfg),
		ECR:            ecr.NewFromConfig(cfg),
		S3:             s3.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
		EC2:            ec2.NewFromConfig(cfg),
		ELB:            elbv2.NewFromConfig(cfg),
		Quotas:         servicequotas.NewFromConfig(cfg),
		Route53:        route53.NewFromConfig(cfg),
		Secrets:        secretsmanager.NewFromConfig(cfg),
		Connections:    codestarconnections.NewFromConfig(cfg),
		Blobs:          newHTTPBlobs(),
	}
}

// ReadOnlyGuard is an SDK middleware that fails any operation that is not
// ReadOnly before it is signed or sent, and records the others in calls
// (when not nil).
func ReadOnlyGuard(calls *Calls) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("PreflightReadOnly",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
				if !ReadOnly(op) {
					return middleware.InitializeOutput{}, middleware.Metadata{},
						fmt.Errorf("preflight refused %s:%s: it makes read-only calls only (Get, Describe, List, BatchGet)", iamPrefix(service), op)
				}
				if calls != nil {
					calls.Add(service, op)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}
