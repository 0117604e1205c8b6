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
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The day-2 lifecycle on the emulator: pipeline runs that release, fail or
// are rejected, each followed by a `cdk deploy`; an out-of-band task count;
// a switch of the egress mode and back; destroy, then deploy again. What
// CodePipeline does cannot run on moto (no CodePipeline, no CodeBuild), so
// each run walks the PipelineStack template's own stages in their order and
// does each action's writes: the build pushes to the repository its
// variables name, the deploy step registers a revision and updates the
// service, a failing smoke test points the service back at the revision it
// replaced, and whichever action's buildspec runs put-parameter writes the
// parameter its variables name. The template decides the order; a template
// that recorded the image before the deploy or the smoke test would fail
// these tests.

// outcome is how one simulated pipeline run ends.
type outcome string

const (
	released     outcome = "released"      // every stage succeeds
	buildFailed  outcome = "build-failed"  // the build (its tests, docker build) fails: nothing is pushed
	rejected     outcome = "rejected"      // the manual approval is rejected
	deployFailed outcome = "deploy-failed" // the circuit breaker or a rollback alarm rolls the deploy back
	smokeFailed  outcome = "smoke-failed"  // the deploy succeeds, the smoke test fails and goes back
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
	var imageDefinitions, previous string
	for _, a := range resolvedPipeline(t, d) {
		run.Stages = append(run.Stages, a.Stage+"/"+a.Name)
		switch {
		case a.Category == "Source":
		case a.Provider == "CodeBuild" && pushesImage(a.BuildSpec):
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
				t.Fatalf("%s, the image build, writes the image parameter: before the approval and the deploy", a.Name)
			}
		case a.Category == "Approval":
			if end == rejected {
				return run
			}
		case a.Provider == "CodeBuild" && a.Env["SMOKE_URL"] != "":
			// The smoke test requests the service's URL: the load balancer
			// of this deployment's ServiceStack.
			if want := "http://" + albDNS(t, d); a.Env["SMOKE_URL"] != want {
				t.Fatalf("%s requests %s, want the deployed load balancer's %s", a.Name, a.Env["SMOKE_URL"], want)
			}
			if end == smokeFailed {
				if previous == "" {
					t.Fatalf("%s runs before a deploy: there is no revision to go back to", a.Name)
				}
				pointService(t, a.Env["CLUSTER"], a.Env["SERVICE"], previous)
				return run
			}
		case deploys(a):
			previous = deployImage(t, a.Env["CLUSTER"], a.Env["SERVICE"], run.Image, end == deployFailed)
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

// recordImage is an action whose buildspec writes the image parameter: its
// build phase runs as CodeBuild runs it, command after command in one bash,
// stopping at the first failure, with the project's variables as the
// template resolves them, the AWS CLI and jq, against the emulator, in a
// directory holding the build's imagedefinitions.json. So whatever the
// buildspec does (tag the released image, write the parameter) happens to
// the emulated account, and a buildspec that fails there fails the run.
func recordImage(t *testing.T, a pipelineAction, run *pipelineRun, imageDefinitions string) {
	t.Helper()
	var defs []map[string]string
	if err := json.Unmarshal([]byte(imageDefinitions), &defs); err != nil || len(defs) != 1 {
		t.Fatalf("%s runs before imagedefinitions.json exists (%q)", a.Name, imageDefinitions)
	}
	var spec struct {
		Phases map[string]struct{ Commands []string }
	}
	if err := json.Unmarshal([]byte(a.BuildSpec), &spec); err != nil || len(spec.Phases["build"].Commands) == 0 {
		t.Fatalf("%s: no build phase in its buildspec (%v): %s", a.Name, err, a.BuildSpec)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "imagedefinitions.json"), []byte(imageDefinitions), 0o644); err != nil {
		t.Fatal(err)
	}
	endpoint, err := Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	for _, c := range spec.Phases["build"].Commands {
		script.WriteString(c + "\nrc=$?; if [ $rc -ne 0 ]; then exit $rc; fi\n")
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+endpoint, "AWS_PAGER=")
	for k, v := range a.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: its build phase failed against the emulator: %v\n%s", a.Name, err, out)
	}
	t.Logf("%s: %s", a.Name, strings.TrimSpace(string(out)))
	run.Recorded = true
}

// deploys reports whether an action is the deploy: CodePipeline's ECS
// action, or a project that updates the service and is not the smoke test.
func deploys(a pipelineAction) bool {
	return a.Provider == "ECS" || a.Provider == "CodeBuild" && a.Env["SERVICE"] != "" && a.Env["SMOKE_URL"] == "" && strings.Contains(a.BuildSpec, "aws ecs update-service")
}

// albDNS is the DNS name of a deployment's load balancer.
func albDNS(t *testing.T, d deployment) string {
	t.Helper()
	svc := d.deployed(t, "Service")
	arn := svc.phys(t, svc.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer"))
	out, err := elbC.DescribeLoadBalancers(context.Background(), &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	if err != nil || len(out.LoadBalancers) != 1 {
		t.Fatalf("load balancer %s: %v", arn, err)
	}
	return aws.ToString(out.LoadBalancers[0].DNSName)
}

// pointService updates the service to a task definition.
func pointService(t *testing.T, cluster, service, taskDefinition string) {
	t.Helper()
	if _, err := ecsC.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), TaskDefinition: aws.String(taskDefinition)}); err != nil {
		t.Fatalf("pointing the service at %s: %v", taskDefinition, err)
	}
}

// deployImage is the deploy step: a new revision of the running task
// definition with the image, the service pointed at it. A failed deploy is
// rolled back (circuit breaker, rollback alarm) to the revision it ran
// before, which it returns.
func deployImage(t *testing.T, cluster, service, image string, fail bool) string {
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
	pointService(t, cluster, service, aws.ToString(reg.TaskDefinition.TaskDefinitionArn))
	if fail {
		pointService(t, cluster, service, before)
	}
	return before
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
	{"dev", "5a0ce0f5555555555555", smokeFailed},
	{"prod", "d00d1e03333333333333", released},
	{"prod", "e1e1e1e4444444444444", rejected},
}

// TestPipelineRuns runs the pipeline on dev and prod: a release, then runs
// that must not change what a `cdk deploy` ships (a deploy rolled back, a
// failed build, a deploy whose smoke test failed, a rejected approval).
// Then, as autoscaling would, it sets dev's task count out of band.
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
			if deploys(a) {
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
			t.Run("rolling switched to blue-green on the running environment", func(t *testing.T) { checkSwitchedToBlueGreen(t, svc) })
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

// checkSwitchedToBlueGreen checks dev's redeploy with deploymentStrategy
// blue-green: the deployed template asks ECS for BLUE_GREEN and names an
// alternate target group, the rules of the production and test listeners
// and the shift role, and the update created each of them.
func checkSwitchedToBlueGreen(t *testing.T, svc *stack) {
	t.Helper()
	ctx := context.Background()
	p := svc.Template.Resources[svc.one(t, "AWS::ECS::Service")].Properties
	if got := p["DeploymentConfiguration"].(map[string]any)["Strategy"]; got != "BLUE_GREEN" {
		t.Fatalf("the deployed service's strategy is %v, want BLUE_GREEN after the switch", got)
	}
	adv := p["LoadBalancers"].([]any)[0].(map[string]any)["AdvancedConfiguration"].(map[string]any)
	alt := svc.phys(t, refID(adv["AlternateTargetGroupArn"]))
	if out, err := elbC.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{alt}}); err != nil || len(out.TargetGroups) != 1 {
		t.Errorf("the alternate target group %s was not created: %v", alt, err)
	}
	for _, key := range []string{"ProductionListenerRule", "TestListenerRule"} {
		arn := svc.phys(t, refID(adv[key]))
		if out, err := elbC.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{arn}}); err != nil || len(out.Rules) != 1 {
			t.Errorf("%s %s was not created: %v", key, arn, err)
		}
	}
	role := svc.phys(t, adv["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string))
	if _, err := iamC.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role[strings.LastIndexByte(role, '/')+1:])}); err != nil {
		t.Errorf("the shift role %s was not created: %v", role, err)
	}
	sv := lifecycleService(t, svc)
	if dc := describeService(t, sv[0], sv[1]).DeploymentConfiguration; dc == nil || dc.Strategy == "" {
		recordGap(t, "ecs-service-deployment-strategy", fmt.Sprintf("after the switch, DescribeServices shows deploymentConfiguration %+v", dc))
	} else if dc.Strategy != "BLUE_GREEN" {
		t.Errorf("ECS deploys %s after the switch, want BLUE_GREEN", dc.Strategy)
	}
}

// lifecycleService is a deployed service stack's cluster and service name.
func lifecycleService(t *testing.T, svc *stack) [2]string {
	t.Helper()
	service := svc.phys(t, svc.one(t, "AWS::ECS::Service"))
	return [2]string{svc.phys(t, svc.one(t, "AWS::ECS::Cluster")), service[strings.LastIndexByte(service, '/')+1:]}
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
		td := taskDefinition(t, running)
		if len(td.ContainerDefinitions) > 0 && !slices.ContainsFunc(td.ContainerDefinitions, func(c ecstypes.ContainerDefinition) bool { return c.Name != nil }) {
			recordGap(t, "ecs-task-update-keys", fmt.Sprintf("%s: %d container definitions without a name or image", running, len(td.ContainerDefinitions)))
			return
		}
		image := aws.ToString(container(t, td, "app").Image)
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
// endpoints, and later back to its NAT instance) on the running
// environment: the network has the new mode, the NAT instance runs when the
// mode has one (a new one after the switch back), and the service still
// runs the released image.
func TestEgressSwitched(t *testing.T) {
	var lc lifecycle
	readJSON(t, "lifecycle.json", &lc)
	forEach(t, func(d deployment) bool { return d.Name == "dev" }, func(t *testing.T, d deployment) {
		net := describeStack(t, d.stackName("network"))
		net.Template = deployedTemplate(t, net.Name)
		endpoints := len(net.Template.OfType("AWS::EC2::VPCEndpoint")) > 1
		nats := len(net.Template.OfType("AWS::EC2::NatGateway")) + len(net.Template.OfType("AWS::EC2::Instance"))
		t.Logf("%s now has %d NAT gateways or instances, interface endpoints: %v", net.Name, nats, endpoints)
		if endpoints == (nats > 0) {
			t.Errorf("the deployed network has %d NAT gateways or instances and interface endpoints %v: want one egress mode", nats, endpoints)
		}
		// moto leaves the routes an update removed (cfn-update-leftovers):
		// the switch back would fail to add its own (RouteAlreadyExists).
		// They go, as CloudFormation would have deleted them.
		sweepRoutes(t, net)
		for _, id := range net.Template.OfType("AWS::EC2::Instance") {
			phys := net.phys(t, id)
			out, err := ec2C.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{phys}})
			if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
				t.Fatalf("the NAT instance %s (%s) after the switch: %+v, %v", id, phys, out, err)
			}
			if state := out.Reservations[0].Instances[0].State.Name; state != ec2types.InstanceStateNameRunning && state != ec2types.InstanceStateNamePending {
				t.Errorf("the NAT instance %s (%s) after the switch is %s; want it running", id, phys, state)
			}
			// The switch to endpoints deleted the first deploy's
			// instance: the switch back creates another.
			var first string
			readJSON(t, "nat-instance-"+net.Name+".json", &first)
			if phys == first {
				t.Errorf("the NAT instance %s after the switch back is the first deploy's %s: the update created none", id, phys)
			}
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
		if lc.Released[d.Name] != "" {
			checkReleasedTag(t, reg, lc.Released[d.Name])
		}
	})
}

// checkReleasedTag checks that the released image also carries the tag the
// repository's lifecycle policy keeps apart from the builds: the prefix of
// the policy's tagPrefixList rule (read from the deployed template), then
// the image's own tag, on the very same image (digest).
func checkReleasedTag(t *testing.T, reg *stack, image string) {
	t.Helper()
	repoID := reg.at(t, "Registry/Repository/Resource")
	policy, _ := reg.Template.Resources[repoID].Properties["LifecyclePolicy"].(map[string]any)
	var rules struct {
		Rules []struct {
			Selection struct{ TagPrefixList []string }
		}
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(policy["LifecyclePolicyText"])), &rules); err != nil {
		t.Fatalf("the repository's lifecycle policy: %v", err)
	}
	prefix := ""
	for _, r := range rules.Rules {
		if len(r.Selection.TagPrefixList) == 1 {
			prefix = r.Selection.TagPrefixList[0]
		}
	}
	if prefix == "" {
		t.Fatalf("the lifecycle policy keeps no tag prefix apart: nothing protects the released image %s", image)
	}
	tag := image[strings.LastIndexByte(image, ':')+1:]
	out, err := ecrC.DescribeImages(context.Background(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String(reg.phys(t, repoID)),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}, {ImageTag: aws.String(prefix + tag)}},
	})
	if err != nil {
		t.Fatalf("the released image %s tagged %s%s: %v", image, prefix, tag, err)
	}
	digests := map[string]bool{}
	for _, img := range out.ImageDetails {
		digests[aws.ToString(img.ImageDigest)] = true
	}
	if len(out.ImageDetails) == 0 || len(digests) != 1 || !slices.Contains(out.ImageDetails[0].ImageTags, prefix+tag) {
		t.Errorf("the released image %s is not tagged %s%s on the same image: %d images, %v", image, prefix, tag, len(out.ImageDetails), digests)
	}
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

// sweepRoutes deletes the routes of the network's route tables whose target
// (an instance, a NAT gateway) the deployed stack no longer holds: moto
// leaves them after the update that removed them from the template.
func sweepRoutes(t *testing.T, s *stack) {
	t.Helper()
	ctx := context.Background()
	held := map[string]bool{}
	for _, p := range s.physical {
		held[p] = true
	}
	vpc := s.phys(t, s.one(t, "AWS::EC2::VPC"))
	tables, err := ec2C.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range tables.RouteTables {
		for _, r := range rt.Routes {
			target := aws.ToString(r.InstanceId) + aws.ToString(r.NatGatewayId)
			if target == "" || held[target] || r.DestinationCidrBlock == nil {
				continue
			}
			recordGap(t, "cfn-update-leftovers", fmt.Sprintf("route %s -> %s in %s", aws.ToString(r.DestinationCidrBlock), target, aws.ToString(rt.RouteTableId)))
			if _, err := ec2C.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: rt.RouteTableId, DestinationCidrBlock: r.DestinationCidrBlock}); err != nil {
				t.Errorf("deleting the leftover route %s -> %s in %s: %v", aws.ToString(r.DestinationCidrBlock), target, aws.ToString(rt.RouteTableId), err)
			}
		}
	}
}

// pushesImage: the buildspec pushes an image, with docker push or with
// docker buildx build --push (the build that exports the layer cache).
func pushesImage(buildSpec string) bool {
	return strings.Contains(buildSpec, "docker push") || strings.Contains(buildSpec, "docker buildx build") && strings.Contains(buildSpec, "--push")
}
