package report

import (
	"slices"
	"strings"
)

// class says how the report treats one CloudFormation resource type: free
// at idle (with the reason), or priced by a function. A type in neither is
// listed as "not priced", so a new kind of resource is never left out in
// silence.
type class struct {
	free  string
	price pricer
}

func free(why string) class { return class{free: why} }
func priced(p pricer) class { return class{price: p} }

// resourceTypes is the one place every resource type is classified. Add a
// type here, free with its reason or priced with its function, before
// counting on it in an estimate.
var resourceTypes = map[string]class{
	// Priced: an hourly or monthly charge, or a usage charge stated per unit.
	"AWS::EC2::NatGateway":                       priced(priceNATGateway),
	"AWS::EC2::EIP":                              priced(priceEIP),
	"AWS::EC2::Instance":                         priced(priceEC2Instance),
	"AWS::EC2::VPCEndpoint":                      priced(priceVPCEndpoint),
	"AWS::ElasticLoadBalancingV2::LoadBalancer":  priced(priceLoadBalancer),
	"AWS::ECS::Service":                          priced(priceECSService),
	"AWS::ECS::Cluster":                          priced(priceECSCluster),
	"AWS::Logs::LogGroup":                        priced(priceLogGroup),
	"AWS::CloudWatch::Alarm":                     priced(priceAlarm),
	"AWS::ApplicationAutoScaling::ScalingPolicy": priced(priceScalingPolicy),
	"AWS::ECR::Repository":                       priced(priceECRRepository),
	"AWS::ECR::PullThroughCacheRule":             priced(priceECRPullThroughCache),
	"AWS::S3::Bucket":                            priced(priceS3Bucket),
	"AWS::CodePipeline::Pipeline":                priced(priceCodePipeline),
	"AWS::CodeBuild::Project":                    priced(priceCodeBuild),
	"AWS::KMS::Key":                              priced(priceKMSKey),
	"AWS::SSM::Parameter":                        priced(priceSSMParameter),

	// Free: no charge of their own, idle or not.
	"AWS::CDK::Metadata":                               free("CDK bookkeeping, not an AWS resource"),
	"AWS::IAM::Role":                                   free("IAM is free"),
	"AWS::IAM::Policy":                                 free("IAM is free"),
	"AWS::IAM::ManagedPolicy":                          free("IAM is free"),
	"AWS::IAM::InstanceProfile":                        free("IAM is free"),
	"AWS::EC2::VPC":                                    free("VPCs are free"),
	"AWS::EC2::Subnet":                                 free("subnets are free"),
	"AWS::EC2::RouteTable":                             free("route tables are free"),
	"AWS::EC2::Route":                                  free("routes are free"),
	"AWS::EC2::SubnetRouteTableAssociation":            free("route tables are free"),
	"AWS::EC2::InternetGateway":                        free("internet gateways are free; data out to the internet is billed as usage"),
	"AWS::EC2::VPCGatewayAttachment":                   free("internet gateways are free"),
	"AWS::EC2::SecurityGroup":                          free("security groups are free"),
	"AWS::EC2::SecurityGroupIngress":                   free("security groups are free"),
	"AWS::EC2::SecurityGroupEgress":                    free("security groups are free"),
	"AWS::EC2::NetworkAcl":                             free("network ACLs are free"),
	"AWS::EC2::NetworkAclEntry":                        free("network ACLs are free"),
	"AWS::EC2::SubnetNetworkAclAssociation":            free("network ACLs are free"),
	"AWS::EC2::FlowLog":                                free("its records are billed as ingestion of the log group it writes to (priced there)"),
	"AWS::ApplicationAutoScaling::ScalableTarget":      free("registering a scalable target is free; its policies are priced"),
	"AWS::ECS::TaskDefinition":                         free("runs nothing by itself: priced through the ECS service that runs it"),
	"AWS::ECS::ClusterCapacityProviderAssociations":    free("capacity provider settings are free"),
	"AWS::ElasticLoadBalancingV2::Listener":            free("included in the load balancer's price"),
	"AWS::ElasticLoadBalancingV2::ListenerRule":        free("included in the load balancer's price (rule evaluations count in LCUs)"),
	"AWS::ElasticLoadBalancingV2::ListenerCertificate": free("included in the load balancer's price"),
	"AWS::ElasticLoadBalancingV2::TargetGroup":         free("included in the load balancer's price"),
	"AWS::SNS::Topic":                                  free("an idle topic is free; publishes and deliveries are usage, first million a month free"),
	"AWS::SNS::Subscription":                           free("subscriptions are free; email deliveries beyond 1,000 a month are usage"),
	"AWS::SNS::TopicPolicy":                            free("topic policies are free"),
	"AWS::S3::BucketPolicy":                            free("bucket policies are free"),
	"AWS::Lambda::Function":                            free("billed per invocation only: idle costs nothing (CDK's provider functions run at deploy time)"),
	"AWS::Lambda::Permission":                          free("permissions are free"),
	"AWS::Events::Rule":                                free("events from AWS services are free"),
	"AWS::CodeStarConnections::Connection":             free("connections are free"),
	"AWS::CodeConnections::Connection":                 free("connections are free"),
	"AWS::CertificateManager::Certificate":             free("public ACM certificates are free"),
	"AWS::Route53::RecordSet":                          free("records are free; the hosted zone and its queries are billed outside this app (alias queries to the ALB are free)"),
	"AWS::KMS::Alias":                                  free("aliases are free"),
	"AWS::CloudFormation::CustomResource":              free("a custom resource costs nothing itself; its provider function is listed on its own"),
}

// customPrefix covers CDK's custom resources (Custom::VpcRestrictDefaultSG,
// Custom::S3AutoDeleteObjects, …): each only invokes a provider function
// at deploy time, and that function is a resource of its own.
const customPrefix = "Custom::"

// classify returns the class of a type, and false for a type the report
// does not know.
func classify(typ string) (class, bool) {
	if c, ok := resourceTypes[typ]; ok {
		return c, true
	}
	if strings.HasPrefix(typ, customPrefix) {
		return free("a custom resource costs nothing itself; its provider function is listed on its own"), true
	}
	return class{}, false
}

// KnownTypes lists the classified types, for the tests.
func KnownTypes() []string {
	out := make([]string, 0, len(resourceTypes))
	for t := range resourceTypes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
