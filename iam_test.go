package main

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// starAllowed lists the only actions an identity policy may grant on "*",
// each because AWS offers nothing narrower.
var starAllowed = map[string]string{
	"ecr:GetAuthorizationToken":        "AWS authorizes it only on *",
	"ecs:RegisterTaskDefinition":       "takes no resource ARN",
	"ecs:DescribeTaskDefinition":       "takes no resource ARN",
	"ecs:ListTasks":                    "authorized on *; must carry an ecs:cluster condition",
	"ssmmessages:CreateControlChannel": "ECS Exec; ssmmessages has no resource types",
	"ssmmessages:CreateDataChannel":    "ECS Exec; ssmmessages has no resource types",
	"ssmmessages:OpenControlChannel":   "ECS Exec; ssmmessages has no resource types",
	"ssmmessages:OpenDataChannel":      "ECS Exec; ssmmessages has no resource types",
	// The role ECS shifts traffic with reads listeners, rules and target
	// health; ELB's Describe actions take no resource ARN.
	"elasticloadbalancing:DescribeListeners":    "takes no resource ARN",
	"elasticloadbalancing:DescribeRules":        "takes no resource ARN",
	"elasticloadbalancing:DescribeTargetGroups": "takes no resource ARN",
	"elasticloadbalancing:DescribeTargetHealth": "takes no resource ARN",
}

// broadManaged matches AWS managed policies that grant far more than a
// role of this app needs: the fix for the ECR trap in the hand-built setup
// was AmazonEC2ContainerRegistryFullAccess.
var broadManaged = regexp.MustCompile(`FullAccess|AdministratorAccess|PowerUserAccess|ReadOnlyAccess`)

// TestNoBroadIAM walks every identity policy of every stack, in every
// environment and egress mode, with the optional features on.
func TestNoBroadIAM(t *testing.T) {
	variants := map[string]map[string]any{
		"dev":        nil,
		"prod":       {"env": "prod"},
		"blue-green": {"deploymentStrategy": "blue-green"},
		"endpoints with exec, secrets, HTTPS and Docker Hub": {
			"egress": "endpoints", "enableExec": "true",
			"secrets":    `{"DB":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","KEY":"arn:aws:ssm:us-east-1:123456789012:parameter/k"}`,
			"domainName": "app.example.com", "hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com",
			"dockerHubSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf",
		},
	}
	for name, overrides := range variants {
		t.Run(name, func(t *testing.T) {
			s := synth(t, overrides)
			policies := 0
			for stack, tm := range s.templates {
				for id, r := range tm["Resources"].(map[string]any) {
					res := r.(map[string]any)
					props, _ := res["Properties"].(map[string]any)
					var docs []any
					switch res["Type"] {
					case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
						docs = append(docs, props["PolicyDocument"])
					case "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group":
						for _, p := range asList(props["Policies"]) {
							docs = append(docs, p.(map[string]any)["PolicyDocument"])
						}
						for _, arn := range asList(props["ManagedPolicyArns"]) {
							if broadManaged.MatchString(jsonOf(arn)) {
								t.Errorf("%s/%s attaches %s", stack, id, jsonOf(arn))
							}
						}
					}
					for _, doc := range docs {
						policies++
						for _, st := range asList(doc.(map[string]any)["Statement"]) {
							checkStatement(t, stack+"/"+id, st.(map[string]any))
						}
					}
				}
			}
			if policies < 5 {
				t.Fatalf("walked only %d policies: the walk is broken", policies)
			}
		})
	}
}

func checkStatement(t *testing.T, where string, st map[string]any) {
	t.Helper()
	if st["Effect"] != "Allow" {
		return
	}
	if st["NotResource"] != nil || st["NotAction"] != nil {
		t.Errorf("%s: NotResource/NotAction grants everything else: %s", where, jsonOf(st))
	}
	actions := strs(st["Action"])
	for _, a := range actions {
		if a == "*" || strings.HasSuffix(a, ":*") {
			t.Errorf("%s grants every action of a service: %s", where, a)
		}
	}
	star := false
	for _, r := range strs(st["Resource"]) {
		star = star || r == "*"
	}
	if !star {
		return
	}
	for _, a := range actions {
		if _, ok := starAllowed[a]; !ok {
			t.Errorf("%s grants %s on *: only %v may use *", where, a, keys(starAllowed))
		}
		if a == "ecs:ListTasks" && !strings.Contains(jsonOf(st["Condition"]), "ecs:cluster") {
			t.Errorf("%s grants ecs:ListTasks on * without an ecs:cluster condition", where)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func keys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
