package main

// Checks that run the buildspec's own shell, as the template holds it, with
// bash: stubs stand in for the AWS CLI, and the Dockerfile corpus of
// package dockerfile stands in for the user's Dockerfile.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// buildStubs writes stand-ins for the AWS CLI and docker into a directory:
// aws answers get-login-password and describe-images (found, or
// ImageNotFoundException when $STUB=notfound); docker logs every call to
// $DOCKER_LOG, one argument a line and a blank line after each call, and
// fails `docker buildx build` when $STUB_BUILD_FAILS is set.
func buildStubs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	stubs := map[string]string{
		"aws": `#!/bin/bash
case "$1 $2" in
"ecr get-login-password") echo token ;;
"ecr describe-images")
	if [ "$STUB" = notfound ]; then echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: not found" >&2; exit 254; fi
	echo '{"imageDetails":[]}' ;;
*) echo "aws stub: unexpected $*" >&2; exit 2 ;;
esac
`,
		"docker": `#!/bin/bash
{ printf '%s\n' "$@"; echo; } >>"$DOCKER_LOG"
[ "$1" = login ] && cat >/dev/null
if [ "$1 $2" = "buildx build" ] && [ -n "$STUB_BUILD_FAILS" ]; then echo "ERROR: failed to solve" >&2; exit 1; fi
exit 0
`,
	}
	for name, body := range stubs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runPhases runs the buildspec's phases in order in one bash, as CodeBuild
// does (variables carry over between commands), in dir, stopping at the
// first failing command (on-failure: ABORT).
func runPhases(t *testing.T, spec buildSpec, dir, stubs string, env ...string) (stderr string, err error) {
	t.Helper()
	var script strings.Builder
	for _, phase := range []string{"install", "pre_build", "build", "post_build"} {
		for _, c := range spec.Phases[phase].Commands {
			script.WriteString("{\n" + c + "\n}\nrc=$?; [ $rc = 0 ] || { echo \"command failed ($rc) in " + phase + "\" >&2; exit $rc; }\n")
		}
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + stubs + ":" + os.Getenv("PATH")}, env...)
	var errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &errOut, &errOut
	err = cmd.Run()
	return errOut.String(), err
}

// dockerCalls reads the docker stub's log: one argument list per call.
func dockerCalls(t *testing.T, log string) [][]string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var calls [][]string
	for _, call := range strings.Split(strings.TrimSuffix(string(b), "\n\n"), "\n\n") {
		if call != "" {
			calls = append(calls, strings.Split(call, "\n"))
		}
	}
	return calls
}

// flagValue returns the values of a flag given as "--flag value" or "--flag=value".
func flagValue(args []string, flag string) []string {
	var out []string
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			out = append(out, args[i+1])
		} else if v, ok := strings.CutPrefix(a, flag+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestBuildRunsBuildKitWithTheRegistryCache runs the whole buildspec, as
// the template holds it, with stubs for aws and docker: a commit without
// an image is built by a docker-container builder running the pinned
// BuildKit, importing and exporting the registry cache of every stage in
// the cache repository and pushing the image; a commit whose image exists
// builds nothing; a failed build stops before imagedefinitions.json.
func TestBuildRunsBuildKitWithTheRegistryCache(t *testing.T) {
	_, project, spec := parseBuildSpec(t, synth(t, nil).templates["Pipeline"])
	literal := map[string]string{}
	for _, v := range project["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		m := v.(map[string]any)
		if s, ok := m["Value"].(string); ok {
			literal[m["Name"].(string)] = s
		}
	}
	dockerfile, err := filepath.Abs(literal["DOCKERFILE"])
	if err != nil {
		t.Fatal(err)
	}
	const (
		registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
		image    = registry + "/demo-dev:abc1234"
		cacheRef = registry + "/demo-dev-build-cache:buildcache"
	)
	stubs := buildStubs(t)
	run := func(t *testing.T, env ...string) (dir string, calls [][]string, stderr string, err error) {
		dir = t.TempDir()
		log := filepath.Join(dir, "docker.log")
		stderr, err = runPhases(t, spec, dir, stubs, append([]string{
			"DOCKER_LOG=" + log, "AWS_REGION=us-east-1",
			"CODEBUILD_RESOLVED_SOURCE_VERSION=abc1234def5678abc1234def5678abc1234def56",
			"REPOSITORY_URI=" + registry + "/demo-dev", "REPOSITORY_NAME=demo-dev",
			"CACHE_REPOSITORY_URI=" + registry + "/demo-dev-build-cache",
			"BUILDKIT_IMAGE=" + literal["BUILDKIT_IMAGE"], "DOCKERFILE=" + dockerfile, "BUILD_CONTEXT=" + literal["BUILD_CONTEXT"],
		}, env...)...)
		return dir, dockerCalls(t, log), stderr, err
	}
	verbs := func(calls [][]string) []string {
		var out []string
		for _, c := range calls {
			v := c[0]
			if v == "buildx" && len(c) > 1 {
				v += " " + c[1]
			}
			out = append(out, v)
		}
		return out
	}
	imageDefinitions := func(t *testing.T, dir string) string {
		b, _ := os.ReadFile(filepath.Join(dir, "imagedefinitions.json"))
		return string(b)
	}

	t.Run("a new commit: BuildKit builder, registry cache of every stage, image pushed", func(t *testing.T) {
		dir, calls, stderr, err := run(t, "STUB=notfound")
		if err != nil {
			t.Fatalf("the build failed: %v\n%s", err, stderr)
		}
		if got := verbs(calls); !slices.Equal(got, []string{"login", "buildx create", "buildx build"}) {
			t.Fatalf("docker calls %v, want login, buildx create, buildx build (no docker build, pull or push of its own)", got)
		}
		create, build := calls[1], calls[2]
		builder := flagValue(create, "--name")
		if len(builder) != 1 || !slices.Equal(flagValue(create, "--driver"), []string{"docker-container"}) || !slices.Equal(flagValue(create, "--driver-opt"), []string{"image=" + literal["BUILDKIT_IMAGE"]}) {
			t.Errorf("builder %q: want a named docker-container builder running %s", create, literal["BUILDKIT_IMAGE"])
		}
		if !slices.Equal(flagValue(build, "--builder"), builder) {
			t.Errorf("the build runs on builder %v, want the one created, %v", flagValue(build, "--builder"), builder)
		}
		if from := flagValue(build, "--cache-from"); len(from) != 1 || !sameAttrs(from[0], "type=registry", "ref="+cacheRef) {
			t.Errorf("--cache-from %q, want type=registry,ref=%s", from, cacheRef)
		}
		if to := flagValue(build, "--cache-to"); len(to) != 1 || !sameAttrs(to[0], "type=registry", "ref="+cacheRef, "mode=max", "image-manifest=true", "oci-mediatypes=true", "ignore-error=true") {
			t.Errorf("--cache-to %q, want the registry cache of every stage (mode=max) at %s as an OCI image manifest", to, cacheRef)
		}
		if !slices.Contains(build, "--push") || !slices.Contains(build, "--provenance=false") || !slices.Equal(flagValue(build, "-t"), []string{image}) || !slices.Equal(flagValue(build, "-f"), []string{dockerfile}) || build[len(build)-1] != literal["BUILD_CONTEXT"] {
			t.Errorf("build %q: want %s pushed as one manifest, from %s in %s", build, image, dockerfile, literal["BUILD_CONTEXT"])
		}
		if got := imageDefinitions(t, dir); got != `[{"name":"app","imageUri":"`+image+`"}]` {
			t.Errorf("imagedefinitions.json %q", got)
		}
	})
	t.Run("a commit whose image exists: nothing built, its image deployed", func(t *testing.T) {
		dir, calls, stderr, err := run(t, "STUB=found")
		if err != nil {
			t.Fatalf("the build failed: %v\n%s", err, stderr)
		}
		if got := verbs(calls); !slices.Equal(got, []string{"login"}) {
			t.Errorf("docker calls %v, want only the login: the immutable tag has its image", got)
		}
		if got := imageDefinitions(t, dir); !strings.Contains(got, image) {
			t.Errorf("imagedefinitions.json %q", got)
		}
	})
	t.Run("a failed image build: stops before imagedefinitions.json", func(t *testing.T) {
		dir, _, stderr, err := run(t, "STUB=notfound", "STUB_BUILD_FAILS=1")
		if err == nil || !strings.Contains(stderr, "failed to solve") {
			t.Errorf("the build went on after docker buildx build failed: %v\n%s", err, stderr)
		}
		if got := imageDefinitions(t, dir); got != "" {
			t.Errorf("imagedefinitions.json written after a failed build: %q", got)
		}
	})
}

// sameAttrs tells whether a CSV flag value (k=v,k=v) has exactly these attributes.
func sameAttrs(csv string, want ...string) bool {
	got := strings.Split(csv, ",")
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// releaseRecordSpec is the RecordImage project's buildspec and variables.
func releaseRecordSpec(t *testing.T) (buildSpec, []string) {
	t.Helper()
	_, project := codeBuildProject(t, synth(t, nil).templates["Pipeline"], "ReleaseRecord")
	var spec buildSpec
	if err := json.Unmarshal([]byte(project["Source"].(map[string]any)["BuildSpec"].(string)), &spec); err != nil {
		t.Fatalf("buildspec: %v", err)
	}
	var vars []string
	list, _ := project["Environment"].(map[string]any)["EnvironmentVariables"].([]any)
	for _, v := range list {
		vars = append(vars, v.(map[string]any)["Name"].(string))
	}
	return spec, vars
}

// phaseScript runs a phase's commands as CodeBuild does: one after the
// other in one shell, the phase failing at the first command that exits
// non-zero (on-failure ABORT).
func phaseScript(commands []string) string {
	var b strings.Builder
	for _, c := range commands {
		b.WriteString(c + "\nrc=$?; if [ $rc -ne 0 ]; then exit $rc; fi\n")
	}
	return b.String()
}

// TestReleaseRecordTagsTheImage runs the Release stage's build phase with a
// stub AWS CLI: it tags the deployed image released-<tag> with the very
// manifest ECR holds (byte for byte, by digest: a re-serialized manifest
// would be another image, which the lifecycle policy would not protect),
// tolerates a tag recorded by an earlier run of the same release, and only
// then writes the image parameter. Any failure stops it before the
// parameter names an image the lifecycle policy could expire.
func TestReleaseRecordTagsTheImage(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("jq not found: the Release stage's buildspec uses it, as CodeBuild's standard image has it; install jq (apt-get install jq)")
	}
	spec, vars := releaseRecordSpec(t)
	for _, v := range []string{"REPOSITORY_URI", "REPOSITORY_NAME", "IMAGE_PARAMETER"} {
		if !slices.Contains(vars, v) {
			t.Errorf("the project does not set %s: %v", v, vars)
		}
	}
	const (
		repoURI  = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-dev"
		image    = repoURI + ":abc1234"
		digest   = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"
		manifest = "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n   \"config\": {\"mediaType\": \"application/vnd.docker.container.image.v1+json\", \"size\": 7023, \"digest\": \"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7\"},\n   \"layers\": []\n}\n"
	)
	images, _ := json.Marshal(map[string]any{"images": []any{map[string]any{
		"registryId": "123456789012", "repositoryName": "demo-dev",
		"imageId":       map[string]string{"imageDigest": digest, "imageTag": "abc1234"},
		"imageManifest": manifest, "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
	}}, "failures": []any{}})
	stubs := t.TempDir()
	stub := `#!/bin/bash
echo "$*" >>"$CALLS"
case "$1 $2" in
"ecr batch-get-image")
	case "$STUB" in
	missing) echo '{"images":[],"failures":[{"imageId":{"imageTag":"abc1234"},"failureCode":"ImageNotFound","failureReason":"Requested image not found"}]}' ;;
	*) cat "$IMAGES" ;;
	esac ;;
"ecr put-image")
	for a in "$@"; do case "$a" in file://*) cp "${a#file://}" "$PUT_MANIFEST" ;; esac; done
	case "$STUB" in
	already) echo "An error occurred (ImageAlreadyExistsException) when calling the PutImage operation: Image with digest 'sha256:5b0b' and tag 'released-abc1234' already exists in the repository with name 'demo-dev' in registry with id '123456789012'" >&2; exit 254 ;;
	conflict) echo "An error occurred (ImageTagAlreadyExistsException) when calling the PutImage operation: The image tag 'released-abc1234' already exists in the 'demo-dev' repository and cannot be overwritten because the repository is immutable." >&2; exit 254 ;;
	denied) echo "An error occurred (AccessDeniedException) when calling the PutImage operation: User: arn:aws:sts::123456789012:assumed-role/record/x is not authorized to perform: ecr:PutImage" >&2; exit 254 ;;
	*) echo '{"image":{}}' ;;
	esac ;;
"ssm put-parameter") echo '{"Version": 2, "Tier": "Standard"}' ;;
*) echo "stub: unexpected call: aws $*" >&2; exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(stubs, "aws"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stub, defsImage string
		ok              bool
		message         string // in stderr when it fails
	}{
		{"tagged", image, true, ""},
		{"already", image, true, ""},
		{"conflict", image, false, "ImageTagAlreadyExistsException"},
		{"denied", image, false, "AccessDeniedException"},
		{"missing", image, false, "ImageNotFound"},
		{"tagged", "123456789012.dkr.ecr.us-east-1.amazonaws.com/other:abc1234", false, "not an image of " + repoURI},
	}
	for _, tc := range tests {
		t.Run(tc.stub+"/"+tc.defsImage[strings.LastIndexByte(tc.defsImage, '/')+1:], func(t *testing.T) {
			dir := t.TempDir()
			defs, _ := json.Marshal([]map[string]string{{"name": "app", "imageUri": tc.defsImage}})
			for name, content := range map[string][]byte{"imagedefinitions.json": defs, "images.json": images} {
				if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			calls, put := filepath.Join(dir, "calls"), filepath.Join(dir, "put-manifest")
			_, errOut, err := runBash(t, "cd "+dir+"\n"+phaseScript(spec.Phases["build"].Commands), stubs,
				"STUB="+tc.stub, "CALLS="+calls, "IMAGES="+filepath.Join(dir, "images.json"), "PUT_MANIFEST="+put,
				"REPOSITORY_URI="+repoURI, "REPOSITORY_NAME=demo-dev", "IMAGE_PARAMETER=/demo/dev/image-uri")
			log, _ := os.ReadFile(calls)
			lines := strings.Split(strings.TrimSpace(string(log)), "\n")
			wrote := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "ssm put-parameter") })
			if !tc.ok {
				if err == nil || wrote >= 0 {
					t.Errorf("the release went on after %s: error %v, calls %q", tc.stub, err, lines)
				}
				if !strings.Contains(errOut, tc.message) {
					t.Errorf("the failure does not say %q: %s", tc.message, errOut)
				}
				return
			}
			if err != nil {
				t.Fatalf("failed: %v\n%s\ncalls %q", err, errOut, lines)
			}
			tagged := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "ecr put-image") })
			if tagged < 0 || wrote < tagged {
				t.Fatalf("want put-image, then put-parameter; calls %q", lines)
			}
			get := lines[slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "ecr batch-get-image") })]
			for _, want := range []string{"--repository-name demo-dev", "--image-ids imageTag=abc1234", "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"} {
				if !strings.Contains(get, want) {
					t.Errorf("batch-get-image without %q (an index would come back converted): %s", want, get)
				}
			}
			for _, want := range []string{"--repository-name demo-dev", "--image-tag released-abc1234", "--image-digest " + digest, "--image-manifest-media-type application/vnd.docker.distribution.manifest.v2+json"} {
				if !strings.Contains(lines[tagged], want) {
					t.Errorf("put-image without %q: %s", want, lines[tagged])
				}
			}
			if got, _ := os.ReadFile(put); string(got) != manifest {
				t.Errorf("put-image sent the manifest %q, want ECR's bytes %q", got, manifest)
			}
			if want := "--name /demo/dev/image-uri --value " + image; !strings.Contains(lines[wrote], want) {
				t.Errorf("put-parameter %q, want %q", lines[wrote], want)
			}
		})
	}
}

// TestSmokeTestRuns runs the smoke test's build phase from the template
// with a stub AWS CLI and a stub curl: every path answers 2xx or 3xx and
// the step passes without touching the service; a 5xx or no answer rolls
// the service back to the revision the deploy replaced and fails; and a
// service with no tasks (the working hours' scale-to-zero, or a count set
// to 0) fails with that reason instead of a 503 to puzzle over, and rolls
// back too, so the morning's scale-up starts the released image, not an
// untested one.
func TestSmokeTestRuns(t *testing.T) {
	_, project := codeBuildProject(t, synth(t, nil).templates["Pipeline"], "SmokeTest")
	var spec buildSpec
	if err := json.Unmarshal([]byte(project["Source"].(map[string]any)["BuildSpec"].(string)), &spec); err != nil {
		t.Fatalf("buildspec: %v", err)
	}
	stubs := t.TempDir()
	for name, script := range map[string]string{
		"aws": `#!/bin/bash
echo "aws $*" >>"$CALLS"
case "$1 $2" in
"ecs describe-services") echo "$DESIRED" ;;
"ecs update-service") echo "arn:aws:ecs:us-east-1:123456789012:task-definition/demo-dev:6" ;;
*) echo "stub: unexpected call: aws $*" >&2; exit 2 ;;
esac`,
		"curl": `#!/bin/bash
echo "curl $*" >>"$CALLS"
[ "$CODE" = none ] && { echo "curl: (28) Operation timed out" >&2; exit 28; }
printf '%s' "$CODE"`,
	} {
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, desired, code string
		ok                  bool
		message             string // in stderr when it fails
	}{
		{"answers", "2", "200", true, ""},
		{"redirects", "2", "301", true, ""},
		{"server error", "2", "500", false, "answered 500"},
		{"no answer", "2", "none", false, "gave no answer"},
		{"no tasks", "0", "503", false, "no tasks to answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := filepath.Join(t.TempDir(), "calls")
			_, errOut, err := runBash(t, phaseScript(spec.Phases["build"].Commands), stubs,
				"CALLS="+calls, "DESIRED="+tc.desired, "CODE="+tc.code,
				"SMOKE_URL=http://demo.example", "CLUSTER=arn:aws:ecs:us-east-1:123456789012:cluster/demo", "SERVICE=demo-dev",
				"SMOKE_PATHS=/ /smoke", "SMOKE_TRIES=3", "SMOKE_REQUEST_SECONDS=10",
				"PREVIOUS_TASK_DEFINITION=arn:aws:ecs:us-east-1:123456789012:task-definition/demo-dev:6")
			log, _ := os.ReadFile(calls)
			rolledBack := strings.Contains(string(log), "aws ecs update-service --cluster arn:aws:ecs:us-east-1:123456789012:cluster/demo --service demo-dev --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/demo-dev:6")
			if tc.ok {
				if err != nil || rolledBack {
					t.Errorf("the smoke test failed or rolled back on %s: %v, %s; calls %s", tc.code, err, errOut, log)
				}
				if n := strings.Count(string(log), "curl "); n != 6 {
					t.Errorf("%d requests, want 3 for each of 2 paths: %s", n, log)
				}
				return
			}
			if err == nil || !rolledBack {
				t.Errorf("the smoke test passed or did not roll back on %s with %s tasks: %v; calls %s", tc.code, tc.desired, err, log)
			}
			if !strings.Contains(errOut, tc.message) {
				t.Errorf("the failure does not say %q: %s", tc.message, errOut)
			}
		})
	}
}
