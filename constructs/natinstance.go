package constructs

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	ec2 "github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/nag"
)

// NatInstanceRootVolumeGiB is the NAT instance's root volume: the size of
// the Amazon Linux 2023 image's snapshot, the least it can boot from.
const NatInstanceRootVolumeGiB = 8

// NatInstanceSignalTimeout is how long CloudFormation waits for a new NAT
// instance to say it forwards: the boot, and the package install's retries.
const NatInstanceSignalTimeout = "PT15M"

// NatInstanceProps configures NewNatInstance.
type NatInstanceProps struct {
	// InstanceType, e.g. "t4g.nano"; a Graviton type gets the arm64 image.
	InstanceType string
}

// NatInstance is the NAT provider of egress nat-instance: the CDK's
// NatProvider.instanceV2 (Amazon Linux 2023), made safe to run. Hand
// Provider to the VPC, then call Finish with the VPC.
type NatInstance struct {
	provider ec2.NatInstanceProviderV2
	userData ec2.UserData
}

// NewNatInstance prepares the provider. The instance it launches:
//   - gets a public IPv4 address of its own at launch (AssociatePublicIpAddress):
//     the public subnets map none on launch, and without one the internet
//     gateway carries none of its traffic;
//   - has its source/destination check off, so it forwards traffic that is
//     not its own (the provider sets it);
//   - has no key pair and admits no SSH: its security group admits TCP,
//     UDP and ICMP from the private subnets and nothing else (Finish);
//   - has standard CPU credits: an idle NAT never bills surplus credits;
//   - runs user data of our own instead of the CDK's default, which fails
//     on Amazon Linux 2023 when dnf races the image's own first-boot jobs
//     (aws/aws-cdk#36717), and tells CloudFormation whether NAT works
//     (Finish).
func NewNatInstance(props NatInstanceProps) *NatInstance {
	ud := ec2.UserData_ForLinux(nil)
	return &NatInstance{
		userData: ud,
		provider: ec2.NatProvider_InstanceV2(&ec2.NatInstanceProps{
			InstanceType:             ec2.NewInstanceType(jsii.String(props.InstanceType)),
			AssociatePublicIpAddress: jsii.Bool(true),
			// No inbound rule of the CDK's own (its default admits all of
			// the internet); Finish admits the private subnets.
			DefaultAllowedTraffic: ec2.NatTrafficDirection_OUTBOUND_ONLY,
			CreditSpecification:   ec2.CpuCredits_STANDARD,
			UserData:              ud,
		}),
	}
}

// Provider is what the VPC's NatGatewayProvider takes.
func (n *NatInstance) Provider() ec2.NatProvider { return n.provider }

// Finish completes the instances the VPC launched: their security group
// admits only the private subnets' CIDRs, the instance metadata service
// answers IMDSv2 only, the root volume is encrypted, and CloudFormation
// waits until the instance signals that it forwards (a replacement then
// takes over the routes only once it works).
func (n *NatInstance) Finish(vpc ec2.Vpc, privateCidrs []string) {
	// What NAT forwards: TCP, UDP and ICMP (path MTU discovery, ping),
	// each on all ports, from the private subnets and nowhere else.
	for _, cidr := range privateCidrs {
		for _, p := range []struct {
			port ec2.Port
			name string
		}{{ec2.Port_AllTcp(), "TCP"}, {ec2.Port_AllUdp(), "UDP"}, {ec2.Port_AllIcmp(), "ICMP"}} {
			n.provider.Connections().AllowFrom(ec2.Peer_Ipv4(jsii.String(cidr)), p.port, jsii.String("NAT of "+p.name+" for the private subnet "+cidr))
		}
	}
	instances := n.provider.GatewayInstances()
	if instances == nil || len(*instances) != 1 {
		panic(fmt.Sprintf("NAT instance: the VPC launched %v instances, want 1", instances))
	}
	for _, inst := range *instances {
		cfn := inst.Node().DefaultChild().(ec2.CfnInstance)
		cfn.SetMetadataOptions(&ec2.CfnInstance_MetadataOptionsProperty{
			HttpTokens:              jsii.String("required"),
			HttpEndpoint:            jsii.String("enabled"),
			HttpPutResponseHopLimit: jsii.Number(1),
		})
		cfn.SetBlockDeviceMappings(&[]interface{}{&ec2.CfnInstance_BlockDeviceMappingProperty{
			DeviceName: jsii.String("/dev/xvda"),
			Ebs: &ec2.CfnInstance_EbsProperty{
				VolumeSize:          jsii.Number(NatInstanceRootVolumeGiB),
				VolumeType:          jsii.String("gp3"),
				Encrypted:           jsii.Bool(true),
				DeleteOnTermination: jsii.Bool(true),
			},
		}})
		cfn.CfnOptions().SetCreationPolicy(&awscdk.CfnCreationPolicy{
			ResourceSignal: &awscdk.CfnResourceSignal{Count: jsii.Number(1), Timeout: jsii.String(NatInstanceSignalTimeout)},
		})
		// It fetches its packages over the internet: not before the public
		// subnet's route to the internet gateway exists.
		for _, sn := range *vpc.PublicSubnets() {
			if strings.HasPrefix(*inst.Node().Path(), *sn.Node().Path()+"/") {
				inst.Node().AddDependency(sn.InternetConnectivityEstablished())
			}
		}
		stack := awscdk.Stack_Of(inst)
		n.userData.AddCommands(*jsii.Strings(natUserData(*stack.StackName(), *stack.GetLogicalId(cfn), *stack.Region())...)...)

		nag.Suppress(inst, "AwsSolutions-EC28", "Basic 5-minute monitoring: detailed monitoring bills 7 metrics at $0.30 a month each, more than half the price of the t4g.nano it would watch; the tasks' own alarms show an egress outage")
		nag.Suppress(inst, "AwsSolutions-EC29", "Termination protection would stop CloudFormation from replacing the NAT instance (a new Amazon Linux image) and from deleting it with its stack; it runs nothing but NAT, rebuilt from its user data")
	}
}

// natUserData configures NAT as AWS's guide for a NAT instance does
// (iptables masquerading out of the default interface, IP forwarding, both
// kept across reboots) and signals CloudFormation with the script's exit
// status, so a NAT that does not come up fails the deploy instead of
// leaving the tasks without egress.
func natUserData(stackName, logicalID, region string) []string {
	return []string{
		"set -uo pipefail",
		fmt.Sprintf(`signal() { /opt/aws/bin/cfn-signal -e "$1" --stack %s --resource %s --region %s || echo "cfn-signal failed"; }`, stackName, logicalID, region),
		"trap 'signal $?' EXIT",
		"set -e",
		"# dnf may collide with the image's own first-boot package jobs (aws/aws-cdk#36717): retry for 5 minutes.",
		"for i in $(seq 60); do dnf install -y iptables-services aws-cfn-bootstrap && break; [ \"$i\" -lt 60 ] || exit 1; sleep 5; done",
		"systemctl enable --now iptables",
		"echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf",
		"sysctl -p /etc/sysctl.d/90-nat.conf",
		"iface=$(ip route show default | awk '{print $5; exit}')",
		"iptables -t nat -A POSTROUTING -o \"$iface\" -j MASQUERADE",
		"iptables -F FORWARD",
		"iptables-save > /etc/sysconfig/iptables",
	}
}
