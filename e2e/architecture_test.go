//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Changing `architecture` on a released environment (step 4f): dev runs
// cdk.json's ARM64 with the image its pipeline released; dev-arch is the
// same configuration with the other architecture, X86_64. A deploy of it
// would register an X86_64 task definition with an arm64 image. Preflight
// refuses it and prints the procedure (docs/deployments.md): release an
// image built for both architectures, then deploy. The test follows the
// procedure as printed (the multi-arch push is what `docker buildx build
// --platform linux/amd64,linux/arm64 --push` leaves in ECR: an image
// index), syncs as make deploy does, and scripts/e2e.sh then deploys
// dev-arch.

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
	return pushIndexAs(t, released, tag, tag, platforms...)
}

// pushIndexAs pushes the index made from seed under tag: one seed under
// several tags is one image with several tags, as one buildx push of them.
func pushIndexAs(t *testing.T, released, seed, tag string, platforms ...string) string {
	t.Helper()
	repoURI := released[:strings.LastIndexByte(released, ':')]
	repo := repoURI[strings.IndexByte(repoURI, '/')+1:]
	if _, err := ecrC.PutImage(context.Background(), &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag), ImageManifest: aws.String(imageIndex(seed, platforms...))}); err != nil {
		t.Fatalf("pushing %s:%s: %v", repoURI, tag, err)
	}
	return repoURI + ":" + tag
}

// switch is the architecture dev's Service stack runs and the one dev-arch
// switches it to, with their image platforms.
type archSwitch struct{ From, To, FromPlatform, ToPlatform string }

func architectures(t *testing.T) archSwitch {
	t.Helper()
	svc := describeStack(t, devDeployment(t).stackName("service"))
	svc.Template = deployedTemplate(t, svc.Name)
	platform := map[string]string{"X86_64": "linux/amd64", "ARM64": "linux/arm64"}
	var a archSwitch
	switch a.From = taskArchitecture(t, svc); a.From {
	case "ARM64":
		a.To = "X86_64"
	case "X86_64":
		a.To = "ARM64"
	default:
		t.Fatalf("dev's deployed task definition has architecture %q", a.From)
	}
	a.FromPlatform, a.ToPlatform = platform[a.From], platform[a.To]
	return a
}

var buildxTags = regexp.MustCompile(`docker buildx build --platform linux/amd64,linux/arm64((?: -t \S+)+) --push`)
var putParameter = regexp.MustCompile(`aws ssm put-parameter [^;]*`)

// TestArchitectureRefused: preflight refuses the switch, the procedure it
// prints works, and the sync before the deploy moves CloudFormation onto
// the multi-arch image while the task keeps its architecture.
func TestArchitectureRefused(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	d := devDeployment(t)
	dir := workFile("out/dev-arch")
	a := architectures(t)
	t.Logf("dev runs %s; dev-arch switches it to %s", a.From, a.To)
	released := lc.Released[d.Name]
	param := lc.Parameter[d.Name]

	t.Run("the pipeline's single-platform image", func(t *testing.T) {
		r, _ := preflight(t, dir)
		line := r.only(t, "architecture")[0]
		const gap = "ecr:GetDownloadUrlForLayer of its config"
		if line.Status == "warn" && strings.Contains(line.Found, gap) {
			// A single-platform image names its platform in its config
			// blob, which moto cannot serve; the fake covers the refusal.
			recordGap(t, "ecr-layer-download", line.Found)
			return
		}
		wantLine(t, "architecture", line, "fail", "is built for "+a.FromPlatform+" only", a.To)
	})

	t.Run("an image for the new architecture only would break the sync and a rollback", func(t *testing.T) {
		only := pushIndex(t, released, "a11ce5e-"+a.ToPlatform[len("linux/"):], a.ToPlatform)
		lc.Pushed[d.Name] = append(lc.Pushed[d.Name], only)
		if _, err := ssmC.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(only), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		r, code := preflight(t, dir)
		line := r.only(t, "architecture")[0]
		wantLine(t, "architecture", line, "fail", "is built for "+a.ToPlatform+" only, and the deployed task definition of "+d.stackName("service")+" is "+a.From,
			"docker buildx build --platform linux/amd64,linux/arm64", "aws ssm put-parameter --name "+param)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}

		// The procedure, as printed: the multi-arch image under the tag it
		// names, then the command it gives.
		// buildx pushes the one index under every tag it names.
		m := buildxTags.FindStringSubmatch(line.Fix)
		cmd := putParameter.FindString(line.Fix)
		if m == nil || cmd == "" {
			t.Fatalf("the fix names no buildx tag or put-parameter command: %s", line.Fix)
		}
		var multi, seed string
		for i, image := range strings.Fields(strings.ReplaceAll(m[1], "-t ", "")) {
			tag := image[strings.LastIndexByte(image, ':')+1:]
			if i == 0 {
				multi, seed = image, tag
			}
			if got := pushIndexAs(t, released, seed, tag, "linux/amd64", "linux/arm64"); got != image {
				t.Fatalf("pushed %s, the fix names %s", got, image)
			}
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
		wantLine(t, "architecture", r.only(t, "architecture")[0], "ok", "is built for linux/amd64, linux/arm64", a.To+" task definition runs it", "so does the deployed "+a.From+" one")
		if code != 0 {
			t.Errorf("exit %d after the procedure, want 0", code)
		}
	})
	writeJSON(t, "lifecycle.json", lc)

	t.Run("the sync moves CloudFormation onto it on the deployed architecture", func(t *testing.T) {
		r, code := runSync(t, dir)
		if code != 0 || r.outcome(t, d.stackName("service")) != "synced" {
			t.Fatalf("exit %d: %+v", code, r.Results)
		}
		svc := describeStack(t, d.stackName("service"))
		svc.Template = deployedTemplate(t, svc.Name)
		if _, image := recordedTaskDefinition(t, svc); image != lc.Released[d.Name] {
			t.Errorf("CloudFormation records %s, want %s", image, lc.Released[d.Name])
		}
		if arch := taskArchitecture(t, svc); arch != a.From {
			t.Errorf("the sync changed the task's architecture to %s: it must keep the deployed template", arch)
		}
	})
}

// TestArchitectureSwitched runs after dev-arch was deployed: the task
// definition has dev-arch's architecture with the multi-arch image, and
// preflight passes without a switch to check.
func TestArchitectureSwitched(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	d := devDeployment(t)
	dir := workFile("out/dev-arch")
	want := assemblyArchitecture(t, dir)
	svc := describeStack(t, d.stackName("service"))
	svc.Template = deployedTemplate(t, svc.Name)
	if arch := taskArchitecture(t, svc); arch != want {
		t.Errorf("the deployed task definition is %s, want dev-arch's %s", arch, want)
	}
	if _, image := recordedTaskDefinition(t, svc); image != lc.Released[d.Name] {
		t.Errorf("the %s task definition runs %s, want the multi-arch %s", want, image, lc.Released[d.Name])
	}
	r, _ := preflight(t, dir)
	a := r.only(t, "architecture")[0]
	wantLine(t, "architecture", a, "ok", want+" task definition runs it")
	if strings.Contains(a.Found, "so does the deployed") {
		t.Errorf("preflight still sees a switch: %s", a.Found)
	}
}

// assemblyArchitecture is the task architecture of an assembly's Service
// template.
func assemblyArchitecture(t *testing.T, dir string) string {
	t.Helper()
	var tmpl Template
	body, err := os.ReadFile(filepath.Join(dir, "Service.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &tmpl); err != nil {
		t.Fatal(err)
	}
	return taskArchitecture(t, &stack{Name: dir, Template: tmpl})
}

func taskArchitecture(t *testing.T, s *stack) string {
	t.Helper()
	rp, _ := s.Template.Resources[s.one(t, "AWS::ECS::TaskDefinition")].Properties["RuntimePlatform"].(map[string]any)
	arch, _ := rp["CpuArchitecture"].(string)
	return arch
}
