package main

// What AWS does at deploy and run time that no schema or linter checks,
// read from the synthesized templates: the order CloudFormation creates
// things in, the hosts CodeBuild has in every region, the ARNs an IAM grant
// must match.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/preflight"
	"github.com/cdkdemo/fargate/stacks"
)

// dependsOn lists a resource's DependsOn.
func dependsOn(tm template, id string) []string {
	res, _ := tm["Resources"].(map[string]any)
	r, _ := res[id].(map[string]any)
	return strs(r["DependsOn"])
}

// TestServiceWaitsForItsRolesPolicies: CloudFormation starts the service's
// tasks as soon as the service (and its task definition) are updated; a
// policy of the task's roles that is updated in the same deploy (a new
// secret's grant) must be in place by then, or the new tasks fail to start
// (aws/aws-cdk#18675). Nothing orders them but DependsOn: the task
// definition references the roles, not their policies.
func TestServiceWaitsForItsRolesPolicies(t *testing.T) {
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			tm := synth(t, v.overrides).templates["Service"]
			svcID, _ := tm.Only(t, "AWS::ECS::Service")
			tdID, td := tm.Only(t, "AWS::ECS::TaskDefinition")
			waits := append(dependsOn(tm, svcID), dependsOn(tm, tdID)...)
			roles := map[string]string{"execution": ref(td["ExecutionRoleArn"]), "task": ref(td["TaskRoleArn"])}
			for kind, role := range roles {
				if role == "" {
					t.Fatalf("the task definition has no %s role in this stack: %s", kind, jsonOf(td))
				}
				attached := 0
				for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
					for id, p := range tm.Resources(typ) {
						if !slices.Contains(refs(p["Properties"].(map[string]any)["Roles"]), role) {
							continue
						}
						attached++
						if !slices.Contains(waits, id) {
							t.Errorf("the service %s does not wait for %s, a policy of the task's %s role: tasks of an update that adds a grant there can start before it exists (service DependsOn %v)", svcID, id, kind, dependsOn(tm, svcID))
						}
					}
				}
				if kind == "execution" && attached == 0 {
					t.Errorf("no policy is attached to the execution role %s: the check would pass on nothing", role)
				}
			}
		})
	}
}

// TestPipelineStepsRunOnEveryRegionsHost: the deploy step, the smoke test and
// the release record run in every environment, whatever its architecture, so
// their build host must be one CodeBuild has in every region: x86_64 Linux,
// small. Arm hosts are in fewer regions.
func TestPipelineStepsRunOnEveryRegionsHost(t *testing.T) {
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			tm := synth(t, v.overrides).templates["Pipeline"]
			steps := 0
			for id, r := range tm.Resources("AWS::CodeBuild::Project") {
				meta, _ := r["Metadata"].(map[string]any)
				if meta["aws:cdk:path"] == "Pipeline/ImageBuild/Project/Resource" {
					continue // its host follows the service's architecture
				}
				steps++
				env := r["Properties"].(map[string]any)["Environment"].(map[string]any)
				if env["Type"] != "LINUX_CONTAINER" || env["ComputeType"] != "BUILD_GENERAL1_SMALL" {
					t.Errorf("%s (%v) runs on %v %v, want LINUX_CONTAINER BUILD_GENERAL1_SMALL (x86_64, in every CodeBuild region)", id, meta["aws:cdk:path"], env["Type"], env["ComputeType"])
				}
				if img, _ := env["Image"].(string); !strings.HasPrefix(img, "aws/codebuild/standard:") {
					t.Errorf("%s's image %v is not a CodeBuild standard (x86_64) image", id, env["Image"])
				}
			}
			if steps == 0 {
				t.Error("no CodeBuild project besides the image build: the release record at least should be one")
			}
		})
	}
}

// iamMatch matches an ARN against an IAM resource pattern: * is any run of
// characters, ? is one character.
func iamMatch(pattern, arn string) bool {
	if pattern == "" {
		return arn == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(arn); i++ {
			if iamMatch(pattern[1:], arn[i:]) {
				return true
			}
		}
		return false
	case '?':
		return arn != "" && iamMatch(pattern[1:], arn[1:])
	}
	return arn != "" && arn[0] == pattern[0] && iamMatch(pattern[1:], arn[1:])
}

// TestContainerSecretsAreReadable: ECS reads a Secrets Manager secret with
// the task's execution role, and IAM checks the secret's complete ARN,
// which ends in a hyphen and six random characters. A configured ARN may be
// complete or partial (the name alone), and no pattern tells them apart: a
// name such as app-config ends in a hyphen and six characters too, and
// Secrets Manager then "assumes that you're specifying a complete ARN". So
// the grant must match the ARN as configured and the same with any six
// characters appended, and nothing longer or shorter.
func TestContainerSecretsAreReadable(t *testing.T) {
	checked := 0
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			tm := synth(t, v.overrides).templates["Service"]
			_, td := tm.Only(t, "AWS::ECS::TaskDefinition")
			var grants []string
			for _, st := range policyStatements(tm, ref(td["ExecutionRoleArn"])) {
				if st["Effect"] == "Allow" && slices.Contains(strs(st["Action"]), "secretsmanager:GetSecretValue") {
					grants = append(grants, strs(st["Resource"])...)
				}
			}
			readable := func(arn string) bool {
				return slices.ContainsFunc(grants, func(p string) bool { return iamMatch(p, arn) })
			}
			for _, c := range td["ContainerDefinitions"].([]any) {
				secrets, _ := c.(map[string]any)["Secrets"].([]any)
				for _, s := range secrets {
					arn, _ := s.(map[string]any)["ValueFrom"].(string)
					if !strings.Contains(arn, ":secretsmanager:") {
						continue
					}
					checked++
					for _, real := range []string{arn, arn + "-Ab1Cd2"} {
						if !readable(real) {
							t.Errorf("secret %s: the execution role cannot read a secret whose complete ARN is %s (grants %v)", arn, real, grants)
						}
					}
					for _, other := range []string{arn + "x", arn + "-Ab1Cd", arn + "-Ab1Cd2x", arn + "/other"} {
						if readable(other) {
							t.Errorf("secret %s: the execution role may also read %s (grants %v)", arn, other, grants)
						}
					}
				}
			}
		})
	}
	if checked < 3 {
		t.Errorf("only %d Secrets Manager secrets in the variants: the check needs a complete ARN, a partial one and a partial one ending in -XXXXXX", checked)
	}
}

// lifecycleRule is one rule of an ECR lifecycle policy.
type lifecycleRule struct {
	RulePriority int
	Selection    struct {
		TagStatus      string
		TagPrefixList  []string
		TagPatternList []string
		CountType      string
		CountNumber    int
	}
	Action struct{ Type string }
}

// ecrImage is an image in a repository, in push order.
type ecrImage struct {
	tags []string
	age  int // days since it was pushed
}

// matches tells whether a rule's tag selection selects an image: for
// "tagged", every prefix (or every pattern, * a wildcard) must match one of
// its tags.
func (r lifecycleRule) matches(img ecrImage) bool {
	switch r.Selection.TagStatus {
	case "any":
		return true
	case "untagged":
		return len(img.tags) == 0
	}
	if len(img.tags) == 0 {
		return false
	}
	for _, p := range r.Selection.TagPrefixList {
		if !slices.ContainsFunc(img.tags, func(tag string) bool { return strings.HasPrefix(tag, p) }) {
			return false
		}
	}
	for _, p := range r.Selection.TagPatternList {
		if !slices.ContainsFunc(img.tags, func(tag string) bool { return iamMatch(p, tag) }) {
			return false
		}
	}
	return true
}

// expired evaluates a lifecycle policy as the ECR user guide describes it:
// rules in priority order (lowest number first); "an image that matches the
// tagging requirements of a rule cannot be expired by a rule with a lower
// priority"; imageCountMoreThan keeps the newest countNumber of the images
// the rule selects, sinceImagePushed expires those older than countNumber
// days. It returns the indexes of the images that expire.
func expired(rules []lifecycleRule, images []ecrImage) map[int]bool {
	slices.SortFunc(rules, func(a, b lifecycleRule) int { return a.RulePriority - b.RulePriority })
	claimed := map[int]bool{}
	out := map[int]bool{}
	for _, r := range rules {
		var selected []int
		for i, img := range images {
			if !claimed[i] && r.matches(img) {
				selected = append(selected, i)
				claimed[i] = true
			}
		}
		switch r.Selection.CountType {
		case "imageCountMoreThan":
			// images are in push order: the newest are last.
			for k := 0; k < len(selected)-r.Selection.CountNumber; k++ {
				out[selected[k]] = true
			}
		case "sinceImagePushed":
			for _, i := range selected {
				if images[i].age > r.Selection.CountNumber {
					out[i] = true
				}
			}
		}
	}
	return out
}

// repositoryLifecycle reads the lifecycle policy of the Registry template's
// image repository (not the build cache's).
func repositoryLifecycle(t *testing.T, s *synthed) []lifecycleRule {
	t.Helper()
	_, repo := s.templates["Registry"].At(t, "Registry/Repository/Resource")
	text, _ := repo["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(string)
	var policy struct{ Rules []lifecycleRule }
	if err := json.Unmarshal([]byte(text), &policy); err != nil {
		t.Fatalf("lifecycle policy %q: %v", text, err)
	}
	return policy.Rules
}

// TestReleasedImagesOutliveTheLifecycle: the lifecycle policy must never
// expire the image the service runs, however many builds come after it
// without a release (prod builds waiting for approval or rejected, failed
// deploys). The Release stage tags the released image released-<tag>
// (TestReleaseRecordTagsTheImage), so the policy must keep the last
// keepImages released-* images ahead of the rule that counts every build.
func TestReleasedImagesOutliveTheLifecycle(t *testing.T) {
	for _, o := range []map[string]any{nil, {"keepImages": "2"}} {
		s := synth(t, o)
		rules := repositoryLifecycle(t, s)
		n := s.cfg.Service.KeepImages
		for _, unreleased := range []int{0, 1, n, 3 * n} {
			// Three releases, then builds that were never released.
			var images []ecrImage
			for i := range 3 {
				tag := fmt.Sprintf("r%06d", i)
				images = append(images, ecrImage{tags: []string{tag, "released-" + tag}, age: 30})
			}
			for i := range unreleased {
				images = append(images, ecrImage{tags: []string{fmt.Sprintf("b%06d", i)}, age: 2})
			}
			images = append(images, ecrImage{age: 2}) // an untagged layer cache leftover
			gone := expired(slices.Clone(rules), images)
			if gone[2] {
				t.Errorf("keepImages %d: after %d builds that were not released, the lifecycle policy expires the released image the service runs (rules %s)", n, unreleased, jsonOf(rules))
			}
			if n >= 2 && gone[1] {
				t.Errorf("keepImages %d: the policy expires the release before the current one, which a rollback needs (rules %s)", n, jsonOf(rules))
			}
			if unreleased > n && !gone[3] {
				t.Errorf("keepImages %d: %d unreleased builds, and the oldest stays: the policy no longer limits builds", n, unreleased)
			}
			if !gone[len(images)-1] {
				t.Errorf("an untagged image older than a day stays")
			}
		}
	}
}

// sdkCall is a call of the CDK's AwsCustomResource, as its Create, Update
// and Delete properties hold it (JSON strings).
type sdkCall struct {
	Service, Action          string
	Parameters               map[string]any
	IgnoreErrorCodesMatching string
}

// sdkCallOf parses one of a custom resource's call properties.
func sdkCallOf(t *testing.T, v any) *sdkCall {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		return nil
	}
	var c sdkCall
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatalf("SDK call %q: %v", s, err)
	}
	return &c
}

// is tells whether the call is service's action, in any of the spellings
// the CDK's handler accepts (SSM or @aws-sdk/client-ssm, PutParameter or
// putParameter).
func (c *sdkCall) is(service, action string) bool {
	if c == nil {
		return false
	}
	svc := strings.TrimPrefix(strings.ToLower(c.Service), "@aws-sdk/client-")
	return svc == strings.ToLower(service) && strings.EqualFold(c.Action, action)
}

// TestImageParameterIsCreateOnly: CloudFormation writes an
// AWS::SSM::Parameter's template value again whenever one of its properties
// changes, and a change of stack tags (`cdk deploy --tags`, Tags.of(app))
// is one: the released image the pipeline recorded would be overwritten
// with the template's value (aws/aws-cdk#25949). So no CloudFormation-managed
// parameter may hold the image. It is created once by a custom resource
// that puts NoRelease without overwriting (an existing parameter, from an
// earlier stack, stays as it is), has no update call, and deletes it with
// its stack.
func TestImageParameterIsCreateOnly(t *testing.T) {
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.overrides)
			name, _, _ := imageParameter(t, s)
			creators := 0
			for sid, tm := range s.templates {
				res, _ := tm["Resources"].(map[string]any)
				for id, r := range res {
					rm := r.(map[string]any)
					props, _ := rm["Properties"].(map[string]any)
					typ := fmt.Sprint(rm["Type"])
					if typ == "AWS::SSM::Parameter" && props["Name"] == name {
						t.Errorf("%s/%s is an AWS::SSM::Parameter named %s: CloudFormation writes its template value again on any property or tag change, over the released image", sid, id, name)
					}
					if !strings.HasPrefix(typ, "Custom::") && typ != "AWS::CloudFormation::CustomResource" {
						continue
					}
					create := sdkCallOf(t, props["Create"])
					if create == nil || !create.is("ssm", "PutParameter") || create.Parameters["Name"] != name {
						continue
					}
					creators++
					if create.Parameters["Overwrite"] != false {
						t.Errorf("%s/%s creates %s with Overwrite %v, want false: a new stack must not overwrite a parameter that is already there", sid, id, name, create.Parameters["Overwrite"])
					}
					if create.Parameters["Value"] != stacks.NoRelease || create.Parameters["Type"] != "String" {
						t.Errorf("%s/%s creates %s as %v %v, want String %q", sid, id, name, create.Parameters["Type"], create.Parameters["Value"], stacks.NoRelease)
					}
					if !regexpMatch(create.IgnoreErrorCodesMatching, "ParameterAlreadyExists") {
						t.Errorf("%s/%s fails when %s exists already (ignoreErrorCodesMatching %q): a Registry stack created again would fail", sid, id, name, create.IgnoreErrorCodesMatching)
					}
					if upd, ok := props["Update"]; ok {
						t.Errorf("%s/%s has an update call %v: a change of the resource would write the parameter again", sid, id, upd)
					}
					del := sdkCallOf(t, props["Delete"])
					if del == nil || !del.is("ssm", "DeleteParameter") || del.Parameters["Name"] != name || !regexpMatch(del.IgnoreErrorCodesMatching, "ParameterNotFound") {
						t.Errorf("%s/%s does not delete %s with its stack, tolerating ParameterNotFound: %v", sid, id, name, props["Delete"])
					}
				}
			}
			if creators != 1 {
				t.Errorf("%d custom resources create %s, want one", creators, name)
			}
		})
	}
}

// regexpMatch tells whether the pattern (a JavaScript regular expression
// without flags, as the CDK's handler uses it) matches s.
func regexpMatch(pattern, s string) bool {
	if pattern == "" {
		return false
	}
	re, err := regexp.Compile(pattern)
	return err == nil && re.MatchString(s)
}

// TestPreflightTagsReleasesAsTheLifecyclePolicyKeeps: the architecture
// switch preflight prints records an image by hand, and tags it with
// preflight.ReleasedTagPrefix so that the image repository's lifecycle
// policy keeps it with the released images. The prefix must be the one
// that policy, as synthesized, keeps apart from the builds.
func TestPreflightTagsReleasesAsTheLifecyclePolicyKeeps(t *testing.T) {
	tm := synth(t, nil).templates["Registry"]
	kept := false
	for _, r := range tm.Resources("AWS::ECR::Repository") {
		p := r["Properties"].(map[string]any)
		text, _ := p["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(string)
		var policy struct {
			Rules []struct {
				Selection struct {
					TagPrefixList []string `json:"tagPrefixList"`
				} `json:"selection"`
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(text), &policy); err != nil {
			continue
		}
		for _, rule := range policy.Rules {
			if slices.Equal(rule.Selection.TagPrefixList, []string{preflight.ReleasedTagPrefix}) {
				kept = true
			}
		}
	}
	if !kept {
		t.Errorf("no lifecycle rule of the Registry's repositories keeps tags with preflight's prefix %q", preflight.ReleasedTagPrefix)
	}
}
