package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The architecture check. The task definition's CPU architecture comes from
// the templates (the architecture setting), its image from the released-
// image parameter, which only the pipeline writes. Changing architecture
// on an environment that has released an image registers a task definition
// of the new architecture with an image built for the old one: its tasks
// cannot start, the circuit breaker stops the deploy, and the stack rolls
// back. The check reads the released image's platforms from ECR (the image
// index, or the image's config) and fails before that deploy, with the
// procedure (docs/deployments.md).

// releasedTask is a task definition of the templates whose image is read
// from an SSM parameter: the released image.
type releasedTask struct {
	Stack, TaskID string
	// Arch is the template's CpuArchitecture (X86_64 when it sets none);
	// DeployedArch the deployed template's ("" when not deployed).
	Arch, DeployedArch string
	// Parameter is the SSM parameter's name; NoRelease its value before
	// the first release (from the template's condition on it, "" if none).
	Parameter, NoRelease string
}

// archFacts is what the architecture check found for one task.
type archFacts struct {
	Task     releasedTask
	Value    string // the parameter's value
	Missing  bool   // the parameter does not exist
	ParamErr error
	// Image is Value parsed as an image in this account's private ECR in
	// the deploy's region; NotECR when it is not one.
	Image  ecrImage
	NotECR bool
	// Platforms the image is built for, "linux/amd64"; NotFound when the
	// repository does not hold it.
	Platforms []string
	NotFound  bool
	ReadErr   error
	Region    string
	Profile   string
	// Dockerfile and Context are the pipeline build's ("" when the
	// templates have no build).
	Dockerfile, Context string
}

// ecrImage is an image in a private ECR registry.
type ecrImage struct {
	Account, Region, Repository string
	Tag, Digest                 string
}

var ecrImageRe = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9._/-]+?)(?::([A-Za-z0-9._-]+)|@(sha256:[0-9a-f]{64}))?$`)

func parseECRImage(s string) (ecrImage, bool) {
	m := ecrImageRe.FindStringSubmatch(s)
	if m == nil {
		return ecrImage{}, false
	}
	img := ecrImage{Account: m[1], Region: m[2], Repository: m[3], Tag: m[4], Digest: m[5]}
	if img.Tag == "" && img.Digest == "" {
		img.Tag = "latest"
	}
	return img, true
}

// platformOf is the image platform a task's CPU architecture runs.
var platformOf = map[string]string{"X86_64": "linux/amd64", "ARM64": "linux/arm64"}

// checkArchitecture checks, for every task definition whose image is the
// released one, that the released image runs on the architecture this
// deploy gives the task, and, while the architecture changes, on the one
// the deployed task runs too: make deploy's sync and the rollback of a
// failed deploy run it there.
func checkArchitecture(e *env) []Result {
	tasks := releasedTasks(e.a)
	if len(tasks) == 0 {
		return []Result{{Check: "architecture", Status: OK, Found: "no task definition reads its image from a released-image parameter"}}
	}
	dockerfile, buildContext := buildSettings(e.a)
	var results []Result
	for _, task := range tasks {
		if d := e.deployedStack(task.Stack); d.Stack != nil {
			if r, ok := d.Template.Resources[task.TaskID]; ok && r.Type == "AWS::ECS::TaskDefinition" {
				task.DeployedArch = taskArch(r)
			}
		}
		f := e.archFacts(task)
		f.Dockerfile, f.Context = dockerfile, buildContext
		results = append(results, architectureResult(f))
	}
	return results
}

// buildSettings are the Dockerfile and build context of the pipeline's
// image build: the CodeBuild project's DOCKERFILE and BUILD_CONTEXT.
func buildSettings(a *Assembly) (dockerfile, buildContext string) {
	for _, s := range a.Stacks {
		for _, id := range s.Template.ofType("AWS::CodeBuild::Project") {
			env, _ := s.Template.Resources[id].Properties["Environment"].(map[string]any)
			vars, _ := env["EnvironmentVariables"].([]any)
			for _, v := range vars {
				m, _ := v.(map[string]any)
				value, _ := m["Value"].(string)
				switch m["Name"] {
				case "DOCKERFILE":
					dockerfile = value
				case "BUILD_CONTEXT":
					buildContext = value
				}
			}
			if dockerfile != "" && buildContext != "" {
				return dockerfile, buildContext
			}
		}
	}
	return "", ""
}

// releasedTasks finds the task definitions whose container image refers
// (Ref) to a parameter of an SSM type, in deploy order.
func releasedTasks(a *Assembly) []releasedTask {
	var out []releasedTask
	for _, s := range a.Stacks {
		for _, id := range s.Template.ofType("AWS::ECS::TaskDefinition") {
			r := s.Template.Resources[id]
			defs, _ := r.Properties["ContainerDefinitions"].([]any)
			for _, d := range defs {
				c, _ := d.(map[string]any)
				key := ssmRef(s.Template, c["Image"])
				if key == "" {
					continue
				}
				name, _ := s.Template.Parameters[key].Default.(string)
				out = append(out, releasedTask{Stack: s.Name, TaskID: id, Arch: taskArch(r), Parameter: name, NoRelease: noReleaseValue(s.Template, key)})
				break
			}
		}
	}
	return out
}

// ssmRef is the key of the SSM-typed parameter a value refers to: the
// released image's, which a condition compares with its no-release value,
// when the value refers to more than one (the endpoints mode's placeholder
// comes through an SSM parameter too).
func ssmRef(t Template, v any) string {
	var keys []string
	walk(v, func(m map[string]any) {
		if r, ok := m["Ref"].(string); ok && strings.HasPrefix(t.Parameters[r].Type, "AWS::SSM::Parameter::Value<") {
			if _, named := t.Parameters[r].Default.(string); named {
				keys = append(keys, r)
			}
		}
	})
	for _, k := range keys {
		if noReleaseValue(t, k) != "" {
			return k
		}
	}
	if len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// noReleaseValue reads the literal a condition compares the parameter
// with: {"Fn::Equals": [{"Ref": key}, "no-release-yet"]}.
func noReleaseValue(t Template, key string) string {
	var out string
	for _, c := range t.Conditions {
		walk(c, func(m map[string]any) {
			eq, ok := m["Fn::Equals"].([]any)
			if !ok || len(eq) != 2 {
				return
			}
			for i := range 2 {
				if ref, _ := eq[i].(map[string]any); ref != nil && ref["Ref"] == key {
					if s, ok := eq[1-i].(string); ok && out == "" {
						out = s
					}
				}
			}
		})
	}
	return out
}

func taskArch(r Resource) string {
	rp, _ := r.Properties["RuntimePlatform"].(map[string]any)
	if a, ok := rp["CpuArchitecture"].(string); ok && a != "" {
		return a
	}
	return "X86_64" // Fargate's default
}

// archFacts reads the parameter and the image's platforms.
func (e *env) archFacts(task releasedTask) archFacts {
	f := archFacts{Task: task, Region: e.region, Profile: e.profile}
	out, err := e.c.SSM.GetParameter(e.ctx, &ssm.GetParameterInput{Name: aws.String(task.Parameter)})
	switch {
	case apiCode(err) == "ParameterNotFound":
		f.Missing = true
		return f
	case err != nil:
		f.ParamErr = err
		return f
	}
	f.Value = deref(out.Parameter.Value)
	if f.Value == task.NoRelease {
		return f
	}
	img, ok := parseECRImage(f.Value)
	if !ok || img.Region != e.region || img.Account != e.account {
		f.NotECR = true
		return f
	}
	f.Image = img
	f.Platforms, f.NotFound, f.ReadErr = e.imagePlatforms(img)
	return f
}

// Media types of the manifests ECR serves.
const (
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	ociManifest        = "application/vnd.oci.image.manifest.v1+json"
	ociIndex           = "application/vnd.oci.image.index.v1+json"
)

// imagePlatforms reads the platforms an image is built for: an image index
// (multi-arch, or one platform with attestations, as buildx pushes) lists
// them; a single image's config names its os and architecture.
func (e *env) imagePlatforms(img ecrImage) (platforms []string, notFound bool, err error) {
	id := ecrtypes.ImageIdentifier{}
	if img.Digest != "" {
		id.ImageDigest = aws.String(img.Digest)
	} else {
		id.ImageTag = aws.String(img.Tag)
	}
	out, err := e.c.ECR.BatchGetImage(e.ctx, &ecr.BatchGetImageInput{
		RegistryId: aws.String(img.Account), RepositoryName: aws.String(img.Repository),
		ImageIds: []ecrtypes.ImageIdentifier{id}, AcceptedMediaTypes: []string{ociIndex, dockerManifestList, ociManifest, dockerManifest},
	})
	if apiCode(err) == "RepositoryNotFoundException" {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("ecr:BatchGetImage: %w", err)
	}
	if len(out.Images) == 0 {
		for _, f := range out.Failures {
			if f.FailureCode == ecrtypes.ImageFailureCodeImageNotFound || f.FailureCode == ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest {
				return nil, true, nil
			}
		}
		return nil, false, fmt.Errorf("ecr:BatchGetImage returned no image")
	}
	var m struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			Platform *struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
				Variant      string `json:"variant"`
			} `json:"platform"`
		} `json:"manifests"`
		Config *struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal([]byte(deref(out.Images[0].ImageManifest)), &m); err != nil {
		return nil, false, fmt.Errorf("its manifest is not JSON: %w", err)
	}
	mediaType := deref(out.Images[0].ImageManifestMediaType)
	if mediaType == "" {
		mediaType = m.MediaType
	}
	if mediaType == ociIndex || mediaType == dockerManifestList || (m.Config == nil && len(m.Manifests) > 0) {
		for _, mf := range m.Manifests {
			// Attestation manifests say unknown/unknown.
			if p := mf.Platform; p != nil && p.OS != "unknown" && p.Architecture != "unknown" {
				platforms = appendPlatform(platforms, p.OS, p.Architecture, p.Variant)
			}
		}
		return platforms, false, nil
	}
	if m.Config == nil || m.Config.Digest == "" {
		return nil, false, fmt.Errorf("its manifest (%s) names no config", mediaType)
	}
	url, err := e.c.ECR.GetDownloadUrlForLayer(e.ctx, &ecr.GetDownloadUrlForLayerInput{
		RegistryId: aws.String(img.Account), RepositoryName: aws.String(img.Repository), LayerDigest: aws.String(m.Config.Digest),
	})
	if err != nil {
		return nil, false, fmt.Errorf("ecr:GetDownloadUrlForLayer of its config %s: %w", m.Config.Digest, err)
	}
	body, err := e.c.Blobs.Fetch(e.ctx, deref(url.DownloadUrl))
	if err != nil {
		return nil, false, fmt.Errorf("downloading its config %s: %w", m.Config.Digest, err)
	}
	var cfg struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	}
	if err := json.Unmarshal(body, &cfg); err != nil || cfg.Architecture == "" {
		return nil, false, fmt.Errorf("its config %s names no architecture", m.Config.Digest)
	}
	return appendPlatform(nil, cfg.OS, cfg.Architecture, cfg.Variant), false, nil
}

func appendPlatform(list []string, os, arch, variant string) []string {
	p := os + "/" + arch
	if variant != "" {
		p += "/" + variant
	}
	if !slices.Contains(list, p) {
		list = append(list, p)
	}
	return list
}

// runsOn tells whether an image of these platforms runs on a task of this
// CPU architecture (any arm64 variant runs on Fargate's ARM64).
func runsOn(platforms []string, arch string) bool {
	want := platformOf[arch]
	for _, p := range platforms {
		if p == want || strings.HasPrefix(p, want+"/") {
			return true
		}
	}
	return false
}

// architectureResult is the line for one task.
func architectureResult(f archFacts) Result {
	r := Result{Check: "architecture"}
	t := f.Task
	switch {
	case f.Missing:
		r.Status, r.Found = OK, fmt.Sprintf("no image released yet: %s does not exist (the registry stack's deploy creates it), so %s starts on its placeholder", t.Parameter, t.Stack)
	case f.ParamErr != nil:
		r.Status, r.Found = Warn, fmt.Sprintf("cannot read %s, which names the image %s runs: %v", t.Parameter, t.Stack, shortErr(f.ParamErr))
		r.Fix = "allow ssm:GetParameter on " + t.Parameter
	case t.NoRelease != "" && f.Value == t.NoRelease:
		r.Status, r.Found = OK, fmt.Sprintf("no image released yet (%s is %s): %s runs its placeholder until the pipeline's first release, built for %s", t.Parameter, f.Value, t.Stack, platformOf[t.Arch])
	case f.NotECR:
		r.Status, r.Found = Warn, fmt.Sprintf("the released image %s (%s) is not in this account's ECR in %s: its platform is not checked against the task's %s", f.Value, t.Parameter, f.Region, t.Arch)
		r.Fix = fmt.Sprintf("check that it is built for %s, e.g. docker buildx imagetools inspect %s", platformOf[t.Arch], f.Value)
	case f.NotFound:
		r.Status, r.Found = Fail, fmt.Sprintf("the released image %s (%s) is not in repository %s (deleted, or expired by its lifecycle rules): tasks that %s starts from now on cannot pull it", f.Value, t.Parameter, f.Image.Repository, t.Stack)
		r.Fix = "release again: run the pipeline (CodePipeline console: the pipeline, Release change), which builds and pushes the image again and records it"
	case f.ReadErr != nil:
		r.Status, r.Found = Warn, fmt.Sprintf("cannot read the platform of the released image %s: %v; a deploy with another architecture than the image's fails", f.Value, shortErr(f.ReadErr))
		r.Fix = fmt.Sprintf("allow ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on repository %s, or check it yourself: docker buildx imagetools inspect %s", f.Image.Repository, f.Value)
	case !runsOn(f.Platforms, t.Arch):
		r.Status = Fail
		r.Found = fmt.Sprintf("the released image %s is built for %s only, and this deploy gives %s's task definition the %s architecture: its tasks could not run the image (exec format error), the circuit breaker would stop the deploy and the stack roll back",
			f.Value, strings.Join(f.Platforms, ", "), t.Stack, t.Arch)
		r.Fix = archFix(f)
	case t.DeployedArch != "" && t.DeployedArch != t.Arch && !runsOn(f.Platforms, t.DeployedArch):
		r.Status = Fail
		r.Found = fmt.Sprintf("the released image %s is built for %s only, and the deployed task definition of %s is %s: make deploy's sync, and the rollback of a failed deploy, would run it there",
			f.Value, strings.Join(f.Platforms, ", "), t.Stack, t.DeployedArch)
		r.Fix = archFix(f)
	default:
		r.Status = OK
		r.Found = fmt.Sprintf("the released image %s is built for %s: %s's %s task definition runs it", f.Value, strings.Join(f.Platforms, ", "), t.Stack, t.Arch)
		if t.DeployedArch != "" && t.DeployedArch != t.Arch {
			r.Found += fmt.Sprintf(", and so does the deployed %s one, which make deploy's sync and a rollback use", t.DeployedArch)
		}
	}
	return r
}

// ReleasedTagPrefix is the tag prefix of a released image, which the
// repository's lifecycle policy keeps apart from the builds (the
// RegistryStack's stacks.ReleasedTagPrefix; a test holds the two equal).
const ReleasedTagPrefix = "released-"

// archFix is the procedure for changing the architecture of an environment
// that has released an image: release one image that runs on both, tagged
// as the pipeline's Release stage tags what it records (so the lifecycle
// policy keeps it), then deploy.
func archFix(f archFacts) string {
	// The commit's tag, without an architecture suffix an earlier attempt
	// may have added.
	tag := f.Image.Tag
	for _, suffix := range []string{"-multiarch", "-arm64", "-amd64"} {
		tag = strings.TrimSuffix(tag, suffix)
	}
	if tag == "" || tag == "latest" {
		tag = "release"
	}
	repo := f.Value
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	} else if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	multi := repo + ":" + tag + "-multiarch"
	kept := repo + ":" + ReleasedTagPrefix + tag + "-multiarch"
	build := "."
	if f.Dockerfile != "" && f.Context != "" {
		build = "-f " + f.Dockerfile + " " + f.Context
	}
	return fmt.Sprintf("release an image that runs on both architectures first, then deploy (docs/deployments.md, Changing the CPU architecture): "+
		"build the released commit for both, from a checkout of it: docker buildx build --platform linux/amd64,linux/arm64 -t %s -t %s --push %s; "+
		"record it: aws ssm put-parameter --name %s --value %s --overwrite --region %s%s; then make deploy again",
		multi, kept, build, f.Task.Parameter, multi, f.Region, profileFlag(f.Profile))
}

// shortErr is an error's first line.
func shortErr(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// BlobAPI downloads what a presigned URL of ECR points at (an image's
// config): a plain HTTPS GET, no AWS API call.
type BlobAPI interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
}

// httpBlobs is BlobAPI over an HTTP client; a config is small, so the body
// is capped.
type httpBlobs struct{ client *http.Client }

func (h httpBlobs) Fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

func newHTTPBlobs() httpBlobs { return httpBlobs{client: &http.Client{Timeout: 30 * time.Second}} }
