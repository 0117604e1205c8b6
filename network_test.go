package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/stacks"
)

// subnetInfo is what the tests need to know about one synthesized subnet.
type subnetInfo struct {
	id, cidr   string
	az         float64 // index into Fn::GetAZs
	public     bool
	routeTable string
}

// network reads the subnets of a NetworkStack template, public ones first,
// each with its AZ and the route table associated with it. A subnet is
// public when its route table sends 0.0.0.0/0 to the internet gateway, as
// AWS defines it; whether it maps public IPs on launch says nothing about
// that, and no subnet may: nothing launched in them needs an address on
// launch (the ALB and the NAT gateways get their own), and Control Tower's
// CT.EC2.PR.11 rejects it.
func network(t *testing.T, tm template) (vpcID string, subnets []subnetInfo) {
	t.Helper()
	vpcID, _ = tm.Only(t, "AWS::EC2::VPC")
	igwID, _ := tm.Only(t, "AWS::EC2::InternetGateway")
	routes := defaultRoutes(tm)
	assoc := map[string]string{}
	for _, a := range tm.Resources("AWS::EC2::SubnetRouteTableAssociation") {
		p := a["Properties"].(map[string]any)
		assoc[ref(p["SubnetId"])] = ref(p["RouteTableId"])
	}
	for _, id := range sortedIDs(tm.Resources("AWS::EC2::Subnet")) {
		p := tm.Props(id)
		sel := p["AvailabilityZone"].(map[string]any)["Fn::Select"].([]any)
		if jsonOf(sel[1]) != `{"Fn::GetAZs":""}` {
			t.Errorf("subnet %s: AZ %s is not picked from Fn::GetAZs", id, jsonOf(sel))
		}
		if ref(p["VpcId"]) != vpcID {
			t.Errorf("subnet %s is not in the VPC %s", id, vpcID)
		}
		if v, set := p["MapPublicIpOnLaunch"]; set && v != false {
			t.Errorf("subnet %s: MapPublicIpOnLaunch %v, want false: nothing launched there needs a public IP on launch (CT.EC2.PR.11)", id, jsonOf(v))
		}
		r := routes[assoc[id]]
		public := r != nil && ref(r["GatewayId"]) == igwID
		if strings.Contains(id, "Public") != public {
			t.Errorf("subnet %s: its route table %s sends 0.0.0.0/0 to %s, so it is public=%v, but its name says otherwise", id, assoc[id], jsonOf(r), public)
		}
		subnets = append(subnets, subnetInfo{id: id, cidr: p["CidrBlock"].(string), az: sel[0].(float64), public: public, routeTable: assoc[id]})
	}
	slices.SortStableFunc(subnets, func(a, b subnetInfo) int {
		if a.public != b.public {
			if a.public {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	return vpcID, subnets
}

// defaultRoutes maps a route table to the 0.0.0.0/0 route's properties.
func defaultRoutes(tm template) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range tm.Resources("AWS::EC2::Route") {
		p := r["Properties"].(map[string]any)
		if p["DestinationCidrBlock"] == "0.0.0.0/0" {
			out[ref(p["RouteTableId"])] = p
		}
	}
	return out
}

func TestNetworkStack(t *testing.T) {
	modes := []struct {
		egress config.Egress
		env    string
	}{
		{config.EgressNat, "dev"},
		{config.EgressNatPerAz, "prod"},
		{config.EgressEndpoints, "dev"},
	}
	for _, mode := range modes {
		t.Run(string(mode.egress), func(t *testing.T) {
			s := synth(t, map[string]any{"env": mode.env, "egress": string(mode.egress)})
			tm := s.templates["Network"]
			vpcID, subnets := network(t, tm)
			igwID, _ := tm.Only(t, "AWS::EC2::InternetGateway")
			routes := defaultRoutes(tm)
			nats := tm.Resources("AWS::EC2::NatGateway")

			t.Run("stack name carries app and environment", func(t *testing.T) {
				if got := *s.app.Network.StackName(); got != "demo-"+mode.env+"-network" {
					t.Errorf("stack name %q", got)
				}
			})
			t.Run("VPC CIDR and DNS", func(t *testing.T) {
				p := tm.Props(vpcID)
				if p["CidrBlock"] != "10.0.0.0/16" || p["EnableDnsSupport"] != true || p["EnableDnsHostnames"] != true {
					t.Errorf("VPC properties %s", jsonOf(p))
				}
			})
			t.Run("two AZs, a public and a private /24 in each, laid out like the original", func(t *testing.T) {
				want := []struct {
					cidr   string
					az     float64
					public bool
				}{{"10.0.1.0/24", 0, true}, {"10.0.2.0/24", 1, true}, {"10.0.3.0/24", 0, false}, {"10.0.4.0/24", 1, false}}
				if len(subnets) != len(want) {
					t.Fatalf("want 4 subnets, got %d", len(subnets))
				}
				for i, w := range want {
					if got := subnets[i]; got.cidr != w.cidr || got.az != w.az || got.public != w.public {
						t.Errorf("subnet %d: got %s %s AZ %v public=%v, want %s AZ %v public=%v", i, got.id, got.cidr, got.az, got.public, w.cidr, w.az, w.public)
					}
				}
			})
			t.Run("one IGW, attached to the VPC", func(t *testing.T) {
				_, att := tm.Only(t, "AWS::EC2::VPCGatewayAttachment")
				if ref(att["VpcId"]) != vpcID || ref(att["InternetGatewayId"]) != igwID {
					t.Errorf("attachment %s", jsonOf(att))
				}
			})
			t.Run("public route tables send 0.0.0.0/0 to the IGW", func(t *testing.T) {
				for _, sn := range subnets[:2] {
					r := routes[sn.routeTable]
					if r == nil || ref(r["GatewayId"]) != igwID || r["NatGatewayId"] != nil {
						t.Errorf("%s (table %s): default route %s, want -> %s", sn.id, sn.routeTable, jsonOf(r), igwID)
					}
				}
			})
			t.Run("private subnets' egress", func(t *testing.T) {
				private := subnets[2:]
				switch mode.egress {
				case config.EgressNat:
					if len(nats) != 1 {
						t.Fatalf("want 1 NAT gateway, got %d", len(nats))
					}
					natID := sortedIDs(nats)[0]
					if in := ref(tm.Props(natID)["SubnetId"]); in != subnets[0].id {
						t.Errorf("NAT gateway sits in %s, want the public subnet %s", in, subnets[0].id)
					}
					for _, sn := range private {
						if r := routes[sn.routeTable]; r == nil || ref(r["NatGatewayId"]) != natID {
							t.Errorf("%s: default route %s, want -> %s (shared)", sn.id, jsonOf(r), natID)
						}
					}
				case config.EgressNatPerAz:
					if len(nats) != 2 {
						t.Fatalf("want 2 NAT gateways, got %d", len(nats))
					}
					for _, sn := range private {
						r := routes[sn.routeTable]
						nat := ref(r["NatGatewayId"])
						home := ref(tm.Props(nat)["SubnetId"])
						var homeAZ float64 = -1
						for _, pub := range subnets[:2] {
							if pub.id == home {
								homeAZ = pub.az
							}
						}
						if nat == "" || homeAZ != sn.az {
							t.Errorf("%s (AZ %v) routes to %q in %s (AZ %v): want the NAT in its own AZ", sn.id, sn.az, nat, home, homeAZ)
						}
					}
				case config.EgressEndpoints:
					if len(nats) != 0 || len(tm.Resources("AWS::EC2::EIP")) != 0 {
						t.Errorf("endpoints mode has %d NAT gateways and %d EIPs, want none", len(nats), len(tm.Resources("AWS::EC2::EIP")))
					}
					for _, sn := range private {
						if r := routes[sn.routeTable]; r != nil {
							t.Errorf("%s has a default route %s, want none", sn.id, jsonOf(r))
						}
					}
				}
			})
			t.Run("endpoints", func(t *testing.T) {
				privateIDs := []string{subnets[2].id, subnets[3].id}
				privateTables := []string{subnets[2].routeTable, subnets[3].routeTable}
				var gateway, iface []string
				var endpointSGs []string
				for id, r := range tm.Resources("AWS::EC2::VPCEndpoint") {
					p := r["Properties"].(map[string]any)
					name := jsonOf(p["ServiceName"])
					switch p["VpcEndpointType"] {
					case "Interface":
						iface = append(iface, serviceSuffix(name))
						if got := refs(p["SubnetIds"]); !sameSet(got, privateIDs) {
							t.Errorf("%s in subnets %v, want the private ones %v", id, got, privateIDs)
						}
						if p["PrivateDnsEnabled"] != true {
							t.Errorf("%s: private DNS off", id)
						}
						endpointSGs = append(endpointSGs, refs(p["SecurityGroupIds"])...)
					default:
						gateway = append(gateway, serviceSuffix(name))
						if got := refs(p["RouteTableIds"]); !sameSet(got, privateTables) {
							t.Errorf("gateway %s on route tables %v, want the private ones %v", id, got, privateTables)
						}
					}
				}
				if !slices.Equal(gateway, []string{"s3"}) {
					t.Errorf("gateway endpoints %v, want [s3]", gateway)
				}
				wantIface := []string{}
				if mode.egress == config.EgressEndpoints {
					wantIface = []string{"ecr.api", "ecr.dkr", "logs"}
				}
				if !sameSet(iface, wantIface) {
					t.Errorf("interface endpoints %v, want %v", iface, wantIface)
				}
				for _, sg := range endpointSGs {
					p := tm.Props(sg)
					ingress, _ := p["SecurityGroupIngress"].([]any)
					if len(ingress) != 1 {
						t.Fatalf("endpoint SG %s ingress %s, want one rule", sg, jsonOf(ingress))
					}
					rule := ingress[0].(map[string]any)
					if rule["FromPort"] != 443.0 || rule["ToPort"] != 443.0 || rule["IpProtocol"] != "tcp" || jsonOf(rule["CidrIp"]) != `{"Fn::GetAtt":["`+vpcID+`","CidrBlock"]}` {
						t.Errorf("endpoint SG %s ingress %s, want tcp 443 from the VPC CIDR only", sg, jsonOf(rule))
					}
				}
			})
			t.Run("flow logs to CloudWatch Logs with the configured retention", func(t *testing.T) {
				_, fl := tm.Only(t, "AWS::EC2::FlowLog")
				if fl["ResourceType"] != "VPC" || ref(fl["ResourceId"]) != vpcID || fl["TrafficType"] != "ALL" || fl["LogDestinationType"] != "cloud-watch-logs" {
					t.Errorf("flow log %s", jsonOf(fl))
				}
				group := ref(fl["LogGroupName"])
				if got, want := tm.Props(group)["RetentionInDays"], float64(s.cfg.Network.FlowLogRetentionDays); got != want {
					t.Errorf("flow log group %s retention %v, want %v", group, got, want)
				}
			})
			t.Run("default security group has no rules", func(t *testing.T) {
				_, cr := tm.Only(t, "Custom::VpcRestrictDefaultSG")
				if jsonOf(cr["DefaultSecurityGroupId"]) != `{"Fn::GetAtt":["`+vpcID+`","DefaultSecurityGroup"]}` {
					t.Errorf("restricts %s", jsonOf(cr["DefaultSecurityGroupId"]))
				}
			})
			t.Run("placeholder: ECR Public, through the pull-through cache without internet", func(t *testing.T) {
				for id, r := range tm.Resources("AWS::SSM::Parameter") {
					if name := fmt.Sprint(r["Properties"].(map[string]any)["Name"]); name != s.cfg.PlaceholderParameterName() || mode.egress != config.EgressEndpoints {
						t.Errorf("the network holds the SSM parameter %s (%s): the image parameter belongs to the RegistryStack, which make destroy keeps, and only the endpoints mode hands the placeholder over", id, name)
					}
				}
				placeholder, _ := placeholderImage(t, s)
				if mode.egress == config.EgressEndpoints {
					// No internet: ECR Public comes through the pull-through cache.
					_, rule := tm.Only(t, "AWS::ECR::PullThroughCacheRule")
					if rule["UpstreamRegistryUrl"] != "public.ecr.aws" || !strings.Contains(placeholder, ".dkr.ecr.") || !strings.Contains(placeholder, "/"+rule["EcrRepositoryPrefix"].(string)+"/nginx/nginx@") {
						t.Errorf("placeholder %s with cache rule %s", placeholder, jsonOf(rule))
					}
				} else if placeholder != config.DefaultPlaceholderImage {
					t.Errorf("placeholder %s", placeholder)
				}
			})
		})
	}
}

// serviceSuffix pulls "ecr.api" out of a synthesized endpoint service name
// such as {"Fn::Join":["",["com.amazonaws.",{"Ref":"AWS::Region"},".ecr.api"]]}.
func serviceSuffix(name string) string {
	name = strings.TrimSuffix(strings.TrimSuffix(name, `"]]}`), `"`)
	i := strings.LastIndex(name, `"`)
	return strings.TrimPrefix(name[i+1:], ".")
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestNetworkEndpointsFollowTheService(t *testing.T) {
	s := synth(t, map[string]any{
		"egress":     "endpoints",
		"enableExec": "true",
		"secrets": map[string]any{
			"DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
			"API_KEY":     "arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key",
		},
	})
	var got []string
	for _, r := range s.templates["Network"].Resources("AWS::EC2::VPCEndpoint") {
		got = append(got, serviceSuffix(jsonOf(r["Properties"].(map[string]any)["ServiceName"])))
	}
	want := []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "s3"}
	if !sameSet(got, want) {
		t.Errorf("endpoints %v, want %v", got, want)
	}
}

// TestNetworkWithoutEgressFailsSynth shows the guard: a network whose private
// subnets could not reach ECR, S3 and Logs does not synthesize.
func TestNetworkWithoutEgressFailsSynth(t *testing.T) {
	ctx := cdkJSONContext(t)
	cfg, err := config.Load(map[string]any{"environments": map[string]any{"dev": map[string]any{"sourceRepository": "o/r", "egress": "endpoints"}}})
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	stacks.NewNetworkStack(app, "Network", &stacks.NetworkStackProps{
		Network:                  cfg.Network,
		InterfaceEndpoints:       []string{"ecr.api", "ecr.dkr"}, // no logs
		PlaceholderImage:         config.DefaultPlaceholderImage,
		PullThroughPrefix:        "demo-dev-ecr-public",
		PlaceholderParameterName: cfg.PlaceholderParameterName(),
	})
	var msg string
	func() {
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		app.Synth(nil)
	}()
	for _, want := range []string{"has no path to ECR, S3 and CloudWatch Logs", "no VPC endpoint for logs", "Network/Vpc/PrivateSubnet1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("synth error %q does not say %q", msg, want)
		}
	}
}

// TestNetworkAssertions double-checks the VPC with the CDK's own matchers.
func TestNetworkAssertions(t *testing.T) {
	s := synth(t, nil)
	tm := s.templates["Network"]
	js := map[string]any(tm)
	at := assertions.Template_FromJSON(&js, nil)
	must(t, func() { at.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(4)) })
	must(t, func() {
		at.HasResourceProperties(jsii.String("AWS::EC2::Subnet"), map[string]any{
			"CidrBlock":           "10.0.3.0/24",
			"MapPublicIpOnLaunch": false,
		})
	})
	must(t, func() {
		at.AllResourcesProperties(jsii.String("AWS::EC2::Subnet"), map[string]any{"MapPublicIpOnLaunch": false})
	})
	if got := *s.app.Network.Vpc().VpcCidrBlock(); !strings.HasPrefix(got, "${Token[") {
		t.Errorf("the typed VPC's CIDR should be a token referring to the VPC resource, got %q", got)
	}
}

// flat renders a template string value with its references as ${Name}:
// {"Fn::Join":["",["a",{"Ref":"B"}]]} is "a${B}".
func flat(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if r, ok := x["Ref"].(string); ok {
			return "${" + r + "}"
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) == 2 {
			return fmt.Sprintf("${%v.%v}", g[0], g[1])
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, flat(p))
			}
			return strings.Join(parts, j[0].(string))
		}
	}
	return jsonOf(v)
}

// placeholderImage is the image the service starts from before the first
// release ({"Fn::If": [NoReleaseYet, placeholder, released]}), flattened,
// and how it gets there: literally, or through an SSM parameter that
// another stack creates, which the Service template reads by name (an
// SSM-typed parameter, resolved at every deploy: no export).
func placeholderImage(t *testing.T, s *synthed) (image, handoff string) {
	t.Helper()
	svc := s.templates["Service"]
	_, td := svc.Only(t, "AWS::ECS::TaskDefinition")
	branches, _ := td["ContainerDefinitions"].([]any)[0].(map[string]any)["Image"].(map[string]any)["Fn::If"].([]any)
	if len(branches) != 3 {
		t.Fatalf("container image %s, want Fn::If on the release with the placeholder first", jsonOf(td["ContainerDefinitions"]))
	}
	name := ref(branches[1])
	p, _ := svc["Parameters"].(map[string]any)[name].(map[string]any)
	if p == nil {
		return flat(branches[1]), ""
	}
	if p["Type"] != "AWS::SSM::Parameter::Value<String>" {
		t.Fatalf("the placeholder is the stack parameter %s of type %v", name, p["Type"])
	}
	for sid, tm := range s.templates {
		for id, r := range tm.Resources("AWS::SSM::Parameter") {
			if props := r["Properties"].(map[string]any); props["Name"] == p["Default"] {
				return flat(props["Value"]), sid + "/" + id
			}
		}
	}
	t.Fatalf("the placeholder is read from the SSM parameter %v, which no stack creates", p["Default"])
	return "", ""
}

// TestNetworkEndpointsPlaceholderIsCachedFirst checks, from the templates,
// that the endpoints mode's first deploy does not depend on a first pull
// through the pull-through cache from the tasks. On a cache miss ECR may
// send the tasks to the upstream registry's CDN for the layers, which they
// cannot reach without internet (aws/containers-roadmap#939; the ECR user
// guide asks for a NAT gateway for the first pull of an image through a
// cache used over PrivateLink). So the NetworkStack, which the ServiceStack
// deploys after, pulls the placeholder through the cache itself, from a
// function outside the VPC, for the task's platform, and waits until ECR
// holds it; the tasks then pull a cached image, with its layers from S3
// through the gateway endpoint. They pull it by the digest the fill found:
// ECR checks the upstream again, up to once a day, when a cached *tag* is
// pulled, and a changed tag would be a first pull again. The digest reaches
// the ServiceStack through an SSM parameter of the NetworkStack, not an
// export: an export the Service imports could not change or go away (a
// new placeholder, a switch out of endpoints) while the Service runs.
func TestNetworkEndpointsPlaceholderIsCachedFirst(t *testing.T) {
	for _, tc := range []struct {
		name      string
		overrides map[string]any
		platform  string
	}{
		{"X86_64", map[string]any{"egress": "endpoints", "architecture": "X86_64"}, "linux/amd64"},
		{"ARM64", map[string]any{"egress": "endpoints", "architecture": "ARM64"}, "linux/arm64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(t, tc.overrides)
			net, svc := s.templates["Network"], s.templates["Service"]
			ruleID, rule := net.Only(t, "AWS::ECR::PullThroughCacheRule")
			prefix, _ := rule["EcrRepositoryPrefix"].(string)
			_, td := svc.Only(t, "AWS::ECS::TaskDefinition")
			image, handoff := placeholderImage(t, s)
			registry := "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
			repo, digest, ok := strings.Cut(strings.TrimPrefix(image, registry), "@")
			if !strings.HasPrefix(image, registry) || !strings.HasPrefix(repo, prefix+"/") {
				t.Fatalf("placeholder %s: not an image of this account's ECR under the cache's prefix %s", image, prefix)
			}
			caches := net.Resources("Custom::PlaceholderImageCache")
			if len(caches) != 1 {
				t.Fatalf("%d Custom::PlaceholderImageCache resources, want 1 that pulls %s through the cache before the service starts", len(caches), image)
			}
			for id, c := range caches {
				p := c["Properties"].(map[string]any)
				if !ok || digest != "${"+id+".ImageDigest}" {
					t.Errorf("the service starts from %s, want the cached image by the digest %s found (%s.ImageDigest): a tag is checked upstream again", image, id, id)
				}
				if !strings.HasPrefix(handoff, "Network/") || strings.Contains(jsonOf(td), "Fn::ImportValue") {
					t.Errorf("the digest reaches the service through %q, want an SSM parameter of the NetworkStack and no export", handoff)
				}
				if p["RepositoryName"] != repo || !slices.Contains(strs(c["DependsOn"]), ruleID) {
					t.Errorf("%s pulls repository %s (after %v), want %s after the rule %s", id, jsonOf(p["RepositoryName"]), c["DependsOn"], repo, ruleID)
				}
				if tag := strings.TrimPrefix(config.DefaultPlaceholderImage, "public.ecr.aws/nginx/nginx:"); p["Tag"] != tag || p["Platform"] != tc.platform {
					t.Errorf("%s pulls tag %v for %v, want %s for %s", id, p["Tag"], p["Platform"], tag, tc.platform)
				}
				if arch := jsonOf(td["RuntimePlatform"]); !strings.Contains(arch, map[string]string{"linux/amd64": "X86_64", "linux/arm64": "ARM64"}[tc.platform]) {
					t.Errorf("the task runs on %s, the cache is filled for %s", arch, tc.platform)
				}
				fn := ref(p["ServiceToken"])
				fp := net.Props(fn)
				if net.Resources("AWS::Lambda::Function")[fn] == nil || fp["VpcConfig"] != nil {
					t.Fatalf("%s is served by %s, want a Lambda function outside the VPC, which reaches the upstream registry", id, fn)
				}
				granted := map[string]bool{}
				for _, st := range policyStatements(net, ref(fp["Role"])) {
					for _, r := range strs(st["Resource"]) {
						for _, a := range strs(st["Action"]) {
							switch {
							case r == "*" && a == "ecr:GetAuthorizationToken":
								granted[a] = true
							case strings.Contains(r, ":repository/"+prefix+"/*"):
								granted[a] = true
							case r == "*" || strings.HasPrefix(a, "ecr:"):
								t.Errorf("%s's role: %s on %s, want ECR actions on the cache's repositories only", id, a, r)
							}
						}
					}
				}
				for _, a := range []string{"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:DescribeImages", "ecr:BatchCheckLayerAvailability"} {
					if !granted[a] {
						t.Errorf("%s's role may not %s", id, a)
					}
				}
			}
			found := false
			for _, d := range *s.app.Service.Dependencies() {
				found = found || *d.StackName() == *s.app.Network.StackName()
			}
			if !found {
				t.Errorf("the ServiceStack does not deploy after the NetworkStack, which fills the cache")
			}
		})
	}
	t.Run("no cache with NAT", func(t *testing.T) {
		if n := len(synth(t, nil).templates["Network"].Resources("Custom::PlaceholderImageCache")); n != 0 {
			t.Errorf("%d cache fills with NAT, where tasks reach ECR Public themselves", n)
		}
	})
}

// TestPlaceholderCacheHandler runs the cache fill's own tests (node:test,
// against a fake registry that redirects layers to another origin as a
// cache miss does): the function runs only on AWS, so this is where its
// pull, its redirects and its wait are proven.
func TestPlaceholderCacheHandler(t *testing.T) {
	node, err := exec.LookPath(filepath.Join("node_modules", ".bin", "node"))
	if err != nil {
		if node, err = exec.LookPath("node"); err != nil {
			t.Fatalf("node not found (run make deps): the cache fill's handler tests need it: %v", err)
		}
	}
	out, err := exec.Command(node, "--test", "constructs/placeholdercache/index.test.js").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test constructs/placeholdercache/index.test.js: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "pass 6") {
		t.Errorf("want 6 passing handler tests:\n%s", out)
	}
}
