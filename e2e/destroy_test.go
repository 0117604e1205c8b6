//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// inventoried is one deployed resource, recorded before `cdk destroy`.
type inventoried struct {
	Deployment string
	Stack      string
	Logical    string
	Type       string
	Physical   string
	Retain     bool // DeletionPolicy Retain in the template
}

// TestInventory records every resource of the deployed stacks, with the
// template's deletion policy, for TestDestroyed.
func TestInventory(t *testing.T) {
	var all []inventoried
	for _, d := range deployments(t) {
		for _, id := range []string{"Network", "Service"} {
			s := d.deployed(t, id)
			// What is deployed now: dev's last redeploy switched it to
			// blue-green, with resources its first template lacks.
			s.Template = deployedTemplate(t, s.Name)
			for logical, physical := range s.physical {
				r, ok := s.Template.Resources[logical]
				if !ok {
					t.Fatalf("stack %s has a resource %s its template does not declare", s.Name, logical)
				}
				all = append(all, inventoried{d.Name, s.Name, logical, r.Type, physical, r.DeletionPolicy == "Retain"})
			}
		}
	}
	slices.SortFunc(all, func(a, b inventoried) int { return strings.Compare(a.Stack+a.Logical, b.Stack+b.Logical) })
	writeJSON(t, "inventory.json", all)
	t.Logf("recorded %d resources", len(all))
}

// TestPrepareDestroy does CloudFormation's part of deleting a network stack
// where moto's CloudFormation cannot: it has no delete for NAT gateways,
// VPC endpoints, internet gateways and route tables, so the VPC would keep
// dependencies and DeleteStack would fail. The harness deletes those of
// each network stack through the EC2 API, as CloudFormation would, and only
// those its template does not retain. `cdk destroy` then deletes the rest.
func TestPrepareDestroy(t *testing.T) {
	ctx := context.Background()
	forEach(t, nil, func(t *testing.T, d deployment) {
		s := d.deployed(t, "Network")
		vpc := s.phys(t, s.one(t, "AWS::EC2::VPC"))
		del := func(typ string, f func(id string) error) {
			for _, id := range s.Template.OfType(typ) {
				if s.Template.Resources[id].DeletionPolicy == "Retain" {
					t.Errorf("%s %s (%s) is retained: cdk destroy could not delete the VPC", s.Name, id, typ)
					continue
				}
				if err := f(s.phys(t, id)); err != nil {
					t.Errorf("deleting %s %s (%s): %v", s.Name, id, typ, err)
				}
			}
		}
		del("AWS::EC2::NatGateway", func(id string) error {
			_, err := ec2C.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(id)})
			return err
		})
		del("AWS::EC2::VPCEndpoint", func(id string) error {
			_, err := ec2C.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
			return err
		})
		// What an earlier update removed from the template (the egress
		// switch) and moto left in the VPC goes too.
		nats, err := ec2C.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ng := range nats.NatGateways {
			if ng.State == "deleted" || ng.State == "deleting" {
				continue
			}
			recordGap(t, "cfn-update-leftovers", fmt.Sprintf("NAT gateway %s", aws.ToString(ng.NatGatewayId)))
			if _, err := ec2C.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: ng.NatGatewayId}); err != nil {
				t.Errorf("deleting the leftover NAT gateway %s: %v", aws.ToString(ng.NatGatewayId), err)
			}
		}
		eps, err := ec2C.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ep := range eps.VpcEndpoints {
			if ep.State == "deleted" || ep.State == "Deleted" {
				continue
			}
			recordGap(t, "cfn-update-leftovers", fmt.Sprintf("VPC endpoint %s", aws.ToString(ep.VpcEndpointId)))
			if _, err := ec2C.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(ep.VpcEndpointId)}}); err != nil {
				t.Errorf("deleting the leftover VPC endpoint %s: %v", aws.ToString(ep.VpcEndpointId), err)
			}
		}
		// And an instance no live stack holds any more (a NAT instance an
		// update removed), with what it holds in the VPC.
		held := map[string]bool{}
		for _, id := range []string{"Network", "Service"} {
			for _, p := range d.deployed(t, id).physical {
				held[p] = true
			}
		}
		insts, err := ec2C.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
		if err != nil {
			t.Fatal(err)
		}
		var leftovers []string
		for _, r := range insts.Reservations {
			for _, in := range r.Instances {
				id := aws.ToString(in.InstanceId)
				if held[id] || in.State == nil || in.State.Name == ec2types.InstanceStateNameTerminated || in.State.Name == ec2types.InstanceStateNameShuttingDown {
					continue
				}
				recordGap(t, "cfn-update-leftovers", "instance "+id)
				leftovers = append(leftovers, id)
			}
		}
		if len(leftovers) > 0 {
			if _, err := ec2C.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: leftovers}); err != nil {
				t.Errorf("terminating the leftover instances %v: %v", leftovers, err)
			}
		}
		// And a security group no live stack holds any more (the endpoints'
		// group, after the switch back to the NAT instance).
		sgs, err := ec2C.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
		if err != nil {
			t.Fatal(err)
		}
		subnets, err := ec2C.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, sn := range subnets.Subnets {
			id := aws.ToString(sn.SubnetId)
			if held[id] {
				continue
			}
			recordGap(t, "cfn-update-leftovers", fmt.Sprintf("subnet %s (%s)", id, aws.ToString(sn.CidrBlock)))
			enis, err := ec2C.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{ec2Filter("subnet-id", id)}})
			if err != nil {
				t.Fatal(err)
			}
			for _, eni := range enis.NetworkInterfaces {
				if _, err := ec2C.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: eni.NetworkInterfaceId}); err != nil {
					t.Errorf("deleting %s in the leftover subnet %s: %v", aws.ToString(eni.NetworkInterfaceId), id, err)
				}
			}
			if _, err := ec2C.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn.SubnetId}); err != nil {
				t.Errorf("deleting the leftover subnet %s: %v", id, err)
			}
		}
		tables, err := ec2C.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, rt := range tables.RouteTables {
			main := false
			for _, a := range rt.Associations {
				main = main || aws.ToBool(a.Main)
			}
			if id := aws.ToString(rt.RouteTableId); !main && !held[id] {
				recordGap(t, "cfn-update-leftovers", fmt.Sprintf("route table %s", id))
				if _, err := ec2C.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: rt.RouteTableId}); err != nil {
					t.Errorf("deleting the leftover route table %s: %v", id, err)
				}
			}
		}
		for _, sg := range sgs.SecurityGroups {
			if id := aws.ToString(sg.GroupId); aws.ToString(sg.GroupName) != "default" && !held[id] {
				recordGap(t, "cfn-update-leftovers", fmt.Sprintf("security group %s (%s)", id, aws.ToString(sg.Description)))
				if _, err := ec2C.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId}); err != nil {
					t.Errorf("deleting the leftover security group %s: %v", id, err)
				}
			}
		}
		del("AWS::EC2::InternetGateway", func(id string) error {
			if _, err := ec2C.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(vpc)}); err != nil {
				return err
			}
			_, err := ec2C.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
			return err
		})
		del("AWS::EC2::RouteTable", func(id string) error {
			_, err := ec2C.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
			return err
		})
		recordGap(t, "cfn-delete-vpc-dependents", s.Name)
	})
}

// motoLeaves are the types whose resources moto's CloudFormation does not
// delete with their stack (it has no delete for them, or, for SSM
// parameters, keeps only their name and skips it) and that do not stop a
// stack's deletion: they stay in the account after `cdk destroy`.
var motoLeaves = map[string]bool{
	"AWS::ECS::Cluster": true, "AWS::ECS::Service": true, "AWS::ECS::TaskDefinition": true,
	"AWS::ElasticLoadBalancingV2::TargetGroup": true, "AWS::EC2::EIP": true, "AWS::EC2::FlowLog": true,
	"AWS::SSM::Parameter": true,
}

// existence tells whether a resource still exists in the account.
type existence func(ctx context.Context, physical string) (bool, error)

// exists checks each resource type the stacks create. Types without an
// entry are in partOf.
var exists = map[string]existence{
	"AWS::EC2::VPC": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
		return found(err, "InvalidVpcID.NotFound", out != nil && len(out.Vpcs) > 0)
	},
	"AWS::EC2::Subnet": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
		return found(err, "InvalidSubnetID.NotFound", out != nil && len(out.Subnets) > 0)
	},
	"AWS::EC2::RouteTable": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
		return found(err, "InvalidRouteTableID.NotFound", out != nil && len(out.RouteTables) > 0)
	},
	"AWS::EC2::InternetGateway": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{id}})
		return found(err, "InvalidInternetGatewayID.NotFound", out != nil && len(out.InternetGateways) > 0)
	},
	"AWS::EC2::NatGateway": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
		if err != nil {
			return found(err, "NatGatewayNotFound", false)
		}
		for _, ng := range out.NatGateways {
			if ng.State != "deleted" && ng.State != "deleting" {
				return true, nil
			}
		}
		return false, nil
	},
	"AWS::EC2::EIP": func(ctx context.Context, ip string) (bool, error) {
		out, err := ec2C.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{PublicIps: []string{ip}})
		return found(err, "InvalidAddress.NotFound", out != nil && len(out.Addresses) > 0)
	},
	"AWS::EC2::VPCEndpoint": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		if err != nil {
			return found(err, "InvalidVpcEndpointId.NotFound", false)
		}
		for _, e := range out.VpcEndpoints {
			if e.State != "deleted" && e.State != "Deleted" {
				return true, nil
			}
		}
		return false, nil
	},
	"AWS::EC2::SecurityGroup": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
		return found(err, "InvalidGroup.NotFound", out != nil && len(out.SecurityGroups) > 0)
	},
	"AWS::EC2::Instance": func(ctx context.Context, id string) (bool, error) {
		// A terminated instance stays visible for a while: it is gone.
		out, err := ec2C.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			return found(err, "InvalidInstanceID.NotFound", false)
		}
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				if in.State == nil || in.State.Name != ec2types.InstanceStateNameTerminated {
					return true, nil
				}
			}
		}
		return false, nil
	},
	"AWS::EC2::FlowLog": func(ctx context.Context, id string) (bool, error) {
		out, err := ec2C.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: []string{id}})
		return found(err, "InvalidFlowLogId.NotFound", out != nil && len(out.FlowLogs) > 0)
	},
	"AWS::SSM::Parameter": func(ctx context.Context, name string) (bool, error) {
		_, err := ssmC.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		return found(err, "ParameterNotFound", err == nil)
	},
	"AWS::ECR::Repository": func(ctx context.Context, name string) (bool, error) {
		_, err := ecrC.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		return found(err, "RepositoryNotFoundException", err == nil)
	},
	"AWS::S3::Bucket": func(ctx context.Context, name string) (bool, error) {
		_, err := s3C.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
		return found(err, "NotFound", err == nil)
	},
	"AWS::ECS::Cluster": func(ctx context.Context, name string) (bool, error) {
		out, err := ecsC.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
		if err != nil {
			return false, err
		}
		return len(out.Clusters) > 0 && aws.ToString(out.Clusters[0].Status) == "ACTIVE", nil
	},
	"AWS::ECS::TaskDefinition": func(ctx context.Context, arn string) (bool, error) {
		out, err := ecsC.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			return found(err, "ClientException", false)
		}
		return out.TaskDefinition.Status == "ACTIVE", nil
	},
	"AWS::ElasticLoadBalancingV2::LoadBalancer": func(ctx context.Context, arn string) (bool, error) {
		_, err := elbC.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		return found(err, "LoadBalancerNotFound", err == nil)
	},
	"AWS::ElasticLoadBalancingV2::TargetGroup": func(ctx context.Context, arn string) (bool, error) {
		_, err := elbC.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		return found(err, "TargetGroupNotFound", err == nil)
	},
	"AWS::IAM::InstanceProfile": func(ctx context.Context, name string) (bool, error) {
		_, err := iamC.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		return found(err, "NoSuchEntity", err == nil)
	},
	"AWS::IAM::Role": func(ctx context.Context, name string) (bool, error) {
		_, err := iamC.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		return found(err, "NoSuchEntity", err == nil)
	},
	"AWS::Logs::LogGroup": func(ctx context.Context, name string) (bool, error) {
		out, err := logsC.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		if err != nil {
			return false, err
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return true, nil
			}
		}
		return false, nil
	},
	"AWS::Lambda::Function": func(ctx context.Context, name string) (bool, error) {
		_, err := lambdaC.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		return found(err, "ResourceNotFoundException", err == nil)
	},
	"AWS::KMS::Key": func(ctx context.Context, id string) (bool, error) {
		out, err := kmsC.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			return found(err, "NotFoundException", false)
		}
		// A deleted key waits out its pending window: gone for our purpose.
		return out.KeyMetadata.KeyState != kmstypes.KeyStatePendingDeletion, nil
	},
	"AWS::SNS::Topic": func(ctx context.Context, arn string) (bool, error) {
		_, err := snsC.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
		return found(err, "NotFound", err == nil)
	},
}

// partOf are the types that live and die with another resource that is
// checked, or that create nothing of their own.
var partOf = map[string]string{
	"AWS::EC2::Route":                           "a route of its route table",
	"AWS::EC2::SubnetRouteTableAssociation":     "an association of its route table",
	"AWS::EC2::VPCGatewayAttachment":            "the attachment of its internet gateway",
	"AWS::EC2::SecurityGroupIngress":            "a rule of its security group",
	"AWS::IAM::Policy":                          "an inline policy of its role",
	"AWS::ECS::Service":                         "a service of its cluster",
	"AWS::ElasticLoadBalancingV2::Listener":     "a listener of its load balancer",
	"AWS::ElasticLoadBalancingV2::ListenerRule": "a rule of its listener",
	"Custom::VpcRestrictDefaultSG":              "no resource: rules removed from the VPC's default group",
	"AWS::ECR::PullThroughCacheRule":            "a rule of the registry",
	"Custom::PlaceholderImageCache":             "no resource of the stack: the image the cache holds, in a repository of ECR's own (kept on AWS, as on moto)",
}

// found turns a describe call's outcome into existence: the not-found
// error code means gone; any other error is a failure.
func found(err error, notFound string, ok bool) (bool, error) {
	if err == nil {
		return ok, nil
	}
	if apiCode(err) == notFound {
		return false, nil
	}
	return false, err
}

// TestDestroyed runs after `cdk destroy` of the stacks `make destroy`
// deletes, in every deployment: none of them is live, only the registry
// stacks are (and their exports), every resource is gone but those the
// templates retain, and those are exactly each environment's two log
// buckets.
func TestDestroyed(t *testing.T) {
	ctx := context.Background()
	var all []inventoried
	readJSON(t, "inventory.json", &all)

	out, err := cfnC.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, d := range deployments(t) {
		kept[d.stackName("registry")] = true
	}
	keptIDs := map[string]bool{}
	for _, s := range out.Stacks {
		name := aws.ToString(s.StackName)
		switch {
		case name == "CDKToolkit":
		case kept[name]:
			keptIDs[aws.ToString(s.StackId)] = true
			if s.StackStatus != cfntypes.StackStatusCreateComplete && s.StackStatus != cfntypes.StackStatusUpdateComplete {
				t.Errorf("the registry stack %s is %s: make destroy must keep it", name, s.StackStatus)
			}
		case s.StackStatus != cfntypes.StackStatusDeleteComplete:
			t.Errorf("stack %s is still %s", name, s.StackStatus)
		}
	}
	if len(keptIDs) != len(kept) {
		t.Errorf("%d registry stacks live, want %d", len(keptIDs), len(kept))
	}
	var left []string
	for n, e := range exports(t) {
		if !keptIDs[aws.ToString(e.ExportingStackId)] {
			left = append(left, n)
		}
	}
	if len(left) != 0 {
		t.Errorf("exports left by destroyed stacks: %v", left)
	}

	retained := map[string]map[string]int{} // deployment -> type -> count
	for _, r := range all {
		if r.Retain {
			if retained[r.Deployment] == nil {
				retained[r.Deployment] = map[string]int{}
			}
			retained[r.Deployment][r.Type]++
		}
		check, ok := exists[r.Type]
		if !ok {
			if _, part := partOf[r.Type]; !part {
				t.Errorf("%s %s (%s): the test cannot check whether it is gone; add it to exists or partOf", r.Stack, r.Logical, r.Type)
			}
			continue
		}
		there, err := check(ctx, r.Physical)
		switch {
		case err != nil:
			t.Errorf("%s %s (%s %s): %v", r.Stack, r.Logical, r.Type, r.Physical, err)
		case r.Retain && !there:
			t.Errorf("%s %s (%s %s) is retained by its template, but cdk destroy deleted it", r.Stack, r.Logical, r.Type, r.Physical)
		case !r.Retain && there && motoLeaves[r.Type]:
			recordGap(t, "cfn-delete-leftovers", fmt.Sprintf("%s %s (%s) left", r.Stack, r.Logical, r.Type))
		case !r.Retain && there:
			t.Errorf("%s %s (%s %s) is still there after cdk destroy", r.Stack, r.Logical, r.Type, r.Physical)
		}
	}
	want := map[string]int{"AWS::S3::Bucket": 2}
	for _, d := range deployments(t) {
		if got := retained[d.Name]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s retains %v, want the two log buckets %v (the repository lives in the registry stack, which stays)", d.Name, got, want)
		}
	}
	t.Logf("checked %d resources", len(all))
}
