package main

// The lean choices (issue 13) as the templates carry them: the NAT
// instance, Fargate Spot and its capacity providers, the working hours'
// scheduled actions, and the one KMS key of an environment.

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appconstructs "github.com/cdkdemo/fargate/constructs"
)

// natInstanceOf returns the NetworkStack's only instance and its
// properties.
func natInstanceOf(t *testing.T, s *synthed) (string, map[string]any, map[string]any) {
	t.Helper()
	net := s.templates["Network"]
	id, p := net.Only(t, "AWS::EC2::Instance")
	return id, p, net["Resources"].(map[string]any)[id].(map[string]any)
}

func TestNatInstance(t *testing.T) {
	s := synth(t, nil) // cdk.json's dev: egress nat-instance
	net := s.templates["Network"]
	id, p, res := natInstanceOf(t, s)
	vpcID, subnets := network(t, net)

	t.Run("no NAT gateway, no Elastic IP: one instance does the NAT", func(t *testing.T) {
		if n, e := len(net.Resources("AWS::EC2::NatGateway")), len(net.Resources("AWS::EC2::EIP")); n != 0 || e != 0 {
			t.Errorf("%d NAT gateways and %d EIPs", n, e)
		}
		for _, sn := range subnets {
			r := defaultRoutes(net)[sn.routeTable]
			switch {
			case sn.public && ref(r["GatewayId"]) == "":
				t.Errorf("public subnet %s: 0.0.0.0/0 -> %s, want the internet gateway", sn.id, jsonOf(r))
			case !sn.public && ref(r["InstanceId"]) != id:
				t.Errorf("private subnet %s: 0.0.0.0/0 -> %s, want the NAT instance %s", sn.id, jsonOf(r), id)
			}
		}
	})
	t.Run("Graviton t4g.nano, Amazon Linux 2023 for arm64, standard CPU credits", func(t *testing.T) {
		param := net["Parameters"].(map[string]any)[ref(p["ImageId"])].(map[string]any)
		if p["InstanceType"] != "t4g.nano" || param["Type"] != "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" || !strings.HasPrefix(param["Default"].(string), "/aws/service/ami-amazon-linux-latest/al2023-ami-") || !strings.HasSuffix(param["Default"].(string), "-arm64") {
			t.Errorf("instance type %v, image %s", p["InstanceType"], jsonOf(param))
		}
		if jsonOf(p["CreditSpecification"]) != `{"CPUCredits":"standard"}` {
			t.Errorf("credits %s", jsonOf(p["CreditSpecification"]))
		}
	})
	t.Run("IMDSv2 only, no key pair, an encrypted root volume", func(t *testing.T) {
		if jsonOf(p["MetadataOptions"]) != `{"HttpEndpoint":"enabled","HttpPutResponseHopLimit":1,"HttpTokens":"required"}` {
			t.Errorf("metadata options %s", jsonOf(p["MetadataOptions"]))
		}
		if _, set := p["KeyName"]; set {
			t.Errorf("key pair %v", p["KeyName"])
		}
		want := `[{"DeviceName":"/dev/xvda","Ebs":{"DeleteOnTermination":true,"Encrypted":true,"VolumeSize":8,"VolumeType":"gp3"}}]`
		if jsonOf(p["BlockDeviceMappings"]) != want {
			t.Errorf("block devices %s, want %s", jsonOf(p["BlockDeviceMappings"]), want)
		}
	})
	t.Run("forwards: source/destination check off, a public IP of its own in public subnet 1", func(t *testing.T) {
		nis, _ := p["NetworkInterfaces"].([]any)
		if p["SourceDestCheck"] != false || len(nis) != 1 {
			t.Fatalf("source/dest check %v, interfaces %s", p["SourceDestCheck"], jsonOf(nis))
		}
		ni := nis[0].(map[string]any)
		// The public subnets map no public IP on launch: the instance asks
		// for one itself.
		if ni["AssociatePublicIpAddress"] != true || ni["DeviceIndex"] != "0" || ref(ni["SubnetId"]) != subnets[0].id || !subnets[0].public {
			t.Errorf("interface %s, want a public IP in public subnet 1 (%s)", jsonOf(ni), subnets[0].id)
		}
		if v, set := net.Props(subnets[0].id)["MapPublicIpOnLaunch"]; set && v != false {
			t.Errorf("public subnet 1 maps public IPs on launch: the instance should not depend on it")
		}
		if !slices.ContainsFunc(strs(res["DependsOn"]), func(d string) bool { return strings.HasPrefix(d, "VpcPublicSubnet1DefaultRoute") }) {
			t.Errorf("depends on %v: it fetches packages over the internet, after its subnet's route to the internet gateway", res["DependsOn"])
		}
	})
	t.Run("its security group admits the private subnets only: TCP, UDP and ICMP", func(t *testing.T) {
		groups := refs(p["NetworkInterfaces"].([]any)[0].(map[string]any)["GroupSet"])
		if len(groups) != 1 {
			t.Fatalf("security groups %v", groups)
		}
		sg := net.Props(groups[0])
		var got, want []string
		for _, r := range sg["SecurityGroupIngress"].([]any) {
			rule := r.(map[string]any)
			got = append(got, fmt.Sprintf("%v %v %v-%v", rule["CidrIp"], rule["IpProtocol"], rule["FromPort"], rule["ToPort"]))
		}
		for _, r := range net.Resources("AWS::EC2::SecurityGroupIngress") {
			if ref(r["Properties"].(map[string]any)["GroupId"]) == groups[0] {
				got = append(got, jsonOf(r["Properties"]))
			}
		}
		// Inline rules of an explicit protocol each: moto rejects an inline
		// all-traffic rule without ports (and AWS takes either).
		for _, cidr := range s.cfg.Network.PrivateSubnetCidrs {
			want = append(want, cidr+" tcp 0-65535", cidr+" udp 0-65535", cidr+" icmp -1--1")
		}
		if !sameSet(got, want) {
			t.Errorf("the NAT instance admits %v, want exactly %v", got, want)
		}
		if ref(sg["VpcId"]) != vpcID || jsonOf(sg["SecurityGroupEgress"]) != `[{"CidrIp":"0.0.0.0/0","Description":"Allow all outbound traffic by default","IpProtocol":"-1"}]` {
			t.Errorf("egress %s: the tasks may talk to anything outside", jsonOf(sg["SecurityGroupEgress"]))
		}
	})
	t.Run("CloudFormation waits for it to signal that NAT works; the user data is valid bash", func(t *testing.T) {
		if jsonOf(res["CreationPolicy"]) != `{"ResourceSignal":{"Count":1,"Timeout":"`+appconstructs.NatInstanceSignalTimeout+`"}}` {
			t.Errorf("creation policy %s", jsonOf(res["CreationPolicy"]))
		}
		script := userData(t, p)
		for _, want := range []string{
			"--stack demo-dev-network --resource " + id + " --region us-east-1",
			"trap 'signal $?' EXIT",
			"dnf install -y iptables-services",
			"net.ipv4.ip_forward = 1",
			`iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE`,
			"iptables-save > /etc/sysconfig/iptables",
		} {
			if !strings.Contains(script, want) {
				t.Errorf("user data lacks %q:\n%s", want, script)
			}
		}
		if bash, err := exec.LookPath("bash"); err == nil {
			f := filepath.Join(t.TempDir(), "user-data.sh")
			if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bash, "-n", f).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
		}
	})

	t.Run("an x86 type gets the x86_64 image", func(t *testing.T) {
		s := synth(t, map[string]any{"env": "prod", "egress": "nat-instance", "allowSingleNatInstanceInProd": "true", "natInstanceType": "t3.micro", "capacity": "mixed", "onDemandBaseCount": "2"})
		_, p, _ := natInstanceOf(t, s)
		param := s.templates["Network"]["Parameters"].(map[string]any)[ref(p["ImageId"])].(map[string]any)
		if p["InstanceType"] != "t3.micro" || !strings.HasSuffix(param["Default"].(string), "-x86_64") || !strings.Contains(userData(t, p), "--stack demo-prod-network") {
			t.Errorf("instance type %v, image %s", p["InstanceType"], jsonOf(param))
		}
	})
}

// userData decodes an instance's UserData, resolving the region to
// us-east-1: {"Fn::Base64": {"Fn::Join": ["", [parts…]]}}.
func userData(t *testing.T, p map[string]any) string {
	t.Helper()
	b64, _ := p["UserData"].(map[string]any)["Fn::Base64"]
	var b strings.Builder
	switch x := b64.(type) {
	case string:
		raw, err := base64.StdEncoding.DecodeString(x)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	case map[string]any:
		join := x["Fn::Join"].([]any)
		for _, part := range join[1].([]any) {
			switch v := part.(type) {
			case string:
				b.WriteString(v)
			case map[string]any:
				if v["Ref"] != "AWS::Region" {
					t.Fatalf("user data part %s", jsonOf(v))
				}
				b.WriteString("us-east-1")
			}
		}
	}
	return b.String()
}

// TestCapacity: every capacity mode is a capacity provider strategy over
// the cluster's associated FARGATE and FARGATE_SPOT, never the FARGATE
// launch type. ECS cannot take a service created with a strategy back to
// a launch type ("No launch type to fall back to for empty capacity
// provider strategy", AWS::ECS::Service), and UpdateService has no launch
// type: a switch between on-demand, spot and mixed on a running
// environment must be a change of strategy, and the association that
// offers both providers must not come and go with it.
func TestCapacity(t *testing.T) {
	for _, tc := range []struct {
		name      string
		overrides map[string]any
		strategy  string // the service's CapacityProviderStrategy
		stop      any
	}{
		{"prod: on-demand, all on FARGATE", map[string]any{"env": "prod"}, `[{"CapacityProvider":"FARGATE","Weight":1}]`, nil},
		{"dev: all on Fargate Spot", nil, `[{"CapacityProvider":"FARGATE_SPOT","Weight":1}]`, 120.0},
		{"mixed: a base of 2 on-demand, the rest on Spot", map[string]any{"env": "prod", "egress": "nat-instance", "allowSingleNatInstanceInProd": "true", "natInstanceType": "t3.micro", "capacity": "mixed", "onDemandBaseCount": "2"},
			`[{"Base":2,"CapacityProvider":"FARGATE","Weight":0},{"CapacityProvider":"FARGATE_SPOT","Weight":1}]`, 120.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(t, tc.overrides)
			tm := s.templates["Service"]
			_, svc := tm.Only(t, "AWS::ECS::Service")
			_, td := tm.Only(t, "AWS::ECS::TaskDefinition")
			if _, set := svc["LaunchType"]; set || jsonOf(svc["CapacityProviderStrategy"]) != tc.strategy {
				t.Errorf("launch type %v, strategy %s, want %s and no launch type", svc["LaunchType"], jsonOf(svc["CapacityProviderStrategy"]), tc.strategy)
			}
			stop := td["ContainerDefinitions"].([]any)[0].(map[string]any)["StopTimeout"]
			if stop != tc.stop {
				t.Errorf("stop timeout %v, want %v", stop, tc.stop)
			}
			// Fargate Spot takes ARM64 tasks on platform 1.4.0 and later.
			if svc["PlatformVersion"] != "LATEST" {
				t.Errorf("platform version %v", svc["PlatformVersion"])
			}
		})
	}
}

// TestCapacitySwitchesAreStrategyChanges holds every gate variant to the
// same shape, so that deploying any of them over any other changes the
// strategy only: a strategy and no launch type on the service, and the
// one association of FARGATE and FARGATE_SPOT, which the service waits for.
func TestCapacitySwitchesAreStrategyChanges(t *testing.T) {
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			tm := synth(t, v.overrides).templates["Service"]
			svcID, svc := tm.Only(t, "AWS::ECS::Service")
			if _, set := svc["LaunchType"]; set || svc["CapacityProviderStrategy"] == nil {
				t.Errorf("launch type %v, strategy %s: a variant with a launch type cannot follow one with a strategy on a running service", svc["LaunchType"], jsonOf(svc["CapacityProviderStrategy"]))
			}
			clusterID, _ := tm.Only(t, "AWS::ECS::Cluster")
			assocs := tm.Resources("AWS::ECS::ClusterCapacityProviderAssociations")
			if len(assocs) != 1 {
				t.Fatalf("%d capacity provider associations, want 1", len(assocs))
			}
			assocID, assoc := tm.Only(t, "AWS::ECS::ClusterCapacityProviderAssociations")
			if ref(assoc["Cluster"]) != clusterID || jsonOf(assoc["CapacityProviders"]) != `["FARGATE","FARGATE_SPOT"]` || jsonOf(assoc["DefaultCapacityProviderStrategy"]) != `[]` {
				t.Errorf("association %s", jsonOf(assoc))
			}
			if deps := strs(tm["Resources"].(map[string]any)[svcID].(map[string]any)["DependsOn"]); !slices.Contains(deps, assocID) {
				t.Errorf("the service depends on %v, not on the capacity providers' association %s: created first, it would fail", deps, assocID)
			}
		})
	}
}

func TestWorkingHours(t *testing.T) {
	for _, tc := range []struct {
		name      string
		overrides map[string]any
		want      string // the scalable target's ScheduledActions
	}{
		{"dev: weekdays 08:00 to 20:00 UTC (cdk.json)", nil,
			`[{"ScalableTargetAction":{"MaxCapacity":4,"MinCapacity":2},"Schedule":"cron(0 8 ? * MON-FRI *)","ScheduledActionName":"WorkingHoursStart","Timezone":"UTC"},` +
				`{"ScalableTargetAction":{"MaxCapacity":0,"MinCapacity":0},"Schedule":"cron(0 20 ? * MON-FRI *)","ScheduledActionName":"WorkingHoursEnd","Timezone":"UTC"}]`},
		{"minutes, listed days, a zone with daylight saving time", map[string]any{"minCount": "1", "maxCount": "3", "schedule": `{"days":"MON,WED-THU","start":"07:30","end":"18:05","timeZone":"Europe/Berlin"}`},
			`[{"ScalableTargetAction":{"MaxCapacity":3,"MinCapacity":1},"Schedule":"cron(30 7 ? * MON,WED-THU *)","ScheduledActionName":"WorkingHoursStart","Timezone":"Europe/Berlin"},` +
				`{"ScalableTargetAction":{"MaxCapacity":0,"MinCapacity":0},"Schedule":"cron(5 18 ? * MON,WED-THU *)","ScheduledActionName":"WorkingHoursEnd","Timezone":"Europe/Berlin"}]`},
		{"prod: always on", map[string]any{"env": "prod"}, `null`},
		{"schedule none: always on", map[string]any{"schedule": "none"}, `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(t, tc.overrides)
			_, target := s.templates["Service"].Only(t, "AWS::ApplicationAutoScaling::ScalableTarget")
			if got := jsonOf(target["ScheduledActions"]); got != tc.want {
				t.Errorf("scheduled actions\n%s\nwant\n%s", got, tc.want)
			}
			// In the working hours, autoscaling's own range: the same as the
			// target's.
			if target["MinCapacity"] != float64(s.cfg.Service.MinCount) || target["MaxCapacity"] != float64(s.cfg.Service.MaxCount) {
				t.Errorf("target range %v..%v", target["MinCapacity"], target["MaxCapacity"])
			}
		})
	}
}

func TestEnvironmentKey(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		t.Run(env, func(t *testing.T) {
			s := synth(t, map[string]any{"env": env})
			reg := s.templates["Registry"]
			keyID, key := reg.Only(t, "AWS::KMS::Key")
			for name, tm := range s.templates {
				if n := len(tm.Resources("AWS::KMS::Key")); name != "Registry" && n != 0 {
					t.Errorf("stack %s has %d KMS keys of its own: one key per environment, in the Registry", name, n)
				}
			}
			// prod keeps its pipeline artifacts, so it keeps their key.
			wantPolicy := map[string]string{"dev": "Delete", "prod": "Retain"}[env]
			if r := reg["Resources"].(map[string]any)[keyID].(map[string]any); r["DeletionPolicy"] != wantPolicy || key["EnableKeyRotation"] != true {
				t.Errorf("deletion policy %v, rotation %v; want %s, on", r["DeletionPolicy"], key["EnableKeyRotation"], wantPolicy)
			}

			// The policy: the account (so IAM decides), Logs for this
			// account's log groups, and the alarm topic's publishers for
			// this environment's topic only (CloudWatch for this account's
			// alarms). No service principal without a condition.
			stmts := key["KeyPolicy"].(map[string]any)["Statement"].([]any)
			if len(stmts) != 4 {
				t.Fatalf("key policy has %d statements, want 4: %s", len(stmts), jsonOf(stmts))
			}
			topics := ":" + s.cfg.StackName("service") + "-*"
			for _, st := range stmts {
				m := st.(map[string]any)
				principal := m["Principal"].(map[string]any)
				switch {
				case principal["AWS"] != nil:
					if !strings.Contains(jsonOf(principal["AWS"]), `":root"`) || m["Condition"] != nil {
						t.Errorf("account statement %s", jsonOf(m))
					}
				case m["Sid"] == "AllowCloudWatchLogs":
					if !strings.Contains(jsonOf(m["Condition"]), `{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":`) || !strings.Contains(jsonOf(m["Condition"]), `":log-group:*"`) {
						t.Errorf("logs statement %s", jsonOf(m))
					}
				case m["Sid"] == "AllowCloudWatchAlarms":
					cond := jsonOf(m["Condition"])
					if jsonOf(principal["Service"]) != `"cloudwatch.amazonaws.com"` || !strings.Contains(cond, `"StringLike":{"kms:EncryptionContext:aws:sns:topicArn":`) || !strings.Contains(cond, topics+`"]]}}`) ||
						!strings.Contains(cond, `"StringEquals":{"aws:SourceAccount":{"Ref":"AWS::AccountId"}}`) || !strings.Contains(cond, `":alarm:*"`) || jsonOf(m["Action"]) != `["kms:Decrypt","kms:GenerateDataKey*"]` {
						t.Errorf("CloudWatch statement %s, want Decrypt and GenerateDataKey* for this account's alarms and topics %s", jsonOf(m), topics)
					}
				case m["Sid"] == "AllowEventBridgeRules":
					cond := jsonOf(m["Condition"])
					if jsonOf(principal["Service"]) != `"events.amazonaws.com"` || !strings.HasPrefix(cond, `{"StringLike":{"kms:EncryptionContext:aws:sns:topicArn":`) || !strings.Contains(cond, topics+`"]]}}`) || jsonOf(m["Action"]) != `["kms:Decrypt","kms:GenerateDataKey*"]` {
						t.Errorf("EventBridge statement %s, want Decrypt and GenerateDataKey* for topics %s", jsonOf(m), topics)
					}
				default:
					t.Errorf("a statement no single-purpose key had: %s", jsonOf(m))
				}
			}

			// Every user of a key uses this one, by the Registry's export.
			uses := 0
			use := func(stack, what string, v any) {
				uses++
				if s.imported(v) != keyID {
					t.Errorf("%s %s is encrypted with %s, not the environment's key %s", stack, what, jsonOf(v), keyID)
				}
			}
			for _, name := range []string{"Network", "Service", "Pipeline"} {
				tm := s.templates[name]
				for id, lg := range tm.Resources("AWS::Logs::LogGroup") {
					use(name, "log group "+id, lg["Properties"].(map[string]any)["KmsKeyId"])
				}
			}
			svc := s.templates["Service"]
			topicID, topic := svc.Only(t, "AWS::SNS::Topic")
			use("Service", "topic "+topicID, topic["KmsMasterKeyId"])
			// CloudFormation names the topic "<stack>-<logical ID>-<suffix>",
			// which the key's condition expects.
			if _, named := topic["TopicName"]; named {
				t.Errorf("the topic has a name of its own: %v", topic["TopicName"])
			}
			pipe := s.templates["Pipeline"]
			for id, b := range pipe.Resources("AWS::S3::Bucket") {
				enc := b["Properties"].(map[string]any)["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)[0].(map[string]any)["ServerSideEncryptionByDefault"].(map[string]any)
				if enc["SSEAlgorithm"] == "aws:kms" {
					use("Pipeline", "bucket "+id, enc["KMSMasterKeyID"])
				}
			}
			for id, p := range pipe.Resources("AWS::CodeBuild::Project") {
				use("Pipeline", "project "+id, p["Properties"].(map[string]any)["EncryptionKey"])
			}
			// 6 log groups (flow logs, container, build, deploy step, smoke
			// test, release), the topic, the artifact bucket, 4 projects.
			if uses != 12 {
				t.Errorf("%d uses of the key, want 12", uses)
			}
		})
	}
}
