//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// TestDeployedRegistry checks the registry stack after the first deploy:
// the image parameter exists, by its fixed name, and says that nothing has
// been released yet, so the service runs the placeholder.
func TestDeployedRegistry(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		s := d.deployed(t, "Registry")
		id := s.one(t, "AWS::SSM::Parameter")
		name := s.str(t, s.Template.Resources[id].Properties["Name"])
		if want := "/" + d.App + "/" + d.Env + "/image-uri"; name != want || s.phys(t, id) != want {
			t.Errorf("image parameter %s (physical %s), want %s", name, s.phys(t, id), want)
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
