//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// imageParameterCreate finds the registry template's custom resource that
// creates the image parameter (constructs.CreateOnlyParameter): its
// logical ID, and the name and value its create call puts.
func imageParameterCreate(t *testing.T, tmpl Template) (id, name, value string) {
	t.Helper()
	for rid, r := range tmpl.Resources {
		text, _ := r.Properties["Create"].(string)
		var call struct {
			Service, Action string
			Parameters      map[string]any
		}
		if !IsCustomResource(r.Type) || json.Unmarshal([]byte(text), &call) != nil || !strings.EqualFold(call.Action, "PutParameter") {
			continue
		}
		n, _ := call.Parameters["Name"].(string)
		v, _ := call.Parameters["Value"].(string)
		if strings.HasSuffix(n, "/image-uri") && v != "" {
			return rid, n, v
		}
	}
	t.Fatal("the registry template has no custom resource that creates the image parameter with a literal value")
	return
}

// TestDeployedRegistry checks the registry stack after the first deploy:
// the image parameter exists, by its fixed name, and says that nothing has
// been released yet, so the service runs the placeholder.
func TestDeployedRegistry(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		s := d.deployed(t, "Registry")
		// moto names the custom resource itself, whatever physical ID the
		// answer gave: the name is read from the create call.
		id, name, _ := imageParameterCreate(t, s.Template)
		if want := "/" + d.App + "/" + d.Env + "/image-uri"; name != want || s.phys(t, id) == "" {
			t.Errorf("image parameter %s (resource %s), want %s", name, s.phys(t, id), want)
		}
		if got, want := parameterValue(t, name), noRelease(t, d); got != want {
			t.Errorf("image parameter %s = %q before any release, want %q", name, got, want)
		}
	})
}

// TestDeployedBuildCache checks the build cache's repository: its name,
// next to the image repository's, and mutable tags, which the build needs
// to push its cache over the same tag (the pipeline runs of
// TestPipelineRuns do).
func TestDeployedBuildCache(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		s := d.deployed(t, "Registry")
		name := s.phys(t, s.at(t, "Registry/BuildCache/Resource"))
		if want := d.App + "-" + d.Env + "-build-cache"; name != want {
			t.Errorf("build cache repository %s, want %s", name, want)
		}
		out, err := ecrC.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		if err != nil || len(out.Repositories) != 1 {
			t.Fatalf("build cache repository %s: %v", name, err)
		}
		if m := out.Repositories[0].ImageTagMutability; m != "MUTABLE" {
			t.Errorf("build cache tags %s, want MUTABLE", m)
		}
	})
}

// retagKey is the stack tag step 4r adds to dev's registry stack, as
// `cdk deploy --tags` would.
const retagKey = "e2e-retagged"

// TestRegistryRetagged runs after dev's registry stack was deployed again
// with one more stack tag (`cdk deploy --tags`): on AWS, CloudFormation
// then updates every taggable resource of the stack, and an
// AWS::SSM::Parameter would get its template value again
// (aws/aws-cdk#25949). The released image must still be in the parameter,
// and tagged as released. moto keeps stack tags on the stack and updates no
// resource for them: that part is a recorded gap, covered by the template
// test TestImageParameterIsCreateOnly.
func TestRegistryRetagged(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	forEach(t, func(d deployment) bool { return d.Name == "dev" }, func(t *testing.T, d deployment) {
		ctx := context.Background()
		reg := d.deployed(t, "Registry")
		out, err := cfnC.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(reg.Name)})
		if err != nil {
			t.Fatal(err)
		}
		tagged := false
		for _, tag := range out.Stacks[0].Tags {
			tagged = tagged || aws.ToString(tag.Key) == retagKey
		}
		if !tagged {
			t.Fatalf("stack %s does not carry the tag %s: the retag deploy did not happen", reg.Name, retagKey)
		}
		want := lc.Released[d.Name]
		if want == "" {
			t.Fatal("dev has no released image to keep")
		}
		if got := parameterValue(t, "/"+d.App+"/"+d.Env+"/image-uri"); got != want {
			t.Errorf("after a stack tag change the image parameter holds %q, want the released %q: the deploy wrote over the pipeline's record", got, want)
		}
		checkReleasedTag(t, reg, want)
		repo := reg.phys(t, reg.at(t, "Registry/Repository/Resource"))
		desc, err := ecrC.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
		if err != nil || len(desc.Repositories) != 1 {
			t.Fatalf("repository %s: %v", repo, err)
		}
		tags, err := ecrC.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: desc.Repositories[0].RepositoryArn})
		if err != nil {
			t.Fatalf("tags of %s: %v", repo, err)
		}
		propagated := false
		for _, tag := range tags.Tags {
			propagated = propagated || aws.ToString(tag.Key) == retagKey
		}
		if !propagated {
			recordGap(t, "cfn-stack-tags", "repository "+repo+" without the stack's new tag "+retagKey)
		}
	})
}
