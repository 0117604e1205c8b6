package constructs

import (
	"fmt"

	ec2 "github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/nag"
)

// Test listener ports: where pre-traffic checks reach the new tasks of a
// blue/green, canary or linear deployment before production traffic does.
const (
	TestListenerPort      = 8080
	TestListenerHTTPSPort = 8443
)

// ProductionRulePriority is the service's rule on the production listener.
// Another service behind the same load balancer adds a rule with a lower
// number and a host or path condition; this one matches the rest.
const ProductionRulePriority = 1000

// TrafficProps configures NewTraffic.
type TrafficProps struct {
	// VpcCidr is the VPC's CIDR as configured: a literal, not the
	// NetworkStack's attribute, whose export would appear and disappear
	// with the strategy and then lock the network stack
	// (docs/deployments.md#cross-stack-references-and-the-export-lock).
	VpcCidr      string
	LoadBalancer elbv2.ApplicationLoadBalancer
	// Listener is the production listener (80, or 443 with HTTPS). Its
	// default action answers 404: production traffic reaches the service
	// through the rule NewTraffic adds.
	Listener elbv2.ApplicationListener
	// TargetGroup is the primary target group; the alternate one copies it.
	TargetGroup elbv2.ApplicationTargetGroup
	// AlternateTargetGroupProps, when not nil, makes a second target group
	// with these props, a test listener and the traffic-shift role: what
	// ECS's blue/green, canary and linear strategies shift between.
	AlternateTargetGroupProps *elbv2.ApplicationTargetGroupProps
	// Certificate makes the test listener HTTPS, as the production one.
	Certificate elbv2.IListenerCertificate
	// TestListenerCidrs may reach the test listener besides the VPC.
	TestListenerCidrs []string
}

// Traffic is how requests reach the service's tasks: a rule on the
// production listener, and for the traffic-shifting strategies an
// alternate target group, a test listener with its rule, and the role ECS
// shifts traffic with.
type Traffic interface {
	constructs.Construct
	// TargetGroups are the primary and, when there is one, the alternate.
	TargetGroups() []elbv2.ApplicationTargetGroup
	ProductionRule() elbv2.ApplicationListenerRule
	// TestListener and TestRule are nil for the rolling strategy.
	TestListener() elbv2.ApplicationListener
	TestRule() elbv2.ApplicationListenerRule
	// ShiftRole is the role ECS uses to shift traffic, or nil.
	ShiftRole() iam.IRole
	// Attach registers the service's tasks (container, port) with the
	// target groups and gives ECS the rules to shift between.
	Attach(service ecs.FargateService, container string, port float64)
}

type traffic struct {
	constructs.Construct
	groups    []elbv2.ApplicationTargetGroup
	prodRule  elbv2.ApplicationListenerRule
	testLsn   elbv2.ApplicationListener
	testRule  elbv2.ApplicationListenerRule
	shiftRole iam.Role
}

func (t *traffic) TargetGroups() []elbv2.ApplicationTargetGroup  { return t.groups }
func (t *traffic) ProductionRule() elbv2.ApplicationListenerRule { return t.prodRule }
func (t *traffic) TestListener() elbv2.ApplicationListener       { return t.testLsn }
func (t *traffic) TestRule() elbv2.ApplicationListenerRule       { return t.testRule }
func (t *traffic) ShiftRole() iam.IRole {
	if t.shiftRole == nil {
		return nil
	}
	return t.shiftRole
}

// NewTraffic creates the rules, and for a traffic-shifting strategy the
// alternate target group, the test listener and the shift role.
func NewTraffic(scope constructs.Construct, id string, props *TrafficProps) Traffic {
	t := &traffic{groups: []elbv2.ApplicationTargetGroup{props.TargetGroup}}
	constructs.NewConstruct_Override(t, scope, &id)
	everything := &[]elbv2.ListenerCondition{elbv2.ListenerCondition_PathPatterns(jsii.Strings("/*"))}

	if props.AlternateTargetGroupProps == nil {
		t.prodRule = elbv2.NewApplicationListenerRule(t, jsii.String("ProductionRule"), &elbv2.ApplicationListenerRuleProps{
			Listener:   props.Listener,
			Priority:   jsii.Number(ProductionRulePriority),
			Conditions: everything,
			Action:     elbv2.ListenerAction_Forward(&[]elbv2.IApplicationTargetGroup{props.TargetGroup}, nil),
		})
		return t
	}

	alternate := elbv2.NewApplicationTargetGroup(t, jsii.String("AlternateTargetGroup"), props.AlternateTargetGroupProps)
	t.groups = append(t.groups, alternate)
	// Both rules forward by weight over both groups: ECS shifts traffic by
	// changing the weights. Until the first shift everything goes to the
	// primary group. CloudFormation rewrites a rule only when its template
	// changes, and the rule is the same for blue/green, canary and linear,
	// so switching among them leaves ECS's weights alone.
	weighted := func() elbv2.ListenerAction {
		return elbv2.ListenerAction_WeightedForward(&[]*elbv2.WeightedTargetGroup{
			{TargetGroup: props.TargetGroup, Weight: jsii.Number(100)},
			{TargetGroup: alternate, Weight: jsii.Number(0)},
		}, nil)
	}
	t.prodRule = elbv2.NewApplicationListenerRule(t, jsii.String("ProductionRule"), &elbv2.ApplicationListenerRuleProps{
		Listener: props.Listener, Priority: jsii.Number(ProductionRulePriority), Conditions: everything, Action: weighted(),
	})

	port := TestListenerPort
	lp := &elbv2.BaseApplicationListenerProps{Protocol: elbv2.ApplicationProtocol_HTTP, Open: jsii.Bool(false), DefaultAction: notFound()}
	if props.Certificate != nil {
		port, lp.Protocol, lp.SslPolicy = TestListenerHTTPSPort, elbv2.ApplicationProtocol_HTTPS, elbv2.SslPolicy_RECOMMENDED_TLS
		lp.Certificates = &[]elbv2.IListenerCertificate{props.Certificate}
	}
	lp.Port = jsii.Number(float64(port))
	t.testLsn = props.LoadBalancer.AddListener(jsii.String("Test"), lp)
	t.testRule = elbv2.NewApplicationListenerRule(t, jsii.String("TestRule"), &elbv2.ApplicationListenerRuleProps{
		Listener: t.testLsn, Priority: jsii.Number(ProductionRulePriority), Conditions: everything, Action: weighted(),
	})
	// Reachable from the VPC (the load balancer's private addresses) and
	// the configured CIDRs; never from the internet by default. The
	// load balancer's DNS name resolves to its public addresses even inside
	// the VPC: that way, traffic leaves through the NAT gateways and
	// arrives from their Elastic IPs, which are not admitted
	// (docs/deployments.md#traffic-the-listener-rule-the-alternate-target-group-the-test-listener).
	sg := props.LoadBalancer.Connections()
	sg.AllowFrom(ec2.Peer_Ipv4(jsii.String(props.VpcCidr)), ec2.Port_Tcp(jsii.Number(float64(port))), jsii.String(fmt.Sprintf("Test listener %d from the VPC", port)))
	for _, cidr := range props.TestListenerCidrs {
		sg.AllowFrom(ec2.Peer_Ipv4(jsii.String(cidr)), ec2.Port_Tcp(jsii.Number(float64(port))), jsii.String(fmt.Sprintf("Test listener %d from %s", port, cidr)))
	}
	t.shiftRole = newShiftRole(t, t.groups, []elbv2.IApplicationListener{props.Listener, t.testLsn}, []elbv2.ApplicationListenerRule{t.prodRule, t.testRule})
	return t
}

// notFound is the default action of a listener whose traffic goes through
// rules: a request no rule matches is answered 404 by the load balancer.
func notFound() elbv2.ListenerAction {
	return elbv2.ListenerAction_FixedResponse(jsii.Number(404), &elbv2.FixedResponseOptions{
		ContentType: jsii.String("text/plain"), MessageBody: jsii.String("Not found"),
	})
}

// NotFoundAction is the production listener's default action.
func NotFoundAction() elbv2.ListenerAction { return notFound() }

// newShiftRole is the role ECS assumes to register tasks and shift
// weights. It narrows the statements of AWS's managed
// AmazonECSInfrastructureRolePolicyForLoadBalancers (RegisterTargets and
// DeregisterTargets on every target group, ModifyListener and ModifyRule on
// every listener and rule) to this service's two target groups, two
// listeners and two listener rules. ECS changes the weights of the rules it
// is given; ModifyListener on their two listeners stays, as in AWS's
// policy, because no AWS document says ECS never calls it, and only a real
// shifting deployment could show an access denied (moto cannot). The policy
// is inline, so the role can do its job the moment the service is created.
func newShiftRole(scope constructs.Construct, groups []elbv2.ApplicationTargetGroup, listeners []elbv2.IApplicationListener, rules []elbv2.ApplicationListenerRule) iam.Role {
	var groupArns, listenerArns, ruleArns []*string
	for _, g := range groups {
		groupArns = append(groupArns, g.TargetGroupArn())
	}
	for _, l := range listeners {
		listenerArns = append(listenerArns, l.ListenerArn())
	}
	for _, r := range rules {
		ruleArns = append(ruleArns, r.ListenerRuleArn())
	}
	doc := iam.NewPolicyDocument(&iam.PolicyDocumentProps{Statements: &[]iam.PolicyStatement{
		// The Describe actions take no resource ARN.
		iam.NewPolicyStatement(&iam.PolicyStatementProps{Sid: jsii.String("ReadLoadBalancing"), Resources: jsii.Strings("*"),
			Actions: jsii.Strings("elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth")}),
		iam.NewPolicyStatement(&iam.PolicyStatementProps{Sid: jsii.String("RegisterTasks"), Resources: &groupArns,
			Actions: jsii.Strings("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")}),
		iam.NewPolicyStatement(&iam.PolicyStatementProps{Sid: jsii.String("ShiftTraffic"), Resources: &ruleArns,
			Actions: jsii.Strings("elasticloadbalancing:ModifyRule")}),
		// AWS's managed AmazonECSInfrastructureRolePolicyForLoadBalancers
		// grants ModifyListener on every ALB listener; ECS may need it on
		// the two listeners its rules are on, and no other.
		iam.NewPolicyStatement(&iam.PolicyStatementProps{Sid: jsii.String("ShiftListeners"), Resources: &listenerArns,
			Actions: jsii.Strings("elasticloadbalancing:ModifyListener")}),
	}})
	role := iam.NewRole(scope, jsii.String("ShiftRole"), &iam.RoleProps{
		AssumedBy:      iam.NewServicePrincipal(jsii.String("ecs.amazonaws.com"), nil),
		Description:    jsii.String("ECS shifts traffic between this service's two target groups: these groups and listener rules only"),
		InlinePolicies: &map[string]iam.PolicyDocument{"ShiftTraffic": doc},
	})
	nag.Suppress(role, "AwsSolutions-IAM5", "The ELB Describe actions ECS reads the listener rules and target health with take no resource ARN; registering tasks and shifting weights are limited to this service's two target groups, its two listeners and their two rules", nag.Finding{Exact: "Resource::*"})
	return role
}

// Attach registers the tasks with the primary group; with an alternate
// group, ECS gets the alternate group, both rules and the shift role, and
// registers each new revision's tasks with the group it shifts to.
func (t *traffic) Attach(service ecs.FargateService, container string, port float64) {
	opts := &ecs.LoadBalancerTargetOptions{ContainerName: jsii.String(container), ContainerPort: jsii.Number(port)}
	if len(t.groups) > 1 {
		opts.AlternateTarget = ecs.NewAlternateTarget(jsii.String("AlternateTarget"), &ecs.AlternateTargetProps{
			AlternateTargetGroup: t.groups[1],
			ProductionListener:   ecs.ListenerRuleConfiguration_ApplicationListenerRule(t.prodRule),
			TestListener:         ecs.ListenerRuleConfiguration_ApplicationListenerRule(t.testRule),
			Role:                 t.shiftRole,
		})
	}
	// Opens load balancer -> service on the container port, in both
	// security groups; the alternate group's tasks are the same service's.
	service.LoadBalancerTarget(opts).AttachToApplicationTargetGroup(t.groups[0])
}
