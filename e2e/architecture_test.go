//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Changing `architecture` on a released environment (step 4f): dev runs
// X86_64 with the image its pipeline released; dev-arm is the same
// configuration with architecture ARM64. A deploy of it would register an
// ARM64 task definition with an x86 image. Preflight refuses it and prints
// the procedure (docs/deployments.md): release an image built for both
// architectures, then deploy. The test follows the procedure as printed
// (the multi-arch push is what `docker buildx build --platform
// linux/amd64,linux/arm64 --push` leaves in ECR: an image index), syncs as
// make deploy does, and scripts/e2e.sh then deploys dev-arm.

// imageIndex is an OCI image index for the platforms, with the provenance
// attestation buildx adds.
func imageIndex(seed string, platforms ...string) string {
	var entries []string
	for i, p := range append(platforms, "unknown/unknown") {
		os, arch, _ := strings.Cut(p, "/")
		entries = append(entries, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064x","size":500,"platform":{"os":%q,"architecture":%q}}`, []byte(fmt.Sprint(seed, i)), os, arch))
	}
	return `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.Join(entries, ",") + `]}`
}

// pushIndex pushes an image index under a tag of the released image's
// repository and returns the image URI.
func pushIndex(t *testing.T, released, tag string, platforms ...string) string {
	t.Helper()
	repoURI := released[:strings.LastIndexByte(released, ':')]
	repo := repoURI[strings.IndexByte(repoURI, '/')+1:]
	if _, err := ecrC.PutImage(context.Background(), &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag), ImageManifest: aws.String(imageIndex(tag, platforms...))}); err != nil {
		t.Fatalf("pushing %s:%s: %v", repoURI, tag, err)
	}
	return repoURI + ":" + tag
}

var buildxTag = regexp.MustCompile(`docker buildx build --platform linux/amd64,linux/arm64 -t (\S+) --push`)
var putParameter = regexp.MustCompile(`aws ssm put-parameter [^;]*`)

// TestArchitectureRefused: preflight refuses the switch, the procedure it
// prints works, and the sync before the deploy moves CloudFormation onto
// the multi-arch image while the task stays X86_64.
func TestArchitectureRefused(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	d := devDeployment(t)
	dir := workFile("out/dev-arm")
	released := lc.Released[d.Name]
	param := lc.Parameter[d.Name]

	t.Run("the pipeline's x86 image", func(t *testing.T) {
		r, _ := preflight(t, dir)
		a := r.only(t, "architecture")[0]
		const gap = "ecr:GetDownloadUrlForLayer of its config"
		if a.Status == "warn" && strings.Contains(a.Found, gap) {
			// A single-platform image names its platform in its config
			// blob, which moto cannot serve; the fake covers the refusal.
			recordGap(t, "ecr-layer-download", a.Found)
			return
		}
		wantLine(t, "architecture", a, "fail", "is built for linux/amd64 only", "ARM64")
	})

	t.Run("an arm64-only image would break the sync and a rollback", func(t *testing.T) {
		arm := pushIndex(t, released, "a11ce5e-arm64", "linux/arm64")
		lc.Pushed[d.Name] = append(lc.Pushed[d.Name], arm)
		if _, err := ssmC.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(arm), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		r, code := preflight(t, dir)
		a := r.only(t, "architecture")[0]
		wantLine(t, "architecture", a, "fail", "is built for linux/arm64 only, and the deployed task definition of "+d.stackName("service")+" is X86_64",
			"docker buildx build --platform linux/amd64,linux/arm64", "aws ssm put-parameter --name "+param)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}

		// The procedure, as printed: the multi-arch image under the tag it
		// names, then the command it gives.
		m := buildxTag.FindStringSubmatch(a.Fix)
		cmd := putParameter.FindString(a.Fix)
		if m == nil || cmd == "" {
			t.Fatalf("the fix names no buildx tag or put-parameter command: %s", a.Fix)
		}
		multi := m[1]
		tag := multi[strings.LastIndexByte(multi, ':')+1:]
		if got := pushIndex(t, released, tag, "linux/amd64", "linux/arm64"); got != multi {
			t.Fatalf("pushed %s, the fix names %s", got, multi)
		}
		if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
			t.Fatalf("the printed command %q failed: %v\n%s", cmd, err, out)
		}
		if got := parameterValue(t, param); got != multi {
			t.Fatalf("%s = %s after the printed command, want %s", param, got, multi)
		}
		lc.Pushed[d.Name] = append(lc.Pushed[d.Name], multi)
		lc.Released[d.Name] = multi

		r, code = preflight(t, dir)
		wantLine(t, "architecture", r.only(t, "architecture")[0], "ok", "is built for linux/amd64, linux/arm64", "ARM64 task definition runs it", "so does the deployed X86_64 one")
		if code != 0 {
			t.Errorf("exit %d after the procedure, want 0", code)
		}
	})
	writeJSON(t, "lifecycle.json", lc)

	t.Run("the sync moves CloudFormation onto it on the X86_64 task", func(t *testing.T) {
		r, code := runSync(t, dir)
		if code != 0 || r.outcome(t, d.stackName("service")) != "synced" {
			t.Fatalf("exit %d: %+v", code, r.Results)
		}
		svc := describeStack(t, d.stackName("service"))
		svc.Template = deployedTemplate(t, svc.Name)
		if _, image := recordedTaskDefinition(t, svc); image != lc.Released[d.Name] {
			t.Errorf("CloudFormation records %s, want %s", image, lc.Released[d.Name])
		}
		if arch := taskArchitecture(t, svc); arch != "X86_64" {
			t.Errorf("the sync changed the task's architecture to %s: it must keep the deployed template", arch)
		}
	})
}

// TestArchitectureSwitched runs after dev-arm was deployed: the task
// definition is ARM64 with the multi-arch image, and preflight passes
// without a switch to check.
func TestArchitectureSwitched(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	d := devDeployment(t)
	svc := describeStack(t, d.stackName("service"))
	svc.Template = deployedTemplate(t, svc.Name)
	if arch := taskArchitecture(t, svc); arch != "ARM64" {
		t.Errorf("the deployed task definition is %s, want ARM64", arch)
	}
	if _, image := recordedTaskDefinition(t, svc); image != lc.Released[d.Name] {
		t.Errorf("the ARM64 task definition runs %s, want the multi-arch %s", image, lc.Released[d.Name])
	}
	r, _ := preflight(t, workFile("out/dev-arm"))
	a := r.only(t, "architecture")[0]
	wantLine(t, "architecture", a, "ok", "ARM64 task definition runs it")
	if strings.Contains(a.Found, "so does the deployed") {
		t.Errorf("preflight still sees a switch: %s", a.Found)
	}
}

func taskArchitecture(t *testing.T, s *stack) string {
	t.Helper()
	rp, _ := s.Template.Resources[s.one(t, "AWS::ECS::TaskDefinition")].Properties["RuntimePlatform"].(map[string]any)
	arch, _ := rp["CpuArchitecture"].(string)
	return arch
}
