//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// checkedTypes are the resource types the checks of step 3 read from the
// emulated account. If moto skipped one, those checks would have compared
// against nothing: TestCoverage fails.
var checkedTypes = []string{
	"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::Route",
	"AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
	"AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::VPCEndpoint", "AWS::EC2::FlowLog",
	"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::Logs::LogGroup", "AWS::SSM::Parameter",
	"AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ECS::TaskDefinition",
	"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::Listener",
	"AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::IAM::Role",
	"AWS::ECR::Repository", "AWS::S3::Bucket",
}

// moto says it skips a type in two ways: a warning (once per type) and a
// line per resource.
var skippedRe = regexp.MustCompile(`(?:Tried to parse (\S+) but it's not supported|No Moto CloudFormation support for (\S+))`)

// TestCoverage lists what moto did not emulate: the resource types of our
// deployed templates it skipped (from its log), the properties it dropped
// (the gaps the checks met), and the custom resources the harness did the
// work of. It fails if a type the checks rely on was skipped, or if a known
// gap was never met (moto emulates it now: make the check strict).
func TestCoverage(t *testing.T) {
	logBody, err := os.ReadFile(os.Getenv(EnvMotoLog))
	if err != nil {
		t.Fatalf("reading the moto log: %v", err)
	}
	skipped := map[string]bool{}
	for _, m := range skippedRe.FindAllStringSubmatch(string(logBody), -1) {
		skipped[m[1]+m[2]] = true
	}

	used := map[string][]string{} // type -> deployment/stack using it
	for _, d := range deployments(t) {
		for _, id := range []string{"Registry", "Network", "Service"} {
			for _, r := range d.template(t, id).Resources {
				where := d.Name + "/" + id
				if !slices.Contains(used[r.Type], where) {
					used[r.Type] = append(used[r.Type], where)
				}
			}
		}
	}
	var report strings.Builder
	fmt.Fprintln(&report, "resource types of the deployed templates that moto skipped:")
	n := 0
	for _, typ := range slices.Sorted(maps.Keys(used)) {
		if skipped[typ] {
			n++
			fmt.Fprintf(&report, "  %-46s in %s\n", typ, strings.Join(used[typ], ", "))
		}
	}
	if n == 0 {
		fmt.Fprintln(&report, "  (none)")
	}
	fmt.Fprintln(&report, "custom resources moto cannot run (no Docker); cfn-responder did their handler's work:")
	for _, typ := range slices.Sorted(maps.Keys(used)) {
		if IsCustomResource(typ) {
			fmt.Fprintf(&report, "  %-46s in %s\n", typ, strings.Join(used[typ], ", "))
		}
	}

	met := map[string]int{}
	if f, err := os.Open(workFile("gaps.jsonl")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var g struct{ ID string }
			if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
				t.Fatalf("gaps.jsonl: %v", err)
			}
			met[g.ID]++
		}
		f.Close()
	}
	fmt.Fprintln(&report, "properties moto accepts but does not emulate (checked by other means):")
	for _, id := range slices.Sorted(maps.Keys(gaps)) {
		g := gaps[id]
		fmt.Fprintf(&report, "  %s: %s\n      moto: %s\n      covered by: %s\n", id, g.What, g.Moto, g.CoveredBy)
	}
	pipeline := deployments(t)[0].template(t, "Pipeline")
	types := map[string]bool{}
	for _, r := range pipeline.Resources {
		types[r.Type] = true
	}
	fmt.Fprintf(&report, "not deployed: the PipelineStack (moto skips CodeBuild, CodePipeline and CodeStarConnections, and a Fn::GetAtt on the skipped project fails the stack); its %d resource types are covered by pipeline_test.go and iam_test.go, and TestPipelineRuns resolves its imports and walks its stages in order, doing each action's writes (push, ECS deploy, a failed smoke test's way back, image record)\n", len(types))
	t.Log("\n" + report.String())

	for _, typ := range checkedTypes {
		if skipped[typ] {
			t.Errorf("moto skipped %s, which the checks of step 3 read: they compared against nothing", typ)
		}
		if _, ok := used[typ]; !ok {
			t.Errorf("no deployed template has %s, which checkedTypes lists: the list is stale", typ)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(gaps)) {
		if met[id] == 0 {
			t.Errorf("gap %s was never met: moto emulates %s now, so the check compared it strictly; take it off gaps and docs/testing.md", id, gaps[id].What)
		}
	}
	for id := range met {
		if _, ok := gaps[id]; !ok {
			t.Errorf("gaps.jsonl names %s, which is not a known gap", id)
		}
	}
}
