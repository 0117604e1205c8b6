//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The day-2 lifecycle on the emulator: pipeline runs that release, fail or
// are rejected, each followed by a `cdk deploy`; an out-of-band task count;
// a switch of the egress mode and back; destroy, then deploy again. What
// CodePipeline does cannot run on moto (no CodePipeline, no CodeBuild), so
// each run walks the PipelineStack template's own stages in their order and
// does each action's writes: the build pushes to the repository its
// variables name, the ECS action registers a revision and updates the
// service, and whichever action's buildspec runs put-parameter writes the
// parameter its variables name. The template decides the order; a template
// that recorded the image before the deploy would fail these tests.

// outcome is how one simulated pipeline run ends.
type outcome string

const (
	released     outcome = "released"      // every stage succeeds
	buildFailed  outcome = "build-failed"  // the build (its tests, docker build) fails: nothing is pushed
	rejected     outcome = "rejected"      // the manual approval is rejected
	deployFailed outcome = "deploy-failed" // the circuit breaker rolls the deploy back
)

// pipelineRun is what one simulated run did.
type pipelineRun struct {
	Deployment string
	Commit     string
	Outcome    outcome
	Image      string   // the image the build pushed, if it got that far
	Stages     []string // the stages that ran, in order
	Recorded   bool     // whether an action wrote the image parameter
}

// lifecycle is what the runs left behind, for the checks after each
// redeploy: per deployment, the image the parameter must name.
type lifecycle struct {
	Runs      []pipelineRun
	Released  map[string]string // deployment -> last released image
	Pushed    map[string][]string
	Parameter map[string]string // deployment -> the image parameter's name
	Service   map[string][2]string
	Desired   map[string]int32 // deployment -> a count set out of band
}

// pipelineAction is one action of the resolved pipeline template.
type pipelineAction struct {
	Stage, Name, Category, Provider string
	Config                          map[string]any
	Env                             map[string]string // the CodeBuild project's variables
	BuildSpec                       string
}

// resolvedPipeline reads the deployment's PipelineStack template and
// resolves what the simulation needs against the live exports: every
// import must exist, so the stack could deploy next.
func resolvedPipeline(t *testing.T, d deployment) []pipelineAction {
	t.Helper()
	svc := d.deployed(t, "Service")
	pipe := &stack{Name: d.stackName("pipeline"), ID: svc.ID, Template: d.template(t, "Pipeline"), physical: map[string]string{}}
	for _, name := range templateImports(pipe.Template) {
		if _, ok := exports(t)[name]; !ok {
			t.Fatalf("the pipeline imports %s, which no deployed stack exports", name)
		}
	}
	projects := map[string]pipelineAction{}
	for _, id := range pipe.Template.OfType("AWS::CodeBuild::Project") {
		p := pipe.Template.Resources[id].Properties
		a := pipelineAction{Env: map[string]string{}}
		vars, _ := p["Environment"].(map[string]any)["EnvironmentVariables"].([]any)
		for _, v := range vars {
			m := v.(map[string]any)
			if m["Type"] == nil || m["Type"] == "PLAINTEXT" {
				a.Env[m["Name"].(string)] = pipe.str(t, m["Value"])
			}
		}
		a.BuildSpec, _ = p["Source"].(map[string]any)["BuildSpec"].(string)
		projects[id] = a
	}
	var out []pipelineAction
	for _, id := range pipe.Template.OfType("AWS::CodePipeline::Pipeline") {
		for _, st := range pipe.Template.Resources[id].Properties["Stages"].([]any) {
			stage := st.(map[string]any)
			actions := stage["Actions"].([]any)
			// Within a stage, actions run by RunOrder.
			slices.SortStableFunc(actions, func(a, b any) int {
				ra, _ := a.(map[string]any)["RunOrder"].(float64)
				rb, _ := b.(map[string]any)["RunOrder"].(float64)
				return int(ra - rb)
			})
			for _, ac := range actions {
				am := ac.(map[string]any)
				typ := am["ActionTypeId"].(map[string]any)
				a := pipelineAction{Stage: stage["Name"].(string), Name: am["Name"].(string), Category: typ["Category"].(string), Provider: typ["Provider"].(string)}
				a.Config, _ = am["Configuration"].(map[string]any)
				if a.Provider == "CodeBuild" {
					p := projects[ref(a.Config["ProjectName"])]
					a.Env, a.BuildSpec = p.Env, p.BuildSpec
				}
				if a.Provider == "ECS" {
					a.Env = map[string]string{"CLUSTER": pipe.str(t, a.Config["ClusterName"]), "SERVICE": pipe.str(t, a.Config["ServiceName"])}
				}
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the pipeline template has no actions")
	}
	return out
}

func ref(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// simulate runs the pipeline on commit, ending as the outcome says.
func simulate(t *testing.T, d deployment, commit string, end outcome) pipelineRun {
	t.Helper()
	ctx := context.Background()
	run := pipelineRun{Deployment: d.Name, Commit: commit, Outcome: end}
	var imageDefinitions string
	for _, a := range resolvedPipeline(t, d) {
		run.Stages = append(run.Stages, a.Stage+"/"+a.Name)
		switch {
		case a.Category == "Source":
		case a.Provider == "CodeBuild" && a.Env["REPOSITORY_URI"] != "":
			// The image build: tag, push, imagedefinitions.json.
			if end == buildFailed {
				return run
			}
			tag := commit[:7]
			run.Image = a.Env["REPOSITORY_URI"] + ":" + tag
			manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:%064x"},"layers":[]}`, []byte(commit))
			// ImageAlreadyExists on the same manifest is a retried request
			// whose first attempt went through (moto under load): pushed.
			if _, err := ecrC.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(a.Env["REPOSITORY_NAME"]), ImageManifest: aws.String(manifest), ImageTag: aws.String(tag)}); err != nil && !pushedBefore(ctx, a.Env["REPOSITORY_NAME"], tag, manifest, err) {
				t.Fatalf("%s: pushing %s: %v", a.Name, run.Image, err)
			}
			pushCache(t, a, commit)
			defs, _ := json.Marshal([]map[string]string{{"name": "app", "imageUri": run.Image}})
			imageDefinitions = string(defs)
			if strings.Contains(a.BuildSpec, "put-parameter") {
				recordImage(t, a, &run, imageDefinitions)
			}
		case a.Category == "Approval":
			if end == rejected {
				return run
			}
		case a.Provider == "ECS":
			deployImage(t, a.Env["CLUSTER"], a.Env["SERVICE"], run.Image, end == deployFailed)
			if end == deployFailed {
				return run
			}
		case a.Provider == "CodeBuild" && strings.Contains(a.BuildSpec, "put-parameter"):
			recordImage(t, a, &run, imageDefinitions)
		default:
			t.Fatalf("the simulation does not know action %s/%s (%s %s)", a.Stage, a.Name, a.Category, a.Provider)
		}
	}
	if end != released {
		t.Fatalf("the pipeline has no step where a run can end %s: %v", end, run.Stages)
	}
	return run
}

// cacheRef is how the buildspec names its registry cache.
var cacheRef = regexp.MustCompile(`CACHE_REF="\$CACHE_REPOSITORY_URI:([^"$]+)"`)

// pushCache is the build's cache export, when its buildspec has one: a
// cache manifest pushed over the tag the buildspec names, in the
// repository its variables name. Each build overwrites the tag, which the
// cache's repository must allow.
func pushCache(t *testing.T, a pipelineAction, commit string) {
	t.Helper()
	var spec struct {
		Phases map[string]struct{ Commands []string }
	}
	if err := json.Unmarshal([]byte(a.BuildSpec), &spec); err != nil {
		t.Fatalf("%s: the buildspec is not JSON: %v", a.Name, err)
	}
	var commands []string
	for _, ph := range spec.Phases {
		commands = append(commands, ph.Commands...)
	}
	all := strings.Join(commands, "\n")
	if !strings.Contains(all, "--cache-to") {
		return
	}
	m := cacheRef.FindStringSubmatch(all)
	uri := a.Env["CACHE_REPOSITORY_URI"]
	_, repo, ok := strings.Cut(uri, "/")
	if m == nil || !ok {
		t.Fatalf("%s exports a cache, but the simulation cannot tell where: CACHE_REF %v, CACHE_REPOSITORY_URI %q", a.Name, m, uri)
	}
	ctx := context.Background()
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.buildkit.cacheconfig.v0","size":2,"digest":"sha256:%064x"},"layers":[]}`, []byte("cache "+commit))
	if _, err := ecrC.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest), ImageTag: aws.String(m[1])}); err != nil && !pushedBefore(ctx, repo, m[1], manifest, err) {
		t.Fatalf("%s: exporting the cache to %s:%s: %v", a.Name, uri, m[1], err)
	}
	got, err := ecrC.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(m[1])}}})
	if err != nil || len(got.Images) != 1 || aws.ToString(got.Images[0].ImageManifest) != manifest {
		t.Errorf("%s:%s does not name the cache just exported: %v", uri, m[1], err)
	}
}

// pushedBefore tells a PutImage that failed because this very manifest
// already carries the tag (a retry of a request that went through).
func pushedBefore(ctx context.Context, repo, tag, manifest string, err error) bool {
	if apiCode(err) != "ImageAlreadyExistsException" {
		return false
	}
	out, gerr := ecrC.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
	return gerr == nil && len(out.Images) == 1 && aws.ToString(out.Images[0].ImageManifest) == manifest
}

// recordImage is an action whose buildspec writes the image parameter: it
// writes what imagedefinitions.json names.
func recordImage(t *testing.T, a pipelineAction, run *pipelineRun, imageDefinitions string) {
	t.Helper()
	var defs []map[string]string
	if err := json.Unmarshal([]byte(imageDefinitions), &defs); err != nil || len(defs) != 1 {
		t.Fatalf("%s runs before imagedefinitions.json exists (%q)", a.Name, imageDefinitions)
	}
	name := a.Env["IMAGE_PARAMETER"]
	if name == "" {
		t.Fatalf("%s writes the image parameter but its variables do not name it: %v", a.Name, a.Env)
	}
	if _, err := ssmC.PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(defs[0]["imageUri"]), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
	}); err != nil {
		t.Fatalf("%s: writing %s: %v", a.Name, name, err)
	}
	run.Recorded = true
}

// deployImage is the ECS deploy action: a new revision of the running task
// definition with the image, the service pointed at it. A failed deploy is
// rolled back by the circuit breaker to the revision it ran before.
func deployImage(t *testing.T, cluster, service, image string, fail bool) {
	t.Helper()
	ctx := context.Background()
	svc := describeService(t, cluster, service)
	before := aws.ToString(svc.TaskDefinition)
	cur := taskDefinition(t, before)
	containers := cur.ContainerDefinitions
	found := false
	for i := range containers {
		if aws.ToString(containers[i].Name) == "app" {
			containers[i].Image = aws.String(image)
			found = true
		}
	}
	if !found {
		t.Fatalf("the running task definition %s has no container app for imagedefinitions.json", before)
	}
	reg, err := ecsC.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: cur.Family, ContainerDefinitions: containers, Cpu: cur.Cpu, Memory: cur.Memory,
		NetworkMode: cur.NetworkMode, RequiresCompatibilities: cur.RequiresCompatibilities,
		ExecutionRoleArn: cur.ExecutionRoleArn, TaskRoleArn: cur.TaskRoleArn, RuntimePlatform: cur.RuntimePlatform,
	})
	if err != nil {
		t.Fatalf("registering the new revision: %v", err)
	}
	revision := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	if _, err := ecsC.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), TaskDefinition: aws.String(revision)}); err != nil {
		t.Fatalf("pointing the service at %s: %v", revision, err)
	}
	if fail {
		if _, err := ecsC.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), TaskDefinition: aws.String(before)}); err != nil {
			t.Fatalf("rolling the service back to %s: %v", before, err)
		}
	}
}

func describeService(t *testing.T, cluster, service string) ecstypes.Service {
	t.Helper()
	out, err := ecsC.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("ECS service %s in %s: %v", service, cluster, err)
	}
	return out.Services[0]
}

// The simulated commits; the build tags each image with the first 7
// characters.
var pipelineRuns = []struct {
	deployment, commit string
	end                outcome
}{
	{"dev", "a11ce5e0000000000000", released},
	{"dev", "b0b0b0b1111111111111", deployFailed},
	{"dev", "c0ffee02222222222222", buildFailed},
	{"prod", "d00d1e03333333333333", released},
	{"prod", "e1e1e1e4444444444444", rejected},
}

// TestPipelineRuns runs the pipeline on dev and prod: a release, then runs
// that must not change what a `cdk deploy` ships (a deploy the circuit
// breaker rolled back, a failed build, a rejected approval). Then, as
// autoscaling would, it sets dev's task count out of band.
func TestPipelineRuns(t *testing.T) {
	lc := lifecycle{Released: map[string]string{}, Pushed: map[string][]string{}, Parameter: map[string]string{}, Service: map[string][2]string{}, Desired: map[string]int32{}}
	byName := map[string]deployment{}
	for _, d := range deployments(t) {
		byName[d.Name] = d
	}
	for _, r := range pipelineRuns {
		d, ok := byName[r.deployment]
		if !ok {
			t.Fatalf("no deployment %s", r.deployment)
		}
		t.Run(r.deployment+"/"+string(r.end), func(t *testing.T) {
			run := simulate(t, d, r.commit, r.end)
			lc.Runs = append(lc.Runs, run)
			if run.Image != "" {
				lc.Pushed[d.Name] = append(lc.Pushed[d.Name], run.Image)
			}
			if r.end == released {
				lc.Released[d.Name] = run.Image
			}
			if run.Recorded != (r.end == released) {
				t.Errorf("a run that ended %s recorded the image: %v (stages %v)", r.end, run.Recorded, run.Stages)
			}
			name := "/" + d.App + "/" + d.Env + "/image-uri"
			lc.Parameter[d.Name] = name
			if got, want := parameterValue(t, name), lc.Released[d.Name]; got != want {
				t.Errorf("after a run that ended %s, %s = %q, want the last released %q", r.end, name, got, want)
			}
			t.Logf("%s %s: %s; stages %v", d.Name, r.end, run.Image, run.Stages)
		})
	}
	for _, name := range []string{"dev", "prod"} {
		for _, a := range resolvedPipeline(t, byName[name]) {
			if a.Provider == "ECS" {
				lc.Service[name] = [2]string{a.Env["CLUSTER"], a.Env["SERVICE"]}
			}
		}
	}
	// Autoscaling scales dev out; a deploy must leave that alone.
	dev := lc.Service["dev"]
	lc.Desired["dev"] = 3
	if _, err := ecsC.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String(dev[0]), Service: aws.String(dev[1]), DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatalf("setting dev's desired count out of band: %v", err)
	}
	writeJSON(t, "lifecycle.json", lc)
}

// TestRedeployed runs after dev (cpu, memory) and prod (log retention) were
// deployed again with unrelated changes: CloudFormation resolved each
// environment's last released image, not a rolled-back, unbuilt or
// rejected one and not the placeholder; the parameter still names it; the
// out-of-band task count stayed; the endpoints deployment was not touched.
func TestRedeployed(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	forEach(t, func(d deployment) bool { return lc.Released[d.Name] != "" }, func(t *testing.T, d deployment) {
		svc := describeStack(t, d.stackName("service"))
		if svc.Status != "UPDATE_COMPLETE" {
			t.Fatalf("stack %s is %s, want UPDATE_COMPLETE after the redeploy", svc.Name, svc.Status)
		}
		svc.Template = deployedTemplate(t, svc.Name)
		if d.Name == "dev" {
			t.Run("the update reached the task definition", func(t *testing.T) {
				p := svc.Template.Resources[svc.one(t, "AWS::ECS::TaskDefinition")].Properties
				if p["Cpu"] != "1024" || p["Memory"] != "2048" {
					t.Errorf("the deployed task definition has cpu %v and memory %v, want 1024 and 2048 from the redeploy", p["Cpu"], p["Memory"])
				}
			})
		}
		checkRunsReleased(t, svc, lc, d)
	})

	t.Run("other environments untouched", func(t *testing.T) {
		for _, d := range deployments(t) {
			if lc.Released[d.Name] != "" {
				continue
			}
			svc := describeStack(t, d.stackName("service"))
			if svc.Status != "CREATE_COMPLETE" {
				t.Errorf("stack %s is %s: another environment's redeploy touched it", svc.Name, svc.Status)
			}
			name := "/" + d.App + "/" + d.Env + "/image-uri"
			if got := parameterValue(t, name); got != noRelease(t, d) {
				t.Errorf("%s = %s: another environment's pipeline run wrote it", name, got)
			}
		}
	})
}

// checkRunsReleased checks a deployed service stack runs the deployment's
// last released image, and keeps a task count set out of band.
func checkRunsReleased(t *testing.T, svc *stack, lc lifecycle, d deployment) {
	t.Helper()
	want := lc.Released[d.Name]
	t.Run("CloudFormation resolved the released image", func(t *testing.T) {
		key := imageParameterKey(t, svc)
		if got := svc.Params[key]; got != want {
			t.Errorf("the deploy resolved the image parameter to %q, want the last released %q (pushed: %v)", got, want, lc.Pushed[d.Name])
		}
		if got := parameterValue(t, lc.Parameter[d.Name]); got != want {
			t.Errorf("%s = %q after the deploy, want %q", lc.Parameter[d.Name], got, want)
		}
		td := svc.Template.Resources[svc.one(t, "AWS::ECS::TaskDefinition")].Properties
		if got := svc.str(t, td["ContainerDefinitions"].([]any)[0].(map[string]any)["Image"]); got != want {
			t.Errorf("the deployed task definition's image resolves to %q, want %q: the placeholder here would send production back to nginx", got, want)
		}
	})
	t.Run("what ECS shows", func(t *testing.T) {
		sv := lc.Service[d.Name]
		running := aws.ToString(describeService(t, sv[0], sv[1]).TaskDefinition)
		image := aws.ToString(container(t, taskDefinition(t, running), "app").Image)
		if image != want {
			t.Errorf("the service runs %s with image %q, want %s", running, image, want)
		}
	})
	if n, ok := lc.Desired[d.Name]; ok {
		t.Run("the task count autoscaling chose stayed", func(t *testing.T) {
			sv := lc.Service[d.Name]
			if got := describeService(t, sv[0], sv[1]).DesiredCount; got != n {
				t.Errorf("desired count %d after the deploy, want the %d set out of band: the deploy reset what autoscaling chose", got, n)
			}
		})
	}
}

// TestEgressSwitched runs after dev's egress mode was switched (to
// endpoints, and later back to nat) on the running environment: the
// network has the new mode, and the service still runs the released image.
func TestEgressSwitched(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	forEach(t, func(d deployment) bool { return d.Name == "dev" }, func(t *testing.T, d deployment) {
		net := describeStack(t, d.stackName("network"))
		net.Template = deployedTemplate(t, net.Name)
		endpoints := len(net.Template.OfType("AWS::EC2::VPCEndpoint")) > 1
		nats := len(net.Template.OfType("AWS::EC2::NatGateway"))
		t.Logf("%s now has %d NAT gateways, interface endpoints: %v", net.Name, nats, endpoints)
		if endpoints == (nats > 0) {
			t.Errorf("the deployed network has %d NAT gateways and interface endpoints %v: want one egress mode", nats, endpoints)
		}
		svc := describeStack(t, d.stackName("service"))
		svc.Template = deployedTemplate(t, svc.Name)
		checkRunsReleased(t, svc, lc, d)
	})
}

// TestRegistryKept runs after `make destroy`'s stacks were destroyed: each
// environment's registry stack is still there, with every image pushed
// before and the released image in its parameter.
func TestRegistryKept(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	forEach(t, nil, func(t *testing.T, d deployment) {
		reg := d.deployed(t, "Registry")
		checkImages(t, reg, lc.Pushed[d.Name])
		want := lc.Released[d.Name]
		if want == "" {
			want = noRelease(t, d)
		}
		if got := parameterValue(t, "/"+d.App+"/"+d.Env+"/image-uri"); got != want {
			t.Errorf("the image parameter holds %q after destroy, want %q", got, want)
		}
	})
}

// checkImages checks the registry's repository holds every pushed image.
func checkImages(t *testing.T, reg *stack, pushed []string) {
	t.Helper()
	name := reg.phys(t, reg.at(t, "Registry/Repository/Resource"))
	out, err := ecrC.DescribeImages(context.Background(), &ecr.DescribeImagesInput{RepositoryName: aws.String(name)})
	if err != nil {
		t.Fatalf("images of %s: %v", name, err)
	}
	var tags []string
	for _, img := range out.ImageDetails {
		tags = append(tags, img.ImageTags...)
	}
	for _, image := range pushed {
		tag := image[strings.LastIndexByte(image, ':')+1:]
		if !slices.Contains(tags, tag) {
			t.Errorf("repository %s lost %s: it holds %v", name, image, tags)
		}
	}
}

// TestRedeployedAfterDestroy runs after dev was deployed again once `make
// destroy` had deleted its stacks: the deploy created them (no name
// collides with what was kept), the repository still holds every image, and
// the service is back on the image it ran before the destroy.
func TestRedeployedAfterDestroy(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	delete(lc.Desired, "dev") // a new service: autoscaling starts over
	forEach(t, func(d deployment) bool { return d.Name == "dev" }, func(t *testing.T, d deployment) {
		for _, id := range []string{"Network", "Service"} {
			if s := describeStack(t, d.stackName(strings.ToLower(id))); s.Status != "CREATE_COMPLETE" {
				t.Errorf("stack %s is %s, want CREATE_COMPLETE", s.Name, s.Status)
			}
		}
		checkImages(t, d.deployed(t, "Registry"), lc.Pushed[d.Name])
		svc := d.deployed(t, "Service")
		svc.Template = deployedTemplate(t, svc.Name)
		// The service is new: find it through the deployed stack.
		cluster := svc.phys(t, svc.one(t, "AWS::ECS::Cluster"))
		service := svc.phys(t, svc.one(t, "AWS::ECS::Service"))
		lc.Service[d.Name] = [2]string{cluster, service[strings.LastIndexByte(service, '/')+1:]}
		checkRunsReleased(t, svc, lc, d)
	})
}
