package main

// Checks that run the buildspec's own shell, as the template holds it, with
// bash: stubs stand in for the AWS CLI, and the Dockerfile corpus of
// package dockerfile stands in for the user's Dockerfile.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/dockerfile"
)

// command returns the one command of a buildspec phase that contains marker.
func command(t *testing.T, spec buildSpec, phase, marker string) string {
	t.Helper()
	var found []string
	for _, c := range spec.Phases[phase].Commands {
		if strings.Contains(c, marker) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d commands contain %q, want 1: %q", phase, len(found), marker, spec.Phases[phase].Commands)
	}
	return found[0]
}

// runBash runs script with bash in a clean environment plus env; a stub
// directory, when given, comes first on PATH.
func runBash(t *testing.T, script, stubs string, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	path := os.Getenv("PATH")
	if stubs != "" {
		path = stubs + ":" + path
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append([]string{"PATH=" + path}, env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// TestBuildTellsAMissingImageFromAFailedLookup: the build skips docker
// build and push only when the commit's image exists, builds when ECR says
// ImageNotFoundException, and stops with the error for anything else
// (denied, throttled, no network): pushing then would fail on the immutable
// tag, or worse, hide why.
func TestBuildTellsAMissingImageFromAFailedLookup(t *testing.T) {
	_, _, spec := parseBuildSpec(t, synth(t, nil).templates["Pipeline"])
	lookup := command(t, spec, "pre_build", "describe-images")
	stubs := t.TempDir()
	stub := `#!/bin/bash
case "$STUB" in
found) echo '{"imageDetails":[{"imageTags":["abc1234"]}]}' ;;
notfound) echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'null', imageTag:'abc1234'} does not exist within the repository with name 'demo-dev' in the registry with id '123456789012'" >&2; exit 254 ;;
denied) echo "An error occurred (AccessDeniedException) when calling the DescribeImages operation: User: arn:aws:sts::123456789012:assumed-role/build/x is not authorized to perform: ecr:DescribeImages" >&2; exit 254 ;;
norepo) echo "An error occurred (RepositoryNotFoundException) when calling the DescribeImages operation: The repository with name 'demo-dev' does not exist in the registry with id '123456789012'" >&2; exit 254 ;;
throttled) echo "An error occurred (ThrottlingException) when calling the DescribeImages operation (reached max retries: 2): Rate exceeded" >&2; exit 254 ;;
offline) echo 'Could not connect to the endpoint URL: "https://api.ecr.us-east-1.amazonaws.com/"' >&2; exit 255 ;;
esac
`
	if err := os.WriteFile(filepath.Join(stubs, "aws"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stub    string
		exists  string // EXISTS after the command; "" when it must fail
		message string // in stderr when it fails
	}{
		{"found", "1", ""},
		{"notfound", "0", ""},
		{"denied", "", "AccessDeniedException"},
		{"norepo", "", "RepositoryNotFoundException"},
		{"throttled", "", "ThrottlingException"},
		{"offline", "", "Could not connect to the endpoint URL"},
	}
	for _, tc := range tests {
		t.Run(tc.stub, func(t *testing.T) {
			// CodeBuild fails the phase on the command's own exit status.
			out, errOut, err := runBash(t, lookup+"\nrc=$?; echo \"EXISTS=$EXISTS\"; exit $rc", stubs,
				"STUB="+tc.stub, "REPOSITORY_NAME=demo-dev", "IMAGE_TAG=abc1234", "IMAGE_URI=123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-dev:abc1234")
			if tc.exists != "" {
				if err != nil || !strings.Contains(out, "EXISTS="+tc.exists+"\n") {
					t.Errorf("want EXISTS=%s and success; got %v, stdout %q, stderr %q", tc.exists, err, out, errOut)
				}
				return
			}
			if err == nil {
				t.Errorf("the lookup failed with %s and the build went on: stdout %q", tc.stub, out)
			}
			if !strings.Contains(errOut, tc.message) || !strings.Contains(errOut, "demo-dev:abc1234") {
				t.Errorf("the failure should name the image and say why (%s); stderr %q", tc.message, errOut)
			}
		})
	}
}

// TestBuildRefusesDockerHubPulls: without a Docker Hub login the build's
// first command checks the Dockerfile before anything is built, and agrees
// with package dockerfile on its whole corpus and on the sample app.
func TestBuildRefusesDockerHubPulls(t *testing.T) {
	_, _, spec := parseBuildSpec(t, synth(t, nil).templates["Pipeline"])
	build := spec.Phases["build"].Commands
	check := command(t, spec, "build", "Docker Hub")
	if build[0] != check {
		t.Errorf("the Docker Hub check is not the build's first command: %q", build)
	}
	files, _ := filepath.Glob("dockerfile/testdata/*/*.Dockerfile")
	files = append(files, "app/Dockerfile")
	if len(files) < 7 {
		t.Fatalf("corpus of %d files", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			findings := dockerfile.Scan(string(b))
			_, errOut, err := runBash(t, check, "", "DOCKERFILE="+f)
			switch {
			case len(findings) == 0 && err != nil:
				t.Errorf("the build refuses a Dockerfile the scanner passes: %v\n%s", err, errOut)
			case len(findings) > 0 && err == nil:
				t.Errorf("the build passes a Dockerfile the scanner refuses: %v", findings)
			case len(findings) > 0 && !strings.Contains(errOut, f+":"+strconv.Itoa(findings[0].Line)+":"):
				t.Errorf("the build's message does not name %s:%d: %s", f, findings[0].Line, errOut)
			}
		})
	}
}
