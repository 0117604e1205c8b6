package cfnsync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// fakeAWS is an account in memory: CloudFormation stacks that update as
// CloudFormation does (in progress, then complete or rolled back), SSM
// parameters, and ECS services whose revision the stack's updates and
// rollbacks move. Every call is recorded.
type fakeAWS struct {
	mu     sync.Mutex
	calls  []string
	stacks map[string]*fakeStack
	params map[string]string
	// services: service ARN -> the revision it runs.
	services map[string]string
	// updates are the UpdateStack inputs received.
	updates []*cloudformation.UpdateStackInput
	fail    map[string]error
}

type fakeStack struct {
	name         string
	status       cfntypes.StackStatus
	body         string
	params       []cfntypes.Parameter
	capabilities []cfntypes.Capability
	resources    []cfntypes.StackResourceSummary
	// emulator: parameters shown as moto shows them (the value in
	// ParameterValue, no ResolvedValue).
	emulator bool
	// outcome of the next update: "complete" or "rollback".
	outcome string
	// polls left before an update in progress ends.
	polls  int
	events []cfntypes.StackEvent
	// what the update does to the service: the revision CloudFormation
	// registers (complete) or recorded (rollback).
	service, newRevision, recordedRevision string
}

func newFake() *fakeAWS {
	return &fakeAWS{stacks: map[string]*fakeStack{}, params: map[string]string{}, services: map[string]string{}, fail: map[string]error{}}
}

func (f *fakeAWS) clients() Clients { return Clients{CloudFormation: f, SSM: f, ECS: f} }

func (f *fakeAWS) call(op string) error {
	f.calls = append(f.calls, op)
	return f.fail[op]
}

func (f *fakeAWS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == op {
			n++
		}
	}
	return n
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

const (
	account    = "123456789012"
	serviceArn = "arn:aws:ecs:eu-west-1:123456789012:service/demo-dev-Cluster/demo-dev-Service"
	imageKey   = "SsmParameterValuedemodevimageuriC96584B6F00A464EAD1953AFF4B05118Parameter"
	imageParam = "/demo/dev/image-uri"
	bootParam  = "/cdk-bootstrap/hnb659fds/version"
	released   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev:a11ce5e"
	rev        = "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo-dev:"
)

// serviceStack is dev's Service stack as the last `cdk deploy` left it:
// the golden template, the image parameter resolved to recorded, and the
// service on revision 1 (CloudFormation's) unless a pipeline moved it.
func (f *fakeAWS) serviceStack(t *testing.T, recorded string) *fakeStack {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "dev", "Service.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeStack{
		name: "demo-dev-service", status: cfntypes.StackStatusCreateComplete, body: string(body),
		params: []cfntypes.Parameter{
			{ParameterKey: aws.String("BootstrapVersion"), ParameterValue: aws.String(bootParam), ResolvedValue: aws.String("21")},
			{ParameterKey: aws.String(imageKey), ParameterValue: aws.String(imageParam), ResolvedValue: aws.String(recorded)},
		},
		capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam, cfntypes.CapabilityCapabilityAutoExpand},
		resources: []cfntypes.StackResourceSummary{
			{LogicalResourceId: aws.String("ClusterEB0386A7"), ResourceType: aws.String("AWS::ECS::Cluster"), PhysicalResourceId: aws.String("demo-dev-Cluster")},
			{LogicalResourceId: aws.String("ServiceD69D759B"), ResourceType: aws.String("AWS::ECS::Service"), PhysicalResourceId: aws.String(serviceArn)},
			{LogicalResourceId: aws.String("TaskDefinitionB36D86D9"), ResourceType: aws.String("AWS::ECS::TaskDefinition"), PhysicalResourceId: aws.String(rev + "1")},
		},
		outcome: "complete", polls: 2,
		service: serviceArn, newRevision: rev + "3", recordedRevision: rev + "1",
	}
	f.stacks[s.name] = s
	f.params[bootParam] = "21"
	f.services[serviceArn] = rev + "1"
	return s
}

func (f *fakeAWS) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("cloudformation:DescribeStacks"); err != nil {
		return nil, err
	}
	s, ok := f.stacks[aws.ToString(in.StackName)]
	if !ok {
		return nil, apiErr("ValidationError", fmt.Sprintf("Stack with id %s does not exist", aws.ToString(in.StackName)))
	}
	if strings.HasSuffix(string(s.status), "_IN_PROGRESS") && s.polls > 0 {
		s.polls--
		if s.polls == 0 {
			f.finish(s)
		}
	}
	params := make([]cfntypes.Parameter, 0, len(s.params))
	for _, p := range s.params {
		if s.emulator {
			if p.ResolvedValue != nil {
				p = cfntypes.Parameter{ParameterKey: p.ParameterKey, ParameterValue: p.ResolvedValue}
			}
		}
		params = append(params, p)
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{{
		StackName: aws.String(s.name), StackId: aws.String("arn:aws:cloudformation:eu-west-1:" + account + ":stack/" + s.name + "/1"),
		StackStatus: s.status, Parameters: params, Capabilities: s.capabilities,
	}}}, nil
}

// finish ends an update in progress as the stack's outcome says.
func (f *fakeAWS) finish(s *fakeStack) {
	token := aws.ToString(f.updates[len(f.updates)-1].ClientRequestToken)
	if s.outcome == "rollback" {
		// The service update failed; CloudFormation rolled the service
		// back to the revision it recorded (containers-roadmap#117).
		s.status = cfntypes.StackStatusUpdateRollbackComplete
		f.services[s.service] = s.recordedRevision
		s.events = append([]cfntypes.StackEvent{
			{ClientRequestToken: aws.String(token), LogicalResourceId: aws.String(s.name), ResourceType: aws.String("AWS::CloudFormation::Stack"), ResourceStatus: cfntypes.ResourceStatusUpdateRollbackComplete},
			{ClientRequestToken: aws.String(token), LogicalResourceId: aws.String("AlbListener"), ResourceType: aws.String("AWS::ElasticLoadBalancingV2::Listener"), ResourceStatus: cfntypes.ResourceStatusUpdateFailed, ResourceStatusReason: aws.String("Resource update cancelled")},
			{ClientRequestToken: aws.String(token), LogicalResourceId: aws.String("ServiceD69D759B"), ResourceType: aws.String("AWS::ECS::Service"), ResourceStatus: cfntypes.ResourceStatusUpdateFailed, ResourceStatusReason: aws.String("ECS Deployment Circuit Breaker was triggered")},
			{ClientRequestToken: aws.String("earlier-deploy"), LogicalResourceId: aws.String("Other"), ResourceType: aws.String("AWS::S3::Bucket"), ResourceStatus: cfntypes.ResourceStatusCreateFailed, ResourceStatusReason: aws.String("an older failure")},
		}, s.events...)
		return
	}
	s.status = cfntypes.StackStatusUpdateComplete
	for i, p := range s.params {
		if p.ResolvedValue != nil {
			v := f.params[aws.ToString(p.ParameterValue)]
			s.params[i].ResolvedValue = aws.String(v)
		}
	}
	f.services[s.service] = s.newRevision
}

func (f *fakeAWS) GetTemplate(_ context.Context, in *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("cloudformation:GetTemplate"); err != nil {
		return nil, err
	}
	s, ok := f.stacks[aws.ToString(in.StackName)]
	if !ok {
		return nil, apiErr("ValidationError", "does not exist")
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(s.body)}, nil
}

func (f *fakeAWS) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("cloudformation:ListStackResources"); err != nil {
		return nil, err
	}
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: f.stacks[aws.ToString(in.StackName)].resources}, nil
}

func (f *fakeAWS) UpdateStack(_ context.Context, in *cloudformation.UpdateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("cloudformation:UpdateStack"); err != nil {
		return nil, err
	}
	s := f.stacks[aws.ToString(in.StackName)]
	f.updates = append(f.updates, in)
	s.status = cfntypes.StackStatusUpdateInProgress
	if s.polls == 0 {
		f.finish(s)
	}
	return &cloudformation.UpdateStackOutput{StackId: aws.String(s.name)}, nil
}

func (f *fakeAWS) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("cloudformation:DescribeStackEvents"); err != nil {
		return nil, err
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: f.stacks[aws.ToString(in.StackName)].events}, nil
}

func (f *fakeAWS) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ssm:GetParameter"); err != nil {
		return nil, err
	}
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, apiErr("ParameterNotFound", "")
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

func (f *fakeAWS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ecs:DescribeServices"); err != nil {
		return nil, err
	}
	var out []ecstypes.Service
	for _, name := range in.Services {
		if aws.ToString(in.Cluster) != "demo-dev-Cluster" {
			continue
		}
		if r, ok := f.services[name]; ok {
			out = append(out, ecstypes.Service{ServiceArn: aws.String(name), TaskDefinition: aws.String(r)})
		}
	}
	return &ecs.DescribeServicesOutput{Services: out}, nil
}

func (f *fakeAWS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ecs:UpdateService"); err != nil {
		return nil, err
	}
	f.services[aws.ToString(in.Service)] = aws.ToString(in.TaskDefinition)
	return &ecs.UpdateServiceOutput{}, nil
}
