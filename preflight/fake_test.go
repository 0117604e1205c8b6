package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codestarconnections"
	cstypes "github.com/aws/aws-sdk-go-v2/service/codestarconnections/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	sqtypes "github.com/aws/aws-sdk-go-v2/service/servicequotas/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const testAccount = "123456789012"

// fakeAWS is an account in memory behind every client interface. Each
// method records its IAM action name, so tests can prove that preflight
// only reads. Nothing in it changes once a test has set it up.
type fakeAWS struct {
	calls []string

	stacks map[string]*fakeStack
	// noListImports makes ListImports fail as moto's does (HTTP 500).
	noListImports bool
	params        map[string]string   // SSM parameters
	repos         map[string]int      // ECR repository → images
	buckets       []string            // S3
	roles         map[string][]string // IAM path → role names
	addresses     int
	vpcs          int
	applied       map[string]float64 // Service Quotas, by quota code
	defaults      map[string]float64
	zones         map[string]r53types.HostedZone
	secrets       map[string]bool // secret ARN → deleted
	connections   map[string]cstypes.ConnectionStatus
	// images: "repository:tag" -> its manifest; blobs: digest -> content
	// (an image's config).
	images map[string]fakeImage
	blobs  map[string]string
	// rules: a listener rule's ARN -> its live weighted forward action, as
	// ECS left it (deploy writes the template's).
	rules map[string][]groupWeight
	// azs are the region's Availability Zones; offerings: instance type ->
	// the AZs that offer it (a type not listed is offered in every one).
	azs       []string
	offerings map[string][]string
	// fail makes an operation fail with this error.
	fail map[string]error
}

type fakeStack struct {
	id, name  string
	status    cfntypes.StackStatus
	body      string
	template  Template
	resources map[string]string
}

func newFake() *fakeAWS {
	return &fakeAWS{
		stacks: map[string]*fakeStack{}, params: map[string]string{}, repos: map[string]int{},
		roles: map[string][]string{}, applied: map[string]float64{}, defaults: map[string]float64{},
		zones: map[string]r53types.HostedZone{}, secrets: map[string]bool{}, connections: map[string]cstypes.ConnectionStatus{},
		images: map[string]fakeImage{}, blobs: map[string]string{},
		rules: map[string][]groupWeight{}, azs: []string{"us-east-1b", "us-east-1a", "us-east-1c"}, offerings: map[string][]string{},
		fail: map[string]error{}, vpcs: 1,
	}
}

// fakeImage is an image in a repository: its manifest and media type.
type fakeImage struct{ mediaType, manifest string }

// clients returns the fake behind every interface.
func (f *fakeAWS) clients() Clients {
	return Clients{STS: f, CloudFormation: f, SSM: f, ECR: f, S3: f, IAM: f, EC2: f, ELB: f, Quotas: f, Route53: f, Secrets: f, Connections: f, Blobs: f}
}

// call records an operation and returns the error the test injected.
func (f *fakeAWS) call(op string) error {
	f.calls = append(f.calls, op)
	return f.fail[op]
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

// http500 is what moto answers for an operation it lacks.
func http500() error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500}}, Err: errors.New("internal server error")}}
}

// bootstrap is what `cdk bootstrap` leaves: the toolkit stack and the
// version parameter.
func (f *fakeAWS) bootstrap(version string) {
	f.params["/cdk-bootstrap/hnb659fds/version"] = version
	f.stacks[toolkitStack] = &fakeStack{id: stackID(toolkitStack), name: toolkitStack, status: cfntypes.StackStatusCreateComplete, body: `{"Resources":{}}`}
}

// linkedRoles creates the three service-linked roles.
func (f *fakeAWS) linkedRoles() {
	for _, lr := range linkedRoles {
		path := "/aws-service-role/" + lr.Service + "/"
		f.roles[path] = append(f.roles[path], lr.Role)
	}
}

func stackID(name string) string {
	return "arn:aws:cloudformation:us-east-1:" + testAccount + ":stack/" + name + "/0f00-" + name
}

// deploy puts a stack in the account as CloudFormation would: physical IDs
// for every resource (a repository's is its name, a connection's its ARN,
// a bucket's a generated name), and the resources themselves where a check
// looks (repositories, buckets, VPCs, addresses).
func (f *fakeAWS) deploy(s Stack) {
	body, err := json.Marshal(s.Template)
	if err != nil {
		panic(err)
	}
	fs := &fakeStack{id: stackID(s.Name), name: s.Name, status: cfntypes.StackStatusCreateComplete, body: string(body), template: s.Template, resources: map[string]string{}}
	for _, id := range sortedKeys(s.Template.Resources) {
		r := s.Template.Resources[id]
		phys := id + "-phys"
		switch r.Type {
		case "AWS::ECR::Repository":
			phys, _ = r.Properties["RepositoryName"].(string)
			if _, ok := f.repos[phys]; !ok {
				f.repos[phys] = 0
			}
		case "AWS::S3::Bucket":
			phys = strings.ToLower(s.Name + "-" + id + "-x1y2z3")
			f.buckets = append(f.buckets, phys)
		case "AWS::CodeStarConnections::Connection":
			phys = "arn:aws:codestar-connections:us-east-1:" + testAccount + ":connection/" + strings.ToLower(id)
			if _, ok := f.connections[phys]; !ok {
				f.connections[phys] = cstypes.ConnectionStatusPending
			}
		case "AWS::EC2::VPC":
			f.vpcs++
		case "AWS::EC2::EIP":
			f.addresses++
		}
		fs.resources[id] = phys
	}
	for _, id := range s.Template.ofType("AWS::ElasticLoadBalancingV2::ListenerRule") {
		if w := forwardWeights(s.Template.Resources[id].Properties, fs.resources); len(w) > 0 {
			f.rules[fs.resources[id]] = w
		}
	}
	f.stacks[s.Name] = fs
}

// exportValue resolves an output value against a deployed stack, enough
// for the exports the app's templates define.
func (fs *fakeStack) exportValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if r, ok := t["Ref"].(string); ok {
			return fs.resources[r]
		}
		if g, ok := t["Fn::GetAtt"].([]any); ok && len(g) == 2 {
			return fmt.Sprintf("%s.%v", fs.resources[g[0].(string)], g[1])
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (f *fakeAWS) live() []*fakeStack {
	var out []*fakeStack
	for _, k := range sortedKeys(f.stacks) {
		out = append(out, f.stacks[k])
	}
	return out
}

// --- STS ---

func (f *fakeAWS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if err := f.call("sts:GetCallerIdentity"); err != nil {
		return nil, err
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(testAccount), Arn: aws.String("arn:aws:iam::" + testAccount + ":user/deployer")}, nil
}

// --- CloudFormation ---

func (f *fakeAWS) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if err := f.call("cloudformation:DescribeStacks"); err != nil {
		return nil, err
	}
	var out []cfntypes.Stack
	for _, s := range f.live() {
		if in.StackName == nil || *in.StackName == s.name || *in.StackName == s.id {
			out = append(out, cfntypes.Stack{StackName: aws.String(s.name), StackId: aws.String(s.id), StackStatus: s.status})
		}
	}
	if in.StackName != nil && len(out) == 0 {
		return nil, apiErr("ValidationError", "Stack with id "+*in.StackName+" does not exist")
	}
	return &cloudformation.DescribeStacksOutput{Stacks: out}, nil
}

func (f *fakeAWS) stack(name *string) (*fakeStack, error) {
	for _, s := range f.live() {
		if aws.ToString(name) == s.name || aws.ToString(name) == s.id {
			return s, nil
		}
	}
	return nil, apiErr("ValidationError", "Stack with id "+aws.ToString(name)+" does not exist")
}

func (f *fakeAWS) GetTemplate(_ context.Context, in *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	if err := f.call("cloudformation:GetTemplate"); err != nil {
		return nil, err
	}
	s, err := f.stack(in.StackName)
	if err != nil {
		return nil, err
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(s.body)}, nil
}

func (f *fakeAWS) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	if err := f.call("cloudformation:ListStackResources"); err != nil {
		return nil, err
	}
	s, err := f.stack(in.StackName)
	if err != nil {
		return nil, err
	}
	var out []cfntypes.StackResourceSummary
	for _, id := range sortedKeys(s.resources) {
		out = append(out, cfntypes.StackResourceSummary{LogicalResourceId: aws.String(id), PhysicalResourceId: aws.String(s.resources[id])})
	}
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: out}, nil
}

func (f *fakeAWS) ListExports(context.Context, *cloudformation.ListExportsInput, ...func(*cloudformation.Options)) (*cloudformation.ListExportsOutput, error) {
	if err := f.call("cloudformation:ListExports"); err != nil {
		return nil, err
	}
	var out []cfntypes.Export
	for _, s := range f.live() {
		for _, k := range sortedKeys(s.template.Outputs) {
			o := s.template.Outputs[k]
			if n := o.exportName(); n != "" {
				out = append(out, cfntypes.Export{Name: aws.String(n), ExportingStackId: aws.String(s.id), Value: aws.String(s.exportValue(o.Value))})
			}
		}
	}
	return &cloudformation.ListExportsOutput{Exports: out}, nil
}

func (f *fakeAWS) ListImports(_ context.Context, in *cloudformation.ListImportsInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListImportsOutput, error) {
	if err := f.call("cloudformation:ListImports"); err != nil {
		return nil, err
	}
	if f.noListImports {
		return nil, http500()
	}
	var out []string
	for _, s := range f.live() {
		if slices.Contains(templateImports(s.body), aws.ToString(in.ExportName)) {
			out = append(out, s.name)
		}
	}
	if len(out) == 0 {
		return nil, apiErr("ValidationError", "Export '"+aws.ToString(in.ExportName)+"' is not imported by any stack.")
	}
	return &cloudformation.ListImportsOutput{Imports: out}, nil
}

// --- SSM ---

func (f *fakeAWS) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if err := f.call("ssm:GetParameter"); err != nil {
		return nil, err
	}
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, apiErr("ParameterNotFound", "")
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

func (f *fakeAWS) DescribeParameters(_ context.Context, in *ssm.DescribeParametersInput, _ ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error) {
	if err := f.call("ssm:DescribeParameters"); err != nil {
		return nil, err
	}
	var out []ssmtypes.ParameterMetadata
	for _, flt := range in.ParameterFilters {
		for _, v := range flt.Values {
			if _, ok := f.params[v]; ok {
				out = append(out, ssmtypes.ParameterMetadata{Name: aws.String(v)})
			}
		}
	}
	return &ssm.DescribeParametersOutput{Parameters: out}, nil
}

// --- ECR ---

func (f *fakeAWS) DescribeRepositories(_ context.Context, in *ecr.DescribeRepositoriesInput, _ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	if err := f.call("ecr:DescribeRepositories"); err != nil {
		return nil, err
	}
	var out []ecrtypes.Repository
	for _, n := range in.RepositoryNames {
		if _, ok := f.repos[n]; !ok {
			return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String("no " + n)}
		}
		out = append(out, ecrtypes.Repository{RepositoryName: aws.String(n)})
	}
	return &ecr.DescribeRepositoriesOutput{Repositories: out}, nil
}

func (f *fakeAWS) ListImages(_ context.Context, in *ecr.ListImagesInput, _ ...func(*ecr.Options)) (*ecr.ListImagesOutput, error) {
	if err := f.call("ecr:ListImages"); err != nil {
		return nil, err
	}
	var out []ecrtypes.ImageIdentifier
	for i := range f.repos[aws.ToString(in.RepositoryName)] {
		// Every image twice (two tags): the check counts digests.
		d := aws.String(fmt.Sprintf("sha256:%04d", i))
		out = append(out, ecrtypes.ImageIdentifier{ImageDigest: d, ImageTag: aws.String(fmt.Sprint("v", i))},
			ecrtypes.ImageIdentifier{ImageDigest: d, ImageTag: aws.String(fmt.Sprint("latest", i))})
	}
	return &ecr.ListImagesOutput{ImageIds: out}, nil
}

// --- S3, IAM, EC2 ---

func (f *fakeAWS) BatchGetImage(_ context.Context, in *ecr.BatchGetImageInput, _ ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	if err := f.call("ecr:BatchGetImage"); err != nil {
		return nil, err
	}
	repo := aws.ToString(in.RepositoryName)
	if _, ok := f.repos[repo]; !ok {
		return nil, apiErr("RepositoryNotFoundException", "The repository with name '"+repo+"' does not exist")
	}
	out := &ecr.BatchGetImageOutput{}
	for _, id := range in.ImageIds {
		img, ok := f.images[repo+":"+aws.ToString(id.ImageTag)]
		if !ok {
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: &id, FailureCode: ecrtypes.ImageFailureCodeImageNotFound})
			continue
		}
		out.Images = append(out.Images, ecrtypes.Image{RepositoryName: in.RepositoryName, ImageId: &id, ImageManifest: aws.String(img.manifest), ImageManifestMediaType: aws.String(img.mediaType)})
	}
	return out, nil
}

func (f *fakeAWS) GetDownloadUrlForLayer(_ context.Context, in *ecr.GetDownloadUrlForLayerInput, _ ...func(*ecr.Options)) (*ecr.GetDownloadUrlForLayerOutput, error) {
	if err := f.call("ecr:GetDownloadUrlForLayer"); err != nil {
		return nil, err
	}
	if _, ok := f.blobs[aws.ToString(in.LayerDigest)]; !ok {
		return nil, apiErr("LayersNotFoundException", "no layer")
	}
	return &ecr.GetDownloadUrlForLayerOutput{LayerDigest: in.LayerDigest, DownloadUrl: aws.String("https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/" + aws.ToString(in.LayerDigest) + "?X-Amz-Signature=x")}, nil
}

// Fetch is the download of a presigned layer URL.
func (f *fakeAWS) Fetch(_ context.Context, url string) ([]byte, error) {
	f.calls = append(f.calls, "GET "+url)
	digest, _, _ := strings.Cut(url[strings.LastIndex(url, "/")+1:], "?")
	b, ok := f.blobs[digest]
	if !ok {
		return nil, errors.New("HTTP 404")
	}
	return []byte(b), nil
}

func (f *fakeAWS) ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	if err := f.call("s3:ListBuckets"); err != nil {
		return nil, err
	}
	var out []s3types.Bucket
	for _, b := range f.buckets {
		out = append(out, s3types.Bucket{Name: aws.String(b)})
	}
	return &s3.ListBucketsOutput{Buckets: out}, nil
}

func (f *fakeAWS) ListRoles(_ context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	if err := f.call("iam:ListRoles"); err != nil {
		return nil, err
	}
	var out []iamtypes.Role
	for _, path := range sortedKeys(f.roles) {
		if strings.HasPrefix(path, aws.ToString(in.PathPrefix)) {
			for _, n := range f.roles[path] {
				out = append(out, iamtypes.Role{RoleName: aws.String(n), Path: aws.String(path)})
			}
		}
	}
	return &iam.ListRolesOutput{Roles: out}, nil
}

func (f *fakeAWS) DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error) {
	if err := f.call("ec2:DescribeAddresses"); err != nil {
		return nil, err
	}
	return &ec2.DescribeAddressesOutput{Addresses: make([]ec2types.Address, f.addresses)}, nil
}

func (f *fakeAWS) DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	if err := f.call("ec2:DescribeVpcs"); err != nil {
		return nil, err
	}
	return &ec2.DescribeVpcsOutput{Vpcs: make([]ec2types.Vpc, f.vpcs)}, nil
}

func (f *fakeAWS) DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error) {
	if err := f.call("ec2:DescribeAvailabilityZones"); err != nil {
		return nil, err
	}
	out := &ec2.DescribeAvailabilityZonesOutput{}
	for _, az := range f.azs { // in the fake's order: the check sorts them
		out.AvailabilityZones = append(out.AvailabilityZones, ec2types.AvailabilityZone{ZoneName: aws.String(az), State: ec2types.AvailabilityZoneStateAvailable, ZoneType: aws.String("availability-zone")})
	}
	return out, nil
}

// DescribeInstanceTypeOfferings answers in pages of one offering, so the
// check's paging is exercised.
func (f *fakeAWS) DescribeInstanceTypeOfferings(_ context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	if err := f.call("ec2:DescribeInstanceTypeOfferings"); err != nil {
		return nil, err
	}
	if in.LocationType != ec2types.LocationTypeAvailabilityZone || len(in.Filters) != 1 || aws.ToString(in.Filters[0].Name) != "instance-type" {
		return nil, apiErr("InvalidParameterValue", "the fake answers one instance-type filter by availability-zone")
	}
	var all []ec2types.InstanceTypeOffering
	for _, typ := range in.Filters[0].Values {
		azs, ok := f.offerings[typ]
		if !ok {
			azs = f.azs
		}
		for _, az := range azs {
			all = append(all, ec2types.InstanceTypeOffering{InstanceType: ec2types.InstanceType(typ), Location: aws.String(az), LocationType: ec2types.LocationTypeAvailabilityZone})
		}
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &ec2.DescribeInstanceTypeOfferingsOutput{}
	if start < len(all) {
		out.InstanceTypeOfferings = all[start : start+1]
		if start+1 < len(all) {
			out.NextToken = aws.String(fmt.Sprint(start + 1))
		}
	}
	return out, nil
}

// --- Elastic Load Balancing ---

func (f *fakeAWS) DescribeRules(_ context.Context, in *elbv2.DescribeRulesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error) {
	if err := f.call("elasticloadbalancing:DescribeRules"); err != nil {
		return nil, err
	}
	out := &elbv2.DescribeRulesOutput{}
	for _, arn := range in.RuleArns {
		ws, ok := f.rules[arn]
		if !ok {
			return nil, apiErr("RuleNotFound", "One or more rules not found")
		}
		fc := &elbtypes.ForwardActionConfig{}
		for _, w := range ws {
			fc.TargetGroups = append(fc.TargetGroups, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(w.Arn), Weight: aws.Int32(w.Weight)})
		}
		out.Rules = append(out.Rules, elbtypes.Rule{RuleArn: aws.String(arn), Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: fc}}})
	}
	return out, nil
}

// --- Service Quotas, Route 53, Secrets Manager, CodeStar connections ---

func (f *fakeAWS) GetServiceQuota(_ context.Context, in *servicequotas.GetServiceQuotaInput, _ ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error) {
	if err := f.call("servicequotas:GetServiceQuota"); err != nil {
		return nil, err
	}
	v, ok := f.applied[aws.ToString(in.QuotaCode)]
	if !ok {
		return nil, &sqtypes.NoSuchResourceException{Message: aws.String("not applied")}
	}
	return &servicequotas.GetServiceQuotaOutput{Quota: &sqtypes.ServiceQuota{Value: aws.Float64(v)}}, nil
}

func (f *fakeAWS) GetAWSDefaultServiceQuota(_ context.Context, in *servicequotas.GetAWSDefaultServiceQuotaInput, _ ...func(*servicequotas.Options)) (*servicequotas.GetAWSDefaultServiceQuotaOutput, error) {
	if err := f.call("servicequotas:GetAWSDefaultServiceQuota"); err != nil {
		return nil, err
	}
	v, ok := f.defaults[aws.ToString(in.QuotaCode)]
	if !ok {
		return nil, http500()
	}
	return &servicequotas.GetAWSDefaultServiceQuotaOutput{Quota: &sqtypes.ServiceQuota{Value: aws.Float64(v)}}, nil
}

func (f *fakeAWS) GetHostedZone(_ context.Context, in *route53.GetHostedZoneInput, _ ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error) {
	if err := f.call("route53:GetHostedZone"); err != nil {
		return nil, err
	}
	z, ok := f.zones[aws.ToString(in.Id)]
	if !ok {
		return nil, &r53types.NoSuchHostedZone{Message: aws.String("No hosted zone found with ID: " + aws.ToString(in.Id))}
	}
	return &route53.GetHostedZoneOutput{HostedZone: &z}, nil
}

func (f *fakeAWS) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if err := f.call("secretsmanager:DescribeSecret"); err != nil {
		return nil, err
	}
	deleted, ok := f.secrets[aws.ToString(in.SecretId)]
	if !ok {
		return nil, apiErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	out := &secretsmanager.DescribeSecretOutput{ARN: in.SecretId}
	if deleted {
		out.DeletedDate = aws.Time(time.Unix(0, 0))
	}
	return out, nil
}

func (f *fakeAWS) GetConnection(_ context.Context, in *codestarconnections.GetConnectionInput, _ ...func(*codestarconnections.Options)) (*codestarconnections.GetConnectionOutput, error) {
	if err := f.call("codestar-connections:GetConnection"); err != nil {
		return nil, err
	}
	st, ok := f.connections[aws.ToString(in.ConnectionArn)]
	if !ok {
		return nil, apiErr("ResourceNotFoundException", "Connection not found")
	}
	return &codestarconnections.GetConnectionOutput{Connection: &cstypes.Connection{
		ConnectionArn: in.ConnectionArn, ConnectionName: aws.String("demo-dev"), ProviderType: cstypes.ProviderTypeGithub, ConnectionStatus: st}}, nil
}

// --- the app's templates ---

// golden reads a golden variant (testdata/golden/VARIANT) as the assembly
// `cdk synth -c env=ENV` writes: Network, Service, Pipeline in deploy order,
// named demo-ENV-network and so on.
func golden(t *testing.T, variant, env string) *Assembly {
	t.Helper()
	a := &Assembly{Dir: "testdata/golden/" + variant}
	for _, id := range []string{"Registry", "Network", "Service", "Pipeline"} { // deploy order
		b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", variant, id+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := ParseTemplate(b)
		if err != nil {
			t.Fatal(err)
		}
		a.Stacks = append(a.Stacks, Stack{ID: id, Name: "demo-" + env + "-" + strings.ToLower(id), Template: tmpl})
	}
	return a
}

// clone deep-copies an assembly, for a test that edits a template.
func clone(t *testing.T, a *Assembly) *Assembly {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var c Assembly
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// stack returns the assembly's stack by construct ID.
func (a *Assembly) stack(t *testing.T, id string) *Stack {
	t.Helper()
	for i := range a.Stacks {
		if a.Stacks[i].ID == id {
			return &a.Stacks[i]
		}
	}
	t.Fatalf("no stack %s", id)
	return nil
}

// run runs preflight against the fake, in us-east-1.
func run(t *testing.T, a *Assembly, f *fakeAWS) *Report {
	t.Helper()
	r, err := Run(context.Background(), a, f.clients(), Options{Region: "us-east-1", ProfileRegion: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// results returns the report's results of one check.
func (r *Report) results(check string) []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Check == check {
			out = append(out, res)
		}
	}
	return out
}
