//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// service is a deployed ServiceStack, with the values of its template
// resolved against the account the way CloudFormation resolved them.
type service struct {
	*stack
	net            *network
	Cluster        string
	ARN            string
	ECS            ecstypes.Service
	Subnets        []string // the template's awsvpc subnets, resolved
	SecurityGroups []string // the template's awsvpc security groups, resolved
	AssignPublicIP string
	TargetGroup    string // ARN of the primary target group
	// AlternateTargetGroup is the blue/green, canary or linear
	// strategies' second group (ARN), or "".
	AlternateTargetGroup string
	LoadBalancer         string // ARN
	ContainerPort        int32
}

func readService(t *testing.T, d deployment) *service {
	t.Helper()
	s := d.deployed(t, "Service")
	sv := &service{stack: s, net: readNetwork(t, d)}
	sv.Cluster = s.phys(t, s.one(t, "AWS::ECS::Cluster"))
	svcID := s.one(t, "AWS::ECS::Service")
	sv.ARN = s.phys(t, svcID)
	out, err := ecsC.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(sv.Cluster), Services: []string{sv.ARN}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("ECS service %s in %s: %v (failures %+v)", sv.ARN, sv.Cluster, err, out)
	}
	sv.ECS = out.Services[0]

	p := s.Template.Resources[svcID].Properties
	awsvpc, _ := p["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
	if awsvpc == nil {
		t.Fatal("the template's service has no AwsvpcConfiguration")
	}
	for _, v := range s.resolve(t, awsvpc["Subnets"]).([]any) {
		sv.Subnets = append(sv.Subnets, v.(string))
	}
	for _, v := range s.resolve(t, awsvpc["SecurityGroups"]).([]any) {
		sv.SecurityGroups = append(sv.SecurityGroups, v.(string))
	}
	sv.AssignPublicIP, _ = awsvpc["AssignPublicIp"].(string)
	lbs, _ := p["LoadBalancers"].([]any)
	if len(lbs) != 1 {
		t.Fatalf("the template's service has %d load balancers, want 1", len(lbs))
	}
	lb := lbs[0].(map[string]any)
	primary := refID(lb["TargetGroupArn"])
	sv.TargetGroup = s.phys(t, primary)
	if adv, ok := lb["AdvancedConfiguration"].(map[string]any); ok {
		sv.AlternateTargetGroup = s.phys(t, refID(adv["AlternateTargetGroupArn"]))
	}
	sv.LoadBalancer = s.phys(t, s.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer"))
	port, _ := s.Template.Resources[primary].Properties["Port"].(float64)
	sv.ContainerPort = int32(port)
	return sv
}

// refID is the logical ID of {"Ref": ID}.
func refID(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// TestDeployedService checks where the service runs: the private subnets
// of its own environment's network, no public IP, its own security group,
// registered in its target group, with the image the parameter held.
func TestDeployedService(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		sv := readService(t, d)
		s := sv.stack
		p := s.Template.Resources[s.one(t, "AWS::ECS::Service")].Properties

		t.Run("subnets, public IP, security groups", func(t *testing.T) {
			private := []string{sv.net.Private[0].ID, sv.net.Private[1].ID}
			if !sameSet(sv.Subnets, private) {
				t.Errorf("the service's subnets resolve to %v, want its network's private subnets %v", sv.Subnets, private)
			}
			for _, id := range sv.Subnets {
				for _, pub := range sv.net.Public {
					if id == pub.ID {
						t.Errorf("the service is in the public subnet %s", pub.Name)
					}
				}
			}
			if sv.AssignPublicIP != "DISABLED" {
				t.Errorf("AssignPublicIp %q, want DISABLED", sv.AssignPublicIP)
			}
			if len(sv.SecurityGroups) != 1 {
				t.Fatalf("the service has security groups %v, want its own one", sv.SecurityGroups)
			}
			if sg := securityGroup(t, sv.SecurityGroups[0]); aws.ToString(sg.VpcId) != sv.net.VPC {
				t.Errorf("the service's security group %s is in %s, not its network's VPC %s", sv.SecurityGroups[0], aws.ToString(sg.VpcId), sv.net.VPC)
			}
			got := sv.ECS.NetworkConfiguration
			if got == nil || got.AwsvpcConfiguration == nil {
				recordGap(t, "ecs-service-network", "DescribeServices shows no networkConfiguration")
				return
			}
			if !sameSet(got.AwsvpcConfiguration.Subnets, sv.Subnets) || !sameSet(got.AwsvpcConfiguration.SecurityGroups, sv.SecurityGroups) ||
				string(got.AwsvpcConfiguration.AssignPublicIp) != sv.AssignPublicIP {
				t.Errorf("ECS shows %+v, want subnets %v, security groups %v, public IP %s", *got.AwsvpcConfiguration, sv.Subnets, sv.SecurityGroups, sv.AssignPublicIP)
			}
		})

		t.Run("capacity providers, and count", func(t *testing.T) {
			// Every capacity mode is a strategy, on-demand too: ECS cannot
			// take a service back from a strategy to a launch type.
			if p["CapacityProviderStrategy"] == nil {
				t.Fatalf("the template's service has no capacity provider strategy (launch type %v)", p["LaunchType"])
			}
			checkCapacityProviders(t, s, sv, p)
			// Autoscaling owns the count: the template sets none. AWS
			// creates such a service with one task, and registering its
			// scalable target raises it to the target's minimum.
			if want, set := p["DesiredCount"]; set {
				t.Errorf("the template sets DesiredCount %v: every deploy would reset what autoscaling chose", want)
			}
			min := scalableTargetMin(t, s)
			// Working hours: the scalable target's scheduled actions.
			targetID := s.one(t, "AWS::ApplicationAutoScaling::ScalableTarget")
			if actions, _ := s.Template.Resources[targetID].Properties["ScheduledActions"].([]any); len(actions) > 0 {
				if _, deployed := s.physical[targetID]; !deployed {
					recordGap(t, "appscaling-scheduled-actions", fmt.Sprintf("%d scheduled actions of a scalable target moto skipped", len(actions)))
				} else {
					t.Errorf("moto deploys the scalable target %s now: read its %d scheduled actions with the Application Auto Scaling API and compare them", targetID, len(actions))
				}
			}
			switch got := sv.ECS.DesiredCount; {
			case got == 0:
				recordGap(t, "ecs-service-desired-count", fmt.Sprintf("desiredCount 0, scalable target minimum %d", min))
			case int(got) != min && got != 1:
				t.Errorf("desired count %d, want 1 at creation or the scalable target's minimum %d", got, min)
			}
			if sv.ECS.Status == nil || *sv.ECS.Status != "ACTIVE" {
				t.Errorf("service status %v, want ACTIVE", aws.ToString(sv.ECS.Status))
			}
		})

		t.Run("target group registration", func(t *testing.T) {
			lbs := s.resolve(t, p["LoadBalancers"]).([]any)
			if len(lbs) != 1 {
				t.Fatalf("the template registers the service in %d target groups, want 1", len(lbs))
			}
			lb := lbs[0].(map[string]any)
			want := ecstypes.LoadBalancer{ContainerName: aws.String("app"), ContainerPort: aws.Int32(sv.ContainerPort), TargetGroupArn: aws.String(sv.TargetGroup)}
			if lb["ContainerName"] != "app" || fmt.Sprint(lb["ContainerPort"]) != fmt.Sprint(sv.ContainerPort) || lb["TargetGroupArn"] != sv.TargetGroup {
				t.Errorf("the template registers %v, want container app port %d in %s", lb, sv.ContainerPort, sv.TargetGroup)
			}
			if len(sv.ECS.LoadBalancers) == 0 {
				recordGap(t, "ecs-service-load-balancers", "DescribeServices shows no loadBalancers")
				return
			}
			if len(sv.ECS.LoadBalancers) != 1 || !reflect.DeepEqual(sv.ECS.LoadBalancers[0].TargetGroupArn, want.TargetGroupArn) ||
				aws.ToString(sv.ECS.LoadBalancers[0].ContainerName) != "app" || aws.ToInt32(sv.ECS.LoadBalancers[0].ContainerPort) != sv.ContainerPort {
				t.Errorf("ECS registers %+v, want %+v", sv.ECS.LoadBalancers, want)
			}
		})

		t.Run("task definition", func(t *testing.T) {
			td := taskDefinition(t, aws.ToString(sv.ECS.TaskDefinition))
			tdTmpl := s.Template.Resources[s.one(t, "AWS::ECS::TaskDefinition")].Properties
			if aws.ToString(td.Family) != tdTmpl["Family"] {
				t.Errorf("family %s, template %v", aws.ToString(td.Family), tdTmpl["Family"])
			}
			c := container(t, td, "app")
			// The image came from the SSM parameter, through the stack's
			// parameter: it existed, and said no release yet, when the
			// service was made, so the task runs this network's placeholder.
			released, none := parameterValue(t, "/"+d.App+"/"+d.Env+"/image-uri"), noRelease(t, d)
			if got := s.Params[imageParameterKey(t, s)]; got != released || released != none {
				t.Errorf("CloudFormation resolved the image parameter to %q (it holds %q), want %q before the first release", got, released, none)
			}
			want := s.str(t, tdTmpl["ContainerDefinitions"].([]any)[0].(map[string]any)["Image"])
			if want == none || !strings.Contains(want, "nginx") {
				t.Errorf("before the first release the template resolves the image to %q, want the placeholder", want)
			}
			if aws.ToString(c.Image) != want {
				t.Errorf("container image %q, want the placeholder %q", aws.ToString(c.Image), want)
			}
			if len(c.PortMappings) != 1 || aws.ToInt32(c.PortMappings[0].ContainerPort) != sv.ContainerPort {
				t.Errorf("port mappings %+v, want %d", c.PortMappings, sv.ContainerPort)
			}
			env := map[string]string{}
			for _, kv := range c.Environment {
				env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
			}
			if env["PORT"] != fmt.Sprint(sv.ContainerPort) || env["HEALTH_CHECK_PATH"] == "" {
				t.Errorf("environment %v, want PORT=%d and HEALTH_CHECK_PATH", env, sv.ContainerPort)
			}
			logGroup := s.phys(t, s.one(t, "AWS::Logs::LogGroup"))
			if c.LogConfiguration == nil || c.LogConfiguration.Options["awslogs-group"] != logGroup {
				t.Errorf("log configuration %+v, want awslogs to %s", c.LogConfiguration, logGroup)
			}
			if aws.ToString(td.Memory) != fmt.Sprint(tdTmpl["Memory"]) {
				t.Errorf("memory %s, template %v", aws.ToString(td.Memory), tdTmpl["Memory"])
			}
			fargateTask(t, td, tdTmpl)
		})
	})
}

// fargateTask compares the Fargate settings of a task definition with the
// template's, or records moto's gap when it kept none of them.
func fargateTask(t *testing.T, td *ecstypes.TaskDefinition, tmpl map[string]any) {
	t.Helper()
	if tmpl["NetworkMode"] != "awsvpc" || !slices.Contains(tmpl["RequiresCompatibilities"].([]any), any("FARGATE")) {
		t.Fatalf("the template's task is %v %v, want awsvpc FARGATE", tmpl["NetworkMode"], tmpl["RequiresCompatibilities"])
	}
	if aws.ToString(td.Cpu) == "" && td.NetworkMode == ecstypes.NetworkModeBridge && len(td.RequiresCompatibilities) == 0 {
		recordGap(t, "ecs-task-fargate", fmt.Sprintf("%s: no cpu, network mode bridge, compatibilities %v", aws.ToString(td.TaskDefinitionArn), td.Compatibilities))
		return
	}
	if aws.ToString(td.Cpu) != fmt.Sprint(tmpl["Cpu"]) || td.NetworkMode != ecstypes.NetworkModeAwsvpc ||
		!slices.Contains(td.RequiresCompatibilities, ecstypes.CompatibilityFargate) {
		t.Errorf("task %s: cpu %s, network mode %s, requires %v; template cpu %v, awsvpc, FARGATE",
			aws.ToString(td.TaskDefinitionArn), aws.ToString(td.Cpu), td.NetworkMode, td.RequiresCompatibilities, tmpl["Cpu"])
	}
}

// imageParameterKey is the stack parameter of type
// AWS::SSM::Parameter::Value<String> the task's image comes from.
// noRelease is what the image parameter holds before the pipeline's first
// release: its value in the registry template, the only one any template
// writes.
func noRelease(t *testing.T, d deployment) string {
	t.Helper()
	_, _, value := imageParameterCreate(t, d.template(t, "Registry"))
	return value
}

// checkCapacityProviders compares a service on Fargate Spot with its
// template: the cluster offers FARGATE and FARGATE_SPOT, the service has
// the template's strategy and no launch type.
func checkCapacityProviders(t *testing.T, s *stack, sv *service, p map[string]any) {
	t.Helper()
	if _, set := p["LaunchType"]; set {
		t.Errorf("the template has both a capacity provider strategy and launch type %v", p["LaunchType"])
	}
	var want []string
	for _, it := range p["CapacityProviderStrategy"].([]any) {
		m := it.(map[string]any)
		want = append(want, fmt.Sprintf("%v base %v weight %v", m["CapacityProvider"], numOr0(m["Base"]), numOr0(m["Weight"])))
	}
	var got []string
	for _, it := range sv.ECS.CapacityProviderStrategy {
		got = append(got, fmt.Sprintf("%s base %d weight %d", aws.ToString(it.CapacityProvider), it.Base, it.Weight))
	}
	switch {
	case len(got) == 0:
		recordGap(t, "ecs-capacity-providers", fmt.Sprintf("service capacityProviderStrategy empty, launch type %q", sv.ECS.LaunchType))
	case !slices.Equal(got, want):
		t.Errorf("capacity provider strategy %v, template %v", got, want)
	}
	cluster := s.phys(t, s.one(t, "AWS::ECS::Cluster"))
	out, err := ecsC.DescribeClusters(context.Background(), &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil || len(out.Clusters) != 1 {
		t.Fatalf("cluster %s: %v", cluster, err)
	}
	switch providers := out.Clusters[0].CapacityProviders; {
	case len(providers) == 0:
		recordGap(t, "ecs-capacity-providers", "the cluster lists no capacity providers")
	case !sameSet(providers, []string{"FARGATE", "FARGATE_SPOT"}):
		t.Errorf("the cluster's capacity providers %v, want FARGATE and FARGATE_SPOT", providers)
	}
}

func numOr0(v any) any {
	if v == nil {
		return 0.0
	}
	return v
}

// scalableTargetMin is the MinCapacity of the scalable target of the
// stack's ECS service.
func scalableTargetMin(t *testing.T, s *stack) int {
	t.Helper()
	id := s.one(t, "AWS::ApplicationAutoScaling::ScalableTarget")
	n, err := strconv.Atoi(fmt.Sprint(s.Template.Resources[id].Properties["MinCapacity"]))
	if err != nil {
		t.Fatalf("stack %s: scalable target minimum %v", s.Name, s.Template.Resources[id].Properties["MinCapacity"])
	}
	return n
}

func imageParameterKey(t *testing.T, s *stack) string {
	t.Helper()
	var keys []string
	for k, p := range s.Template.Parameters {
		// BootstrapVersion, the CDK's check of the bootstrap stack, is one
		// too; the endpoints mode's placeholder is another.
		if p.Type == "AWS::SSM::Parameter::Value<String>" && strings.HasSuffix(fmt.Sprint(p.Default), "/image-uri") {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 {
		t.Fatalf("stack %s has image parameters %v, want one", s.Name, keys)
	}
	return keys[0]
}

func taskDefinition(t *testing.T, arn string) *ecstypes.TaskDefinition {
	t.Helper()
	out, err := ecsC.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		t.Fatalf("task definition %s: %v", arn, err)
	}
	return out.TaskDefinition
}

func container(t *testing.T, td *ecstypes.TaskDefinition, name string) ecstypes.ContainerDefinition {
	t.Helper()
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == name {
			return c
		}
	}
	t.Fatalf("task definition %s has no container %q", aws.ToString(td.TaskDefinitionArn), name)
	return ecstypes.ContainerDefinition{}
}

func securityGroup(t *testing.T, id string) ec2types.SecurityGroup {
	t.Helper()
	out, err := ec2C.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatalf("security group %s: %v", id, err)
	}
	return out.SecurityGroups[0]
}

// rule is one security group permission, flattened for comparison.
type rule struct {
	Proto    string
	From, To int32
	Source   string // a CIDR or a security group ID
}

func rules(perms []ec2types.IpPermission) []rule {
	var out []rule
	for _, p := range perms {
		from, to := aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort)
		for _, r := range p.IpRanges {
			out = append(out, rule{aws.ToString(p.IpProtocol), from, to, aws.ToString(r.CidrIp)})
		}
		for _, g := range p.UserIdGroupPairs {
			out = append(out, rule{aws.ToString(p.IpProtocol), from, to, aws.ToString(g.GroupId)})
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, rule{aws.ToString(p.IpProtocol), from, to, aws.ToString(r.CidrIpv6)})
		}
		for _, r := range p.PrefixListIds {
			out = append(out, rule{aws.ToString(p.IpProtocol), from, to, aws.ToString(r.PrefixListId)})
		}
	}
	slices.SortFunc(out, func(a, b rule) int { return cmpRule(a, b) })
	return out
}

func cmpRule(a, b rule) int {
	as, bs := fmt.Sprint(a), fmt.Sprint(b)
	switch {
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}

// templateRules reads a group's inline rules from the template, resolved.
func templateRules(t *testing.T, s *stack, list any, sourceKeys ...string) []rule {
	t.Helper()
	var out []rule
	items, _ := list.([]any)
	for _, it := range items {
		m := it.(map[string]any)
		from, _ := m["FromPort"].(float64)
		to, _ := m["ToPort"].(float64)
		src := ""
		for _, k := range sourceKeys {
			if v, ok := m[k]; ok {
				src = s.str(t, v)
			}
		}
		out = append(out, rule{m["IpProtocol"].(string), int32(from), int32(to), src})
	}
	slices.SortFunc(out, cmpRule)
	return out
}

// TestDeployedIngress checks that the service admits only the ALB's
// security group, on the container port, and no CIDR; and that the ALB
// admits the listener port from the allowed CIDRs only.
func TestDeployedIngress(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		sv := readService(t, d)
		s := sv.stack
		lbs, err := elbC.DescribeLoadBalancers(context.Background(), &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{sv.LoadBalancer}})
		if err != nil || len(lbs.LoadBalancers) != 1 {
			t.Fatalf("load balancer %s: %v", sv.LoadBalancer, err)
		}
		lb := lbs.LoadBalancers[0]
		if len(lb.SecurityGroups) != 1 {
			t.Fatalf("the ALB has security groups %v, want one", lb.SecurityGroups)
		}
		albSG := lb.SecurityGroups[0]
		if lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternetFacing {
			t.Errorf("ALB scheme %s, want internet-facing", lb.Scheme)
		}
		var lbSubnets []string
		for _, az := range lb.AvailabilityZones {
			lbSubnets = append(lbSubnets, aws.ToString(az.SubnetId))
		}
		if public := []string{sv.net.Public[0].ID, sv.net.Public[1].ID}; !sameSet(lbSubnets, public) {
			t.Errorf("ALB subnets %v, want the public subnets %v", lbSubnets, public)
		}

		serviceSG := securityGroup(t, sv.SecurityGroups[0])
		t.Run("service admits only the ALB", func(t *testing.T) {
			got := rules(serviceSG.IpPermissions)
			want := []rule{{"tcp", sv.ContainerPort, sv.ContainerPort, albSG}}
			if !slices.Equal(got, want) {
				t.Errorf("the service's group %s admits %v, want only %v", aws.ToString(serviceSG.GroupId), got, want)
			}
			// The same rule, as the template's SecurityGroupIngress states it.
			for _, id := range s.Template.OfType("AWS::EC2::SecurityGroupIngress") {
				p := s.Template.Resources[id].Properties
				if s.str(t, p["GroupId"]) == aws.ToString(serviceSG.GroupId) && s.str(t, p["SourceSecurityGroupId"]) != albSG {
					t.Errorf("template rule %s admits %s, not the ALB's group %s", id, s.str(t, p["SourceSecurityGroupId"]), albSG)
				}
			}
			if got := rules(serviceSG.IpPermissionsEgress); !slices.Equal(got, []rule{{"-1", 0, 0, "0.0.0.0/0"}}) {
				t.Errorf("the service's egress is %v, want all outbound (image pulls, logs)", got)
			}
		})

		t.Run("ALB admits the allowed CIDRs", func(t *testing.T) {
			sgTmpl := s.Template.Resources[s.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")].Properties["SecurityGroups"].([]any)[0]
			logical := sgTmpl.(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
			if s.phys(t, logical) != albSG {
				t.Fatalf("the ALB's group %s is not the template's %s", albSG, logical)
			}
			props := s.Template.Resources[logical].Properties
			want := templateRules(t, s, props["SecurityGroupIngress"], "CidrIp")
			sg := securityGroup(t, albSG)
			if got := rules(sg.IpPermissions); !slices.Equal(got, want) {
				t.Errorf("the ALB's group %s admits %v, template %v", albSG, got, want)
			}
			wantEgress := templateRules(t, s, props["SecurityGroupEgress"], "CidrIp")
			for _, id := range s.Template.OfType("AWS::EC2::SecurityGroupEgress") {
				p := s.Template.Resources[id].Properties
				if s.str(t, p["GroupId"]) == albSG {
					from, _ := p["FromPort"].(float64)
					to, _ := p["ToPort"].(float64)
					wantEgress = append(wantEgress, rule{p["IpProtocol"].(string), int32(from), int32(to), s.str(t, p["DestinationSecurityGroupId"])})
				}
			}
			slices.SortFunc(wantEgress, cmpRule)
			got := rules(sg.IpPermissionsEgress)
			if slices.Equal(got, []rule{{"-1", 0, 0, "0.0.0.0/0"}}) {
				recordGap(t, "alb-security-group-egress", fmt.Sprintf("egress %v, template %v", got, wantEgress))
			} else if !slices.Equal(got, wantEgress) {
				t.Errorf("the ALB's egress is %v, template %v", got, wantEgress)
			}
		})
	})
}

// TestDeployedTargetGroup checks the target groups (the alternate one too,
// with a traffic-shifting strategy): type ip (awsvpc tasks register by IP),
// the health check, the deregistration delay; and the listeners and rules
// that forward to them.
func TestDeployedTargetGroup(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		sv := readService(t, d)
		s := sv.stack
		groups := []string{sv.TargetGroup}
		if sv.AlternateTargetGroup != "" {
			groups = append(groups, sv.AlternateTargetGroup)
		}
		if want := len(s.Template.OfType("AWS::ElasticLoadBalancingV2::TargetGroup")); want != len(groups) {
			t.Fatalf("the template has %d target groups, the service uses %d", want, len(groups))
		}
		for _, arn := range groups {
			t.Run(arn[strings.LastIndexByte(arn, ':')+1:], func(t *testing.T) { checkTargetGroup(t, sv, arn) })
		}
		t.Run("listeners and rules", func(t *testing.T) { checkListeners(t, sv) })
	})
}

// checkTargetGroup compares one deployed target group with its template.
func checkTargetGroup(t *testing.T, sv *service, arn string) {
	ctx := context.Background()
	t.Helper()
	s := sv.stack
	var p map[string]any
	for _, id := range s.Template.OfType("AWS::ElasticLoadBalancingV2::TargetGroup") {
		if s.phys(t, id) == arn {
			p = s.Template.Resources[id].Properties
		}
	}
	out, err := elbC.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	if err != nil || len(out.TargetGroups) != 1 {
		t.Fatalf("target group %s: %v", arn, err)
	}
	tg := out.TargetGroups[0]
	matcher := ""
	if tg.Matcher != nil {
		matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	got := map[string]string{
		"TargetType":                 string(tg.TargetType),
		"Protocol":                   string(tg.Protocol),
		"Port":                       fmt.Sprint(aws.ToInt32(tg.Port)),
		"VpcId":                      aws.ToString(tg.VpcId),
		"HealthCheckPath":            aws.ToString(tg.HealthCheckPath),
		"HealthCheckIntervalSeconds": fmt.Sprint(aws.ToInt32(tg.HealthCheckIntervalSeconds)),
		"HealthCheckTimeoutSeconds":  fmt.Sprint(aws.ToInt32(tg.HealthCheckTimeoutSeconds)),
		"HealthyThresholdCount":      fmt.Sprint(aws.ToInt32(tg.HealthyThresholdCount)),
		"UnhealthyThresholdCount":    fmt.Sprint(aws.ToInt32(tg.UnhealthyThresholdCount)),
		"Matcher":                    matcher,
	}
	for key, value := range got {
		tmpl := p[key]
		if key == "Matcher" {
			tmpl = tmpl.(map[string]any)["HttpCode"]
		}
		if want := fmt.Sprint(s.resolve(t, tmpl)); value != want {
			t.Errorf("target group %s: %s = %s, template %s", arn, key, value, want)
		}
	}
	if got["TargetType"] != "ip" {
		t.Errorf("target type %s, want ip: awsvpc tasks register by IP", got["TargetType"])
	}
	if got["VpcId"] != sv.net.VPC {
		t.Errorf("target group in %s, want the network's VPC %s", got["VpcId"], sv.net.VPC)
	}

	t.Run("deregistration delay", func(t *testing.T) {
		want := ""
		for _, a := range p["TargetGroupAttributes"].([]any) {
			if a.(map[string]any)["Key"] == "deregistration_delay.timeout_seconds" {
				want = a.(map[string]any)["Value"].(string)
			}
		}
		if want == "" {
			t.Fatal("the template sets no deregistration delay")
		}
		attrs, err := elbC.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, a := range attrs.Attributes {
			if aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" {
				got = aws.ToString(a.Value)
			}
		}
		if got == "300" && want != "300" {
			recordGap(t, "target-group-attributes", "deregistration_delay.timeout_seconds 300, template "+want)
		} else if got != want {
			t.Errorf("deregistration delay %s s, template %s s", got, want)
		}
	})

}

// checkListeners checks the production listener (80) answers 404 by
// default and forwards through its rule to the service's target group
// (weighted over both groups with a traffic-shifting strategy), and that
// the test listener (8080) of those strategies does the same.
func checkListeners(t *testing.T, sv *service) {
	ctx := context.Background()
	ls, err := elbC.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(sv.LoadBalancer)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]string{80: "production"}
	if sv.AlternateTargetGroup != "" {
		want[8080] = "test"
	}
	if len(ls.Listeners) != len(want) {
		t.Fatalf("%d listeners, want %v", len(ls.Listeners), want)
	}
	for _, l := range ls.Listeners {
		port := aws.ToInt32(l.Port)
		if want[port] == "" || l.Protocol != elbtypes.ProtocolEnumHttp || len(l.DefaultActions) != 1 || l.DefaultActions[0].Type != elbtypes.ActionTypeEnumFixedResponse ||
			aws.ToString(l.DefaultActions[0].FixedResponseConfig.StatusCode) != "404" {
			t.Errorf("listener %d %s %+v, want HTTP on one of %v answering 404 by default", port, l.Protocol, l.DefaultActions, want)
			continue
		}
		rules, err := elbC.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.ListenerArn})
		if err != nil {
			t.Fatal(err)
		}
		var forwards []string
		for _, r := range rules.Rules {
			if aws.ToBool(r.IsDefault) || aws.ToString(r.Priority) != "1000" || len(r.Actions) != 1 {
				continue
			}
			a := r.Actions[0]
			if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				for _, g := range a.ForwardConfig.TargetGroups {
					forwards = append(forwards, fmt.Sprintf("%s=%d", aws.ToString(g.TargetGroupArn), aws.ToInt32(g.Weight)))
				}
			} else {
				forwards = append(forwards, aws.ToString(a.TargetGroupArn))
			}
		}
		wantForwards := []string{sv.TargetGroup}
		if sv.AlternateTargetGroup != "" {
			wantForwards = []string{sv.TargetGroup + "=100", sv.AlternateTargetGroup + "=0"}
		}
		if !slices.Equal(forwards, wantForwards) && !(len(forwards) == 1 && len(wantForwards) == 1 && strings.HasPrefix(forwards[0], wantForwards[0])) {
			t.Errorf("the %s listener's rule 1000 forwards to %v, want %v", want[port], forwards, wantForwards)
		}
	}
}

// TestDeployedRepository checks the ECR repository of the registry stack:
// its explicit name, immutable tags, scan on push, the lifecycle policy.
func TestDeployedRepository(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		ctx := context.Background()
		s := d.deployed(t, "Registry")
		id := s.at(t, "Registry/Repository/Resource")
		p := s.Template.Resources[id].Properties
		name := s.phys(t, id)
		if want := d.App + "-" + d.Env; name != want || p["RepositoryName"] != want {
			t.Errorf("repository %s (template %v), want %s", name, p["RepositoryName"], want)
		}
		out, err := ecrC.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		if err != nil || len(out.Repositories) != 1 {
			t.Fatalf("repository %s: %v", name, err)
		}
		repo := out.Repositories[0]
		if string(repo.ImageTagMutability) != p["ImageTagMutability"] || p["ImageTagMutability"] != "IMMUTABLE" {
			t.Errorf("tag mutability %s, template %v, want IMMUTABLE", repo.ImageTagMutability, p["ImageTagMutability"])
		}
		if got, want := s.Outputs["RepositoryUri"], aws.ToString(repo.RepositoryUri); got != want {
			t.Errorf("output RepositoryUri %s, repository URI %s", got, want)
		}

		t.Run("scan on push", func(t *testing.T) {
			if p["ImageScanningConfiguration"].(map[string]any)["ScanOnPush"] != true {
				t.Fatalf("the template does not scan on push: %v", p["ImageScanningConfiguration"])
			}
			if repo.ImageScanningConfiguration == nil || !repo.ImageScanningConfiguration.ScanOnPush {
				recordGap(t, "ecr-scan-on-push", fmt.Sprintf("imageScanningConfiguration %+v", repo.ImageScanningConfiguration))
			}
		})

		t.Run("lifecycle policy", func(t *testing.T) {
			text := p["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(string)
			var want any
			if err := json.Unmarshal([]byte(text), &want); err != nil {
				t.Fatalf("the template's lifecycle policy: %v", err)
			}
			lp, err := ecrC.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
			if apiCode(err) == "LifecyclePolicyNotFoundException" {
				recordGap(t, "ecr-lifecycle-policy", "GetLifecyclePolicy: LifecyclePolicyNotFoundException")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got any
			if err := json.Unmarshal([]byte(aws.ToString(lp.LifecyclePolicyText)), &got); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("lifecycle policy %s, template %s", aws.ToString(lp.LifecyclePolicyText), text)
			}
		})
	})
}
