//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The config package's tests take -update (`go test ./... -update`); a
// package that does not define it would fail that command if it ran.
var _ = flag.Bool("update", false, "accepted for `go test ./... -update`; the e2e tests have no golden files")

// Clients of the emulated account, set up once by TestMain.
var (
	cfnC    *cloudformation.Client
	ec2C    *ec2.Client
	ecsC    *ecs.Client
	ecrC    *ecr.Client
	elbC    *elbv2.Client
	ssmC    *ssm.Client
	s3C     *s3.Client
	iamC    *iam.Client
	logsC   *cloudwatchlogs.Client
	lambdaC *lambda.Client
	kmsC    *kms.Client
	snsC    *sns.Client
)

func TestMain(m *testing.M) {
	flag.Parse()
	cfg, err := AWSConfig(context.Background())
	if err == nil && os.Getenv(EnvWork) == "" {
		err = fmt.Errorf("%s is not set: these tests read what scripts/e2e.sh synthesized and deployed; run `make e2e`", EnvWork)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	cfnC = cloudformation.NewFromConfig(cfg)
	ec2C = ec2.NewFromConfig(cfg)
	ecsC = ecs.NewFromConfig(cfg)
	ecrC = ecr.NewFromConfig(cfg)
	elbC = elbv2.NewFromConfig(cfg)
	ssmC = ssm.NewFromConfig(cfg)
	// moto on localhost serves buckets by path: a bucket.localhost host
	// would not resolve.
	s3C = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	iamC = iam.NewFromConfig(cfg)
	logsC = cloudwatchlogs.NewFromConfig(cfg)
	lambdaC = lambda.NewFromConfig(cfg)
	kmsC = kms.NewFromConfig(cfg)
	snsC = sns.NewFromConfig(cfg)
	os.Exit(m.Run())
}

// deployment is one synthesized and deployed configuration, as
// scripts/e2e.sh lists it in deployments.tsv.
type deployment struct {
	Name   string // dev, prod, endpoints
	App    string // appName
	Env    string // env
	Egress string // the egress mode the network must have
	Dir    string // the cloud assembly
}

func (d deployment) stackName(part string) string { return d.App + "-" + d.Env + "-" + part }

// deployments reads deployments.tsv, the script's list of what it deployed.
func deployments(t *testing.T) []deployment {
	t.Helper()
	path := filepath.Join(os.Getenv(EnvWork), "deployments.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading the list of deployments: %v", err)
	}
	defer f.Close()
	var out []deployment
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 5 {
			t.Fatalf("%s: line %q does not have 5 tab-separated fields", path, sc.Text())
		}
		out = append(out, deployment{fields[0], fields[1], fields[2], fields[3], fields[4]})
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no deployment", path)
	}
	return out
}

// forEach runs f as a subtest per deployment, optionally filtered.
func forEach(t *testing.T, keep func(deployment) bool, f func(t *testing.T, d deployment)) {
	t.Helper()
	ran := 0
	for _, d := range deployments(t) {
		if keep != nil && !keep(d) {
			continue
		}
		ran++
		t.Run(d.Name, func(t *testing.T) { f(t, d) })
	}
	if ran == 0 {
		t.Fatal("no deployment matched: the script's list and the test disagree")
	}
}

// template reads a synthesized template of the deployment: the promise.
func (d deployment) template(t *testing.T, stackID string) Template {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(d.Dir, stackID+".template.json"))
	if err != nil {
		t.Fatalf("reading the synthesized %s template: %v", stackID, err)
	}
	tmpl, err := ParseTemplate(body)
	if err != nil {
		t.Fatalf("%s template: %v", stackID, err)
	}
	return tmpl
}

// stack is a deployed stack: its synthesized template and what the emulated
// CloudFormation holds for it.
type stack struct {
	Name     string
	ID       string
	Status   cfntypes.StackStatus
	Template Template
	Params   map[string]string // resolved values, as CloudFormation shows them
	Outputs  map[string]string
	physical map[string]string // logical ID -> physical ID
}

// deployed reads a deployed stack (construct ID Network or Service) and
// fails unless its last operation completed.
func (d deployment) deployed(t *testing.T, constructID string) *stack {
	t.Helper()
	name := d.stackName(strings.ToLower(constructID))
	s := describeStack(t, name)
	if s.Status != cfntypes.StackStatusCreateComplete && s.Status != cfntypes.StackStatusUpdateComplete {
		t.Fatalf("stack %s is %s, want CREATE_COMPLETE or UPDATE_COMPLETE", name, s.Status)
	}
	s.Template = d.template(t, constructID)
	return s
}

func describeStack(t *testing.T, name string) *stack {
	t.Helper()
	ctx := context.Background()
	out, err := cfnC.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatalf("describing stack %s: %v", name, err)
	}
	if len(out.Stacks) != 1 {
		t.Fatalf("describing stack %s: %d stacks, want 1", name, len(out.Stacks))
	}
	cs := out.Stacks[0]
	s := &stack{Name: name, ID: aws.ToString(cs.StackId), Status: cs.StackStatus,
		Params: map[string]string{}, Outputs: map[string]string{}, physical: map[string]string{}}
	for _, p := range cs.Parameters {
		// Real CloudFormation shows an SSM parameter type's name in
		// ParameterValue and what it resolved to in ResolvedValue; moto
		// shows the resolved value in ParameterValue.
		v := aws.ToString(p.ParameterValue)
		if p.ResolvedValue != nil {
			v = aws.ToString(p.ResolvedValue)
		}
		s.Params[aws.ToString(p.ParameterKey)] = v
	}
	for _, o := range cs.Outputs {
		s.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	res, err := cfnC.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatalf("listing the resources of stack %s: %v", name, err)
	}
	for _, r := range res.StackResources {
		// moto lists a skipped resource type with no logical ID.
		if id := aws.ToString(r.LogicalResourceId); id != "" && id != "None" {
			s.physical[id] = aws.ToString(r.PhysicalResourceId)
		}
	}
	return s
}

// phys is the physical ID of a resource of the stack.
func (s *stack) phys(t *testing.T, logicalID string) string {
	t.Helper()
	p, ok := s.physical[logicalID]
	if !ok || p == "" {
		t.Fatalf("stack %s has no physical resource for %s (%s)", s.Name, logicalID, s.Template.Resources[logicalID].Type)
	}
	return p
}

// one is the logical ID of the template's only resource of a type.
func (s *stack) one(t *testing.T, typ string) string {
	t.Helper()
	ids := s.Template.OfType(typ)
	if len(ids) != 1 {
		t.Fatalf("stack %s: template has %d resources of type %s, want 1", s.Name, len(ids), typ)
	}
	return ids[0]
}

// at returns the logical ID of the resource the construct at a CDK path
// made, e.g. "Registry/Repository/Resource".
func (s *stack) at(t *testing.T, path string) string {
	t.Helper()
	for id, r := range s.Template.Resources {
		if r.Metadata["aws:cdk:path"] == path {
			return id
		}
	}
	t.Fatalf("stack %s: no resource at %s", s.Name, path)
	return ""
}

// deployedTemplate is the template the emulated CloudFormation holds for
// a stack: what `cdk deploy` actually sent.
func deployedTemplate(t *testing.T, stackName string) Template {
	t.Helper()
	out, err := cfnC.GetTemplate(context.Background(), &cloudformation.GetTemplateInput{StackName: aws.String(stackName)})
	if err != nil {
		t.Fatalf("reading the deployed template of %s: %v", stackName, err)
	}
	tmpl, err := ParseTemplate([]byte(aws.ToString(out.TemplateBody)))
	if err != nil {
		t.Fatalf("deployed template of %s: %v", stackName, err)
	}
	return tmpl
}

var (
	exportsOnce sync.Once
	exportsMap  map[string]cfntypes.Export
	exportsErr  error
)

// exports lists the account's CloudFormation exports by name.
func exports(t *testing.T) map[string]cfntypes.Export {
	t.Helper()
	exportsOnce.Do(func() {
		exportsMap = map[string]cfntypes.Export{}
		p := cloudformation.NewListExportsPaginator(cfnC, &cloudformation.ListExportsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				exportsErr = err
				return
			}
			for _, e := range page.Exports {
				exportsMap[aws.ToString(e.Name)] = e
			}
		}
	})
	if exportsErr != nil {
		t.Fatalf("listing the exports: %v", exportsErr)
	}
	return exportsMap
}

// resolve evaluates a template value the way CloudFormation did for the
// stack: Ref, Fn::ImportValue, Fn::GetAtt (of the attributes the stacks
// use), Fn::Join, Fn::Select, Fn::Split, Fn::GetAZs, and Fn::If with the
// template's conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or). It fails the
// test on anything else, rather than guess.
func (s *stack) resolve(t *testing.T, v any) any {
	t.Helper()
	switch v := v.(type) {
	case string, float64, bool, nil:
		return v
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = s.resolve(t, e)
		}
		return out
	case map[string]any:
		if !isIntrinsic(v) {
			out := map[string]any{}
			for k, e := range v {
				out[k] = s.resolve(t, e)
			}
			return out
		}
		for fn, arg := range v {
			switch fn {
			case "Ref":
				return s.ref(t, arg.(string))
			case "Fn::ImportValue":
				name := s.str(t, arg)
				e, ok := exports(t)[name]
				if !ok {
					t.Fatalf("stack %s: no export named %s", s.Name, name)
				}
				return aws.ToString(e.Value)
			case "Fn::GetAtt":
				parts := arg.([]any)
				return s.getAtt(t, parts[0].(string), parts[1].(string))
			case "Fn::Join":
				parts := arg.([]any)
				var strs []string
				for _, e := range s.resolve(t, parts[1]).([]any) {
					strs = append(strs, fmt.Sprint(e))
				}
				return strings.Join(strs, parts[0].(string))
			case "Fn::Select":
				parts := arg.([]any)
				i, err := strconv.Atoi(fmt.Sprint(s.resolve(t, parts[0])))
				list, _ := s.resolve(t, parts[1]).([]any)
				if err != nil || i < 0 || i >= len(list) {
					t.Fatalf("stack %s: Fn::Select %v out of range of %v", s.Name, parts[0], list)
				}
				return list[i]
			case "Fn::Split":
				parts := arg.([]any)
				var out []any
				for _, e := range strings.Split(s.str(t, parts[1]), parts[0].(string)) {
					out = append(out, e)
				}
				return out
			case "Fn::GetAZs":
				return availabilityZones(t)
			case "Fn::If":
				parts := arg.([]any)
				if s.condition(t, parts[0].(string)) {
					return s.resolve(t, parts[1])
				}
				return s.resolve(t, parts[2])
			case "Condition":
				return s.condition(t, arg.(string))
			case "Fn::Equals":
				parts := arg.([]any)
				return fmt.Sprint(s.resolve(t, parts[0])) == fmt.Sprint(s.resolve(t, parts[1]))
			case "Fn::Not":
				b, ok := s.resolve(t, arg.([]any)[0]).(bool)
				if !ok {
					t.Fatalf("stack %s: Fn::Not of a non-boolean %v", s.Name, arg)
				}
				return !b
			case "Fn::And", "Fn::Or":
				all, some := true, false
				for _, c := range arg.([]any) {
					b, ok := s.resolve(t, c).(bool)
					if !ok {
						t.Fatalf("stack %s: %s of a non-boolean %v", s.Name, fn, c)
					}
					all, some = all && b, some || b
				}
				if fn == "Fn::And" {
					return all
				}
				return some
			}
		}
	}
	t.Fatalf("stack %s: cannot resolve %#v", s.Name, v)
	return nil
}

// condition evaluates one of the template's conditions.
func (s *stack) condition(t *testing.T, name string) bool {
	t.Helper()
	c, ok := s.Template.Conditions[name]
	if !ok {
		t.Fatalf("stack %s: no condition %s", s.Name, name)
	}
	b, ok := s.resolve(t, c).(bool)
	if !ok {
		t.Fatalf("stack %s: condition %s is not a boolean", s.Name, name)
	}
	return b
}

// isIntrinsic tells an intrinsic function ({Ref: …}, {Fn::…: …}) from a
// plain object of properties.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func (s *stack) str(t *testing.T, v any) string {
	t.Helper()
	r, ok := s.resolve(t, v).(string)
	if !ok {
		t.Fatalf("stack %s: %v does not resolve to a string", s.Name, v)
	}
	return r
}

func (s *stack) ref(t *testing.T, name string) string {
	t.Helper()
	switch name {
	case "AWS::AccountId":
		account, err := AccountOfStack(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		return account
	case "AWS::Region":
		return Region
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return s.Name
	}
	if _, ok := s.Template.Parameters[name]; ok {
		v, ok := s.Params[name]
		if !ok {
			t.Fatalf("stack %s: CloudFormation shows no value for parameter %s", s.Name, name)
		}
		return v
	}
	return s.phys(t, name)
}

// getAtt resolves the attributes the stacks' references use.
func (s *stack) getAtt(t *testing.T, logicalID, attr string) string {
	t.Helper()
	typ := s.Template.Resources[logicalID].Type
	switch {
	case typ == "AWS::EC2::SecurityGroup" && attr == "GroupId":
		return s.phys(t, logicalID)
	case typ == "AWS::EC2::VPC" && attr == "CidrBlock":
		out, err := ec2C.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{VpcIds: []string{s.phys(t, logicalID)}})
		if err != nil || len(out.Vpcs) != 1 {
			t.Fatalf("stack %s: VPC %s: %v", s.Name, logicalID, err)
		}
		return aws.ToString(out.Vpcs[0].CidrBlock)
	case typ == "AWS::ElasticLoadBalancingV2::LoadBalancer" && attr == "DNSName":
		out, err := elbC.DescribeLoadBalancers(context.Background(), &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{s.phys(t, logicalID)}})
		if err != nil || len(out.LoadBalancers) != 1 {
			t.Fatalf("stack %s: load balancer %s: %v", s.Name, logicalID, err)
		}
		return aws.ToString(out.LoadBalancers[0].DNSName)
	}
	// ARNs and names built from the physical ID, as AWS builds them.
	account, _ := AccountOfStack(s.ID)
	physical := s.phys(t, logicalID)
	switch {
	case typ == "AWS::ECR::Repository" && attr == "Arn":
		return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", Region, account, physical)
	case typ == "AWS::IAM::Role" && attr == "Arn":
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, physical)
	case typ == "AWS::ECS::Cluster" && attr == "Arn":
		return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, account, physical)
	case typ == "AWS::KMS::Key" && attr == "Arn":
		return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", Region, account, physical)
	case typ == "AWS::ECS::Service" && attr == "Name":
		return physical[strings.LastIndexByte(physical, '/')+1:]
	}
	t.Fatalf("stack %s: the test cannot resolve Fn::GetAtt %s.%s (%s)", s.Name, logicalID, attr, typ)
	return ""
}

var (
	azOnce sync.Once
	azList []any
	azErr  error
)

func availabilityZones(t *testing.T) []any {
	t.Helper()
	azOnce.Do(func() {
		out, err := ec2C.DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{})
		if err != nil {
			azErr = err
			return
		}
		var names []string
		for _, z := range out.AvailabilityZones {
			names = append(names, aws.ToString(z.ZoneName))
		}
		slices.Sort(names)
		for _, n := range names {
			azList = append(azList, n)
		}
	})
	if azErr != nil {
		t.Fatalf("listing the availability zones: %v", azErr)
	}
	return azList
}

// templateImports lists every Fn::ImportValue name of a template.
func templateImports(tmpl Template) []string {
	var out []string
	for _, r := range tmpl.Resources {
		out = append(out, imports(r.Properties)...)
	}
	for _, o := range tmpl.Outputs {
		out = append(out, imports(o.Value)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// imports lists every Fn::ImportValue name in a template value.
func imports(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "Fn::ImportValue" {
				if name, ok := e.(string); ok {
					out = append(out, name)
					continue
				}
			}
			out = append(out, imports(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, imports(e)...)
		}
	}
	return out
}

// tag is the value of a tag in a template resource's Tags, or "".
func (r Resource) tag(key string) string {
	tags, _ := r.Properties["Tags"].([]any)
	for _, tg := range tags {
		m, _ := tg.(map[string]any)
		if m["Key"] == key {
			s, _ := m["Value"].(string)
			return s
		}
	}
	return ""
}

func ec2Filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

// workFile is a file in the run's work directory, where one phase hands
// its findings to a later one.
func workFile(name string) string { return filepath.Join(os.Getenv(EnvWork), name) }

func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(workFile(name), body, 0o644); err != nil {
		t.Fatalf("writing %s: %v", name, err)
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	body, err := os.ReadFile(workFile(name))
	if err != nil {
		t.Fatalf("reading %s, which an earlier phase writes: %v", name, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
