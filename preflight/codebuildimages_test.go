package preflight

import (
	"slices"
	"strings"
	"testing"
)

// Logical IDs and CDK paths of the Pipeline stack's projects.
const (
	imageBuildID   = "ImageBuildProject1EE40F3B"
	imageBuildPath = "Pipeline/ImageBuild/Project/Resource"
	armImage       = "aws/codebuild/amazonlinux-aarch64-standard:4.0"
)

// codebuildLines are the check's results, by the image they name.
func codebuildLines(t *testing.T, r *Report) map[string]Result {
	t.Helper()
	out := map[string]Result{}
	for _, res := range r.results("codebuild images") {
		for _, img := range []string{armImage, x86BuildImage + " ", x86BuildImage + "-", "ecr"} {
			if strings.Contains(res.Found, img) {
				out[strings.TrimRight(img, " -")] = res
			}
		}
	}
	return out
}

// listCalls counts the ListCuratedEnvironmentImages calls.
func listCalls(f *fakeAWS) int {
	n := 0
	for _, c := range f.calls {
		if c == "codebuild:ListCuratedEnvironmentImages" {
			n++
		}
	}
	return n
}

// TestCodeBuildImages: cdk.json's dev (the image build on Arm,
// amazonlinux-aarch64-standard:4.0 on ARM_CONTAINER; the other steps
// standard:8.0) in a region that offers both, one without Arm images,
// with the call denied, and prod (X86_64) in the region without Arm.
func TestCodeBuildImages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		variant string
		setup   func(*fakeAWS)
		// want: image -> status; found and fix: substrings of the line
		// about the image build's image (arm, or x86 for prod).
		want       map[string]Status
		found, fix []string
	}{
		{"listed", "dev", func(*fakeAWS) {}, map[string]Status{armImage: OK, x86BuildImage: OK},
			[]string{"CodeBuild in us-east-1 offers " + armImage + " (ARM_CONTAINER) for " + imageBuildPath}, nil},
		{"no Arm image in the region", "dev", withoutArm, map[string]Status{armImage: Fail, x86BuildImage: OK},
			[]string{"CodeBuild in us-east-1 does not offer the curated image " + armImage + " (ARM_CONTAINER) that " + imageBuildPath + " runs",
				"creating the project would fail and demo-dev-pipeline roll back"},
			[]string{"set architecture to X86_64 for this environment (cdk.json, or -c architecture=X86_64): the image build then runs aws/codebuild/standard:8.0 on LINUX_CONTAINER, and the tasks run X86_64",
				"docs/deployments.md#changing-the-cpu-architecture", "or deploy to a region that offers " + armImage, "aws codebuild list-curated-environment-images --region us-east-1"}},
		{"the fix: X86_64 where Arm is missing", "prod", withoutArm, map[string]Status{x86BuildImage: OK},
			[]string{"CodeBuild in us-east-1 offers aws/codebuild/standard:8.0 (LINUX_CONTAINER) for " + strings.Join([]string{
				"Pipeline/EcsDeploy/Project/Resource", imageBuildPath, "Pipeline/ReleaseRecord/Project/Resource", "Pipeline/SmokeTest/Project/Resource"}, ", ")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			tc.setup(f)
			r := run(t, golden(t, tc.variant, tc.variant), f)
			lines := codebuildLines(t, r)
			if len(r.results("codebuild images")) != len(tc.want) || len(lines) != len(tc.want) {
				t.Fatalf("codebuild images: %+v", r.results("codebuild images"))
			}
			for img, want := range tc.want {
				if got := lines[img]; got.Status != want {
					t.Errorf("%s: %s, want %s: %s", img, got.Status, want, got.Found)
				}
			}
			main := lines[armImage]
			if tc.variant == "prod" {
				main = lines[x86BuildImage]
			}
			mustContain(t, "image build's line", main.Found, tc.found...)
			mustContain(t, "fix", main.Fix, tc.fix...)
			if tc.fix == nil && main.Fix != "" {
				t.Errorf("a fix on an %s line: %s", main.Status, main.Fix)
			}
			if n := listCalls(f); n != 1 {
				t.Errorf("ListCuratedEnvironmentImages called %d times, want once", n)
			}
			assertReadOnly(t, f)
		})
	}
}

// TestCodeBuildImagesDenied: the call denied, or a list without images,
// is one warning naming the permission and every image it could not
// check; never a pass.
func TestCodeBuildImagesDenied(t *testing.T) {
	for name, setup := range map[string]func(*fakeAWS){
		"denied": func(f *fakeAWS) { f.fail["codebuild:ListCuratedEnvironmentImages"] = errDenied },
		"empty":  func(f *fakeAWS) { f.curated = nil },
		"moto":   func(f *fakeAWS) { f.fail["codebuild:ListCuratedEnvironmentImages"] = http500() },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			setup(f)
			c := run(t, golden(t, "dev", "dev"), f).results("codebuild images")
			if len(c) != 1 || c[0].Status != Warn {
				t.Fatalf("codebuild images: %+v", c)
			}
			mustContain(t, "found", c[0].Found, "cannot tell whether CodeBuild in us-east-1 offers", armImage+" (ARM_CONTAINER) for "+imageBuildPath, x86BuildImage+" (LINUX_CONTAINER) for Pipeline/EcsDeploy")
			mustContain(t, "fix", c[0].Fix, "allow codebuild:ListCuratedEnvironmentImages", "aws codebuild list-curated-environment-images --region us-east-1")
			mustContain(t, "found", c[0].Found, map[string]string{
				"denied": "codebuild:ListCuratedEnvironmentImages: AccessDenied",
				"empty":  "CodeBuild listed no curated image there",
				"moto":   "codebuild:ListCuratedEnvironmentImages: HTTP 500",
			}[name])
			assertReadOnly(t, f)
		})
	}
}

// TestCodeBuildImagesNotCurated: an image that is not CodeBuild's (an ECR
// image, by name or by the repository's URI expression) is skipped with a
// line saying so, even where the region lacks the curated ones; a pinned
// version of a curated image is found among the versions CodeBuild lists.
func TestCodeBuildImagesNotCurated(t *testing.T) {
	a := clone(t, golden(t, "dev", "dev"))
	p := a.stack(t, "Pipeline")
	envOf := func(id string) map[string]any {
		return p.Template.Resources[id].Properties["Environment"].(map[string]any)
	}
	envOf(imageBuildID)["Image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/builder:1"
	f := newFake()
	withoutArm(f)
	lines := codebuildLines(t, run(t, a, f))
	ecr := lines["ecr"]
	if ecr.Status != OK || len(lines) != 2 {
		t.Fatalf("lines %+v", lines)
	}
	mustContain(t, "ECR line", ecr.Found, "not checked: "+imageBuildPath+" runs 123456789012.dkr.ecr.us-east-1.amazonaws.com/builder:1 (ARM_CONTAINER), which is not a CodeBuild curated image (aws/codebuild/…)")
	if lines[x86BuildImage].Status != OK {
		t.Errorf("standard:8.0: %+v", lines[x86BuildImage])
	}

	// Every project off CodeBuild's images: nothing to ask; a line for
	// each image and environment type.
	for _, id := range p.Template.ofType("AWS::CodeBuild::Project") {
		envOf(id)["Image"] = map[string]any{"Fn::Join": []any{"", []any{"123456789012.dkr.ecr.us-east-1.", map[string]any{"Ref": "AWS::URLSuffix"}, "/builder:1"}}}
	}
	f = newFake()
	c := run(t, a, f).results("codebuild images")
	if len(c) != 2 || c[0].Status != OK || c[1].Status != OK ||
		!strings.Contains(c[0].Found, `not checked: Pipeline/EcsDeploy/Project/Resource, Pipeline/ReleaseRecord/Project/Resource, Pipeline/SmokeTest/Project/Resource runs {"Fn::Join"`) ||
		!strings.Contains(c[1].Found, `not checked: `+imageBuildPath+` runs {"Fn::Join"`) {
		t.Errorf("all off CodeBuild's images: %+v", c)
	}
	if listCalls(f) != 0 {
		t.Error("ListCuratedEnvironmentImages called with no curated image to look up")
	}

	// A pinned version is looked up among the listed versions.
	a = clone(t, golden(t, "dev", "dev"))
	a.stack(t, "Pipeline").Template.Resources[imageBuildID].Properties["Environment"].(map[string]any)["Image"] = "aws/codebuild/amazonlinux-aarch64-standard:4.0-25.03.12"
	lines = codebuildLines(t, run(t, a, newFake()))
	if l := lines[armImage]; l.Status != OK || !strings.Contains(l.Found, "offers aws/codebuild/amazonlinux-aarch64-standard:4.0-25.03.12 (ARM_CONTAINER)") {
		t.Errorf("pinned version: %+v", l)
	}

	// No project at all.
	a = golden(t, "dev", "dev")
	a.Stacks = slices.DeleteFunc(a.Stacks, func(s Stack) bool { return s.ID == "Pipeline" })
	c = run(t, a, newFake()).results("codebuild images")
	if len(c) != 1 || c[0].Status != OK || !strings.Contains(c[0].Found, "the templates have no CodeBuild project") {
		t.Errorf("no project: %+v", c)
	}
}

// TestCodeBuildImagesFixNamesTheX86Build: the image the fix promises for
// architecture X86_64 is the one the image build runs then (the golden
// prod, X86_64, synthesized from constructs/imagebuild.go), on
// LINUX_CONTAINER; and dev's Arm build runs the image the tests expect.
func TestCodeBuildImagesFixNamesTheX86Build(t *testing.T) {
	for variant, want := range map[string][2]string{
		"prod": {x86BuildImage, "LINUX_CONTAINER"},
		"dev":  {armImage, "ARM_CONTAINER"},
	} {
		e := golden(t, variant, variant).stack(t, "Pipeline").Template.Resources[imageBuildID].Properties["Environment"].(map[string]any)
		if e["Image"] != want[0] || e["Type"] != want[1] {
			t.Errorf("%s's image build runs %v on %v, want %s on %s", variant, e["Image"], e["Type"], want[0], want[1])
		}
	}
}
