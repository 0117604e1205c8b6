//go:build e2e

package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The sync before a deploy (cmd/cfnsync, which `make deploy` runs after
// preflight), on the emulator. After a release, CloudFormation still
// records the task definition of the last `cdk deploy`, the placeholder's:
// a deploy that failed now would roll the service back to it. The sync
// updates the Service stack with its previous template and parameters,
// CloudFormation resolves the image parameter again, and then records the
// released image.

// syncResult is the part of `cfnsync --json` the tests read.
type syncResult struct {
	Results []struct {
		Stack, Outcome, Message, Fix string
		Drifts                       []struct{ Key, Name, Recorded, Current string }
	}
}

// runSync runs the command scripts/e2e.sh built on an assembly.
func runSync(t *testing.T, dir string) (syncResult, int) {
	t.Helper()
	var r syncResult
	stderr, code := runJSON(t, &r, nil, "cfnsync", "--json", "--poll", "100ms", "--timeout", "2m", dir)
	for _, res := range r.Results {
		t.Logf("cfnsync %s: %s: %s %s", res.Stack, res.Outcome, res.Message, res.Fix)
	}
	if stderr != "" {
		t.Logf("cfnsync stderr: %s", stderr)
	}
	return r, code
}

func (r syncResult) outcome(t *testing.T, stack string) string {
	t.Helper()
	for _, res := range r.Results {
		if res.Stack == stack {
			return res.Outcome
		}
	}
	t.Fatalf("cfnsync reports nothing for %s: %+v", stack, r.Results)
	return ""
}

// recordedTaskDefinition is the task definition CloudFormation records for
// the stack (the resource's physical ID), and its app image as
// CloudFormation resolved it (the deployed template against the stack's
// resolved parameters): what a failed update's rollback points the service
// at. Where ECS shows the revision's image, it must be the same.
func recordedTaskDefinition(t *testing.T, s *stack) (arn, image string) {
	t.Helper()
	id := s.one(t, "AWS::ECS::TaskDefinition")
	arn = s.phys(t, id)
	image = s.str(t, s.Template.Resources[id].Properties["ContainerDefinitions"].([]any)[0].(map[string]any)["Image"])
	td := taskDefinition(t, arn)
	for _, c := range td.ContainerDefinitions {
		switch {
		case aws.ToString(c.Name) == "app":
			if got := aws.ToString(c.Image); got != image {
				t.Errorf("ECS shows %s with image %s, but CloudFormation resolved %s", arn, got, image)
			}
			return arn, image
		case c.Name == nil && c.Image == nil:
			// moto registers the revision of a task definition that a
			// stack update replaced without the container's name or image.
			recordGap(t, "ecs-task-update-keys", arn+" has a container without name or image")
			return arn, image
		}
	}
	t.Fatalf("task definition %s has no container app", arn)
	return "", ""
}

// placeholderOf is the placeholder the deployed template's task runs
// before the first release: the first branch of its image's Fn::If.
func placeholderOf(t *testing.T, s *stack) string {
	t.Helper()
	image := s.Template.Resources[s.one(t, "AWS::ECS::TaskDefinition")].Properties["ContainerDefinitions"].([]any)[0].(map[string]any)["Image"]
	branches, _ := image.(map[string]any)["Fn::If"].([]any)
	if len(branches) != 3 {
		t.Fatalf("the task's image is %v, not Fn::If [no release yet, placeholder, released]", image)
	}
	return s.str(t, branches[1])
}

// TestSync (step 4s) runs after the pipeline released on dev and prod.
func TestSync(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	d := devDeployment(t)
	want := lc.Released[d.Name]
	sv := lc.Service[d.Name]
	if want == "" || sv[0] == "" {
		t.Fatalf("dev has no release to sync to: %+v", lc)
	}
	svc := describeStack(t, d.stackName("service"))
	svc.Template = deployedTemplate(t, svc.Name)
	oldArn, oldImage := recordedTaskDefinition(t, svc)

	t.Run("before: a failed deploy would roll back to the placeholder", func(t *testing.T) {
		if placeholder := placeholderOf(t, svc); oldImage != placeholder {
			t.Fatalf("CloudFormation records %s with image %s, want the placeholder %s: the run no longer shows the defect the sync prevents", oldArn, oldImage, placeholder)
		}
		running := aws.ToString(describeService(t, sv[0], sv[1]).TaskDefinition)
		if image := aws.ToString(container(t, taskDefinition(t, running), "app").Image); image != want || running == oldArn {
			t.Errorf("the service runs %s (%s), want the pipeline's revision of %s", running, image, want)
		}
	})

	t.Run("never released: nothing to sync, no update", func(t *testing.T) {
		var other deployment
		for _, x := range deployments(t) {
			if lc.Released[x.Name] == "" {
				other = x
			}
		}
		before := accountState(t)
		r, code := runSync(t, other.Dir)
		if code != 0 {
			t.Errorf("exit %d", code)
		}
		if got := r.outcome(t, other.stackName("service")); got != "in-step" {
			t.Errorf("%s: %s, want in-step", other.stackName("service"), got)
		}
		if after := accountState(t); !slices.Equal(before, after) {
			t.Errorf("cfnsync changed the account with nothing to sync:\nbefore %v\nafter  %v", before, after)
		}
	})

	r, code := runSync(t, d.Dir)
	if code != 0 {
		t.Fatalf("cfnsync exit %d", code)
	}
	for _, res := range r.Results {
		switch {
		case res.Stack == svc.Name:
			if res.Outcome != "synced" || len(res.Drifts) != 1 || res.Drifts[0].Recorded != noRelease(t, d) || res.Drifts[0].Current != want {
				t.Errorf("%s: %s with drifts %+v, want synced from %s to %s", res.Stack, res.Outcome, res.Drifts, noRelease(t, d), want)
			}
		case res.Outcome != "in-step" && res.Outcome != "not-deployed":
			t.Errorf("%s: %s, want no update (it reads no released image)", res.Stack, res.Outcome)
		}
	}

	synced := describeStack(t, svc.Name)
	synced.Template = deployedTemplate(t, synced.Name)
	newArn, newImage := recordedTaskDefinition(t, synced)
	t.Run("after: CloudFormation records the released image", func(t *testing.T) {
		if synced.Status != "UPDATE_COMPLETE" {
			t.Errorf("stack %s is %s, want UPDATE_COMPLETE", synced.Name, synced.Status)
		}
		if got := synced.Params[imageParameterKey(t, synced)]; got != want {
			t.Errorf("CloudFormation resolved the image parameter to %s, want %s", got, want)
		}
		if newImage != want || newArn == oldArn {
			t.Errorf("CloudFormation records %s with image %s, want a new revision with %s", newArn, newImage, want)
		}
		// CloudFormation replaces the task definition and updates the
		// service to the new revision; moto does not carry the replacement
		// to the service, which keeps the pipeline's.
		if running := aws.ToString(describeService(t, sv[0], sv[1]).TaskDefinition); running != newArn {
			recordGap(t, "cfn-replacement-refs", "the service still runs "+running+" after the stack replaced its task definition with "+newArn)
			if image := aws.ToString(container(t, taskDefinition(t, running), "app").Image); image != want {
				t.Errorf("the service runs %s (%s) after the sync, want %s", running, image, want)
			}
		}
	})

	t.Run("a failed deploy's rollback returns to the released image", func(t *testing.T) {
		// moto cannot fail an update and roll it back: noRollback shows it.
		// CloudFormation's rollback of a failed Service update calls
		// UpdateService with the task definition it records
		// (aws/containers-roadmap#117): before the sync that was oldArn,
		// with the placeholder; now it is newArn, with the released image.
		noRollback(t)
		if newImage != want {
			t.Errorf("a failed deploy would roll the service back to %s with %s, want the released %s", newArn, newImage, want)
		}
	})

	t.Run("a second sync changes nothing", func(t *testing.T) {
		before := accountState(t)
		r, code := runSync(t, d.Dir)
		if code != 0 || r.outcome(t, svc.Name) != "in-step" {
			t.Errorf("exit %d, %s: %s", code, svc.Name, r.outcome(t, svc.Name))
		}
		if after := accountState(t); !slices.Equal(before, after) {
			t.Errorf("the second sync updated a stack:\nbefore %v\nafter  %v", before, after)
		}
	})
}

// noRollback shows what moto does with a stack update that fails: where
// CloudFormation accepts the update, fails it, and rolls back
// (UPDATE_ROLLBACK_COMPLETE, the resources as they were, an ECS service
// back on its recorded task definition), moto refuses the UpdateStack call
// itself with the resource's error. So no failed `cdk deploy` on moto can
// show where a rollback goes; the test does the rollback's call itself.
func noRollback(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	const stack, taken, value = "e2e-rollback-probe", "/e2e/rollback-probe/taken", "/e2e/rollback-probe/value"
	param := func(name, v string) string {
		return `{"Type":"AWS::SSM::Parameter","Properties":{"Name":"` + name + `","Type":"String","Value":"` + v + `"}}`
	}
	if _, err := ssmC.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(taken), Value: aws.String("x"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_, _ = cfnC.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(stack)})
		_, _ = ssmC.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{taken, value}})
	}()
	if _, err := cfnC.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(`{"Resources":{"A":` + param(value, "one") + `}}`)}); err != nil {
		t.Fatal(err)
	}
	// The update changes A and adds B, whose creation fails: the name is taken.
	_, err := cfnC.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String(stack),
		TemplateBody: aws.String(`{"Resources":{"A":` + param(value, "two") + `,"B":` + param(taken, "y") + `}}`)})
	// DescribeStacks only: moto creates resources lazily, and reading the
	// stack's resources would try B again.
	out, derr := cfnC.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if derr != nil || len(out.Stacks) != 1 {
		t.Fatalf("reading %s after the update: %v", stack, derr)
	}
	status := out.Stacks[0].StackStatus
	if err != nil && status != "UPDATE_ROLLBACK_COMPLETE" {
		recordGap(t, "cfn-update-rollback", "UpdateStack failed itself ("+strings.SplitN(err.Error(), "\n", 2)[0]+"); the stack stayed "+string(status))
		return
	}
	// An emulator that rolls back: the update ends rolled back, A as it was.
	if got := parameterValue(t, value); status != "UPDATE_ROLLBACK_COMPLETE" || got != "one" {
		t.Errorf("the failing update ended %s with %s = %s, want UPDATE_ROLLBACK_COMPLETE and one", status, value, got)
	}
}
