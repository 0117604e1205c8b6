//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// subnet is one of the network's subnets, as the template lays it out and
// the account holds it.
type subnet struct {
	Logical    string
	Name       string // the CDK's path name, e.g. Network/Vpc/PublicSubnet1
	Public     bool
	ID         string
	CIDR       string
	AZ         string
	RouteTable string // physical ID, through the template's association
	// MapPublicIP is what the account shows for MapPublicIpOnLaunch.
	MapPublicIP bool
}

// network is a deployed NetworkStack read back from the account.
type network struct {
	*stack
	VPC     string
	Public  []subnet // by name: AZ a, AZ b
	Private []subnet
}

// readNetwork reads the network stack's VPC and subnets from the account
// and checks each subnet against the template: CIDR, AZ, public IP mapping.
func readNetwork(t *testing.T, d deployment) *network {
	t.Helper()
	ctx := context.Background()
	s := d.deployed(t, "Network")
	n := &network{stack: s, VPC: s.phys(t, s.one(t, "AWS::EC2::VPC"))}

	rtOf := map[string]string{} // subnet logical -> route table logical
	for _, id := range s.Template.OfType("AWS::EC2::SubnetRouteTableAssociation") {
		p := s.Template.Resources[id].Properties
		rtOf[refName(p["SubnetId"])] = refName(p["RouteTableId"])
	}
	for _, id := range s.Template.OfType("AWS::EC2::Subnet") {
		r := s.Template.Resources[id]
		sn := subnet{Logical: id, Name: r.tag("Name"), Public: r.tag("aws-cdk:subnet-type") == "Public", ID: s.phys(t, id)}
		out, err := ec2C.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{sn.ID}})
		if err != nil || len(out.Subnets) != 1 {
			t.Fatalf("subnet %s (%s): %v", sn.Name, sn.ID, err)
		}
		got := out.Subnets[0]
		sn.CIDR, sn.AZ = aws.ToString(got.CidrBlock), aws.ToString(got.AvailabilityZone)
		if want := s.str(t, r.Properties["CidrBlock"]); sn.CIDR != want {
			t.Errorf("subnet %s: CIDR %s, template %s", sn.Name, sn.CIDR, want)
		}
		if want := s.str(t, r.Properties["AvailabilityZone"]); sn.AZ != want {
			t.Errorf("subnet %s: AZ %s, template %s", sn.Name, sn.AZ, want)
		}
		if aws.ToString(got.VpcId) != n.VPC {
			t.Errorf("subnet %s is in %s, not the stack's VPC %s", sn.Name, aws.ToString(got.VpcId), n.VPC)
		}
		sn.MapPublicIP = aws.ToBool(got.MapPublicIpOnLaunch)
		rt, ok := rtOf[id]
		if !ok {
			t.Fatalf("subnet %s: the template associates no route table with it", sn.Name)
		}
		sn.RouteTable = s.phys(t, rt)
		if sn.Public {
			n.Public = append(n.Public, sn)
		} else {
			n.Private = append(n.Private, sn)
		}
	}
	byName := func(a, b subnet) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(n.Public, byName)
	slices.SortFunc(n.Private, byName)
	if len(n.Public) != 2 || len(n.Private) != 2 {
		t.Fatalf("%d public and %d private subnets, want 2 and 2", len(n.Public), len(n.Private))
	}
	return n
}

// refName is the logical ID in {Ref: X}.
func refName(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

func routeTable(t *testing.T, id string) ec2types.RouteTable {
	t.Helper()
	out, err := ec2C.DescribeRouteTables(context.Background(), &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	if err != nil || len(out.RouteTables) != 1 {
		t.Fatalf("route table %s: %v", id, err)
	}
	return out.RouteTables[0]
}

// defaultRoute is the table's 0.0.0.0/0 route, if any.
func defaultRoute(rt ec2types.RouteTable) (ec2types.Route, bool) {
	for _, r := range rt.Routes {
		if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
			return r, true
		}
	}
	return ec2types.Route{}, false
}

// TestDeployedNetwork compares each deployed network with its template and
// its egress mode: VPC, subnets, the route target of every subnet, where
// the NAT gateways sit, the S3 gateway endpoint, the default security group,
// flow logs and the image parameter.
func TestDeployedNetwork(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		ctx := context.Background()
		n := readNetwork(t, d)
		s := n.stack
		vpcTmpl := s.Template.Resources[s.one(t, "AWS::EC2::VPC")]

		t.Run("vpc", func(t *testing.T) {
			out, err := ec2C.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{n.VPC}})
			if err != nil || len(out.Vpcs) != 1 {
				t.Fatalf("VPC %s: %v", n.VPC, err)
			}
			if got, want := aws.ToString(out.Vpcs[0].CidrBlock), s.str(t, vpcTmpl.Properties["CidrBlock"]); got != want {
				t.Errorf("VPC CIDR %s, template %s", got, want)
			}
			for attr, key := range map[ec2types.VpcAttributeName]string{
				ec2types.VpcAttributeNameEnableDnsSupport:   "EnableDnsSupport",
				ec2types.VpcAttributeNameEnableDnsHostnames: "EnableDnsHostnames",
			} {
				a, err := ec2C.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(n.VPC), Attribute: attr})
				if err != nil {
					t.Fatalf("VPC attribute %s: %v", attr, err)
				}
				got := a.EnableDnsSupport
				if attr == ec2types.VpcAttributeNameEnableDnsHostnames {
					got = a.EnableDnsHostnames
				}
				want := vpcTmpl.Properties[key] == true
				switch {
				case got == nil:
					t.Errorf("VPC %s: not shown", key)
				case aws.ToBool(got.Value) == want:
				case key == "EnableDnsHostnames" && want:
					recordGap(t, "vpc-dns-hostnames", "EnableDnsHostnames false")
				default:
					t.Errorf("VPC %s: %v, template %v", key, aws.ToBool(got.Value), want)
				}
			}
		})

		t.Run("subnets", func(t *testing.T) {
			for i := range 2 {
				pub, priv := n.Public[i], n.Private[i]
				if pub.AZ != priv.AZ {
					t.Errorf("%s is in %s but %s in %s: each AZ has one public and one private subnet", pub.Name, pub.AZ, priv.Name, priv.AZ)
				}
			}
			if n.Public[0].AZ == n.Public[1].AZ {
				t.Errorf("both public subnets are in %s, want two AZs", n.Public[0].AZ)
			}
			// No subnet maps public IPs on launch, public ones included: they
			// are public by their route to the IGW (checked below).
			for _, sn := range append(slices.Clone(n.Public), n.Private...) {
				if v := s.Template.Resources[sn.Logical].Properties["MapPublicIpOnLaunch"]; v != false {
					t.Errorf("subnet %s: the template sets MapPublicIpOnLaunch %v, want false", sn.Name, v)
				}
				if sn.MapPublicIP {
					t.Errorf("subnet %s: MapPublicIpOnLaunch true in the account, want false", sn.Name)
				}
			}
		})

		igw := s.phys(t, s.one(t, "AWS::EC2::InternetGateway"))
		nats := natGateways(t, n.VPC)
		s3Endpoint := ""
		for _, id := range s.Template.OfType("AWS::EC2::VPCEndpoint") {
			if s.Template.Resources[id].Properties["VpcEndpointType"] == "Gateway" {
				s3Endpoint = s.phys(t, id)
			}
		}

		t.Run("internet gateway", func(t *testing.T) {
			out, err := ec2C.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{igw}})
			if err != nil || len(out.InternetGateways) != 1 {
				t.Fatalf("internet gateway %s: %v", igw, err)
			}
			att := out.InternetGateways[0].Attachments
			if len(att) != 1 || aws.ToString(att[0].VpcId) != n.VPC {
				t.Errorf("internet gateway %s attachments %+v, want attached to %s", igw, att, n.VPC)
			}
		})

		t.Run("public routes", func(t *testing.T) {
			for _, sn := range n.Public {
				r, ok := defaultRoute(routeTable(t, sn.RouteTable))
				if !ok || aws.ToString(r.GatewayId) != igw {
					t.Errorf("%s (%s): 0.0.0.0/0 -> %s, want the internet gateway %s", sn.Name, sn.RouteTable, routeTarget(r, ok), igw)
				}
			}
		})

		t.Run("nat gateways", func(t *testing.T) {
			want := map[string]int{"nat": 1, "nat-per-az": 2, "nat-instance": 0, "endpoints": 0}[d.Egress]
			if len(nats) != want || len(s.Template.OfType("AWS::EC2::NatGateway")) != want {
				t.Fatalf("egress %s: %d NAT gateways in the account, %d in the template, want %d", d.Egress, len(nats), len(s.Template.OfType("AWS::EC2::NatGateway")), want)
			}
			for i, ng := range nats {
				// nat: the one NAT sits in public subnet 1 (AZ a);
				// nat-per-az: one in each public subnet.
				if got := aws.ToString(ng.SubnetId); got != n.Public[i].ID {
					t.Errorf("NAT gateway %s is in subnet %s, want %s (%s)", aws.ToString(ng.NatGatewayId), got, n.Public[i].Name, n.Public[i].ID)
				}
				if ng.State != ec2types.NatGatewayStateAvailable {
					t.Errorf("NAT gateway %s is %s", aws.ToString(ng.NatGatewayId), ng.State)
				}
				if len(ng.NatGatewayAddresses) != 1 || aws.ToString(ng.NatGatewayAddresses[0].PublicIp) == "" {
					t.Errorf("NAT gateway %s has addresses %+v, want one Elastic IP", aws.ToString(ng.NatGatewayId), ng.NatGatewayAddresses)
				}
			}
		})

		// With egress nat-instance: the template's one instance, as the
		// account holds it.
		natInstance := ""
		if d.Egress == "nat-instance" {
			natInstance = s.phys(t, s.one(t, "AWS::EC2::Instance"))
		} else if ids := s.Template.OfType("AWS::EC2::Instance"); len(ids) != 0 {
			t.Errorf("egress %s: the template has instances %v", d.Egress, ids)
		}

		t.Run("nat instance", func(t *testing.T) {
			if natInstance == "" {
				t.Skipf("egress %s has no NAT instance", d.Egress)
			}
			checkNatInstance(t, s, n, natInstance)
		})

		t.Run("private routes", func(t *testing.T) {
			for i, sn := range n.Private {
				rt := routeTable(t, sn.RouteTable)
				r, ok := defaultRoute(rt)
				switch d.Egress {
				case "nat-instance":
					// Both private subnets share the one NAT instance.
					if !ok || aws.ToString(r.InstanceId) != natInstance {
						t.Errorf("%s (%s): 0.0.0.0/0 -> %s, want the NAT instance %s", sn.Name, sn.RouteTable, routeTarget(r, ok), natInstance)
					}
				case "nat", "nat-per-az":
					// nat: both private subnets share the NAT in AZ a;
					// nat-per-az: each uses the NAT in its own AZ.
					want := nats[0]
					if d.Egress == "nat-per-az" {
						want = nats[i]
					}
					if !ok || aws.ToString(r.NatGatewayId) != aws.ToString(want.NatGatewayId) {
						t.Errorf("%s (%s): 0.0.0.0/0 -> %s, want NAT gateway %s in %s", sn.Name, sn.RouteTable, routeTarget(r, ok), aws.ToString(want.NatGatewayId), aws.ToString(want.SubnetId))
					}
				case "endpoints":
					if ok {
						t.Errorf("%s (%s): 0.0.0.0/0 -> %s, want no default route in the endpoints mode", sn.Name, sn.RouteTable, routeTarget(r, ok))
					}
				}
				hasS3 := false
				for _, r := range rt.Routes {
					if r.DestinationPrefixListId != nil && aws.ToString(r.GatewayId) == s3Endpoint {
						hasS3 = true
					}
				}
				if s3Endpoint == "" || !hasS3 {
					t.Errorf("%s (%s): no route to the S3 gateway endpoint %q", sn.Name, sn.RouteTable, s3Endpoint)
				}
			}
		})

		t.Run("template routes", func(t *testing.T) {
			// Every route the template declares is in its table, to its target.
			for _, id := range s.Template.OfType("AWS::EC2::Route") {
				p := s.Template.Resources[id].Properties
				rt := routeTable(t, s.str(t, p["RouteTableId"]))
				var target string
				for _, key := range []string{"GatewayId", "NatGatewayId", "InstanceId"} {
					if v, ok := p[key]; ok {
						target = s.str(t, v)
					}
				}
				found := false
				for _, r := range rt.Routes {
					if aws.ToString(r.DestinationCidrBlock) == p["DestinationCidrBlock"] && (aws.ToString(r.GatewayId) == target || aws.ToString(r.NatGatewayId) == target || aws.ToString(r.InstanceId) == target) {
						found = true
					}
				}
				if !found {
					t.Errorf("route %s: %v -> %s is not in %s", id, p["DestinationCidrBlock"], target, aws.ToString(rt.RouteTableId))
				}
			}
			// moto keeps CloudFormation's subnet associations out of
			// DescribeRouteTables; the tests above found each subnet's table
			// through the stack instead.
			rt := routeTable(t, n.Private[0].RouteTable)
			if len(rt.Associations) == 0 {
				recordGap(t, "route-table-associations", fmt.Sprintf("%s lists no association", n.Private[0].RouteTable))
			} else {
				for _, sn := range append(slices.Clone(n.Public), n.Private...) {
					out, err := ec2C.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{ec2Filter("association.subnet-id", sn.ID)}})
					if err != nil || len(out.RouteTables) != 1 || aws.ToString(out.RouteTables[0].RouteTableId) != sn.RouteTable {
						t.Errorf("%s: associated route table %v (%v), want %s", sn.Name, out, err, sn.RouteTable)
					}
				}
			}
		})

		t.Run("default security group", func(t *testing.T) {
			// The CDK's custom resource (answered by cfnresponder, which
			// does its handler's work) leaves the default group no rule.
			out, err := ec2C.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", n.VPC), ec2Filter("group-name", "default")}})
			if err != nil || len(out.SecurityGroups) != 1 {
				t.Fatalf("default security group of %s: %v", n.VPC, err)
			}
			sg := out.SecurityGroups[0]
			if len(sg.IpPermissions) != 0 || len(sg.IpPermissionsEgress) != 0 {
				t.Errorf("default security group %s has ingress %+v and egress %+v, want no rule", aws.ToString(sg.GroupId), sg.IpPermissions, sg.IpPermissionsEgress)
			}
		})

		t.Run("flow log", func(t *testing.T) {
			group := s.phys(t, s.one(t, "AWS::Logs::LogGroup"))
			out, err := ec2C.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []ec2types.Filter{ec2Filter("resource-id", n.VPC)}})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.FlowLogs) != 1 || out.FlowLogs[0].TrafficType != ec2types.TrafficTypeAll || aws.ToString(out.FlowLogs[0].LogGroupName) != group {
				t.Fatalf("flow logs of %s: %+v, want one of ALL traffic to %s", n.VPC, out.FlowLogs, group)
			}
			lg, err := logsC.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
			if err != nil || len(lg.LogGroups) != 1 {
				t.Fatalf("log group %s: %v", group, err)
			}
			want := s.Template.Resources[s.one(t, "AWS::Logs::LogGroup")].Properties["RetentionInDays"]
			if got := aws.ToInt32(lg.LogGroups[0].RetentionInDays); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("log group %s keeps %d days, template %v", group, got, want)
			}
		})

		t.Run("no image parameter", func(t *testing.T) {
			for _, id := range s.Template.OfType("AWS::SSM::Parameter") {
				// The endpoints mode hands the cached placeholder over by
				// digest, and nothing else.
				name, _ := s.Template.Resources[id].Properties["Name"].(string)
				if want := "/" + d.App + "/" + d.Env + "/placeholder-image"; name != want || d.Egress != "endpoints" {
					t.Errorf("the network holds the SSM parameter %s (%s): the image parameter belongs to the registry, which make destroy keeps", id, name)
					continue
				}
				if v := parameterValue(t, name); !strings.Contains(v, "@sha256:") {
					t.Errorf("%s = %q, want the cached placeholder by digest", name, v)
				}
			}
		})
	})
}

func routeTarget(r ec2types.Route, ok bool) string {
	switch {
	case !ok:
		return "(no route)"
	case r.NatGatewayId != nil:
		return aws.ToString(r.NatGatewayId)
	case r.InstanceId != nil:
		return aws.ToString(r.InstanceId)
	default:
		return aws.ToString(r.GatewayId)
	}
}

// natGateways lists the VPC's NAT gateways in the order of their public
// subnets' names (by way of their AZ: a, then b).
func natGateways(t *testing.T, vpc string) []ec2types.NatGateway {
	t.Helper()
	out, err := ec2C.DescribeNatGateways(context.Background(), &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
	if err != nil {
		t.Fatalf("NAT gateways of %s: %v", vpc, err)
	}
	nats := out.NatGateways
	az := map[string]string{}
	for _, ng := range nats {
		sn, err := ec2C.DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{SubnetIds: []string{aws.ToString(ng.SubnetId)}})
		if err != nil || len(sn.Subnets) != 1 {
			t.Fatalf("subnet of NAT gateway %s: %v", aws.ToString(ng.NatGatewayId), err)
		}
		az[aws.ToString(ng.NatGatewayId)] = aws.ToString(sn.Subnets[0].AvailabilityZone)
	}
	slices.SortFunc(nats, func(a, b ec2types.NatGateway) int {
		return strings.Compare(az[aws.ToString(a.NatGatewayId)], az[aws.ToString(b.NatGatewayId)])
	})
	return nats
}

func parameterValue(t *testing.T, name string) string {
	t.Helper()
	out, err := ssmC.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("SSM parameter %s: %v", name, err)
	}
	return aws.ToString(out.Parameter.Value)
}

// checkNatInstance compares the NAT instance the account runs with its
// template: in public subnet 1, of its type, with a public IPv4 address,
// its source/destination check off, IMDSv2 only, no key pair, and a
// security group that admits TCP, UDP and ICMP from the private subnets
// only. moto accepts several of these properties without emulating them:
// those are recorded as gaps.
func checkNatInstance(t *testing.T, s *stack, n *network, id string) {
	t.Helper()
	ctx := context.Background()
	out, err := ec2C.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("NAT instance %s: %v", id, err)
	}
	in := out.Reservations[0].Instances[0]
	p := s.Template.Resources[s.one(t, "AWS::EC2::Instance")].Properties
	// TestEgressSwitched tells a new instance from this one.
	writeJSON(t, "nat-instance-"+s.Name+".json", id)
	if in.State == nil || (in.State.Name != ec2types.InstanceStateNameRunning && in.State.Name != ec2types.InstanceStateNamePending) {
		t.Errorf("NAT instance %s is %v", id, in.State)
	}
	if string(in.InstanceType) != p["InstanceType"] {
		t.Errorf("NAT instance type %s, template %v", in.InstanceType, p["InstanceType"])
	}
	// Its subnet, security group and public address come from the
	// template's NetworkInterfaces, which moto ignores: it launches the
	// instance in a default subnet of another VPC.
	interfaceKept := aws.ToString(in.VpcId) == n.VPC
	switch got := aws.ToString(in.SubnetId); {
	case got == n.Public[0].ID:
	case !interfaceKept:
		recordGap(t, "ec2-instance-network-settings", fmt.Sprintf("launched in subnet %s of %s, not in the template's public subnet 1 %s of %s", got, aws.ToString(in.VpcId), n.Public[0].ID, n.VPC))
	default:
		t.Errorf("NAT instance in subnet %s, want public subnet 1 %s", got, n.Public[0].ID)
	}
	// The public subnets map no public IP on launch: the address is the
	// instance's own (AssociatePublicIpAddress).
	if interfaceKept && aws.ToString(in.PublicIpAddress) == "" {
		t.Errorf("NAT instance %s has no public IP: the internet gateway would carry none of its traffic", id)
	}
	if in.KeyName != nil {
		t.Errorf("NAT instance has key pair %s", aws.ToString(in.KeyName))
	}
	wantImage := s.ref(t, refName(p["ImageId"]))
	if got := aws.ToString(in.ImageId); got != wantImage {
		t.Errorf("NAT instance image %s, want the SSM parameter's %s", got, wantImage)
	}
	switch {
	case aws.ToBool(in.SourceDestCheck) == false:
	case p["SourceDestCheck"] == false:
		recordGap(t, "ec2-instance-network-settings", "SourceDestCheck true")
	default:
		t.Errorf("the template keeps the source/destination check on")
	}
	if mo := in.MetadataOptions; mo == nil || mo.HttpTokens != ec2types.HttpTokensStateRequired {
		recordGap(t, "ec2-instance-network-settings", fmt.Sprintf("MetadataOptions %+v", mo))
	}
	// Its security group, from the template's interface, as the account
	// holds it.
	ni := p["NetworkInterfaces"].([]any)[0].(map[string]any)
	groups := s.resolve(t, ni["GroupSet"]).([]any)
	if len(groups) != 1 {
		t.Fatalf("NAT instance interface groups %v", groups)
	}
	sgID := groups[0].(string)
	var shown []string
	for _, g := range in.SecurityGroups {
		shown = append(shown, aws.ToString(g.GroupId))
	}
	if !interfaceKept || len(shown) == 0 {
		recordGap(t, "ec2-instance-network-settings", fmt.Sprintf("security groups %v on the instance", shown))
	} else if !slices.Equal(shown, []string{sgID}) {
		t.Errorf("NAT instance security groups %v, want %s", shown, sgID)
	}
	sg := securityGroup(t, sgID)
	var admits []string
	for _, perm := range sg.IpPermissions {
		for _, r := range perm.IpRanges {
			admits = append(admits, fmt.Sprintf("%s %s %d-%d", aws.ToString(r.CidrIp), aws.ToString(perm.IpProtocol), aws.ToInt32(perm.FromPort), aws.ToInt32(perm.ToPort)))
		}
		if len(perm.UserIdGroupPairs) > 0 || len(perm.PrefixListIds) > 0 || len(perm.Ipv6Ranges) > 0 {
			t.Errorf("the NAT security group admits %+v: only the private subnets' CIDRs", perm)
		}
	}
	var want []string
	for _, sn := range n.Private {
		want = append(want, sn.CIDR+" tcp 0-65535", sn.CIDR+" udp 0-65535", sn.CIDR+" icmp -1--1")
	}
	slices.Sort(admits)
	slices.Sort(want)
	if !slices.Equal(admits, want) {
		t.Errorf("the NAT security group admits %v, want %v", admits, want)
	}
}
