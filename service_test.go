package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/stacks"
)

// imported follows {"Fn::ImportValue": name} to the exporting stack's
// output and returns the logical ID it refers to there.
func (s *synthed) imported(v any) string {
	m, _ := v.(map[string]any)
	name, _ := m["Fn::ImportValue"].(string)
	if name == "" {
		return ""
	}
	for _, tm := range s.templates {
		outs, _ := tm["Outputs"].(map[string]any)
		for _, o := range outs {
			out := o.(map[string]any)
			if exp, ok := out["Export"].(map[string]any); ok && exp["Name"] == name {
				return ref(out["Value"])
			}
		}
	}
	return ""
}

func (s *synthed) importedAll(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, it := range list {
		out = append(out, s.imported(it))
	}
	return out
}

// policyStatements lists every statement of the identity policies attached
// to a role, inline or as AWS::IAM::Policy.
func policyStatements(tm template, roleID string) []map[string]any {
	var out []map[string]any
	collect := func(doc any) {
		d, _ := doc.(map[string]any)
		list, _ := d["Statement"].([]any)
		for _, st := range list {
			out = append(out, st.(map[string]any))
		}
	}
	for _, p := range tm.Resources("AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		if slices.Contains(refs(props["Roles"]), roleID) {
			collect(props["PolicyDocument"])
		}
	}
	if pols, ok := tm.Props(roleID)["Policies"].([]any); ok {
		for _, p := range pols {
			collect(p.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, it := range x {
			if s, ok := it.(string); ok {
				out = append(out, s)
			} else {
				out = append(out, jsonOf(it))
			}
		}
		return out
	}
	return []string{jsonOf(v)}
}

func TestServiceStack(t *testing.T) {
	s := synth(t, nil)
	tm := s.templates["Service"]
	net := s.templates["Network"]
	cfg := s.cfg.Service

	repoID, repo := s.templates["Registry"].At(t, "Registry/Repository/Resource")
	_, taskDef := tm.Only(t, "AWS::ECS::TaskDefinition")
	_, service := tm.Only(t, "AWS::ECS::Service")
	albID, alb := tm.Only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	tgID, tg := tm.Only(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
	container := taskDef["ContainerDefinitions"].([]any)[0].(map[string]any)
	vpc := service["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
	serviceSG := ref(vpc["SecurityGroups"].([]any)[0])
	albSG := ref(alb["SecurityGroups"].([]any)[0])
	_, netSubnets := network(t, net)

	t.Run("ECR repository scans on push, immutable tags, lifecycle", func(t *testing.T) {
		if jsonOf(repo["ImageScanningConfiguration"]) != `{"ScanOnPush":true}` || repo["ImageTagMutability"] != "IMMUTABLE" || repo["RepositoryName"] != "demo-dev" {
			t.Errorf("repository %s", jsonOf(repo))
		}
		var policy struct {
			Rules []struct {
				RulePriority int
				Selection    struct {
					TagStatus   string
					CountType   string
					CountNumber int
					CountUnit   string
				}
				Action struct{ Type string }
			}
		}
		if err := json.Unmarshal([]byte(repo["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(string)), &policy); err != nil {
			t.Fatal(err)
		}
		// Untagged, released (TestReleasedImagesOutliveTheLifecycle
		// evaluates the order), then every other tagged image.
		if len(policy.Rules) != 3 {
			t.Fatalf("lifecycle rules %+v", policy.Rules)
		}
		untagged, tagged := policy.Rules[0].Selection, policy.Rules[2].Selection
		if untagged.TagStatus != "untagged" || untagged.CountType != "sinceImagePushed" || untagged.CountNumber != 1 || untagged.CountUnit != "days" {
			t.Errorf("untagged rule %+v, want expire after 1 day", untagged)
		}
		if tagged.TagStatus != "tagged" || tagged.CountType != "imageCountMoreThan" || tagged.CountNumber != cfg.KeepImages {
			t.Errorf("tagged rule %+v, want keep the last %d", tagged, cfg.KeepImages)
		}
	})
	t.Run("ECR repository is retained on destroy", func(t *testing.T) {
		r := s.templates["Registry"]["Resources"].(map[string]any)[repoID].(map[string]any)
		if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" || repo["EmptyOnDelete"] == true {
			t.Errorf("deletion policy %v / %v, empty on delete %v", r["DeletionPolicy"], r["UpdateReplacePolicy"], repo["EmptyOnDelete"])
		}
	})
	t.Run("cluster in the VPC with Container Insights", func(t *testing.T) {
		_, cl := tm.Only(t, "AWS::ECS::Cluster")
		if jsonOf(cl["ClusterSettings"]) != `[{"Name":"containerInsights","Value":"enabled"}]` {
			t.Errorf("cluster settings %s", jsonOf(cl["ClusterSettings"]))
		}
	})
	t.Run("task size and platform", func(t *testing.T) {
		if taskDef["Cpu"] != "512" || taskDef["Memory"] != "1024" || jsonOf(taskDef["RuntimePlatform"]) != `{"CpuArchitecture":"ARM64","OperatingSystemFamily":"LINUX"}` || jsonOf(taskDef["RequiresCompatibilities"]) != `["FARGATE"]` || taskDef["NetworkMode"] != "awsvpc" {
			t.Errorf("task definition %s", jsonOf(taskDef))
		}
	})
	t.Run("container: name, port, PORT, logs", func(t *testing.T) {
		if container["Name"] != stacks.ContainerName {
			t.Errorf("container name %v, want %q", container["Name"], stacks.ContainerName)
		}
		if jsonOf(container["PortMappings"]) != `[{"ContainerPort":80,"Name":"http","Protocol":"tcp"}]` {
			t.Errorf("port mappings %s", jsonOf(container["PortMappings"]))
		}
		if jsonOf(container["Environment"]) != `[{"Name":"HEALTH_CHECK_PATH","Value":"/"},{"Name":"PORT","Value":"80"}]` {
			t.Errorf("environment %s", jsonOf(container["Environment"]))
		}
		logCfg := container["LogConfiguration"].(map[string]any)
		group := ref(logCfg["Options"].(map[string]any)["awslogs-group"])
		if logCfg["LogDriver"] != "awslogs" || tm.Props(group)["RetentionInDays"] != float64(cfg.LogRetentionDays) {
			t.Errorf("logging %s, group retention %v", jsonOf(logCfg), tm.Props(group)["RetentionInDays"])
		}
	})
	t.Run("container: read-only root with scratch volumes, memory hard limit", func(t *testing.T) {
		if container["ReadonlyRootFilesystem"] != true || container["Memory"] != 1024.0 {
			t.Errorf("container %s", jsonOf(container))
		}
		var mounted []string
		for _, m := range container["MountPoints"].([]any) {
			mp := m.(map[string]any)
			if mp["ReadOnly"] != false {
				t.Errorf("mount %s read-only", jsonOf(mp))
			}
			mounted = append(mounted, mp["ContainerPath"].(string))
		}
		if !sameSet(mounted, cfg.WritablePaths) || len(taskDef["Volumes"].([]any)) != len(cfg.WritablePaths) {
			t.Errorf("scratch mounts %v, want %v; volumes %s", mounted, cfg.WritablePaths, jsonOf(taskDef["Volumes"]))
		}
	})
	t.Run("log groups encrypted with the environment's key", func(t *testing.T) {
		reg := s.templates["Registry"]
		groups := 0
		for _, tmName := range []string{"Registry", "Network", "Service", "Pipeline"} {
			tm := s.templates[tmName]
			for id, lg := range tm.Resources("AWS::Logs::LogGroup") {
				groups++
				kmsKeyID := lg["Properties"].(map[string]any)["KmsKeyId"]
				keyID := s.imported(kmsKeyID)
				if tmName == "Registry" {
					keyID = ref(kmsKeyID) // the key's own stack
				}
				key := reg.Props(keyID)
				if key == nil || !strings.Contains(jsonOf(key["KeyPolicy"]), `"kms:EncryptionContext:aws:logs:arn"`) || key["EnableKeyRotation"] != true {
					t.Errorf("%s/%s encrypted with %q: %s", tmName, id, keyID, jsonOf(key))
				}
			}
		}
		if groups != 7 {
			t.Errorf("%d log groups, want 7 (the image parameter's provider, flow logs, container, build, deploy step, smoke test, release)", groups)
		}
	})
	t.Run("image: the released one from the SSM parameter, the placeholder only before the first release", func(t *testing.T) {
		// {"Fn::If": ["NoReleaseYet…", placeholder, {"Ref": parameter}]}
		branches, _ := container["Image"].(map[string]any)["Fn::If"].([]any)
		if len(branches) != 3 || branches[1] != config.DefaultPlaceholderImage {
			t.Fatalf("image %s", jsonOf(container["Image"]))
		}
		p, _ := tm["Parameters"].(map[string]any)[ref(branches[2])].(map[string]any)
		if p == nil || p["Type"] != "AWS::SSM::Parameter::Value<String>" || p["Default"] != "/demo/dev/image-uri" {
			t.Fatalf("image %s from parameter %s", jsonOf(container["Image"]), jsonOf(p))
		}
	})
	t.Run("first deploy: the parameter exists, saying no release yet, before the service reads it", func(t *testing.T) {
		name, sid, id := imageParameter(t, s)
		if value, _ := parameterCreated(t, s.templates[sid], id, name); sid != "Registry" || name != "/demo/dev/image-uri" || value != stacks.NoRelease {
			t.Errorf("image parameter %s created by %s/%s with %v", name, sid, id, value)
		}
		deps := s.app.Service.Dependencies()
		found := false
		for _, d := range *deps {
			found = found || *d.StackName() == *s.app.Registry.StackName()
		}
		if !found {
			t.Errorf("the ServiceStack does not depend on the RegistryStack, which creates the parameter")
		}
	})
	t.Run("execution role: this repository, this log group, nothing else", func(t *testing.T) {
		role := ref(taskDef["ExecutionRoleArn"])
		for _, st := range policyStatements(tm, role) {
			actions, resources := strs(st["Action"]), strs(st["Resource"])
			for _, r := range resources {
				switch {
				case r == "*":
					if !slices.Equal(actions, []string{"ecr:GetAuthorizationToken"}) {
						t.Errorf("%v on *: only ecr:GetAuthorizationToken may use *", actions)
					}
				case strings.HasPrefix(strings.Join(actions, ","), "ecr:"):
					if s.imported(st["Resource"]) != repoID {
						t.Errorf("%v on %s, want this repository only", actions, r)
					}
				case strings.HasPrefix(strings.Join(actions, ","), "logs:"):
					group := ref(container["LogConfiguration"].(map[string]any)["Options"].(map[string]any)["awslogs-group"])
					if r != `{"Fn::GetAtt":["`+group+`","Arn"]}` {
						t.Errorf("%v on %s, want its log group only", actions, r)
					}
				default:
					t.Errorf("unexpected grant %v on %s", actions, r)
				}
			}
		}
	})
	t.Run("task role is empty", func(t *testing.T) {
		role := ref(taskDef["TaskRoleArn"])
		if st := policyStatements(tm, role); len(st) != 0 || tm.Props(role)["ManagedPolicyArns"] != nil {
			t.Errorf("task role %s has %s", role, jsonOf(st))
		}
	})
	t.Run("service: no desired count of its own, private subnets, no public IP, grace, deployment", func(t *testing.T) {
		// dev runs on Fargate Spot (cdk.json): a capacity provider strategy,
		// no launch type (capacity_test.go checks each capacity mode).
		if _, set := service["DesiredCount"]; set || service["HealthCheckGracePeriodSeconds"] != 30.0 || service["LaunchType"] != nil || service["CapacityProviderStrategy"] == nil || service["EnableExecuteCommand"] != false {
			t.Errorf("service %s", jsonOf(service))
		}
		if vpc["AssignPublicIp"] != "DISABLED" {
			t.Errorf("AssignPublicIp %v", vpc["AssignPublicIp"])
		}
		if got := s.importedAll(vpc["Subnets"]); !sameSet(got, []string{netSubnets[2].id, netSubnets[3].id}) {
			t.Errorf("service subnets %v, want the NetworkStack's private subnets", got)
		}
		if jsonOf(service["DeploymentConfiguration"]) != `{"Alarms":{"AlarmNames":["demo-dev-rollback-5xx-rate","demo-dev-rollback-p95-latency"],"Enable":true,"Rollback":true},"DeploymentCircuitBreaker":{"Enable":true,"Rollback":true},"MaximumPercent":200,"MinimumHealthyPercent":100,"Strategy":"ROLLING"}` {
			t.Errorf("deployment %s", jsonOf(service["DeploymentConfiguration"]))
		}
		lbs := service["LoadBalancers"].([]any)
		if len(lbs) != 1 || jsonOf(lbs[0]) != `{"ContainerName":"app","ContainerPort":80,"TargetGroupArn":{"Ref":"`+tgID+`"}}` {
			t.Errorf("load balancers %s", jsonOf(lbs))
		}
	})
	t.Run("autoscaling on CPU and on requests per target", func(t *testing.T) {
		_, target := tm.Only(t, "AWS::ApplicationAutoScaling::ScalableTarget")
		if target["MinCapacity"] != 2.0 || target["MaxCapacity"] != 4.0 || target["ScalableDimension"] != "ecs:service:DesiredCount" {
			t.Errorf("scalable target %s", jsonOf(target))
		}
		got := map[string]float64{}
		for _, p := range tm.Resources("AWS::ApplicationAutoScaling::ScalingPolicy") {
			c := p["Properties"].(map[string]any)["TargetTrackingScalingPolicyConfiguration"].(map[string]any)
			metric := c["PredefinedMetricSpecification"].(map[string]any)
			got[metric["PredefinedMetricType"].(string)] = c["TargetValue"].(float64)
			if metric["PredefinedMetricType"] == "ALBRequestCountPerTarget" && !strings.Contains(jsonOf(metric["ResourceLabel"]), tgID) {
				t.Errorf("request scaling not on the target group: %s", jsonOf(metric))
			}
		}
		if got["ECSServiceAverageCPUUtilization"] != 60 || got["ALBRequestCountPerTarget"] != 1000 {
			t.Errorf("scaling policies %v", got)
		}
	})
	t.Run("service SG admits only the ALB SG, on the container port, no CIDR", func(t *testing.T) {
		if in, ok := tm.Props(serviceSG)["SecurityGroupIngress"]; ok {
			t.Errorf("service SG has inline ingress %s", jsonOf(in))
		}
		n := 0
		for id, r := range tm.Resources("AWS::EC2::SecurityGroupIngress") {
			p := r["Properties"].(map[string]any)
			if ref(p["GroupId"]) != serviceSG {
				continue
			}
			n++
			if ref(p["SourceSecurityGroupId"]) != albSG || p["FromPort"] != 80.0 || p["ToPort"] != 80.0 || p["IpProtocol"] != "tcp" || p["CidrIp"] != nil {
				t.Errorf("service ingress %s: %s", id, jsonOf(p))
			}
		}
		if n != 1 {
			t.Errorf("service SG has %d ingress rules, want 1 (from the ALB)", n)
		}
	})
	t.Run("ALB SG: listener port from the world, egress only to the service", func(t *testing.T) {
		p := tm.Props(albSG)
		if jsonOf(p["SecurityGroupIngress"]) != `[{"CidrIp":"0.0.0.0/0","Description":"Listener 80 from 0.0.0.0/0","FromPort":80,"IpProtocol":"tcp","ToPort":80}]` {
			t.Errorf("ALB ingress %s", jsonOf(p["SecurityGroupIngress"]))
		}
		if p["SecurityGroupEgress"] != nil {
			t.Errorf("ALB inline egress %s", jsonOf(p["SecurityGroupEgress"]))
		}
		var egress []string
		for _, r := range tm.Resources("AWS::EC2::SecurityGroupEgress") {
			e := r["Properties"].(map[string]any)
			if ref(e["GroupId"]) == albSG {
				egress = append(egress, ref(e["DestinationSecurityGroupId"])+":"+jsonOf(e["FromPort"])+"-"+jsonOf(e["ToPort"]))
			}
		}
		if !slices.Equal(egress, []string{serviceSG + ":80-80"}) {
			t.Errorf("ALB egress %v, want only %s:80-80", egress, serviceSG)
		}
	})
	t.Run("ALB: internet-facing in the public subnets, invalid headers dropped", func(t *testing.T) {
		if alb["Scheme"] != "internet-facing" || alb["Type"] != "application" {
			t.Errorf("ALB %s", jsonOf(alb))
		}
		if got := s.importedAll(alb["Subnets"]); !sameSet(got, []string{netSubnets[0].id, netSubnets[1].id}) {
			t.Errorf("ALB subnets %v, want the public ones", got)
		}
		if !strings.Contains(jsonOf(alb["LoadBalancerAttributes"]), `{"Key":"routing.http.drop_invalid_header_fields.enabled","Value":"true"}`) || !strings.Contains(jsonOf(alb["LoadBalancerAttributes"]), `{"Key":"deletion_protection.enabled","Value":"false"}`) {
			t.Errorf("attributes %s", jsonOf(alb["LoadBalancerAttributes"]))
		}
	})
	t.Run("listener 80 forwards through a rule to an ip target group on the container port", func(t *testing.T) {
		lID, l := tm.Only(t, "AWS::ElasticLoadBalancingV2::Listener")
		if l["Port"] != 80.0 || l["Protocol"] != "HTTP" || ref(l["LoadBalancerArn"]) != albID || jsonOf(l["DefaultActions"]) != `[{"FixedResponseConfig":{"ContentType":"text/plain","MessageBody":"Not found","StatusCode":"404"},"Type":"fixed-response"}]` {
			t.Errorf("listener %s: production traffic must go through a rule, the default answers 404", jsonOf(l))
		}
		_, rule := tm.Only(t, "AWS::ElasticLoadBalancingV2::ListenerRule")
		if ref(rule["ListenerArn"]) != lID || rule["Priority"] != 1000.0 || jsonOf(rule["Conditions"]) != `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/*"]}}]` || jsonOf(rule["Actions"]) != `[{"TargetGroupArn":{"Ref":"`+tgID+`"},"Type":"forward"}]` {
			t.Errorf("production rule %s", jsonOf(rule))
		}
		if tg["TargetType"] != "ip" || tg["Port"] != 80.0 || tg["Protocol"] != "HTTP" {
			t.Errorf("target group %s", jsonOf(tg))
		}
	})
	t.Run("fast health check and deregistration", func(t *testing.T) {
		if tg["HealthCheckPath"] != "/" || tg["HealthCheckIntervalSeconds"] != 10.0 || tg["HealthyThresholdCount"] != 2.0 || tg["UnhealthyThresholdCount"] != 3.0 || tg["HealthCheckTimeoutSeconds"] != 5.0 || jsonOf(tg["Matcher"]) != `{"HttpCode":"200-399"}` {
			t.Errorf("health check %s", jsonOf(tg))
		}
		if !strings.Contains(jsonOf(tg["TargetGroupAttributes"]), `{"Key":"deregistration_delay.timeout_seconds","Value":"30"}`) {
			t.Errorf("attributes %s", jsonOf(tg["TargetGroupAttributes"]))
		}
	})
	t.Run("access logs to an encrypted, SSL-only, private bucket with a lifecycle", func(t *testing.T) {
		attrs := jsonOf(alb["LoadBalancerAttributes"])
		if !strings.Contains(attrs, `{"Key":"access_logs.s3.enabled","Value":"true"}`) {
			t.Fatalf("attributes %s", attrs)
		}
		var bucket string
		for _, a := range alb["LoadBalancerAttributes"].([]any) {
			if a.(map[string]any)["Key"] == "access_logs.s3.bucket" {
				bucket = ref(a.(map[string]any)["Value"])
			}
		}
		b := tm.Props(bucket)
		if !strings.Contains(jsonOf(b["BucketEncryption"]), `"SSEAlgorithm":"AES256"`) || jsonOf(b["PublicAccessBlockConfiguration"]) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` || b["LifecycleConfiguration"] == nil {
			t.Errorf("bucket %s", jsonOf(b))
		}
		var policy map[string]any
		for _, p := range tm.Resources("AWS::S3::BucketPolicy") {
			if ref(p["Properties"].(map[string]any)["Bucket"]) == bucket {
				policy = p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
			}
		}
		doc := jsonOf(policy)
		// Who may write in which region: TestAccessLogDeliveryInEveryRegion.
		for _, want := range []string{`"aws:SecureTransport":"false"`, `"Service":"logdelivery.elasticloadbalancing.amazonaws.com"`, `"Sid":"AlbLogDeliveryRegionalAccount"`} {
			if !strings.Contains(doc, want) {
				t.Errorf("bucket policy lacks %s: %s", want, doc)
			}
		}
		if r := tm["Resources"].(map[string]any)[bucket].(map[string]any); r["DeletionPolicy"] != "Retain" {
			t.Errorf("log bucket deletion policy %v", r["DeletionPolicy"])
		}
	})
	t.Run("alarms notify the topic", func(t *testing.T) {
		alarms := tm.Resources("AWS::CloudWatch::Alarm")
		topicID, topic := tm.Only(t, "AWS::SNS::Topic")
		if topic["KmsMasterKeyId"] == nil {
			t.Errorf("topic not encrypted")
		}
		metrics := map[string]bool{}
		for id, a := range alarms {
			p := a["Properties"].(map[string]any)
			if !slices.Equal(refs(p["AlarmActions"]), []string{topicID}) {
				t.Errorf("alarm %s actions %s", id, jsonOf(p["AlarmActions"]))
			}
			if name, ok := p["MetricName"].(string); ok {
				metrics[name] = true
			} else {
				metrics[jsonOf(p["Metrics"])] = true
			}
		}
		for _, want := range []string{"HTTPCode_ELB_5XX_Count", "UnHealthyHostCount", "TargetResponseTime", "CPUUtilization", "MemoryUtilization"} {
			if !metrics[want] {
				t.Errorf("no alarm on %s; alarms on %v", want, metrics)
			}
		}
		foundTasks := false
		for m := range metrics {
			foundTasks = foundTasks || (strings.Contains(m, "RunningTaskCount") && strings.Contains(m, "DesiredTaskCount"))
		}
		if !foundTasks {
			t.Errorf("no alarm on running tasks below desired")
		}
		if len(tm.Resources("AWS::SNS::Subscription")) != 0 {
			t.Errorf("an email subscription without alarmEmail")
		}
	})
	t.Run("output: the service URL", func(t *testing.T) {
		out := tm["Outputs"].(map[string]any)["ServiceUrl"].(map[string]any)
		if jsonOf(out["Value"]) != `{"Fn::Join":["",["http://",{"Fn::GetAtt":["`+albID+`","DNSName"]}]]}` {
			t.Errorf("ServiceUrl %s", jsonOf(out["Value"]))
		}
	})
}

func TestServiceVariants(t *testing.T) {
	s := synth(t, map[string]any{
		"architecture":              "ARM64",
		"cpu":                       "1024",
		"memory":                    "3072",
		"enableExec":                "true",
		"allowedCidrs":              "203.0.113.0/24,198.51.100.0/24",
		"domainName":                "app.example.com",
		"hostedZoneId":              "Z0123456789ABCDEFGHIJ",
		"hostedZoneName":            "example.com",
		"alarmEmail":                "ops@example.com",
		"deleteRepositoryOnDestroy": "true",
		"accessLogs":                "false",
		"smokeTest":                 "false",
		"environment":               `{"MODE":"fast"}`,
		"secrets":                   `{"DB_PASSWORD":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","API_KEY":"arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key"}`,
	})
	tm := s.templates["Service"]
	_, taskDef := tm.Only(t, "AWS::ECS::TaskDefinition")
	container := taskDef["ContainerDefinitions"].([]any)[0].(map[string]any)
	albID, alb := tm.Only(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	albSG := ref(alb["SecurityGroups"].([]any)[0])

	t.Run("ARM64 and the task size", func(t *testing.T) {
		if taskDef["Cpu"] != "1024" || taskDef["Memory"] != "3072" || taskDef["RuntimePlatform"].(map[string]any)["CpuArchitecture"] != "ARM64" {
			t.Errorf("task %s", jsonOf(taskDef))
		}
	})
	t.Run("ECS Exec on", func(t *testing.T) {
		_, svc := tm.Only(t, "AWS::ECS::Service")
		if svc["EnableExecuteCommand"] != true {
			t.Errorf("exec %v", svc["EnableExecuteCommand"])
		}
	})
	t.Run("environment and secrets", func(t *testing.T) {
		if jsonOf(container["Environment"]) != `[{"Name":"HEALTH_CHECK_PATH","Value":"/"},{"Name":"MODE","Value":"fast"},{"Name":"PORT","Value":"80"}]` {
			t.Errorf("environment %s", jsonOf(container["Environment"]))
		}
		secrets := jsonOf(container["Secrets"])
		if !strings.Contains(secrets, `{"Name":"DB_PASSWORD","ValueFrom":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}`) || !strings.Contains(secrets, `{"Name":"API_KEY","ValueFrom":"arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key"}`) {
			t.Errorf("secrets %s", secrets)
		}
		role := ref(taskDef["ExecutionRoleArn"])
		var readable []string
		for _, st := range policyStatements(tm, role) {
			acts := strings.Join(strs(st["Action"]), ",")
			if strings.Contains(acts, "secretsmanager:") || strings.Contains(acts, "ssm:") {
				readable = append(readable, strs(st["Resource"])...)
			}
		}
		// The Secrets Manager ARN as given and with a six-character suffix
		// (TestContainerSecretsAreReadable says why).
		if !sameSet(readable, []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf-??????", "arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key"}) {
			t.Errorf("execution role reads %v, want exactly the two secrets", readable)
		}
	})
	t.Run("ALB admits the configured CIDRs on 80 and 443 only", func(t *testing.T) {
		var got []string
		for _, r := range tm.Props(albSG)["SecurityGroupIngress"].([]any) {
			m := r.(map[string]any)
			got = append(got, m["CidrIp"].(string)+":"+jsonOf(m["FromPort"]))
		}
		want := []string{"203.0.113.0/24:80", "203.0.113.0/24:443", "198.51.100.0/24:80", "198.51.100.0/24:443"}
		if !sameSet(got, want) {
			t.Errorf("ALB ingress %v, want %v", got, want)
		}
	})
	t.Run("HTTPS: DNS-validated certificate, 443 with a current policy, 80 redirects, alias", func(t *testing.T) {
		_, cert := tm.Only(t, "AWS::CertificateManager::Certificate")
		if cert["DomainName"] != "app.example.com" || cert["ValidationMethod"] != "DNS" || !strings.Contains(jsonOf(cert["DomainValidationOptions"]), "Z0123456789ABCDEFGHIJ") {
			t.Errorf("certificate %s", jsonOf(cert))
		}
		listeners := map[float64]map[string]any{}
		for _, l := range tm.Resources("AWS::ElasticLoadBalancingV2::Listener") {
			p := l["Properties"].(map[string]any)
			listeners[p["Port"].(float64)] = p
		}
		if l := listeners[443]; l == nil || l["Protocol"] != "HTTPS" || l["SslPolicy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" || !strings.Contains(jsonOf(l["DefaultActions"]), `"Type":"fixed-response"`) {
			t.Errorf("443 listener %s", jsonOf(l))
		}
		var ruleOn []string
		for id, l := range tm.Resources("AWS::ElasticLoadBalancingV2::Listener") {
			for _, r := range tm.Resources("AWS::ElasticLoadBalancingV2::ListenerRule") {
				if ref(r["Properties"].(map[string]any)["ListenerArn"]) == id {
					ruleOn = append(ruleOn, jsonOf(l["Properties"].(map[string]any)["Port"]))
				}
			}
		}
		if !slices.Equal(ruleOn, []string{"443"}) {
			t.Errorf("production rules on the listeners of ports %v, want 443 only (80 redirects)", ruleOn)
		}
		if l := listeners[80]; l == nil || !strings.Contains(jsonOf(l["DefaultActions"]), `"RedirectConfig":{"Port":"443","Protocol":"HTTPS","StatusCode":"HTTP_301"}`) {
			t.Errorf("80 listener %s", jsonOf(l))
		}
		_, rec := tm.Only(t, "AWS::Route53::RecordSet")
		if rec["Name"] != "app.example.com." || rec["Type"] != "A" || !strings.Contains(jsonOf(rec["AliasTarget"]), albID) {
			t.Errorf("alias %s", jsonOf(rec))
		}
		if out := tm["Outputs"].(map[string]any)["ServiceUrl"].(map[string]any); out["Value"] != "https://app.example.com" {
			t.Errorf("ServiceUrl %v", out["Value"])
		}
	})
	t.Run("email subscription", func(t *testing.T) {
		_, sub := tm.Only(t, "AWS::SNS::Subscription")
		if sub["Protocol"] != "email" || sub["Endpoint"] != "ops@example.com" {
			t.Errorf("subscription %s", jsonOf(sub))
		}
	})
	t.Run("repository may be deleted, emptied first", func(t *testing.T) {
		reg := s.templates["Registry"]
		id, repo := reg.At(t, "Registry/Repository/Resource")
		if r := reg["Resources"].(map[string]any)[id].(map[string]any); r["DeletionPolicy"] != "Delete" || repo["EmptyOnDelete"] != true {
			t.Errorf("repository %s %s", jsonOf(r["DeletionPolicy"]), jsonOf(repo["EmptyOnDelete"]))
		}
	})
	t.Run("access logs off", func(t *testing.T) {
		if strings.Contains(jsonOf(alb["LoadBalancerAttributes"]), "access_logs") || len(tm.Resources("AWS::S3::Bucket")) != 0 {
			t.Errorf("access logs still configured")
		}
	})
}

func TestServicePullsAPrivatePlaceholder(t *testing.T) {
	s := synth(t, map[string]any{"placeholderImage": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/base/web:1"})
	tm := s.templates["Service"]
	_, taskDef := tm.Only(t, "AWS::ECS::TaskDefinition")
	var got []string
	for _, st := range policyStatements(tm, ref(taskDef["ExecutionRoleArn"])) {
		if st["Sid"] == "PullPlaceholder" {
			got = append(got, strs(st["Resource"])...)
		}
	}
	if !slices.Equal(got, []string{"arn:aws:ecr:eu-west-1:123456789012:repository/base/web"}) {
		t.Errorf("the execution role pulls the placeholder from %v", got)
	}
}

func TestServiceEndpointsModePullsThePlaceholderThroughTheCache(t *testing.T) {
	s := synth(t, map[string]any{"egress": string(config.EgressEndpoints)})
	tm := s.templates["Service"]
	_, taskDef := tm.Only(t, "AWS::ECS::TaskDefinition")
	var found bool
	for _, st := range policyStatements(tm, ref(taskDef["ExecutionRoleArn"])) {
		if strings.Contains(jsonOf(st["Action"]), "ecr:BatchImportUpstreamImage") {
			found = true
			if r := jsonOf(st["Resource"]); !strings.Contains(r, ":repository/demo-dev-ecr-public/*") {
				t.Errorf("pull-through grant on %s", r)
			}
		}
	}
	if !found {
		t.Errorf("the execution role cannot pull the placeholder through the cache")
	}
}

// execAgentPaths are where the ECS Exec agent (the SSM agent that ECS
// mounts into the container) writes. AWS documents no list and calls a
// read-only root unsupported (ECS developer guide, ECS Exec considerations);
// these three are the paths the working read-only setups mount writable
// (aws/containers-roadmap#1359, aws-containers/amazon-ecs-exec-checker#71),
// and the ECS agent's own exec code names the last two: the SSM agent's
// state under /var/lib/amazon/ssm, its logs under /var/log/amazon/ssm.
var execAgentPaths = []string{"/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}

// TestExecAgentCanWrite: in every gate variant whose service turns ECS Exec
// on, each container with a read-only root filesystem has a writable mount
// at (or above) every path the exec agent writes, backed by a task volume.
func TestExecAgentCanWrite(t *testing.T) {
	withExec := 0
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			tm := synth(t, v.overrides).templates["Service"]
			_, svc := tm.Only(t, "AWS::ECS::Service")
			if svc["EnableExecuteCommand"] != true {
				return
			}
			withExec++
			_, taskDef := tm.Only(t, "AWS::ECS::TaskDefinition")
			volumes := map[string]bool{}
			for _, vol := range taskDef["Volumes"].([]any) {
				volumes[vol.(map[string]any)["Name"].(string)] = true
			}
			for _, c := range taskDef["ContainerDefinitions"].([]any) {
				container := c.(map[string]any)
				if container["ReadonlyRootFilesystem"] != true {
					continue
				}
				mounts, _ := container["MountPoints"].([]any)
				for _, want := range execAgentPaths {
					ok := false
					for _, m := range mounts {
						mp := m.(map[string]any)
						p, _ := mp["ContainerPath"].(string)
						if (p == want || strings.HasPrefix(want, p+"/")) && mp["ReadOnly"] != true && volumes[mp["SourceVolume"].(string)] {
							ok = true
						}
					}
					if !ok {
						t.Errorf("container %v: ECS Exec is on and the root filesystem read-only, but nothing writable is mounted at %s: the exec agent fails there; mounts %s", container["Name"], want, jsonOf(mounts))
					}
				}
			}
		})
	}
	if withExec == 0 {
		t.Fatalf("no gate variant turns ECS Exec on: the check covers nothing")
	}
}
