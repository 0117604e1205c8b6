package main

// Who owns what at run time, read from the synthesized templates: the image
// the service runs belongs to the pipeline once it has released one, the
// task count belongs to autoscaling, and nothing `make destroy` deletes
// leaves a fixed name behind that the next deploy would collide with.

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// imageParameter finds the SSM parameter the service's task definition reads
// its image from: the Default of the Service template's SSM-typed
// parameter, and the stack and resource that create it.
func imageParameter(t *testing.T, s *synthed) (name, stackID, logicalID string) {
	t.Helper()
	params, _ := s.templates["Service"]["Parameters"].(map[string]any)
	for _, p := range params {
		pm := p.(map[string]any)
		if pm["Type"] == "AWS::SSM::Parameter::Value<String>" && strings.HasSuffix(fmt.Sprint(pm["Default"]), "/image-uri") {
			name = pm["Default"].(string)
		}
	}
	if name == "" {
		t.Fatalf("the Service template reads no image parameter: %s", jsonOf(params))
	}
	for sid, tm := range s.templates {
		for id := range tm["Resources"].(map[string]any) {
			if _, created := parameterCreated(t, tm, id, name); created {
				return name, sid, id
			}
		}
	}
	t.Fatalf("no stack creates the image parameter %s", name)
	return
}

// parameterCreated tells whether a resource creates the SSM parameter of
// that name, as an AWS::SSM::Parameter or as a custom resource whose create
// call puts it (constructs.CreateOnlyParameter), and with what value.
func parameterCreated(t *testing.T, tm template, id, name string) (value any, ok bool) {
	t.Helper()
	r, _ := tm["Resources"].(map[string]any)[id].(map[string]any)
	props, _ := r["Properties"].(map[string]any)
	if r["Type"] == "AWS::SSM::Parameter" && props["Name"] == name {
		return props["Value"], true
	}
	if typ := fmt.Sprint(r["Type"]); strings.HasPrefix(typ, "Custom::") {
		if c := sdkCallOf(t, props["Create"]); c != nil && c.is("ssm", "PutParameter") && c.Parameters["Name"] == name {
			return c.Parameters["Value"], true
		}
	}
	return nil, false
}

// evalCfn evaluates a template value with the given parameter values, the
// way CloudFormation would: Ref (parameters, pseudo parameters; resources
// become "<ID>"), Fn::If over the template's Conditions, Fn::Equals, Fn::Not,
// Fn::And, Fn::Or, Fn::Join, Fn::ImportValue (to "<import:NAME>"). Anything
// else fails the test rather than guess.
func evalCfn(t *testing.T, tm template, params map[string]string, v any) any {
	t.Helper()
	switch x := v.(type) {
	case string, bool, float64, nil:
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = evalCfn(t, tm, params, e)
		}
		return out
	case map[string]any:
		if len(x) != 1 {
			break
		}
		for fn, arg := range x {
			switch fn {
			case "Ref":
				name := arg.(string)
				if v, ok := params[name]; ok {
					return v
				}
				return "<" + name + ">"
			case "Condition":
				return evalCondition(t, tm, params, arg.(string))
			case "Fn::If":
				a := arg.([]any)
				if evalCondition(t, tm, params, a[0].(string)) {
					return evalCfn(t, tm, params, a[1])
				}
				return evalCfn(t, tm, params, a[2])
			case "Fn::Equals":
				a := arg.([]any)
				return fmt.Sprint(evalCfn(t, tm, params, a[0])) == fmt.Sprint(evalCfn(t, tm, params, a[1]))
			case "Fn::Not":
				return !evalCfn(t, tm, params, arg.([]any)[0]).(bool)
			case "Fn::And", "Fn::Or":
				all, some := true, false
				for _, c := range arg.([]any) {
					b := evalCfn(t, tm, params, c).(bool)
					all, some = all && b, some || b
				}
				if fn == "Fn::And" {
					return all
				}
				return some
			case "Fn::Join":
				a := arg.([]any)
				var parts []string
				for _, p := range evalCfn(t, tm, params, a[1]).([]any) {
					parts = append(parts, fmt.Sprint(p))
				}
				return strings.Join(parts, a[0].(string))
			case "Fn::ImportValue":
				return "<import:" + fmt.Sprint(evalCfn(t, tm, params, arg)) + ">"
			}
		}
	}
	t.Fatalf("cannot evaluate %s", jsonOf(v))
	return nil
}

func evalCondition(t *testing.T, tm template, params map[string]string, name string) bool {
	t.Helper()
	conds, _ := tm["Conditions"].(map[string]any)
	c, ok := conds[name]
	if !ok {
		t.Fatalf("no condition %s", name)
	}
	b, ok := evalCfn(t, tm, params, c).(bool)
	if !ok {
		t.Fatalf("condition %s is not a boolean", name)
	}
	return b
}

// actionPosition orders the pipeline's actions: stage index, then runOrder.
type actionPosition struct {
	stage, runOrder int
	name            string
}

func (p actionPosition) after(q actionPosition) bool {
	return p.stage > q.stage || (p.stage == q.stage && p.runOrder > q.runOrder)
}

// pipelineActions lists every action of the pipeline with its position.
func pipelineActions(t *testing.T, tm template) []struct {
	pos    actionPosition
	action map[string]any
} {
	t.Helper()
	_, stages := pipelineStages(t, tm)
	var out []struct {
		pos    actionPosition
		action map[string]any
	}
	for i, st := range stages {
		for _, a := range st["Actions"].([]any) {
			am := a.(map[string]any)
			run := 1
			if r, ok := am["RunOrder"].(float64); ok {
				run = int(r)
			}
			out = append(out, struct {
				pos    actionPosition
				action map[string]any
			}{actionPosition{i, run, st["Name"].(string) + "/" + am["Name"].(string)}, am})
		}
	}
	return out
}

func TestImageOwnership(t *testing.T) {
	dev := synth(t, nil)
	name, _, _ := imageParameter(t, dev)

	t.Run("only a pipeline action after the ECS deploy and the smoke test writes the image parameter", func(t *testing.T) {
		tm := dev.templates["Pipeline"]
		var deploy, smoke *actionPosition
		writers := map[string]bool{} // CodeBuild projects that may write the parameter
		for id := range tm.Resources("AWS::CodeBuild::Project") {
			role := ref(tm.Props(id)["ServiceRole"])
			for _, st := range policyStatements(tm, role) {
				if st["Effect"] == "Allow" && slices.ContainsFunc(strs(st["Action"]), func(a string) bool {
					return a == "ssm:PutParameter" || a == "ssm:*" || a == "*"
				}) && strings.Contains(jsonOf(st["Resource"]), ":parameter") {
					writers[id] = true
				}
			}
			spec := jsonOf(tm.Props(id)["Source"])
			if strings.Contains(spec, "put-parameter") && !writers[id] {
				t.Errorf("project %s runs put-parameter without a grant to %s: the build would fail", id, name)
			}
		}
		for _, r := range tm.Resources("AWS::IAM::Policy") {
			// Only CodeBuild projects' roles may write it.
			for _, st := range r["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				stm := st.(map[string]any)
				if slices.Contains(strs(stm["Action"]), "ssm:PutParameter") {
					found := false
					for id := range writers {
						if slices.Contains(refs(r["Properties"].(map[string]any)["Roles"]), ref(tm.Props(id)["ServiceRole"])) {
							found = true
						}
					}
					if !found {
						t.Errorf("a role other than a CodeBuild project's may write parameters: %s", jsonOf(r))
					}
				}
			}
		}
		// The deploy is CodePipeline's ECS action, or a project that
		// updates the service; the smoke test a project that requests the
		// service's URL.
		actions := pipelineActions(t, tm)
		for _, a := range actions {
			p := a.pos
			cfg, _ := a.action["Configuration"].(map[string]any)
			spec := ""
			if cfg != nil {
				spec = jsonOf(tm.Props(ref(cfg["ProjectName"]))["Source"])
			}
			switch {
			case strings.Contains(spec, "curl") && strings.Contains(spec, "$SMOKE_URL"):
				smoke = &p
			case a.action["ActionTypeId"].(map[string]any)["Provider"] == "ECS", strings.Contains(spec, "aws ecs update-service"):
				deploy = &p
			}
		}
		if deploy == nil {
			t.Fatal("the pipeline has no ECS deploy action")
		}
		if smoke == nil {
			t.Fatal("the pipeline has no smoke test: an image that answers its health check at deploy time and nothing else would be released")
		}
		recorded := false
		for _, a := range actions {
			cfg, _ := a.action["Configuration"].(map[string]any)
			if cfg == nil || !writers[ref(cfg["ProjectName"])] {
				continue
			}
			recorded = true
			if !a.pos.after(*deploy) {
				t.Errorf("action %s writes %s but does not come after the ECS deploy %s: a cdk deploy would ship an image that was never approved or rolled out", a.pos.name, name, deploy.name)
			}
			if !a.pos.after(*smoke) {
				t.Errorf("action %s writes %s but does not come after the smoke test %s: an image that fails it would be released", a.pos.name, name, smoke.name)
			}
		}
		if !recorded {
			t.Errorf("no pipeline action writes %s: the service would run the placeholder after every cdk deploy", name)
		}
	})

	t.Run("the image parameter's template does not change with egress or the placeholder", func(t *testing.T) {
		_, sid, id := imageParameter(t, dev)
		want := jsonOf(dev.templates[sid]["Resources"].(map[string]any)[id].(map[string]any)["Properties"])
		for _, o := range []map[string]any{
			{"egress": "endpoints"},
			{"egress": "nat-per-az"},
			{"placeholderImage": "public.ecr.aws/docker/library/httpd:2.4"},
		} {
			s := synth(t, o)
			_, sid2, id2 := imageParameter(t, s)
			got := jsonOf(s.templates[sid2]["Resources"].(map[string]any)[id2].(map[string]any)["Properties"])
			if sid2 != sid || id2 != id || got != want {
				t.Errorf("with %v the image parameter is %s/%s %s, want %s/%s %s: a cdk deploy would overwrite the pipeline's image", o, sid2, id2, got, sid, id, want)
			}
		}
	})

	t.Run("the service runs the released image, and the placeholder only before the first release", func(t *testing.T) {
		for _, o := range []map[string]any{nil, {"egress": "endpoints"}} {
			s := synth(t, o)
			tm := s.templates["Service"]
			_, sid, id := imageParameter(t, s)
			value, _ := parameterCreated(t, s.templates[sid], id, name)
			initial, ok := value.(string)
			if !ok {
				t.Errorf("%v: the image parameter's initial value %s depends on the deployment", o, jsonOf(value))
				continue
			}
			_, td := tm.Only(t, "AWS::ECS::TaskDefinition")
			image := td["ContainerDefinitions"].([]any)[0].(map[string]any)["Image"]
			// The endpoints mode's placeholder comes through an SSM
			// parameter of the NetworkStack: its template value.
			var param, placeholderParam string
			for k, p := range tm["Parameters"].(map[string]any) {
				switch p.(map[string]any)["Default"] {
				case name:
					param = k
				case s.cfg.PlaceholderParameterName():
					placeholderParam = k
				}
			}
			placeholder, _ := placeholderImage(t, s)
			released := "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-dev:abc1234"
			if got := evalCfn(t, tm, map[string]string{param: released, placeholderParam: placeholder}, image); got != released {
				t.Errorf("%v: with %s = %s the task runs %v", o, name, released, got)
			}
			got := fmt.Sprint(evalCfn(t, tm, map[string]string{param: initial, placeholderParam: placeholder}, image))
			if got == initial || !strings.Contains(got, "nginx") {
				t.Errorf("%v: before the first release (%s = %q) the task runs %q, want the placeholder", o, name, initial, got)
			}
		}
	})
}

func TestTaskCountOwnership(t *testing.T) {
	for _, v := range []struct {
		name string
		o    map[string]any
	}{{"dev", nil}, {"prod", map[string]any{"env": "prod"}}} {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.o)
			tm := s.templates["Service"]
			svcID, svc := tm.Only(t, "AWS::ECS::Service")
			if dc, ok := svc["DesiredCount"]; ok {
				t.Errorf("the service sets DesiredCount %v: every cdk deploy would reset the count autoscaling chose", dc)
			}
			_, target := tm.Only(t, "AWS::ApplicationAutoScaling::ScalableTarget")
			if !strings.Contains(jsonOf(target["ResourceId"]), svcID) || target["MinCapacity"] != float64(s.cfg.Service.MinCount) || target["MaxCapacity"] != float64(s.cfg.Service.MaxCount) {
				t.Errorf("scalable target %s, want %s between %d and %d", jsonOf(target), svcID, s.cfg.Service.MinCount, s.cfg.Service.MaxCount)
			}
		})
	}
}

// fixedNames are the properties that give a resource a name of our
// choosing: a second resource of that name cannot be created while the
// first exists.
var fixedNames = map[string]string{
	"AWS::ECR::Repository":           "RepositoryName",
	"AWS::SSM::Parameter":            "Name",
	"AWS::S3::Bucket":                "BucketName",
	"AWS::Logs::LogGroup":            "LogGroupName",
	"AWS::SNS::Topic":                "TopicName",
	"AWS::IAM::Role":                 "RoleName",
	"AWS::KMS::Alias":                "AliasName",
	"AWS::ECS::Cluster":              "ClusterName",
	"AWS::CodeBuild::Project":        "Name",
	"AWS::ECR::PullThroughCacheRule": "EcrRepositoryPrefix",
}

// destroyedStacks reads the Makefile's DESTROY_STACKS: the stacks `make
// destroy` deletes.
func destroyedStacks(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "DESTROY_STACKS"); ok {
			_, list, _ := strings.Cut(rest, "=")
			return strings.Fields(list)
		}
	}
	t.Fatal("the Makefile has no DESTROY_STACKS: which stacks does make destroy delete?")
	return nil
}

func TestDestroyThenDeploy(t *testing.T) {
	destroyed := destroyedStacks(t)
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.overrides)
			for sid, tm := range s.templates {
				res, _ := tm["Resources"].(map[string]any)
				for id, r := range res {
					rm := r.(map[string]any)
					prop, named := fixedNames[fmt.Sprint(rm["Type"])]
					if !named || rm["DeletionPolicy"] != "Retain" {
						continue
					}
					if _, set := rm["Properties"].(map[string]any)[prop]; set && slices.Contains(destroyed, sid) {
						t.Errorf("%s/%s (%s) keeps its fixed %s on destroy, but make destroy deletes %s: the next deploy fails with AlreadyExists", sid, id, rm["Type"], prop, sid)
					}
				}
			}
			for sid := range s.templates {
				if !slices.Contains(destroyed, sid) && sid != "Registry" {
					t.Errorf("make destroy keeps stack %s; only the Registry stack is meant to outlive it", sid)
				}
			}
		})
	}
}
