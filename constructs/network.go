// Package constructs holds the app's own CDK constructs: the building blocks
// the stacks in package stacks are assembled from.
package constructs

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	ec2 "github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	logs "github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/nag"
)

// FlowLogProps configures FlowLog.
type FlowLogProps struct {
	Vpc           ec2.IVpc
	RetentionDays int
	// Key encrypts the log group (NewEnvironmentKey).
	Key kms.IKey
}

// FlowLog records all of a VPC's traffic in a CloudWatch Logs group with a
// bounded retention, so "why can't my task reach X" has an answer.
type FlowLog interface {
	constructs.Construct
	LogGroup() logs.ILogGroup
}

type flowLog struct {
	constructs.Construct
	group logs.LogGroup
}

func (f *flowLog) LogGroup() logs.ILogGroup { return f.group }

// NewFlowLog creates the log group and the VPC flow log writing to it.
func NewFlowLog(scope constructs.Construct, id string, props *FlowLogProps) FlowLog {
	c := &flowLog{}
	constructs.NewConstruct_Override(c, scope, &id)
	c.group = NewLogGroup(c, "LogGroup", props.RetentionDays, props.Key)
	ec2.NewFlowLog(c, jsii.String("FlowLog"), &ec2.FlowLogProps{
		ResourceType: ec2.FlowLogResourceType_FromVpc(props.Vpc),
		Destination:  ec2.FlowLogDestination_ToCloudWatchLogs(c.group, nil),
		TrafficType:  ec2.FlowLogTrafficType_ALL,
	})
	return c
}

// NewLogGroup is a CloudWatch Logs group with the given retention,
// encrypted with key. It is deleted with its stack: only the ECR repository
// and the S3 log buckets outlive a `cdk destroy`.
func NewLogGroup(scope constructs.Construct, id string, days int, key kms.IKey) logs.LogGroup {
	return logs.NewLogGroup(scope, &id, &logs.LogGroupProps{
		Retention:     retention(days),
		EncryptionKey: key,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}

// retentionByDays maps the retention periods CloudWatch Logs accepts onto
// the CDK's enum.
var retentionByDays = map[int]logs.RetentionDays{
	1: logs.RetentionDays_ONE_DAY, 3: logs.RetentionDays_THREE_DAYS, 5: logs.RetentionDays_FIVE_DAYS,
	7: logs.RetentionDays_ONE_WEEK, 14: logs.RetentionDays_TWO_WEEKS, 30: logs.RetentionDays_ONE_MONTH,
	60: logs.RetentionDays_TWO_MONTHS, 90: logs.RetentionDays_THREE_MONTHS, 120: logs.RetentionDays_FOUR_MONTHS,
	150: logs.RetentionDays_FIVE_MONTHS, 180: logs.RetentionDays_SIX_MONTHS, 365: logs.RetentionDays_ONE_YEAR,
	400: logs.RetentionDays_THIRTEEN_MONTHS, 545: logs.RetentionDays_EIGHTEEN_MONTHS, 731: logs.RetentionDays_TWO_YEARS,
	1096: logs.RetentionDays_THREE_YEARS, 1827: logs.RetentionDays_FIVE_YEARS, 2192: logs.RetentionDays_SIX_YEARS,
	2557: logs.RetentionDays_SEVEN_YEARS, 2922: logs.RetentionDays_EIGHT_YEARS, 3288: logs.RetentionDays_NINE_YEARS,
	3653: logs.RetentionDays_TEN_YEARS,
}

// retention maps a number of days onto the CDK's enum; config.Validate has
// already checked the value is one CloudWatch Logs accepts.
func retention(days int) logs.RetentionDays {
	r, ok := retentionByDays[days]
	if !ok {
		panic(fmt.Sprintf("log retention of %d days is not one CloudWatch Logs accepts; config.Validate should have said so", days))
	}
	return r
}

// PrivateEndpointsProps configures PrivateEndpoints.
type PrivateEndpointsProps struct {
	Vpc     ec2.IVpc
	Subnets *ec2.SubnetSelection
	// InterfaceServices are AWS service names such as "ecr.api".
	InterfaceServices []string
	// GatewayS3 adds the S3 gateway endpoint to the subnets' route tables.
	GatewayS3 bool
	// AllowFromVpcCidrOn is the one port the endpoints admit, from the VPC.
	AllowFromVpcCidrOn int
}

// PrivateEndpoints lets tasks in private subnets reach AWS services without
// an internet route: interface endpoints with private DNS behind one
// security group that admits HTTPS from the VPC only, and the S3 gateway.
type PrivateEndpoints interface {
	constructs.Construct
	// Services lists the services reachable through the endpoints,
	// "s3" included when the gateway endpoint is there.
	Services() []string
}

type privateEndpoints struct {
	constructs.Construct
	services []string
}

func (p *privateEndpoints) Services() []string { return p.services }

// NewPrivateEndpoints creates the endpoints.
func NewPrivateEndpoints(scope constructs.Construct, id string, props *PrivateEndpointsProps) PrivateEndpoints {
	p := &privateEndpoints{}
	constructs.NewConstruct_Override(p, scope, &id)
	c := p
	if props.GatewayS3 {
		ec2.NewGatewayVpcEndpoint(c, jsii.String("S3"), &ec2.GatewayVpcEndpointProps{
			Vpc:     props.Vpc,
			Service: ec2.GatewayVpcEndpointAwsService_S3(),
			Subnets: &[]*ec2.SubnetSelection{props.Subnets},
		})
		p.services = append(p.services, "s3")
	}
	if len(props.InterfaceServices) == 0 {
		return p
	}
	sg := ec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &ec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("VPC interface endpoints: HTTPS from the VPC only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddIngressRule(ec2.Peer_Ipv4(props.Vpc.VpcCidrBlock()), ec2.Port_Tcp(jsii.Number(props.AllowFromVpcCidrOn)), jsii.String("HTTPS from the VPC"), nil)
	nag.Suppress(sg, "CdkNagValidationFailure", "The only ingress is HTTPS from the VPC's own CIDR, a CloudFormation reference cdk-nag cannot resolve to check it against 0.0.0.0/0", nag.Finding{Exact: "AwsSolutions-EC23"})
	for _, svc := range props.InterfaceServices {
		ec2.NewInterfaceVpcEndpoint(c, jsii.String(endpointID(svc)), &ec2.InterfaceVpcEndpointProps{
			Vpc:               props.Vpc,
			Service:           ec2.NewInterfaceVpcEndpointAwsService(jsii.String(svc), nil, nil, nil),
			Subnets:           props.Subnets,
			SecurityGroups:    &[]ec2.ISecurityGroup{sg},
			Open:              jsii.Bool(false),
			PrivateDnsEnabled: jsii.Bool(true),
		})
		p.services = append(p.services, svc)
	}
	return p
}

// endpointID turns "ecr.api" into the stable construct ID "EcrApi".
func endpointID(service string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(service, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// NaclProps configures Nacl.
type NaclProps struct {
	Vpc     ec2.IVpc
	Subnets *ec2.SubnetSelection
	Rules   []config.NaclRule
}

// NewNacl puts a network ACL with the configured numbered rules on the
// subnets. NACLs are stateless: the rules must admit return traffic on the
// ephemeral ports themselves, which netcheck verifies.
func NewNacl(scope constructs.Construct, id string, props *NaclProps) ec2.NetworkAcl {
	acl := ec2.NewNetworkAcl(scope, &id, &ec2.NetworkAclProps{
		Vpc:             props.Vpc,
		SubnetSelection: props.Subnets,
	})
	for _, r := range props.Rules {
		traffic := ec2.AclTraffic_AllTraffic()
		switch r.Protocol {
		case "tcp":
			traffic = ec2.AclTraffic_TcpPortRange(jsii.Number(r.FromPort), jsii.Number(r.ToPort))
		case "udp":
			traffic = ec2.AclTraffic_UdpPortRange(jsii.Number(r.FromPort), jsii.Number(r.ToPort))
		case "icmp":
			traffic = ec2.AclTraffic_Icmp(&ec2.AclIcmp{Code: jsii.Number(-1), Type: jsii.Number(-1)})
		}
		direction, action := ec2.TrafficDirection_INGRESS, ec2.Action_ALLOW
		if r.Direction == "egress" {
			direction = ec2.TrafficDirection_EGRESS
		}
		if r.Action == "deny" {
			action = ec2.Action_DENY
		}
		acl.AddEntry(jsii.String(fmt.Sprintf("%s%d", strings.ToUpper(r.Direction[:1])+r.Direction[1:], r.Rule)), &ec2.CommonNetworkAclEntryOptions{
			RuleNumber: jsii.Number(r.Rule),
			Cidr:       ec2.AclCidr_Ipv4(jsii.String(r.Cidr)),
			Traffic:    traffic,
			Direction:  direction,
			RuleAction: action,
		})
	}
	const why = "Opt-in through privateNaclRules, for teams whose policy requires subnet-level rules; netcheck proves the app's required paths through them, return traffic included"
	nag.Suppress(acl, "AwsSolutions-VPC3", why)
	for _, entry := range *acl.Node().Children() {
		if _, ok := entry.(ec2.NetworkAclEntry); ok {
			nag.Suppress(entry, "AwsSolutions-VPC3", why)
		}
	}
	return acl
}
