package stacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	ec2 "github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	ssm "github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	appconstructs "github.com/cdkdemo/fargate/constructs"
)

// Subnet group names, shared by every stack that selects subnets.
const (
	PublicSubnets  = "Public"
	PrivateSubnets = "Private"
)

// RequiredEndpoints are the services a task in a private subnet must reach
// to start: the ECR API and registry, S3 (image layers) and CloudWatch Logs.
var RequiredEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "s3"}

// NetworkStackProps configures the environment's network.
type NetworkStackProps struct {
	awscdk.StackProps
	Network config.Network
	// InterfaceEndpoints are the services given interface endpoints when
	// Network.Egress is endpoints (config.Config.InterfaceEndpoints).
	InterfaceEndpoints []string
	// PlaceholderImage is what the service runs before the first release;
	// in the endpoints mode an ECR Public image is pulled through this
	// account's ECR instead.
	PlaceholderImage string
	// PullThroughPrefix names the ECR pull-through cache for ECR Public in
	// the endpoints mode, where tasks cannot reach public.ecr.aws.
	PullThroughPrefix string
	// Architecture is the task's CPU architecture, "X86_64" or "ARM64": the
	// cache is filled for its platform.
	Architecture string
	// PlaceholderParameterName is the SSM parameter that hands the cached
	// placeholder, by digest, to the ServiceStack in the endpoints mode.
	PlaceholderParameterName string
	// Key encrypts the flow logs (the RegistryStack's environment key).
	Key kms.IKey
}

// NetworkStack is the environment's base: the VPC every other stack runs in.
type NetworkStack interface {
	awscdk.Stack
	// Vpc is the VPC with its Public and Private subnet groups.
	Vpc() ec2.IVpc
	// PlaceholderImage is the image URI the service pulls before the first
	// release, as this network's egress can reach it, or "" when only the
	// deploy knows it: then PlaceholderParameter names the SSM parameter
	// that holds it.
	PlaceholderImage() string
	// PlaceholderParameter is the SSM parameter that holds the placeholder
	// image when it is known at deploy time only (the endpoints mode's
	// cached image, by the digest the cache fill found), or "". An SSM
	// parameter and not an export: the ServiceStack reads it at every
	// deploy, so it may change, or go with the endpoints mode, while the
	// service runs.
	PlaceholderParameter() string
	// PullThroughRepositoryArn is the ARN pattern of the ECR repositories the
	// pull-through cache creates, or "" when there is no cache.
	PullThroughRepositoryArn() string
}

type networkStack struct {
	awscdk.Stack
	vpc              ec2.Vpc
	placeholder      string
	placeholderParam string
	pullThrough      string
	endpoints        appconstructs.PrivateEndpoints
}

func (s *networkStack) Vpc() ec2.IVpc                    { return s.vpc }
func (s *networkStack) PlaceholderImage() string         { return s.placeholder }
func (s *networkStack) PlaceholderParameter() string     { return s.placeholderParam }
func (s *networkStack) PullThroughRepositoryArn() string { return s.pullThrough }

// NewNetworkStack builds the VPC: two AZs, a public and a private subnet in
// each, an attached IGW, egress for the private subnets as configured, flow
// logs, and a default security group without rules.
func NewNetworkStack(scope constructs.Construct, id string, props *NetworkStackProps) NetworkStack {
	s := &networkStack{}
	awscdk.NewStack_Override(s, scope, &id, &props.StackProps)
	stack := s.Stack
	n := props.Network

	privateType := ec2.SubnetType_PRIVATE_WITH_EGRESS
	natGateways := 1
	var natInstance *appconstructs.NatInstance
	var natProvider ec2.NatProvider
	switch n.Egress {
	case config.EgressNatPerAz:
		natGateways = 2
	case config.EgressNatInstance:
		// One instance for both private subnets, like one NAT gateway.
		natInstance = appconstructs.NewNatInstance(appconstructs.NatInstanceProps{InstanceType: n.NatInstanceType})
		natProvider = natInstance.Provider()
	case config.EgressEndpoints:
		privateType, natGateways = ec2.SubnetType_PRIVATE_ISOLATED, 0
	}

	s.vpc = ec2.NewVpc(stack, jsii.String("Vpc"), &ec2.VpcProps{
		IpAddresses:        &subnetLayout{vpcCidr: n.VpcCidr, cidrs: map[string][]string{PublicSubnets: n.PublicSubnetCidrs, PrivateSubnets: n.PrivateSubnetCidrs}},
		MaxAzs:             jsii.Number(2),
		EnableDnsSupport:   jsii.Bool(true),
		EnableDnsHostnames: jsii.Bool(true),
		NatGateways:        jsii.Number(natGateways),
		NatGatewayProvider: natProvider,
		NatGatewaySubnets:  &ec2.SubnetSelection{SubnetGroupName: jsii.String(PublicSubnets)},
		SubnetConfiguration: &[]*ec2.SubnetConfiguration{
			// Public by their route to the IGW. Nothing launched there needs a
			// public IP on launch: the ALB and the NAT gateways (their EIPs)
			// get their own addresses. Anything added later that does (a NAT
			// instance) must ask for one: an EIP, or AssociatePublicIpAddress.
			{Name: jsii.String(PublicSubnets), SubnetType: ec2.SubnetType_PUBLIC, CidrMask: jsii.Number(n.SubnetMask), MapPublicIpOnLaunch: jsii.Bool(false)},
			{Name: jsii.String(PrivateSubnets), SubnetType: privateType, CidrMask: jsii.Number(n.SubnetMask)},
		},
		RestrictDefaultSecurityGroup: jsii.Bool(true),
	})
	private := &ec2.SubnetSelection{SubnetGroupName: jsii.String(PrivateSubnets)}
	if natInstance != nil {
		natInstance.Finish(s.vpc, n.PrivateSubnetCidrs)
	}

	appconstructs.NewFlowLog(stack, "FlowLog", &appconstructs.FlowLogProps{Vpc: s.vpc, RetentionDays: n.FlowLogRetentionDays, Key: props.Key})

	// The S3 gateway endpoint is free and keeps image layers off the NAT
	// gateway's per-GB bill, so every mode gets it.
	interfaces := props.InterfaceEndpoints
	if n.Egress != config.EgressEndpoints {
		interfaces = nil
	}
	s.endpoints = appconstructs.NewPrivateEndpoints(stack, "Endpoints", &appconstructs.PrivateEndpointsProps{
		Vpc:                s.vpc,
		Subnets:            private,
		InterfaceServices:  interfaces,
		GatewayS3:          true,
		AllowFromVpcCidrOn: 443,
	})

	if len(n.PrivateNaclRules) > 0 {
		appconstructs.NewNacl(stack, "PrivateNacl", &appconstructs.NaclProps{Vpc: s.vpc, Subnets: private, Rules: n.PrivateNaclRules})
	}

	image := props.PlaceholderImage
	if n.Egress == config.EgressEndpoints && strings.HasPrefix(image, appconstructs.PublicRegistry) {
		// Tasks without internet reach ECR only: the placeholder on ECR
		// Public comes through this account's ECR, cached before the
		// ServiceStack (deployed after this stack) starts a task.
		platform := "linux/amd64"
		if props.Architecture == "ARM64" {
			platform = "linux/arm64"
		}
		cache := appconstructs.NewPlaceholderCache(stack, "EcrPublicCache", &appconstructs.PlaceholderCacheProps{
			Prefix:   props.PullThroughPrefix,
			Image:    image,
			Platform: platform,
		})
		// By digest: ECR checks the upstream again, up to once a day, when
		// a cached tag is pulled, and a tag that moved upstream would be a
		// first pull again, which tasks without internet cannot make.
		ssm.NewStringParameter(stack, jsii.String("PlaceholderImage"), &ssm.StringParameterProps{
			ParameterName: jsii.String(props.PlaceholderParameterName),
			StringValue:   jsii.String(cache.ImageUriByDigest()),
			Description:   jsii.String("The placeholder image in this account's ECR, by the digest the pull-through cache fill found; the ServiceStack reads it at every deploy"),
		})
		image, s.placeholderParam, s.pullThrough = "", props.PlaceholderParameterName, cache.RepositoryArnPattern()
	}
	s.placeholder = image

	stack.Node().AddValidation(&egressGuard{vpc: s.vpc, endpoints: s.endpoints})
	return s
}

// subnetLayout hands the VPC the configured subnet CIDRs instead of packing
// them from the start of the range, so the network matches the hand-built
// original (public 10.0.1.0/24, 10.0.2.0/24; private 10.0.3.0/24, 10.0.4.0/24).
type subnetLayout struct {
	vpcCidr string
	cidrs   map[string][]string
}

func (l *subnetLayout) AllocateVpcCidr() *ec2.VpcIpamOptions {
	return &ec2.VpcIpamOptions{CidrBlock: jsii.String(l.vpcCidr)}
}

func (l *subnetLayout) AllocateSubnetsCidr(req *ec2.AllocateCidrRequest) *ec2.SubnetIpamOptions {
	next := map[string]int{}
	var out []*ec2.AllocatedSubnet
	for _, r := range *req.RequestedSubnets {
		group := *r.Configuration.Name
		i := next[group]
		next[group]++
		list := l.cidrs[group]
		if i >= len(list) {
			panic(fmt.Sprintf("subnet layout: no CIDR for subnet %d of group %s (have %v)", i+1, group, list))
		}
		out = append(out, &ec2.AllocatedSubnet{Cidr: jsii.String(list[i])})
	}
	return &ec2.SubnetIpamOptions{AllocatedSubnets: &out}
}

// egressGuard fails synth when a private subnet would have no path to ECR,
// S3 and CloudWatch Logs: tasks would sit in PENDING until they stop, the
// first trap of the hand-built setup.
type egressGuard struct {
	vpc       ec2.Vpc
	endpoints appconstructs.PrivateEndpoints
}

func (g *egressGuard) Validate() *[]*string {
	var problems []*string
	have := g.endpoints.Services()
	var missing []string
	for _, svc := range RequiredEndpoints {
		if !slices.Contains(have, svc) {
			missing = append(missing, svc)
		}
	}
	subnets := g.vpc.SelectSubnets(&ec2.SubnetSelection{SubnetGroupName: jsii.String(PrivateSubnets)}).Subnets
	for _, sn := range *subnets {
		if sn.Node().TryFindChild(jsii.String("DefaultRoute")) != nil || len(missing) == 0 {
			continue
		}
		problems = append(problems, jsii.String(fmt.Sprintf(
			"private subnet %s has no path to ECR, S3 and CloudWatch Logs: no 0.0.0.0/0 route to a NAT gateway or NAT instance, and no VPC endpoint for %s; tasks there could never pull their image. Use egress \"nat\", \"nat-per-az\", \"nat-instance\", or \"endpoints\" with all of %s",
			*sn.Node().Path(), strings.Join(missing, ", "), strings.Join(RequiredEndpoints, ", "))))
	}
	return &problems
}
