package main

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/dockerfile"
)

// buildSpec is the buildspec of the pipeline's CodeBuild project, parsed
// out of the synthesized template.
type buildSpec struct {
	Version string
	Phases  map[string]struct {
		OnFailure string `json:"on-failure"`
		Commands  []string
	}
	Artifacts struct{ Files []string }
}

func parseBuildSpec(t *testing.T, tm template) (string, map[string]any, buildSpec) {
	t.Helper()
	id, project := codeBuildProject(t, tm, "ImageBuild")
	var spec buildSpec
	if err := json.Unmarshal([]byte(project["Source"].(map[string]any)["BuildSpec"].(string)), &spec); err != nil {
		t.Fatalf("buildspec: %v", err)
	}
	return id, project, spec
}

// codeBuildProject is the CodeBuild project of the construct named
// construct (ImageBuild, ReleaseRecord), found by its CDK path.
func codeBuildProject(t *testing.T, tm template, construct string) (string, map[string]any) {
	t.Helper()
	for id, r := range tm.Resources("AWS::CodeBuild::Project") {
		if meta, _ := r["Metadata"].(map[string]any); meta["aws:cdk:path"] == "Pipeline/"+construct+"/Project/Resource" {
			return id, r["Properties"].(map[string]any)
		}
	}
	t.Fatalf("no CodeBuild project of %s: %v", construct, sortedIDs(tm.Resources("AWS::CodeBuild::Project")))
	return "", nil
}

// stageNamed returns the pipeline stage of that name.
func stageNamed(t *testing.T, stages []map[string]any, name string) map[string]any {
	t.Helper()
	for _, st := range stages {
		if st["Name"] == name {
			return st
		}
	}
	t.Fatalf("the pipeline has no %s stage", name)
	return nil
}

// pipelineStages returns the pipeline's stages by name, in order.
func pipelineStages(t *testing.T, tm template) (map[string]any, []map[string]any) {
	t.Helper()
	_, p := tm.Only(t, "AWS::CodePipeline::Pipeline")
	var stages []map[string]any
	for _, st := range p["Stages"].([]any) {
		stages = append(stages, st.(map[string]any))
	}
	return p, stages
}

func action(stage map[string]any) map[string]any {
	return stage["Actions"].([]any)[0].(map[string]any)
}

func TestPipelineStack(t *testing.T) {
	s := synth(t, nil)
	tm := s.templates["Pipeline"]
	svc := s.templates["Service"]
	projectID, project, spec := parseBuildSpec(t, tm)
	pipeline, stages := pipelineStages(t, tm)
	connID, conn := tm.Only(t, "AWS::CodeStarConnections::Connection")
	pipelineRole := ref(pipeline["RoleArn"])
	buildRole := ref(project["ServiceRole"])

	t.Run("1: pipeline and build roles may use the connection, under both prefixes, on its ARN only", func(t *testing.T) {
		if conn["ProviderType"] != "GitHub" {
			t.Errorf("connection %s", jsonOf(conn))
		}
		out := tm["Outputs"].(map[string]any)["ConnectionArn"].(map[string]any)
		if ref(out["Value"]) != connID || !strings.Contains(out["Description"].(string), "PENDING") {
			t.Errorf("ConnectionArn output %s", jsonOf(out))
		}
		for _, role := range []string{pipelineRole, buildRole} {
			granted := map[string]bool{}
			for _, st := range policyStatements(tm, role) {
				for _, a := range strs(st["Action"]) {
					if strings.HasSuffix(a, ":UseConnection") {
						if r := jsonOf(st["Resource"]); r != `{"Fn::GetAtt":["`+connID+`","ConnectionArn"]}` {
							t.Errorf("%s: %s on %s", role, a, r)
						}
						granted[a] = true
					}
				}
			}
			if !granted["codestar-connections:UseConnection"] || !granted["codeconnections:UseConnection"] {
				t.Errorf("%s may use the connection with %v, want both prefixes", role, granted)
			}
		}
		src := action(stages[0])
		if cfg := src["Configuration"].(map[string]any); ref(cfg["ConnectionArn"]) != connID || cfg["FullRepositoryId"] != "example-org/fargate-demo" || cfg["BranchName"] != "main" || cfg["OutputArtifactFormat"] != "CODEBUILD_CLONE_REF" {
			t.Errorf("source %s", jsonOf(cfg))
		}
		if ref(src["RoleArn"]) != "" {
			t.Errorf("the source action has a role of its own; the pipeline role should act")
		}
	})
	t.Run("2: the build may log in to ECR and push to its repository and its cache only", func(t *testing.T) {
		var token, push bool
		repoID, _ := s.templates["Registry"].At(t, "Registry/Repository/Resource")
		cacheID, _ := s.templates["Registry"].At(t, "Registry/BuildCache/Resource")
		for _, st := range policyStatements(tm, buildRole) {
			acts := strs(st["Action"])
			if slices.Equal(acts, []string{"ecr:GetAuthorizationToken"}) && st["Resource"] == "*" {
				token = true
			}
			if slices.Contains(acts, "ecr:PutImage") {
				push = slices.Contains(acts, "ecr:InitiateLayerUpload") && slices.Contains(acts, "ecr:CompleteLayerUpload")
				var on []string
				for _, r := range asList(st["Resource"]) {
					on = append(on, s.imported(r))
				}
				if slices.Sort(on); !slices.Equal(on, sortedIDs(map[string]bool{repoID: true, cacheID: true})) {
					t.Errorf("push on %s, want the RegistryStack's repository and build cache", jsonOf(st["Resource"]))
				}
			}
		}
		if !token || !push {
			t.Errorf("GetAuthorizationToken on *: %v, push on the repository: %v", token, push)
		}
	})
	t.Run("3: the sample Dockerfile: multi-stage, non-root, no Docker Hub login needed", func(t *testing.T) {
		// TestDockerfilesPullNothingFromDockerHub scans it for Docker Hub.
		f, err := os.Open("app/Dockerfile")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var froms int
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if fields := strings.Fields(sc.Text()); len(fields) >= 2 && strings.EqualFold(fields[0], "FROM") {
				froms++
			}
		}
		if froms < 2 {
			t.Errorf("want a multi-stage Dockerfile, found %d FROM lines", froms)
		}
		if user := lastInstruction(t, "app/Dockerfile", "USER"); user == "" || user == "root" || strings.HasPrefix(user, "0") {
			t.Errorf("the image runs as %q, want a non-root user", user)
		}
		if strings.Contains(jsonOf(spec), "DOCKERHUB") {
			t.Errorf("Docker Hub login without a configured secret")
		}
	})
	t.Run("4: imagedefinitions.json names the task definition's container", func(t *testing.T) {
		_, taskDef := svc.Only(t, "AWS::ECS::TaskDefinition")
		want := taskDef["ContainerDefinitions"].([]any)[0].(map[string]any)["Name"].(string)
		re := regexp.MustCompile(`^printf '(\[\{"name":"([^"]+)","imageUri":"%s"\}\])' "\$IMAGE_URI" > imagedefinitions\.json$`)
		var got []string
		for _, c := range spec.Phases["post_build"].Commands {
			if m := re.FindStringSubmatch(c); m != nil {
				var defs []map[string]string
				if err := json.Unmarshal([]byte(strings.Replace(m[1], "%s", "x", 1)), &defs); err != nil {
					t.Errorf("imagedefinitions.json would not be JSON: %v", err)
				}
				got = append(got, m[2])
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("imagedefinitions.json names %v, the task definition's container is %q", got, want)
		}
		if !slices.Equal(spec.Artifacts.Files, []string{"imagedefinitions.json"}) {
			t.Errorf("artifact files %v", spec.Artifacts.Files)
		}
		for name, ph := range spec.Phases {
			if ph.OnFailure != "ABORT" {
				t.Errorf("phase %s goes on after a failure", name)
			}
		}
	})
	t.Run("5: deploy waits for ECS within deployTimeoutMinutes, failures are notified", func(t *testing.T) {
		deploy := action(stageNamed(t, stages, "Deploy"))
		deployID, deployProject := codeBuildProject(t, tm, "EcsDeploy")
		if deploy["ActionTypeId"].(map[string]any)["Provider"] != "CodeBuild" || ref(deploy["Configuration"].(map[string]any)["ProjectName"]) != deployID || jsonOf(deploy["InputArtifacts"]) != `[{"Name":"Image"}]` {
			t.Errorf("deploy %s, want the EcsDeploy project on imagedefinitions.json", jsonOf(deploy))
		}
		vars := projectVars(deployProject)
		if deployProject["TimeoutInMinutes"] != 20.0 || vars["WAIT_SECONDS"] != `"1020"` || vars["CONTAINER_NAME"] != `"app"` {
			t.Errorf("deploy project times out after %v min and waits %s s for ECS, want 20 min and 20 × 60 − 180 s", deployProject["TimeoutInMinutes"], vars["WAIT_SECONDS"])
		}
		spec := projectCommands(t, deployProject)
		if strings.Contains(spec, "exit 0") {
			t.Errorf("the deploy step ends with exit 0: CodeBuild would not export PREVIOUS_TASK_DEFINITION from a shell that exited")
		}
		for _, want := range []string{"set -euo pipefail", "aws ecs register-task-definition", "aws ecs update-service", "aws ecs describe-service-deployments", `SUCCESSFUL) echo "released to ECS: $image"; break ;;`, "ROLLBACK_*|STOPPED|STOP_REQUESTED) ", `stop-service-deployment --service-deployment-arn "$deployment" --stop-type ROLLBACK`} {
			if !strings.Contains(spec, want) {
				t.Errorf("the deploy step lacks %s", want)
			}
		}
		_, rule := tm.Only(t, "AWS::Events::Rule")
		pattern := jsonOf(rule["EventPattern"])
		topicID, _ := svc.Only(t, "AWS::SNS::Topic")
		targets := rule["Targets"].([]any)
		if !strings.Contains(pattern, `"state":["FAILED"]`) || !strings.Contains(pattern, `"detail-type":["CodePipeline Pipeline Execution State Change"]`) || len(targets) != 1 || s.imported(targets[0].(map[string]any)["Arn"]) != topicID {
			t.Errorf("failure rule %s -> %s, want the ServiceStack's topic %s", pattern, jsonOf(targets), topicID)
		}
	})
	t.Run("6: deploy targets the service whose private subnets reach ECR", func(t *testing.T) {
		_, deployProject := codeBuildProject(t, tm, "EcsDeploy")
		vars := projectVars(deployProject)
		serviceID, service := svc.Only(t, "AWS::ECS::Service")
		clusterID, _ := svc.Only(t, "AWS::ECS::Cluster")
		env := deployProject["Environment"].(map[string]any)["EnvironmentVariables"].([]any)
		var cluster, service_ any
		for _, v := range env {
			switch v.(map[string]any)["Name"] {
			case "CLUSTER":
				cluster = v.(map[string]any)["Value"]
			case "SERVICE":
				service_ = v.(map[string]any)["Value"]
			}
		}
		if s.imported(cluster) != clusterID || !strings.Contains(jsonOf(service_), serviceID) {
			t.Errorf("deploy to %s / %s, want %s / %s (%v)", jsonOf(cluster), jsonOf(service_), clusterID, serviceID, vars)
		}
		net := s.templates["Network"]
		routes := defaultRoutes(net)
		_, subnets := network(t, net)
		tables := map[string]string{}
		for _, sn := range subnets {
			tables[sn.id] = sn.routeTable
		}
		for _, sub := range s.importedAll(service["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)["Subnets"]) {
			// dev's egress is a NAT instance (cdk.json).
			if r := routes[tables[sub]]; r == nil || ref(r["NatGatewayId"]) == "" && net.Resources("AWS::EC2::Instance")[ref(r["InstanceId"])] == nil {
				t.Errorf("service subnet %s has no route to a NAT gateway or NAT instance", sub)
			}
		}
	})
	t.Run("pipeline V2, push trigger on the branch, stage order, artifacts wired", func(t *testing.T) {
		if pipeline["PipelineType"] != "V2" {
			t.Errorf("pipeline type %v", pipeline["PipelineType"])
		}
		if jsonOf(pipeline["Triggers"]) != `[{"GitConfiguration":{"Push":[{"Branches":{"Includes":["main"]}}],"SourceActionName":"Source"},"ProviderType":"CodeStarSourceConnection"}]` {
			t.Errorf("triggers %s", jsonOf(pipeline["Triggers"]))
		}
		var names []string
		for _, st := range stages {
			names = append(names, st["Name"].(string))
		}
		if !slices.Equal(names, []string{"Source", "Build", "Deploy", "Release"}) {
			t.Errorf("stages %v (dev has no approval)", names)
		}
		out := func(a map[string]any, key string) string { return jsonOf(a[key]) }
		src, bld, dep, rel := action(stages[0]), action(stages[1]), action(stages[2]), action(stages[3])
		if out(src, "OutputArtifacts") != out(bld, "InputArtifacts") || out(bld, "OutputArtifacts") != out(dep, "InputArtifacts") || out(bld, "OutputArtifacts") != out(rel, "InputArtifacts") || out(bld, "InputArtifacts") == "null" || out(dep, "InputArtifacts") == "null" {
			t.Errorf("artifacts: source %s -> build %s / %s -> deploy %s, release %s", out(src, "OutputArtifacts"), out(bld, "InputArtifacts"), out(bld, "OutputArtifacts"), out(dep, "InputArtifacts"), out(rel, "InputArtifacts"))
		}
		if ref(bld["Configuration"].(map[string]any)["ProjectName"]) != projectID {
			t.Errorf("build action runs %s", jsonOf(bld["Configuration"]))
		}
	})
	t.Run("artifact bucket: encrypted, SSL only, private, emptied on destroy in dev", func(t *testing.T) {
		bucket := ref(pipeline["ArtifactStore"].(map[string]any)["Location"])
		b := tm.Props(bucket)
		if !strings.Contains(jsonOf(b["BucketEncryption"]), "SSEAlgorithm") || jsonOf(b["PublicAccessBlockConfiguration"]) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
			t.Errorf("bucket %s", jsonOf(b))
		}
		ssl := false
		for _, p := range tm.Resources("AWS::S3::BucketPolicy") {
			props := p["Properties"].(map[string]any)
			ssl = ssl || (ref(props["Bucket"]) == bucket && strings.Contains(jsonOf(props), `"aws:SecureTransport":"false"`))
		}
		emptied := false
		for _, r := range tm.Resources("Custom::S3AutoDeleteObjects") {
			emptied = emptied || ref(r["Properties"].(map[string]any)["BucketName"]) == bucket
		}
		if !ssl || !emptied {
			t.Errorf("SSL-only policy %v, emptied on destroy %v", ssl, emptied)
		}
		if !strings.Contains(jsonOf(b["BucketEncryption"]), `"SSEAlgorithm":"aws:kms"`) || jsonOf(project["EncryptionKey"]) != jsonOf(b["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)[0].(map[string]any)["ServerSideEncryptionByDefault"].(map[string]any)["KMSMasterKeyID"]) {
			t.Errorf("artifacts and build output are not under the pipeline's key: bucket %s, project %s", jsonOf(b["BucketEncryption"]), jsonOf(project["EncryptionKey"]))
		}
		if logs := b["LoggingConfiguration"]; logs == nil {
			t.Errorf("artifact bucket without server access logs")
		}
	})
	t.Run("build: privileged, current image, logs, short commit tag, layer cache", func(t *testing.T) {
		env := project["Environment"].(map[string]any)
		// dev runs ARM64 tasks: the image is built on an ARM host.
		if env["PrivilegedMode"] != true || env["Image"] != "aws/codebuild/amazonlinux-aarch64-standard:4.0" || env["ComputeType"] != "BUILD_GENERAL1_SMALL" || env["Type"] != "ARM_CONTAINER" {
			t.Errorf("environment %s", jsonOf(env))
		}
		_, prodProject, _ := parseBuildSpec(t, synth(t, map[string]any{"env": "prod"}).templates["Pipeline"])
		if env := prodProject["Environment"].(map[string]any); env["Image"] != "aws/codebuild/standard:8.0" || env["Type"] != "LINUX_CONTAINER" {
			t.Errorf("prod runs X86_64 tasks, built on %s", jsonOf(env))
		}
		logs := project["LogsConfig"].(map[string]any)["CloudWatchLogs"].(map[string]any)
		if tm.Props(ref(logs["GroupName"]))["RetentionInDays"] != float64(s.cfg.Service.LogRetentionDays) {
			t.Errorf("build logs %s", jsonOf(logs))
		}
		all := strings.Join(slices.Concat(spec.Phases["pre_build"].Commands, spec.Phases["build"].Commands, spec.Phases["post_build"].Commands), "\n")
		// TestBuildCache holds the cache flags to the letter.
		for _, want := range []string{`${CODEBUILD_RESOLVED_SOURCE_VERSION`, `IMAGE_TAG="${COMMIT:0:7}"`, `--cache-from`, `--cache-to`, `-f "$DOCKERFILE"`, `-t "$IMAGE_URI"`, `--push`, `"$BUILD_CONTEXT"`} {
			if !strings.Contains(all, want) {
				t.Errorf("buildspec lacks %s", want)
			}
		}
		if strings.Contains(all, "put-parameter") {
			t.Errorf("the build writes the image parameter: a cdk deploy before the approval or the deploy would ship it")
		}
		vars := map[string]string{}
		for _, v := range env["EnvironmentVariables"].([]any) {
			m := v.(map[string]any)
			vars[m["Name"].(string)] = jsonOf(m["Value"])
		}
		if vars["DOCKERFILE"] != `"app/Dockerfile"` || vars["BUILD_CONTEXT"] != `"app"` {
			t.Errorf("build variables %v", vars)
		}
	})
	t.Run("image record: the Release stage's project may write the image parameter, and only it", func(t *testing.T) {
		paramName, _, _ := imageParameter(t, s)
		_, record := codeBuildProject(t, tm, "ReleaseRecord")
		writes := 0
		for _, role := range []string{buildRole, ref(record["ServiceRole"])} {
			for _, st := range policyStatements(tm, role) {
				if slices.Contains(strs(st["Action"]), "ssm:PutParameter") {
					writes++
					if r := jsonOf(st["Resource"]); role == buildRole || !strings.HasSuffix(r, `:parameter`+paramName+`"]]}`) || strings.Contains(r, "*") {
						t.Errorf("%s: ssm:PutParameter on %s, want only the release project on the image parameter %s", role, r, paramName)
					}
				}
			}
		}
		if writes != 1 {
			t.Errorf("%d statements grant ssm:PutParameter, want the release project's one", writes)
		}
		// It tags the released image, in this repository only: the
		// manifest read and put, no layer push, no delete.
		var ecrActions []string
		for _, st := range policyStatements(tm, ref(record["ServiceRole"])) {
			for _, a := range strs(st["Action"]) {
				if strings.HasPrefix(a, "ecr:") {
					ecrActions = append(ecrActions, a)
					if s.imported(st["Resource"]) == "" || !strings.Contains(jsonOf(st["Resource"]), "Repository") {
						t.Errorf("the release project may %s on %s, want the repository only", a, jsonOf(st["Resource"]))
					}
				}
			}
		}
		if !sameSet(ecrActions, []string{"ecr:BatchGetImage", "ecr:PutImage"}) {
			t.Errorf("the release project's ECR actions are %v, want ecr:BatchGetImage and ecr:PutImage", ecrActions)
		}
		rel := stageNamed(t, stages, "Release")
		var got []string
		for _, a := range rel["Actions"].([]any) {
			am := a.(map[string]any)
			got = append(got, am["Name"].(string)+"@"+jsonOf(am["RunOrder"]))
			if am["Name"] == "RecordImage" && jsonOf(am["InputArtifacts"]) != `[{"Name":"Image"}]` {
				t.Errorf("release action %s, want RecordImage reading the build's imagedefinitions.json", jsonOf(am))
			}
		}
		if !slices.Equal(got, []string{"SmokeTest@1", "RecordImage@2"}) {
			t.Errorf("release actions %v, want the smoke test first, then the record", got)
		}
	})
	t.Run("smoke test: the health path and cdk.json's /smoke through the load balancer; the service's count and its rollback the only AWS calls", func(t *testing.T) {
		_, smoke := codeBuildProject(t, tm, "SmokeTest")
		vars := projectVars(smoke)
		out := svc["Outputs"].(map[string]any)["ServiceUrl"].(map[string]any)
		if vars["SMOKE_PATHS"] != `"/ /smoke"` || vars["SMOKE_TRIES"] != `"3"` || vars["SMOKE_REQUEST_SECONDS"] != `"10"` || !strings.Contains(vars["SMOKE_URL"], "http://") || !strings.Contains(vars["SMOKE_URL"], "Fn::ImportValue") {
			t.Errorf("smoke test variables %v, want the ServiceStack's URL %s and the health path", vars, jsonOf(out["Value"]))
		}
		spec := projectCommands(t, smoke)
		for _, want := range []string{"set -euo pipefail", `curl -sS -o /dev/null -w '%{http_code}' --max-time "$SMOKE_REQUEST_SECONDS" "$SMOKE_URL$path"`, "2??|3??)", "gave no answer within", "want 2xx or 3xx"} {
			if !strings.Contains(spec, want) {
				t.Errorf("the smoke test lacks %s: %s", want, spec)
			}
		}
		if smoke["VpcConfig"] != nil {
			t.Errorf("the smoke test runs in the VPC: its requests would leave through the NAT gateways and reach the load balancer from their addresses, not the users'")
		}
		serviceID, _ := svc.Only(t, "AWS::ECS::Service")
		for _, st := range policyStatements(tm, ref(smoke["ServiceRole"])) {
			for _, a := range strs(st["Action"]) {
				switch {
				case a == "ecs:UpdateService" || a == "ecs:DescribeServices":
					if !strings.Contains(jsonOf(st["Resource"]), serviceID) || strings.Contains(jsonOf(st["Resource"]), `"*"`) {
						t.Errorf("the smoke test may %s on %s, want this service only", a, jsonOf(st["Resource"]))
					}
				case a == "iam:PassRole":
					if !strings.Contains(jsonOf(st["Resource"]), "TaskDefinition") || !strings.Contains(jsonOf(st["Condition"]), "ecs-tasks.amazonaws.com") {
						t.Errorf("the smoke test may pass %s, want the task's roles to ECS only", jsonOf(st["Resource"]))
					}
				case !strings.HasPrefix(a, "logs:") && !strings.HasPrefix(a, "codebuild:") && !strings.HasPrefix(a, "s3:") && !strings.HasPrefix(a, "kms:"):
					t.Errorf("the smoke test's role may %s: it needs only to read this service's task count and roll it back", a)
				}
			}
		}
	})
	t.Run("a failed smoke test rolls the service back to the revision the deploy replaced", func(t *testing.T) {
		_, smoke := codeBuildProject(t, tm, "SmokeTest")
		_, deployProject := codeBuildProject(t, tm, "EcsDeploy")
		var deploySpec map[string]any
		if err := json.Unmarshal([]byte(deployProject["Source"].(map[string]any)["BuildSpec"].(string)), &deploySpec); err != nil {
			t.Fatal(err)
		}
		if exported := jsonOf(deploySpec["env"].(map[string]any)["exported-variables"]); exported != `["PREVIOUS_TASK_DEFINITION"]` || !strings.Contains(projectCommands(t, deployProject), `export PREVIOUS_TASK_DEFINITION="$current"`) {
			t.Errorf("the deploy step exports %s", exported)
		}
		rel := stageNamed(t, stages, "Release")
		var smokeAction map[string]any
		for _, a := range rel["Actions"].([]any) {
			if a.(map[string]any)["Name"] == "SmokeTest" {
				smokeAction = a.(map[string]any)
			}
		}
		if got := jsonOf(smokeAction["Configuration"].(map[string]any)["EnvironmentVariables"]); !strings.Contains(got, `\"name\":\"PREVIOUS_TASK_DEFINITION\"`) || !strings.Contains(got, `#{Deploy.PREVIOUS_TASK_DEFINITION}`) {
			t.Errorf("the smoke test action's variables %s, want PREVIOUS_TASK_DEFINITION from the Deploy namespace", got)
		}
		if dep := action(stageNamed(t, stages, "Deploy")); dep["Namespace"] != "Deploy" {
			t.Errorf("the deploy action's namespace %v", dep["Namespace"])
		}
		if spec := projectCommands(t, smoke); !strings.Contains(spec, `aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$PREVIOUS_TASK_DEFINITION"`) {
			t.Errorf("the smoke test does not roll back: %s", spec)
		}
	})
	t.Run("deploy role: this service, its deployments, its task family and roles", func(t *testing.T) {
		_, deployProject := codeBuildProject(t, tm, "EcsDeploy")
		granted := map[string]string{}
		for _, st := range policyStatements(tm, ref(deployProject["ServiceRole"])) {
			for _, a := range strs(st["Action"]) {
				if strings.HasPrefix(a, "ecs:") || strings.HasPrefix(a, "iam:") {
					granted[a] = jsonOf(st["Resource"])
					if a == "iam:PassRole" && !strings.Contains(jsonOf(st["Condition"]), `"iam:PassedToService":"ecs-tasks.amazonaws.com"`) {
						t.Errorf("iam:PassRole without an iam:PassedToService condition")
					}
				}
			}
		}
		serviceID, _ := svc.Only(t, "AWS::ECS::Service")
		for a, where := range map[string]string{
			"ecs:UpdateService": serviceID, "ecs:DescribeServices": serviceID, "ecs:ListServiceDeployments": serviceID,
			"ecs:DescribeServiceDeployments": ":service-deployment/", "ecs:StopServiceDeployment": ":service-deployment/",
			"ecs:RegisterTaskDefinition": `"*"`, "ecs:TagResource": ":task-definition/demo-dev:*", "iam:PassRole": "TaskDefinition",
		} {
			if !strings.Contains(granted[a], where) {
				t.Errorf("%s on %s, want %s", a, granted[a], where)
			}
		}
	})
}

// projectCommands is a CodeBuild project's build commands, one per line;
// every phase must stop at the first failure.
func projectCommands(t *testing.T, project map[string]any) string {
	t.Helper()
	var spec buildSpec
	if err := json.Unmarshal([]byte(project["Source"].(map[string]any)["BuildSpec"].(string)), &spec); err != nil {
		t.Fatalf("buildspec: %v", err)
	}
	var out []string
	for name, ph := range spec.Phases {
		if ph.OnFailure != "ABORT" {
			t.Errorf("phase %s goes on after a failure", name)
		}
		out = append(out, ph.Commands...)
	}
	return strings.Join(out, "\n")
}

// projectVars is a CodeBuild project's environment variables, values as JSON.
func projectVars(project map[string]any) map[string]string {
	vars := map[string]string{}
	for _, v := range project["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		m := v.(map[string]any)
		vars[m["Name"].(string)] = jsonOf(m["Value"])
	}
	return vars
}

// lastInstruction returns the argument of a Dockerfile's last instruction
// of a kind, e.g. its final USER.
func lastInstruction(t *testing.T, path, kind string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[0], kind) {
			last = f[1]
		}
	}
	return last
}

func TestPipelineVariants(t *testing.T) {
	s := synth(t, map[string]any{
		"env":                  "prod",
		"connectionArn":        "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-0000-1111-2222-333344445555",
		"sourceProvider":       "Bitbucket",
		"sourceBranch":         "release",
		"dockerHubSecretArn":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf",
		"buildTestCommand":     "docker build --target test -f app/Dockerfile app",
		"deployTimeoutMinutes": "40",
		"smokeTestPaths":       `["/smoke","/api/ping?deep=1"]`,
		"architecture":         "ARM64",
		"cpu":                  "1024",
		"memory":               "2048",
	})
	tm := s.templates["Pipeline"]
	_, project, spec := parseBuildSpec(t, tm)
	pipeline, stages := pipelineStages(t, tm)
	const connArn = "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-0000-1111-2222-333344445555"

	t.Run("an existing connection is used, none created", func(t *testing.T) {
		if n := len(tm.Resources("AWS::CodeStarConnections::Connection")); n != 0 {
			t.Errorf("%d connections created", n)
		}
		for _, role := range []string{ref(pipeline["RoleArn"]), ref(project["ServiceRole"])} {
			for _, st := range policyStatements(tm, role) {
				if strings.Contains(jsonOf(st["Action"]), "UseConnection") && st["Resource"] != connArn {
					t.Errorf("%s: UseConnection on %s", role, jsonOf(st["Resource"]))
				}
			}
		}
	})
	t.Run("prod: approval before deploy, trigger on the branch", func(t *testing.T) {
		var names []string
		for _, st := range stages {
			names = append(names, st["Name"].(string))
		}
		if !slices.Equal(names, []string{"Source", "Build", "Approval", "Deploy", "Release"}) {
			t.Errorf("stages %v", names)
		}
		if action(stages[2])["ActionTypeId"].(map[string]any)["Category"] != "Approval" {
			t.Errorf("approval %s", jsonOf(action(stages[2])))
		}
		if !strings.Contains(jsonOf(pipeline["Triggers"]), `"Includes":["release"]`) {
			t.Errorf("triggers %s", jsonOf(pipeline["Triggers"]))
		}
		if _, p := codeBuildProject(t, tm, "EcsDeploy"); p["TimeoutInMinutes"] != 40.0 || projectVars(p)["WAIT_SECONDS"] != `"2220"` {
			t.Errorf("deploy timeout %v min, waiting %s s", p["TimeoutInMinutes"], projectVars(p)["WAIT_SECONDS"])
		}
	})
	t.Run("smoke test: the health path, then the configured paths", func(t *testing.T) {
		if _, p := codeBuildProject(t, tm, "SmokeTest"); projectVars(p)["SMOKE_PATHS"] != `"/ /smoke /api/ping?deep=1"` {
			t.Errorf("smoke paths %s", projectVars(p)["SMOKE_PATHS"])
		}
	})
	t.Run("Docker Hub login with the named secret, read on it only", func(t *testing.T) {
		pre := strings.Join(spec.Phases["pre_build"].Commands, "\n")
		if !strings.Contains(pre, `docker login --username "$DOCKERHUB_USERNAME" --password-stdin`) {
			t.Errorf("no Docker Hub login in %s", pre)
		}
		if build := strings.Join(spec.Phases["build"].Commands, "\n"); strings.Contains(build, "Docker Hub") {
			t.Errorf("the build logs in to Docker Hub, yet refuses Docker Hub images: %s", build)
		}
		var types []string
		for _, v := range project["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
			m := v.(map[string]any)
			if strings.HasPrefix(m["Name"].(string), "DOCKERHUB_") {
				types = append(types, m["Type"].(string)+" "+m["Value"].(string))
			}
		}
		want := []string{"SECRETS_MANAGER arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf:password", "SECRETS_MANAGER arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf:username"}
		if !sameSet(types, want) {
			t.Errorf("Docker Hub variables %v", types)
		}
		var reads []string
		for _, st := range policyStatements(tm, ref(project["ServiceRole"])) {
			if strings.Contains(jsonOf(st["Action"]), "secretsmanager:") {
				reads = append(reads, strs(st["Resource"])...)
			}
		}
		if len(reads) == 0 {
			t.Errorf("the build may not read the Docker Hub secret")
		}
		for _, r := range reads {
			if !strings.HasPrefix(r, "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-") {
				t.Errorf("secret read on %s", r)
			}
		}
	})
	t.Run("test command runs before the image is built and pushed", func(t *testing.T) {
		build := spec.Phases["build"].Commands
		if len(build) < 2 || build[0] != "docker build --target test -f app/Dockerfile app" || !strings.Contains(build[1], "docker build") {
			t.Errorf("build phase %v", build)
		}
	})
	t.Run("ARM64 image built on an ARM host", func(t *testing.T) {
		env := project["Environment"].(map[string]any)
		if env["Type"] != "ARM_CONTAINER" || env["Image"] != "aws/codebuild/amazonlinux-aarch64-standard:4.0" {
			t.Errorf("environment %s", jsonOf(env))
		}
	})
	t.Run("prod keeps its artifacts", func(t *testing.T) {
		bucket := ref(pipeline["ArtifactStore"].(map[string]any)["Location"])
		r := tm["Resources"].(map[string]any)[bucket].(map[string]any)
		if r["DeletionPolicy"] != "Retain" || len(tm.Resources("Custom::S3AutoDeleteObjects")) != 0 {
			t.Errorf("artifact bucket %v, auto-delete %d", r["DeletionPolicy"], len(tm.Resources("Custom::S3AutoDeleteObjects")))
		}
	})
}

// TestSampleAppAnswersTheSmokeTest: every smokeTestPaths entry of an
// environment that builds the sample app is a route the app registers, so
// the first pipeline run's smoke test can pass.
func TestSampleAppAnswersTheSmokeTest(t *testing.T) {
	ctx := cdkJSONContext(t)
	src, err := os.ReadFile("app/main.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := regexp.MustCompile(`(?m)^const SmokePath = "([^"]+)"`).FindAllStringSubmatch(string(src), -1)
	paths := 0
	for _, name := range sortedIDs(ctx["environments"].(map[string]any)) {
		c := maps.Clone(ctx)
		c["env"] = name
		cfg, err := config.Load(c)
		if err != nil {
			t.Fatalf("config of %s: %v", name, err)
		}
		if cfg.Pipeline.Dockerfile != "app/Dockerfile" {
			continue
		}
		for _, p := range cfg.Pipeline.SmokeTestPaths {
			paths++
			if !slices.ContainsFunc(routes, func(m []string) bool { return m[1] == p }) || !strings.Contains(string(src), `mux.HandleFunc("GET "+SmokePath`) {
				t.Errorf("%s's smoke test requests %s, which the sample app (app/main.go) does not serve", name, p)
			}
		}
	}
	if paths == 0 {
		t.Errorf("no environment of cdk.json smoke-tests a path of the sample app beyond its health check")
	}
}

// TestDockerfilesPullNothingFromDockerHub scans the sample Dockerfile and
// the configured dockerfile of every environment in cdk.json for anything
// BuildKit would pull from Docker Hub anonymously: the `# syntax=`
// frontend, FROM, COPY --from and RUN --mount images, with ARG defaults
// and unqualified names resolved (dockerfile.Scan). An environment with
// dockerHubSecretArn logs in first, so its pulls are not anonymous.
func TestDockerfilesPullNothingFromDockerHub(t *testing.T) {
	ctx := cdkJSONContext(t)
	envs, _ := ctx["environments"].(map[string]any)
	if len(envs) == 0 {
		t.Fatal("cdk.json has no environments")
	}
	const sample = "app/Dockerfile"
	builtBy := map[string][]string{sample: nil} // Dockerfile: environments

	for _, name := range sortedIDs(envs) {
		c := maps.Clone(ctx)
		c["env"] = name
		cfg, err := config.Load(c)
		if err != nil {
			t.Fatalf("config of %s: %v", name, err)
		}
		p := cfg.Pipeline
		switch _, err := os.Stat(p.Dockerfile); {
		case p.DockerHubSecretArn != "":
			t.Logf("%s logs in to Docker Hub before it builds %s: not checked", name, p.Dockerfile)
		case err != nil:
			t.Logf("%s builds %s, which is not in this repository: the build checks it before docker build", name, p.Dockerfile)
		default:
			builtBy[p.Dockerfile] = append(builtBy[p.Dockerfile], name)
		}
	}
	for _, path := range sortedIDs(builtBy) {
		who := "the sample app, built by no environment"
		if len(builtBy[path]) > 0 {
			who = "built by " + strings.Join(builtBy[path], ", ")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range dockerfile.Scan(string(b)) {
			t.Errorf("%s:%s (%s): anonymous Docker Hub pulls are rate-limited (toomanyrequests) in CodeBuild; name the image on ECR Public (public.ecr.aws/docker/library/...) or another registry, or set dockerHubSecretArn", path, strings.TrimPrefix(f.String(), "line "), who)
		}
	}
}
