//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"testing"
)

// gap is a property our templates set that moto 5.2.1 accepts but does not
// emulate: its API shows a default, or nothing. A check that observes
// exactly the known gap records it instead of failing; any other value is
// compared strictly. So a wrong value still fails, and a moto that starts
// emulating the property turns the check into a real one (and TestCoverage
// then fails until the gap is taken off this list and docs/testing.md).
type gap struct {
	// What the template promises that moto does not show.
	What string
	// What moto shows instead.
	Moto string
	// What proves the promise instead.
	CoveredBy string
}

// gaps are the known ones, by ID. docs/testing.md lists them.
var gaps = map[string]gap{
	"cfn-delete-vpc-dependents": {
		What:      "cdk destroy deletes the network's NAT gateways, VPC endpoints, internet gateway and route tables",
		Moto:      "has no delete for these types, so the VPC keeps dependencies and DeleteStack fails; the harness (TestPrepareDestroy) deletes the ones the template does not retain, as CloudFormation would, before cdk destroy",
		CoveredBy: "the templates' deletion policies (TestPrepareDestroy fails on a retained one) and network_test.go",
	},
	"cfn-delete-leftovers": {
		What:      "cdk destroy deletes the ECS cluster, service and task definition, the target group, the Elastic IPs, the flow log and the image parameter",
		Moto:      "has no delete for these types (and skips the SSM parameter, of which it keeps only the name): they stay after DeleteStack",
		CoveredBy: "TestDestroyed checks that the templates do not retain them; every other type is checked gone",
	},
	"cfn-deleted-stack-rebuilt": {
		What:      "cdk destroy --all deletes the build cache repository with the Registry stack (DeletionPolicy Delete, emptied first)",
		Moto:      "builds a deleted stack's resources again when the deleted stack is read by its ID (DescribeStackResources): the repository is back, empty, after DELETE_COMPLETE",
		CoveredBy: "TestBuildCache (the template deletes the repository, emptied first) and preflight's TestLeftovers, whose fake deletes it as CloudFormation does",
	},
	"cfn-update-leftovers": {
		What:      "a stack update that removes NAT gateways, a NAT instance, the routes to them, VPC endpoints or their security group from the template, or replaces a subnet (switching the egress mode retags the private subnets), deletes what it removed",
		Moto:      "leaves them in the VPC after the update",
		CoveredBy: "the deployed templates (TestEgressSwitched reads the network's egress from them) and netcheck on every egress mode's templates; TestEgressSwitched deletes the leftover routes (the switch back adds its own), TestPrepareDestroy the other leftovers before cdk destroy",
	},
	"cfn-stack-tags": {
		What:      "a change of a stack's tags (cdk deploy --tags) updates every taggable resource of the stack; an AWS::SSM::Parameter would get its template value again (aws/aws-cdk#25949)",
		Moto:      "keeps the new tags on the stack and updates none of its resources",
		CoveredBy: "TestImageParameterIsCreateOnly: no CloudFormation-managed parameter holds the image, its custom resource has no update call and creates it without overwriting; TestRegistryRetagged checks the released image stays through the tag change",
	},
	"cfn-update-rollback": {
		What:      "a stack update that fails is rolled back: UPDATE_ROLLBACK_COMPLETE, and an ECS service is pointed back at the task definition CloudFormation records (aws/containers-roadmap#117)",
		Moto:      "refuses the UpdateStack call itself with the failing resource's error, keeps the stack's status, and rolls nothing back",
		CoveredBy: "TestSync checks the task definition the Service stack records after cmd/cfnsync, which is what the rollback's UpdateService uses; cfnsync's tests fail and roll back the sync's own update against a fake (TestFailedSyncRestoresTheService)",
	},
	"cfn-replacement-refs": {
		What:      "when an update replaces a task definition, CloudFormation updates the service that refers to it (Ref) to the new revision",
		Moto:      "replaces the task definition but leaves the service on the revision it ran",
		CoveredBy: "TestSync checks the task definition the stack records (its physical ID), which is what a rollback uses, and the image the service runs",
	},
	"ecs-task-update-keys": {
		What:      "the revision a stack update registers for a replaced task definition has the container's name and image",
		Moto:      "registers it from the template's container definitions without converting their keys, and drops them: DescribeTaskDefinition shows a container without name or image",
		CoveredBy: "TestSync reads the image CloudFormation resolved for that revision (the deployed template against the stack's resolved parameters), and compares it with ECS's wherever ECS shows one; TestRedeployed checks the deployed template's task definition resolves its image to the released one after a cdk deploy that also changed the service (dev's switch to blue-green)",
	},
	"ecr-layer-download": {
		What:      "an image's config blob (GetDownloadUrlForLayer), where a single-platform image names its architecture",
		Moto:      "does not implement GetDownloadUrlForLayer (HTTP 500), and stores no blobs",
		CoveredBy: "preflight's fake serves the config (TestArchitecture refuses an x86 image for an ARM64 task); step 4f reads the platforms of image indexes, which BatchGetImage returns, and preflight warns where it cannot read them",
	},
	"ecs-traffic-shift": {
		What:      "a deployment of a canary, linear or blue-green service moves production to the other target group: ECS rewrites the weights of the production and test rules (0/100 after an odd number of deployments), which a CloudFormation update of the rules would write back to the template's 100/0 (aws/aws-cdk#36649)",
		Moto:      "runs no service deployment: after prod's release (an UpdateService, step 4a) its rules still forward 100/0",
		CoveredBy: "step 4w sets the weights as ECS leaves them (ModifyRule, 0/100) and checks that preflight's weights check fails on a change that rewrites the production rule and passes the untouched rules; preflight/weights_test.go covers modified, replaced and untouched rules with either weights",
	},
	"ecs-service-desired-count": {
		What:      "a service created without DesiredCount starts one task, and registering its scalable target raises it to the target's minimum",
		Moto:      "creates the service with desiredCount 0 and skips the scalable target (no Application Auto Scaling in its CloudFormation)",
		CoveredBy: "lifecycle_test.go (no DesiredCount, a scalable target from minCount to maxCount); TestRedeployed checks a count set out of band survives a deploy",
	},
	"vpc-dns-hostnames": {
		What:      "DNS hostnames in the VPC (EnableDnsHostnames), which the interface endpoints' private DNS needs",
		Moto:      "ignores EnableDnsHostnames of a CloudFormation VPC: DescribeVpcAttribute shows false",
		CoveredBy: "network_test.go (VPC properties)",
	},
	"route-table-associations": {
		What:      "which route table each subnet uses (AWS::EC2::SubnetRouteTableAssociation)",
		Moto:      "records the association apart from the route table: DescribeRouteTables shows no associations",
		CoveredBy: "TestDeployedNetwork resolves each subnet's table through the deployed stack's resources and checks that table's routes; network_test.go and netcheck check the association in the template",
	},
	"ecs-service-network": {
		What:      "the service's awsvpc configuration: private subnets, no public IP, its security group",
		Moto:      "drops NetworkConfiguration of a CloudFormation ECS service: DescribeServices shows none",
		CoveredBy: "TestDeployedService resolves the deployed template's NetworkConfiguration against the account (the network stack's private subnets, DISABLED, the service's group); service_test.go checks the template",
	},
	"ecs-service-load-balancers": {
		What:      "the service's registration in the target group (container app, container port)",
		Moto:      "drops LoadBalancers of a CloudFormation ECS service",
		CoveredBy: "TestDeployedService resolves the deployed template's LoadBalancers to this stack's target group; service_test.go checks the template",
	},
	"ecs-service-deployment-strategy": {
		What:      "the service's deployment strategy (rolling, canary, linear, blue/green) with its bake time, canary and linear configuration, deployment alarms with rollback and the circuit breaker (DeploymentConfiguration)",
		Moto:      "drops DeploymentConfiguration of a CloudFormation ECS service: DescribeServices shows none",
		CoveredBy: "deployments_test.go (the configuration and the advanced load balancer configuration of each strategy in the template), report_app_test.go (the report reads back the bound validation computed), TestDeployedDeployment (the groups, rules, test listener and shift role it names, in the account)",
	},
	"ec2-instance-network-settings": {
		What:      "the NAT instance's network interface (NetworkInterfaces: public subnet 1, its security group, a public IP of its own), its source/destination check off and IMDSv2 only (MetadataOptions HttpTokens required)",
		Moto:      "ignores NetworkInterfaces, SourceDestCheck and MetadataOptions of a CloudFormation instance: it launches it in a default subnet of the default VPC, with the default VPC's group, the check on and HttpTokens optional",
		CoveredBy: "cost_test.go TestNatInstance (the template), netcheck's NAT instance model and its crafted cases (a check left on breaks the paths), and the security group's rules, which TestDeployedNetwork reads from the group itself",
	},
	"appscaling-scheduled-actions": {
		What:      "the working hours: the scalable target's scheduled actions (WorkingHoursStart, WorkingHoursEnd) in their time zone",
		Moto:      "skips AWS::ApplicationAutoScaling::ScalableTarget, and its ScheduledActions with it",
		CoveredBy: "cost_test.go TestWorkingHours (cron, time zone, 0..0 and minCount..maxCount) and the report's reading of them (report/capacity_test.go TestScheduleHours)",
	},
	"ecs-capacity-providers": {
		What:      "the cluster's FARGATE and FARGATE_SPOT capacity providers (AWS::ECS::ClusterCapacityProviderAssociations) and the service's capacity provider strategy, in every capacity mode",
		Moto:      "keeps neither: the cluster lists no capacity providers, the service no strategy",
		CoveredBy: "cost_test.go TestCapacity (each mode's strategy, no launch type, the 120 s stop timeout), TestCapacitySwitchesAreStrategyChanges (every variant: a strategy and the association the service waits for) and the report's Spot lines",
	},
	"ecs-task-fargate": {
		What:      "the task's cpu, awsvpc network mode, FARGATE compatibility and runtime platform",
		Moto:      "keeps only family, container definitions and memory of a CloudFormation task definition: no cpu, network mode bridge, EC2",
		CoveredBy: "the deployed template (TestDeployedService, TestRedeployed for the cpu change) and service_test.go",
	},
	"alb-security-group-egress": {
		What:      "the ALB's security group sends only to the service's group on the container port",
		Moto:      "skips AWS::EC2::SecurityGroupEgress and ignores the group's inline egress: the group allows all outbound",
		CoveredBy: "service_test.go (security groups) and netcheck's security group model",
	},
	"target-group-attributes": {
		What:      "the target group's deregistration delay (TargetGroupAttributes)",
		Moto:      "ignores TargetGroupAttributes: deregistration_delay.timeout_seconds stays 300",
		CoveredBy: "service_test.go (target group) and the deployed template (TestDeployedTargetGroup)",
	},
	"ecr-scan-on-push": {
		What:      "scan on push",
		Moto:      "stores ImageScanningConfiguration under a key its API does not read: scanOnPush shows false",
		CoveredBy: "service_test.go (repository) and the deployed template (TestDeployedRepository)",
	},
	"ecr-lifecycle-policy": {
		What:      "the repository's lifecycle policy",
		Moto:      "ignores LifecyclePolicy of a CloudFormation repository: GetLifecyclePolicy finds none",
		CoveredBy: "service_test.go (repository) and the deployed template (TestDeployedRepository)",
	},
	"cfn-list-imports": {
		What:      "which stacks import an export (ListImports)",
		Moto:      "does not implement ListImports",
		CoveredBy: "TestDeployedWiring reads every deployed stack's template for Fn::ImportValue",
	},
	"servicequotas-ec2": {
		What:      "the region's Elastic IP quota (EC2-VPC Elastic IPs, L-0263D0A3) from Service Quotas",
		Moto:      "answers NoSuchResourceException to GetServiceQuota for ec2 (it has the vpc quotas only) and HTTP 500 to GetAWSDefaultServiceQuota",
		CoveredBy: "preflight falls back to AWS's documented default (5) and says so (TestPreflightDeployed); preflight/messages_test.go and the fake in preflight_test.go cover the Service Quotas answers",
	},
}

// recordGap logs that a check met a known gap, for TestCoverage to list.
func recordGap(t *testing.T, id, observed string) {
	t.Helper()
	g, ok := gaps[id]
	if !ok {
		t.Fatalf("recordGap(%q): not a known gap", id)
	}
	t.Logf("moto gap %s: %s; moto %s (observed: %s); covered by: %s", id, g.What, g.Moto, observed, g.CoveredBy)
	f, err := os.OpenFile(workFile("gaps.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("recording gap %s: %v", id, err)
	}
	defer f.Close()
	line, _ := json.Marshal(map[string]string{"id": id, "test": t.Name(), "observed": observed})
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Fatalf("recording gap %s: %v", id, err)
	}
}
