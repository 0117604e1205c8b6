//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// requiredEndpoints are the services a task in a private subnet needs to
// start (stacks.RequiredEndpoints): the ECR API and registry, S3 for the
// image layers, CloudWatch Logs.
var requiredEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "s3"}

// TestDeployedEndpointsMode checks the network deployed with -c
// egress=endpoints: the endpoints the template promises exist in the
// private subnets behind their security group, the required services are
// among them, and there is no NAT gateway and no default route.
func TestDeployedEndpointsMode(t *testing.T) {
	forEach(t, func(d deployment) bool { return d.Egress == "endpoints" }, func(t *testing.T, d deployment) {
		ctx := context.Background()
		n := readNetwork(t, d)
		s := n.stack

		if nats := natGateways(t, n.VPC); len(nats) != 0 {
			t.Errorf("%d NAT gateways in the endpoints mode, want none", len(nats))
		}
		for _, sn := range n.Private {
			if r, ok := defaultRoute(routeTable(t, sn.RouteTable)); ok {
				t.Errorf("%s: 0.0.0.0/0 -> %s, want no internet route", sn.Name, routeTarget(r, ok))
			}
		}

		out, err := ec2C.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", n.VPC)}})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]ec2types.VpcEndpoint{}
		for _, e := range out.VpcEndpoints {
			byID[aws.ToString(e.VpcEndpointId)] = e
		}
		privateSubnets := []string{n.Private[0].ID, n.Private[1].ID}
		privateTables := []string{n.Private[0].RouteTable, n.Private[1].RouteTable}
		var services []string
		endpointSG := ""
		for _, id := range s.Template.OfType("AWS::EC2::VPCEndpoint") {
			p := s.Template.Resources[id].Properties
			e, ok := byID[s.phys(t, id)]
			if !ok {
				t.Errorf("endpoint %s (%s) is not in the VPC", id, s.phys(t, id))
				continue
			}
			service := s.str(t, p["ServiceName"])
			if aws.ToString(e.ServiceName) != service || string(e.VpcEndpointType) != p["VpcEndpointType"] {
				t.Errorf("endpoint %s: %s %s, template %s %v", id, e.VpcEndpointType, aws.ToString(e.ServiceName), p["VpcEndpointType"], service)
			}
			services = append(services, service[len("com.amazonaws."+Region+"."):])
			switch e.VpcEndpointType {
			case ec2types.VpcEndpointTypeInterface:
				if !sameSet(e.SubnetIds, privateSubnets) {
					t.Errorf("endpoint %s is in subnets %v, want the private subnets %v", service, e.SubnetIds, privateSubnets)
				}
				wantSG := s.str(t, p["SecurityGroupIds"].([]any)[0])
				endpointSG = wantSG
				var groups []string
				for _, g := range e.Groups {
					groups = append(groups, aws.ToString(g.GroupId))
				}
				if !sameSet(groups, []string{wantSG}) {
					t.Errorf("endpoint %s has security groups %v, want %s", service, groups, wantSG)
				}
				if !aws.ToBool(e.PrivateDnsEnabled) {
					t.Errorf("endpoint %s has no private DNS: tasks would not reach it by the service's name", service)
				}
			case ec2types.VpcEndpointTypeGateway:
				if !sameSet(e.RouteTableIds, privateTables) {
					t.Errorf("gateway endpoint %s is on route tables %v, want the private ones %v", service, e.RouteTableIds, privateTables)
				}
			}
		}
		for _, want := range requiredEndpoints {
			if !slices.Contains(services, want) {
				t.Errorf("no %s endpoint (have %v): tasks in the private subnets could not start", want, services)
			}
		}

		t.Run("placeholder in this account's ECR before the service starts", func(t *testing.T) {
			// Before the first release the service runs the placeholder,
			// through the cache ({"Fn::If": [NoReleaseYet, placeholder,
			// released]}); the NetworkStack's fill put it there (on moto,
			// the harness's stand-in, see fillPlaceholderCache).
			svc := d.deployed(t, "Service")
			container := svc.Template.Resources[svc.one(t, "AWS::ECS::TaskDefinition")].Properties["ContainerDefinitions"].([]any)[0].(map[string]any)
			branches, _ := container["Image"].(map[string]any)["Fn::If"].([]any)
			if len(branches) != 3 {
				t.Fatalf("container image %v, want Fn::If on the release with the placeholder first", container["Image"])
			}
			// By the digest the fill found, handed over through the
			// network's SSM parameter, which the service stack resolved.
			image := svc.str(t, branches[1])
			registry := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/", s.ref(t, "AWS::AccountId"), Region)
			repo, digest, ok := strings.Cut(strings.TrimPrefix(image, registry), "@")
			if !strings.HasPrefix(image, registry) || !ok || !strings.HasPrefix(digest, "sha256:") {
				t.Fatalf("placeholder %s is not an image of this account's ECR by digest", image)
			}
			fill := s.Template.Resources[s.one(t, "Custom::PlaceholderImageCache")]
			tag, _ := fill.Properties["Tag"].(string)
			if fill.Properties["RepositoryName"] != repo {
				t.Errorf("the cache fill pulls %v:%v, the service starts from %s", fill.Properties["RepositoryName"], tag, image)
			}
			out, err := ecrC.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
			if err != nil || len(out.ImageDetails) != 1 {
				t.Fatalf("%s:%s is not in this account's ECR after the network deployed: %v", repo, tag, err)
			}
			if got := aws.ToString(out.ImageDetails[0].ImageDigest); got != digest {
				t.Errorf("the service starts from %s, and the cached %s:%s is %s", image, repo, tag, got)
			}
		})

		t.Run("endpoint security group", func(t *testing.T) {
			id := endpointSG
			if id == "" {
				t.Fatal("no interface endpoint names a security group")
			}
			sg := securityGroup(t, id)
			cidr := s.str(t, map[string]any{"Fn::GetAtt": []any{s.one(t, "AWS::EC2::VPC"), "CidrBlock"}})
			if len(sg.IpPermissions) != 1 || aws.ToString(sg.IpPermissions[0].IpProtocol) != "tcp" ||
				aws.ToInt32(sg.IpPermissions[0].FromPort) != 443 || aws.ToInt32(sg.IpPermissions[0].ToPort) != 443 ||
				len(sg.IpPermissions[0].IpRanges) != 1 || aws.ToString(sg.IpPermissions[0].IpRanges[0].CidrIp) != cidr ||
				len(sg.IpPermissions[0].UserIdGroupPairs) != 0 {
				t.Errorf("endpoint security group %s admits %+v, want only tcp 443 from the VPC's %s", id, sg.IpPermissions, cidr)
			}
		})
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
