package preflight

import (
	"fmt"
	"strings"
	"testing"
)

const (
	devRepo  = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-dev"
	released = devRepo + ":a11ce5e"
)

// Manifests as ECR serves them: a single image (what `docker build` and
// `docker push` leave, its platform in the config), an index for several
// platforms (`docker buildx build --platform a,b --push`), and an index
// for one platform with a provenance attestation (buildx's default).
func singleImage(configDigest string) fakeImage {
	return fakeImage{dockerManifest, fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":%q},"layers":[]}`, dockerManifest, configDigest)}
}

func index(platforms ...string) fakeImage {
	var entries []string
	for i, p := range platforms {
		os, arch, _ := strings.Cut(p, "/")
		arch, variant, _ := strings.Cut(arch, "/")
		v := ""
		if variant != "" {
			v = fmt.Sprintf(`,"variant":%q`, variant)
		}
		entries = append(entries, fmt.Sprintf(`{"mediaType":%q,"digest":"sha256:%064d","size":1,"platform":{"os":%q,"architecture":%q%s}}`, ociManifest, i, os, arch, v))
	}
	entries = append(entries, fmt.Sprintf(`{"mediaType":%q,"digest":"sha256:%064d","size":1,"annotations":{"vnd.docker.reference.type":"attestation-manifest"},"platform":{"os":"unknown","architecture":"unknown"}}`, ociManifest, 99))
	return fakeImage{ociIndex, fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[%s]}`, ociIndex, strings.Join(entries, ","))}
}

// withArch is the assembly with the Service task's architecture set.
func withArch(t *testing.T, a *Assembly, arch string) *Assembly {
	t.Helper()
	c := clone(t, a)
	s := c.stack(t, "Service")
	for _, id := range s.Template.ofType("AWS::ECS::TaskDefinition") {
		s.Template.Resources[id].Properties["RuntimePlatform"].(map[string]any)["CpuArchitecture"] = arch
	}
	return c
}

// TestArchitecture: dev deployed on X86_64 and released; this deploy
// keeps X86_64 or switches to ARM64, with the released image of each
// shape ECR serves.
func TestArchitecture(t *testing.T) {
	const config = "sha256:" + "c0ffee0000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct {
		name, arch, deployed string
		image                fakeImage
		blob                 string
		status               Status
		found                []string
	}{
		{"x86 image, x86 task", "X86_64", "X86_64", singleImage(config), `{"architecture":"amd64","os":"linux"}`, OK,
			[]string{"the released image " + released + " is built for linux/amd64: demo-dev-service's X86_64 task definition runs it"}},
		{"switch to ARM64 with an x86 image: the defect", "ARM64", "X86_64", singleImage(config), `{"architecture":"amd64","os":"linux"}`, Fail,
			[]string{"is built for linux/amd64 only, and this deploy gives demo-dev-service's task definition the ARM64 architecture", "exec format error", "roll back"}},
		{"switch with buildx's single-platform index", "ARM64", "X86_64", index("linux/amd64"), "", Fail,
			[]string{"is built for linux/amd64 only"}},
		{"switch with a multi-arch image", "ARM64", "X86_64", index("linux/amd64", "linux/arm64/v8"), "", OK,
			[]string{"is built for linux/amd64, linux/arm64/v8: demo-dev-service's ARM64 task definition runs it, and so does the deployed X86_64 one, which make deploy's sync and a rollback use"}},
		{"switch with an arm64 image only: the sync would run it on x86", "ARM64", "X86_64", index("linux/arm64"), "", Fail,
			[]string{"is built for linux/arm64 only, and the deployed task definition of demo-dev-service is X86_64: make deploy's sync, and the rollback of a failed deploy, would run it there"}},
		{"switched: arm64 image, arm64 task", "ARM64", "ARM64", singleImage(config), `{"architecture":"arm64","os":"linux","variant":"v8"}`, OK,
			[]string{"is built for linux/arm64/v8: demo-dev-service's ARM64 task definition runs it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := withArch(t, golden(t, "dev", "dev"), tc.deployed)
			f := newFake()
			f.bootstrap("30")
			for _, s := range base.Stacks {
				f.deploy(s)
			}
			f.repos["demo-dev"] = 1
			f.params["/demo/dev/image-uri"] = released
			f.images["demo-dev:a11ce5e"] = tc.image
			if tc.blob != "" {
				f.blobs[config] = tc.blob
			}
			r := run(t, withArch(t, base, tc.arch), f)
			got := r.results("architecture")
			if len(got) != 1 {
				t.Fatalf("architecture: %+v", got)
			}
			if got[0].Status != tc.status {
				t.Errorf("status %s, want %s: %s", got[0].Status, tc.status, got[0].Found)
			}
			mustContain(t, "found", got[0].Found, tc.found...)
			if tc.status == Fail {
				mustContain(t, "fix", got[0].Fix, "docker buildx build --platform linux/amd64,linux/arm64 -t "+devRepo+":a11ce5e-multiarch -t "+devRepo+":released-a11ce5e-multiarch --push -f app/Dockerfile app",
					"aws ssm put-parameter --name /demo/dev/image-uri --value "+devRepo+":a11ce5e-multiarch --overwrite --region us-east-1", "docs/deployments.md")
			}
			assertReadOnly(t, f)
		})
	}
}

// TestArchitectureReads: what the check asks, and what it does when ECR
// cannot answer.
func TestArchitectureReads(t *testing.T) {
	setup := func() (*Assembly, *fakeAWS) {
		a, f := deployedDev(t)
		f.params["/demo/dev/image-uri"] = released
		f.images["demo-dev:a11ce5e"] = singleImage("sha256:abc")
		// dev's golden runs ARM64 (cdk.json's dev).
		f.blobs["sha256:abc"] = `{"architecture":"arm64","os":"linux"}`
		return a, f
	}
	a, f := setup()
	r := run(t, a, f)
	if got := r.results("architecture")[0]; got.Status != OK {
		t.Errorf("%+v", got)
	}
	for _, want := range []string{"ssm:GetParameter", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "GET https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/sha256:abc?X-Amz-Signature=x"} {
		if !containsCall(f.calls, want) {
			t.Errorf("no %s call: %v", want, f.calls)
		}
	}

	// moto has no GetDownloadUrlForLayer (HTTP 500): a warning, not a pass.
	a, f = setup()
	f.fail["ecr:GetDownloadUrlForLayer"] = http500()
	got := run(t, a, f).results("architecture")[0]
	if got.Status != Warn || !strings.Contains(got.Found, "cannot read the platform of the released image "+released+": ecr:GetDownloadUrlForLayer of its config sha256:abc") {
		t.Errorf("%+v", got)
	}

	// The image is gone (expired by the lifecycle rules): the next task
	// that starts cannot pull it.
	a, f = setup()
	delete(f.images, "demo-dev:a11ce5e")
	got = run(t, a, f).results("architecture")[0]
	if got.Status != Fail || !strings.Contains(got.Found, "is not in repository demo-dev") {
		t.Errorf("%+v", got)
	}

	// No release yet: nothing is read from ECR.
	a, f = setup()
	f.params["/demo/dev/image-uri"] = "no-release-yet"
	got = run(t, a, f).results("architecture")[0]
	if got.Status != OK || !strings.Contains(got.Found, "no image released yet (/demo/dev/image-uri is no-release-yet)") || containsCall(f.calls, "ecr:BatchGetImage") {
		t.Errorf("%+v; calls %v", got, f.calls)
	}
}

func containsCall(calls []string, want string) bool {
	for _, c := range calls {
		if c == want {
			return true
		}
	}
	return false
}

// TestReleasedTasks: the golden templates' Service task reads its image
// from the image parameter, whose no-release value the condition names;
// every variant has exactly one such task.
func TestReleasedTasks(t *testing.T) {
	for _, variant := range []string{"dev", "prod", "dev-endpoints", "features", "longest-names", "endpoints-secrets"} {
		tasks := releasedTasks(golden(t, variant, "dev"))
		if len(tasks) != 1 || tasks[0].Stack != "demo-dev-service" || !strings.HasSuffix(tasks[0].Parameter, "/image-uri") || tasks[0].NoRelease != "no-release-yet" || platformOf[tasks[0].Arch] == "" {
			t.Errorf("%s: %+v", variant, tasks)
		}
	}
}

func TestArchitectureMessages(t *testing.T) {
	task := releasedTask{Stack: "demo-dev-service", TaskID: "TaskDefinition", Arch: "ARM64", DeployedArch: "X86_64", Parameter: "/demo/dev/image-uri", NoRelease: "no-release-yet"}
	img, _ := parseECRImage(released)
	base := archFacts{Task: task, Value: released, Image: img, Region: "us-east-1", Profile: "cdkdemo"}
	with := func(f func(*archFacts)) archFacts { c := base; f(&c); return c }
	procedure := []string{"release an image that runs on both architectures first", "docker buildx build --platform linux/amd64,linux/arm64 -t " + devRepo + ":a11ce5e-multiarch -t " + devRepo + ":released-a11ce5e-multiarch --push .;",
		"aws ssm put-parameter --name /demo/dev/image-uri --value " + devRepo + ":a11ce5e-multiarch --overwrite --region us-east-1 --profile cdkdemo", "then make deploy again"}
	checkMessages(t, "architecture", []msg{
		{"parameter missing", architectureResult(with(func(f *archFacts) { f.Missing, f.Value = true, "" })), OK, []string{"no image released yet: /demo/dev/image-uri does not exist"}, nil, nil},
		{"parameter unreadable", architectureResult(with(func(f *archFacts) { f.ParamErr = errDenied })), Warn, []string{"cannot read /demo/dev/image-uri", "AccessDenied"}, []string{"ssm:GetParameter"}, nil},
		{"no release yet", architectureResult(with(func(f *archFacts) { f.Value = "no-release-yet" })), OK, []string{"no image released yet (/demo/dev/image-uri is no-release-yet)", "built for linux/arm64"}, nil, nil},
		{"not in this account's ECR", architectureResult(with(func(f *archFacts) { f.NotECR, f.Value = true, "ghcr.io/me/app:1" })), Warn, []string{"ghcr.io/me/app:1", "not in this account's ECR in us-east-1"}, []string{"docker buildx imagetools inspect ghcr.io/me/app:1", "linux/arm64"}, nil},
		{"image gone", architectureResult(with(func(f *archFacts) { f.NotFound = true })), Fail, []string{"is not in repository demo-dev", "cannot pull it"}, []string{"Release change"}, nil},
		{"platform unreadable", architectureResult(with(func(f *archFacts) { f.ReadErr = errDenied })), Warn, []string{"cannot read the platform of the released image"}, []string{"ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on repository demo-dev"}, nil},
		{"old architecture only", architectureResult(with(func(f *archFacts) { f.Platforms = []string{"linux/amd64"} })), Fail,
			[]string{"built for linux/amd64 only, and this deploy gives demo-dev-service's task definition the ARM64 architecture"}, procedure, nil},
		{"new architecture only", architectureResult(with(func(f *archFacts) { f.Platforms = []string{"linux/arm64"} })), Fail,
			[]string{"the deployed task definition of demo-dev-service is X86_64"}, procedure, nil},
		{"both", architectureResult(with(func(f *archFacts) { f.Platforms = []string{"linux/amd64", "linux/arm64/v8"} })), OK,
			[]string{"built for linux/amd64, linux/arm64/v8", "and so does the deployed X86_64 one"}, nil, nil},
		{"no switch", architectureResult(with(func(f *archFacts) { f.Platforms, f.Task.DeployedArch = []string{"linux/arm64"}, "ARM64" })), OK,
			[]string{"demo-dev-service's ARM64 task definition runs it"}, nil, []string{"so does the deployed"}},
		{"an arm64 attempt's tag", architectureResult(with(func(f *archFacts) {
			f.Value = released + "-arm64"
			f.Image, _ = parseECRImage(f.Value)
			f.Platforms = []string{"linux/arm64"}
		})), Fail, []string{"built for linux/arm64 only"}, []string{"-t " + devRepo + ":a11ce5e-multiarch -t " + devRepo + ":released-a11ce5e-multiarch --push"}, nil},
		{"digest reference", architectureResult(with(func(f *archFacts) {
			f.Value = devRepo + "@sha256:" + strings.Repeat("a", 64)
			f.Image, _ = parseECRImage(f.Value)
			f.Platforms = []string{"linux/amd64"}
		})), Fail, []string{"built for linux/amd64 only"}, []string{devRepo + ":release-multiarch"}, nil},
	})
}

func TestParseECRImage(t *testing.T) {
	for in, want := range map[string]ecrImage{
		released: {Account: "123456789012", Region: "us-east-1", Repository: "demo-dev", Tag: "a11ce5e"},
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app@sha256:" + strings.Repeat("0", 64): {Account: "123456789012", Region: "cn-north-1", Repository: "team/app", Digest: "sha256:" + strings.Repeat("0", 64)},
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app":                                            {Account: "123456789012", Region: "eu-west-1", Repository: "app", Tag: "latest"},
	} {
		if got, ok := parseECRImage(in); !ok || got != want {
			t.Errorf("%s: %+v %v", in, got, ok)
		}
	}
	for _, in := range []string{"no-release-yet", "public.ecr.aws/nginx/nginx:stable-alpine", "ghcr.io/me/app:1"} {
		if _, ok := parseECRImage(in); ok {
			t.Errorf("%s parsed as a private ECR image", in)
		}
	}
}
