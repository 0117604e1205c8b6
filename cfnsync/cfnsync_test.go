package cfnsync

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

var _ = flag.Bool("update", false, "accepted for `go test ./... -update`; this package has no golden files")

var fast = Options{Poll: time.Millisecond, Region: "eu-west-1", Profile: "cdkdemo", Token: "cfnsync-test"}

// released is what the pipeline left: its Release stage wrote the image
// into the parameter, and its deploy step moved the service to a
// revision CloudFormation does not know (2).
func releasedDev(t *testing.T, f *fakeAWS) *fakeStack {
	t.Helper()
	s := f.serviceStack(t, "public.ecr.aws/nginx/nginx:stable-alpine")
	f.params[imageParam] = released
	f.services[serviceArn] = rev + "2"
	return s
}

// TestDriftedUpdatesWithPreviousTemplate: after a release, CloudFormation
// still records the placeholder. Sync updates the stack with its previous
// template and parameters (the SSM one by name, so CloudFormation resolves
// it again), the capabilities it has, no role and no tags, waits for the
// end, and then CloudFormation records the released image.
func TestDriftedUpdatesWithPreviousTemplate(t *testing.T) {
	f := newFake()
	releasedDev(t, f)
	var log strings.Builder
	opt := fast
	opt.Log = &log
	res, err := Sync(context.Background(), f.clients(), "demo-dev-service", opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Synced || !res.OK() {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	if len(res.Drifts) != 1 || res.Drifts[0] != (Drift{Key: imageKey, Name: imageParam, Recorded: "public.ecr.aws/nginx/nginx:stable-alpine", Current: released}) {
		t.Errorf("drifts: %+v (the bootstrap version is read only by the rules and must not count)", res.Drifts)
	}
	if len(f.updates) != 1 {
		t.Fatalf("%d updates, want 1", len(f.updates))
	}
	in := f.updates[0]
	if !aws.ToBool(in.UsePreviousTemplate) || in.TemplateBody != nil || in.TemplateURL != nil {
		t.Errorf("the update does not use the previous template: %+v", in)
	}
	if in.RoleARN != nil || in.Tags != nil || in.NotificationARNs != nil || in.DisableRollback != nil {
		t.Errorf("the update passes a role, tags, notifications or a rollback setting; the stack must keep its own: %+v", in)
	}
	if len(in.Capabilities) != 3 {
		t.Errorf("capabilities %v, want the stack's three", in.Capabilities)
	}
	got := map[string]string{}
	for _, p := range in.Parameters {
		if aws.ToBool(p.UsePreviousValue) {
			t.Errorf("%s uses UsePreviousValue (moto fails on it): pass the value", aws.ToString(p.ParameterKey))
		}
		got[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	if got[imageKey] != imageParam || got["BootstrapVersion"] != bootParam || len(got) != 2 {
		t.Errorf("parameters %v: want the SSM parameters' names, which CloudFormation resolves again, not their values", got)
	}
	if aws.ToString(in.ClientRequestToken) != "cfnsync-test" {
		t.Errorf("token %v", aws.ToString(in.ClientRequestToken))
	}
	if !strings.Contains(res.Message, "CloudFormation now records "+imageParam+" = "+released+", so a deploy that fails rolls back to it") {
		t.Errorf("message: %s", res.Message)
	}
	if f.count("ecs:UpdateService") != 0 {
		t.Error("a successful sync touched the service itself")
	}
	for _, want := range []string{imageParam + " now holds " + released, "CloudFormation last resolved it to public.ecr.aws/nginx/nginx:stable-alpine", "previous template"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// TestInStepIsNoOp: nothing changed since the last deploy (or since the
// last sync): no update, no ECS call.
func TestInStepIsNoOp(t *testing.T) {
	f := newFake()
	f.serviceStack(t, released)
	f.params[imageParam] = released
	res, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != InStep || len(f.updates) != 0 || f.count("ecs:DescribeServices") != 0 {
		t.Errorf("outcome %s, %d updates, calls %v", res.Outcome, len(f.updates), f.calls)
	}
	if !strings.Contains(res.Message, "resolved "+imageParam+" at the last deploy to the value it holds now") {
		t.Errorf("message: %s", res.Message)
	}

	// Twice in a row: the first syncs, the second finds nothing to do.
	f = newFake()
	releasedDev(t, f)
	for i, want := range []Outcome{Synced, InStep} {
		res, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast)
		if err != nil || res.Outcome != want {
			t.Errorf("run %d: %s (%v), want %s", i+1, res.Outcome, err, want)
		}
	}
	if len(f.updates) != 1 {
		t.Errorf("%d updates over two runs, want 1", len(f.updates))
	}
}

// TestOnlyDeployedParametersCount: a new bootstrap version (read only by
// the template's rules) is no reason to update; a stack that reads no SSM
// parameter is in step; a stack not deployed, or whose creation rolled
// back, has nothing to sync.
func TestOnlyDeployedParametersCount(t *testing.T) {
	f := newFake()
	f.serviceStack(t, released)
	f.params[imageParam] = released
	f.params[bootParam] = "30"
	f.stacks["demo-dev-network"] = &fakeStack{name: "demo-dev-network", status: cfntypes.StackStatusUpdateComplete,
		body:   `{"Parameters":{"BootstrapVersion":{"Type":"AWS::SSM::Parameter::Value<String>","Default":"/cdk-bootstrap/hnb659fds/version"}},"Rules":{"CheckBootstrapVersion":{"Assertions":[{"Assert":{"Fn::Not":[{"Fn::Contains":[["1"],{"Ref":"BootstrapVersion"}]}]}}]}},"Resources":{"Vpc":{"Type":"AWS::EC2::VPC"}}}`,
		params: []cfntypes.Parameter{{ParameterKey: aws.String("BootstrapVersion"), ParameterValue: aws.String(bootParam), ResolvedValue: aws.String("21")}}}
	f.stacks["demo-dev-pipeline"] = &fakeStack{name: "demo-dev-pipeline", status: cfntypes.StackStatusRollbackComplete, body: `{}`}
	for stack, want := range map[string]Outcome{"demo-dev-service": InStep, "demo-dev-network": InStep, "demo-dev-registry": NotDeployed, "demo-dev-pipeline": NotDeployed} {
		res, err := Sync(context.Background(), f.clients(), stack, fast)
		if err != nil || res.Outcome != want {
			t.Errorf("%s: %s (%v): %s, want %s", stack, res.Outcome, err, res.Message, want)
		}
	}
	if len(f.updates) != 0 {
		t.Errorf("%d updates", len(f.updates))
	}
}

// TestEmulatorShape: moto shows an SSM parameter's value in ParameterValue
// and no ResolvedValue; the name comes from the template's default.
func TestEmulatorShape(t *testing.T) {
	f := newFake()
	s := releasedDev(t, f)
	s.emulator = true
	res, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	if err != nil || res.Outcome != Synced {
		t.Fatalf("%s (%v): %s", res.Outcome, err, res.Message)
	}
	for _, p := range f.updates[0].Parameters {
		if k, v := aws.ToString(p.ParameterKey), aws.ToString(p.ParameterValue); (k == imageKey && v != imageParam) || (k == "BootstrapVersion" && v != bootParam) {
			t.Errorf("%s = %s: the update must pass the SSM parameter's name", k, v)
		}
	}
}

// TestNoEchoKeepsItsValue: a NoEcho parameter's value is masked by
// DescribeStacks; passing "****" would change it, so it keeps its value.
func TestNoEchoKeepsItsValue(t *testing.T) {
	f := newFake()
	s := releasedDev(t, f)
	s.body = strings.Replace(s.body, `"Parameters": {`, `"Parameters": {"Secret": {"Type": "String", "NoEcho": true},`, 1)
	if !strings.Contains(s.body, `"Secret"`) {
		t.Fatal("the golden template has no Parameters section to extend")
	}
	s.params = append(s.params, cfntypes.Parameter{ParameterKey: aws.String("Secret"), ParameterValue: aws.String("****")})
	if _, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast); err != nil {
		t.Fatal(err)
	}
	for _, p := range f.updates[0].Parameters {
		if aws.ToString(p.ParameterKey) == "Secret" && (!aws.ToBool(p.UsePreviousValue) || p.ParameterValue != nil) {
			t.Errorf("NoEcho parameter passed as %+v, want UsePreviousValue", p)
		}
	}
}

// TestUndeclaredParameterIsLeftOut: moto keeps reporting a parameter an
// earlier template declared (the endpoints mode's placeholder, after a
// switch back to a NAT) and fails an update that passes it; CloudFormation
// would refuse it too. Only the template's parameters are passed.
func TestUndeclaredParameterIsLeftOut(t *testing.T) {
	f := newFake()
	s := releasedDev(t, f)
	s.params = append(s.params, cfntypes.Parameter{ParameterKey: aws.String("SsmParameterValueStale"), ParameterValue: aws.String("/demo/dev/placeholder-image")})
	if _, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast); err != nil {
		t.Fatal(err)
	}
	if len(f.updates) != 1 {
		t.Fatalf("%d updates, want 1", len(f.updates))
	}
	for _, p := range f.updates[0].Parameters {
		if aws.ToString(p.ParameterKey) == "SsmParameterValueStale" {
			t.Errorf("the update passes %+v, which the template does not declare", p)
		}
	}
}

// TestFailedSyncRestoresTheService: the sync's own update fails (the
// circuit breaker trips, a timeout, a cancel) and CloudFormation's rollback
// moves the service to the revision it recorded, the placeholder's. Sync
// puts it back on the revision the pipeline deployed, says why the update
// failed, and stops the deploy.
func TestFailedSyncRestoresTheService(t *testing.T) {
	f := newFake()
	s := releasedDev(t, f)
	s.outcome = "rollback"
	res, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Failed || res.OK() {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if got := f.services[serviceArn]; got != rev+"2" {
		t.Errorf("the service runs %s after the failed sync, want the pipeline's %s2 back", got, rev)
	}
	if len(res.Restored) != 1 || res.Restored[0] != serviceArn+": "+rev+"2" {
		t.Errorf("restored %v", res.Restored)
	}
	for _, want := range []string{"UPDATE_ROLLBACK_COMPLETE", "ServiceD69D759B (AWS::ECS::Service) UPDATE_FAILED: ECS Deployment Circuit Breaker was triggered"} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("message lacks %q: %s", want, res.Message)
		}
	}
	if strings.Contains(res.Message, "older failure") || strings.Contains(res.Message, "cancelled") {
		t.Errorf("the reason is not this update's first failure: %s", res.Message)
	}
	if !strings.Contains(res.Fix, "deploy again") {
		t.Errorf("fix: %s", res.Fix)
	}

	// The rollback left the service alone (the failure came before it was
	// touched): nothing to restore.
	f = newFake()
	s = releasedDev(t, f)
	s.outcome, s.recordedRevision = "rollback", rev+"2"
	res, _ = Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	if res.Outcome != Failed || f.count("ecs:UpdateService") != 0 || len(res.Restored) != 0 {
		t.Errorf("outcome %s, %d UpdateService, restored %v", res.Outcome, f.count("ecs:UpdateService"), res.Restored)
	}

	// Putting it back fails: the exact command is the fix.
	f = newFake()
	s = releasedDev(t, f)
	s.outcome = "rollback"
	f.fail["ecs:UpdateService"] = apiErr("AccessDeniedException", "denied")
	res, _ = Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	want := "aws ecs update-service --cluster demo-dev-Cluster --service " + serviceArn + " --task-definition " + rev + "2 --region eu-west-1 --profile cdkdemo"
	if res.Outcome != Failed || !strings.Contains(res.Fix, want) {
		t.Errorf("fix %q lacks %q", res.Fix, want)
	}
}

// TestStatesThatCannotUpdate: a stack busy with another operation, or
// stuck in a failed rollback, is refused with what to do; no update.
func TestStatesThatCannotUpdate(t *testing.T) {
	for status, want := range map[cfntypes.StackStatus]string{
		cfntypes.StackStatusUpdateInProgress:     "wait until it ends (aws cloudformation describe-stacks --stack-name demo-dev-service --region eu-west-1 --profile cdkdemo)",
		cfntypes.StackStatusUpdateRollbackFailed: "aws cloudformation continue-update-rollback --stack-name demo-dev-service --region eu-west-1 --profile cdkdemo",
		cfntypes.StackStatusDeleteFailed:         "describe-stack-events --stack-name demo-dev-service",
		cfntypes.StackStatusUpdateFailed:         "describe-stack-events --stack-name demo-dev-service",
	} {
		f := newFake()
		s := releasedDev(t, f)
		s.status, s.polls = status, 0
		res, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast)
		if err != nil || res.Outcome != Refused || !strings.Contains(res.Fix, want) || !strings.Contains(res.Message, string(status)) {
			t.Errorf("%s: %s (%v): %s; fix %q, want %q", status, res.Outcome, err, res.Message, res.Fix, want)
		}
		if len(f.updates) != 0 {
			t.Errorf("%s: updated", status)
		}
	}
}

// TestParameterGone: the parameter no longer exists (its Registry stack is
// gone): no update, which would fail to resolve it.
func TestParameterGone(t *testing.T) {
	f := newFake()
	f.serviceStack(t, released)
	res, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	if err != nil || res.Outcome != InStep || len(f.updates) != 0 || !strings.Contains(res.Message, imageParam+", which does not exist") {
		t.Errorf("%s (%v): %s", res.Outcome, err, res.Message)
	}
}

// TestStillUpdating: the command's deadline ends while the stack updates:
// an error that says the update goes on, and never a cancel.
func TestStillUpdating(t *testing.T) {
	f := newFake()
	s := releasedDev(t, f)
	s.polls = 1 << 30
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := Sync(ctx, f.clients(), "demo-dev-service", fast)
	if err == nil || !strings.Contains(err.Error(), "is still updating") || !strings.Contains(err.Error(), "do not cancel it") {
		t.Errorf("err %v", err)
	}
	if f.count("cloudformation:CancelUpdateStack") != 0 {
		t.Error("cancelled the update")
	}
}

// TestErrors: an API failure is an error naming what could not be read;
// "no updates" from CloudFormation is in step.
func TestErrors(t *testing.T) {
	f := newFake()
	releasedDev(t, f)
	f.fail["ssm:GetParameter"] = apiErr("AccessDeniedException", "not authorized to perform ssm:GetParameter")
	if _, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast); err == nil || !strings.Contains(err.Error(), "reading SSM parameter "+imageParam) {
		t.Errorf("err %v", err)
	}

	f = newFake()
	releasedDev(t, f)
	f.fail["cloudformation:UpdateStack"] = apiErr("ValidationError", "No updates are to be performed.")
	res, err := Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	if err != nil || res.Outcome != InStep {
		t.Errorf("%s (%v)", res.Outcome, err)
	}

	f = newFake()
	releasedDev(t, f)
	f.fail["cloudformation:UpdateStack"] = apiErr("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
	_, err = Sync(context.Background(), f.clients(), "demo-dev-service", fast)
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "updating demo-dev-service with its previous template") {
		t.Errorf("err %v", err)
	}
}

func TestReferenced(t *testing.T) {
	got := referenced(map[string]any{
		"A": map[string]any{"Ref": "P1"},
		"B": map[string]any{"Fn::Sub": "x-${P2}-${AWS::Region}"},
		"C": map[string]any{"Fn::Sub": []any{"${P3}", map[string]any{"X": map[string]any{"Ref": "P4"}}}},
	})
	for _, k := range []string{"P1", "P2", "P3", "P4", "AWS::Region"} {
		if !got[k] {
			t.Errorf("%s not found: %v", k, got)
		}
	}
	if got["P5"] {
		t.Error("P5")
	}
}
