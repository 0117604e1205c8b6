package main

// What CloudFormation resolves before it creates anything, evaluated for
// every region the CDK knows and for one it cannot know yet: every
// condition and every Fn::FindInMap must resolve (a mapping without the
// region and no DefaultValue rejects the whole stack), and the access-log
// bucket admits the ALB log delivery of each region.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/cfneval"
)

// testAccount is the account the evaluated deploys run in.
const testAccount = "111122223333"

// futureRegion stands for every region AWS opens after this CDK version.
const futureRegion = "xx-future-1"

type region struct {
	name, partition string
	elbAccount      string // the regional ELB account, "" where AWS has none
}

// cdkRegions is the CDK's own list of regions, read at test time so that
// it follows the CDK version, plus a made-up future region.
func cdkRegions(t *testing.T) []region {
	t.Helper()
	var out []region
	without := 0
	for _, ri := range *regioninfo.RegionInfo_Regions() {
		r := region{name: *ri.Name(), partition: "aws"}
		if p := ri.Partition(); p != nil {
			r.partition = *p
		}
		if a := ri.Elbv2Account(); a != nil {
			r.elbAccount = *a
		} else {
			without++
		}
		out = append(out, r)
	}
	if len(out) < 30 || without == 0 || without == len(out) {
		t.Fatalf("the CDK lists %d regions, %d of them without an ELB account: not the region list this check needs", len(out), without)
	}
	if regioninfo.RegionInfo_Get(jsii.String(futureRegion)).Elbv2Account() != nil {
		t.Fatalf("the CDK knows %s", futureRegion)
	}
	return append(out, region{name: futureRegion, partition: "aws"})
}

// assembly returns a synth's templates as one deploy's stacks.
func assembly(s *synthed) *cfneval.Assembly {
	names := map[string]string{
		"Registry": *s.app.Registry.StackName(),
		"Network":  *s.app.Network.StackName(),
		"Service":  *s.app.Service.StackName(),
		"Pipeline": *s.app.Pipeline.StackName(),
	}
	a := &cfneval.Assembly{}
	for _, id := range sortedIDs(s.templates) {
		name, ok := names[id]
		if !ok {
			panic("assembly: a stack this test does not know: " + id)
		}
		a.Stacks = append(a.Stacks, &cfneval.Stack{ID: id, Name: name, Template: s.templates[id]})
	}
	return a
}

// deployEnv is a deploy into region r of testAccount. It names the
// physical values the policy checks compare: bucket names and ARNs, topic
// and key ARNs, as CloudFormation would generate them.
func deployEnv(r region) cfneval.Env {
	return cfneval.Env{
		Region: r.name, Partition: r.partition, Account: testAccount,
		Physical: func(st *cfneval.Stack, id, attr string) (string, bool) {
			name := strings.ToLower(st.Name + "-" + id + "-gen")
			switch typ, _ := st.Resource(id)["Type"].(string); {
			case typ == "AWS::S3::Bucket" && attr == "":
				return name, true
			case typ == "AWS::S3::Bucket" && attr == "Arn":
				return "arn:" + r.partition + ":s3:::" + name, true
			case typ == "AWS::SNS::Topic" && (attr == "" || attr == "TopicArn"):
				return fmt.Sprintf("arn:%s:sns:%s:%s:%s", r.partition, r.name, testAccount, name), true
			case typ == "AWS::KMS::Key" && attr == "Arn":
				return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", r.partition, r.name, testAccount, name), true
			case typ == "AWS::Events::Rule" && attr == "Arn":
				return fmt.Sprintf("arn:%s:events:%s:%s:rule/%s", r.partition, r.name, testAccount, name), true
			case typ == "AWS::CloudWatch::Alarm" && attr == "Arn":
				return fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", r.partition, r.name, testAccount, name), true
			}
			return "", false
		},
	}
}

// TestRegionLookupsResolve evaluates every condition and every
// Fn::FindInMap of every stack, in every gate variant, for every region.
func TestRegionLookupsResolve(t *testing.T) {
	regions := cdkRegions(t)
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			a := assembly(synth(t, v.overrides))
			for _, st := range a.Stacks {
				failed := map[string][]string{} // failure -> regions
				var order []string
				for _, r := range regions {
					for _, err := range a.In(deployEnv(r)).Check(st) {
						msg := strings.ReplaceAll(err.Error(), r.name, "<region>")
						if failed[msg] == nil {
							order = append(order, msg)
						}
						failed[msg] = append(failed[msg], r.name)
					}
				}
				for _, msg := range order {
					t.Errorf("%s: %s\n  fails in %d of %d regions: %s", st.ID, msg, len(failed[msg]), len(regions), strings.Join(failed[msg], " "))
				}
			}
		})
	}
}

// TestAccessLogDeliveryInEveryRegion: wherever the ALB writes access logs,
// the bucket's policy, evaluated for each region, admits the principal that
// delivers them there: the log delivery service principal everywhere, and
// in the regions opened before August 2022 also the region's ELB account
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
func TestAccessLogDeliveryInEveryRegion(t *testing.T) {
	regions := cdkRegions(t)
	checked := 0
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			a := assembly(synth(t, v.overrides))
			for _, st := range a.Stacks {
				for id, res := range st.Section("Resources") {
					r := res.(map[string]any)
					if r["Type"] != "AWS::ElasticLoadBalancingV2::LoadBalancer" {
						continue
					}
					for _, reg := range regions {
						ev := a.In(deployEnv(reg))
						props, err := ev.Value(st, r["Properties"])
						if err != nil {
							t.Fatalf("%s %s in %s: %v", st.ID, id, reg.name, err)
						}
						attrs := map[string]string{}
						for _, at := range asList(props.(map[string]any)["LoadBalancerAttributes"]) {
							kv := at.(map[string]any)
							attrs[kv["Key"].(string)], _ = kv["Value"].(string)
						}
						if attrs["access_logs.s3.enabled"] != "true" {
							continue
						}
						checked++
						checkLogDelivery(t, a, ev, reg, attrs["access_logs.s3.bucket"], attrs["access_logs.s3.prefix"])
					}
				}
			}
		})
	}
	if checked == 0 {
		t.Fatal("no load balancer with access logs in any variant: the check checks nothing")
	}
}

func checkLogDelivery(t *testing.T, a *cfneval.Assembly, ev *cfneval.Evaluator, reg region, bucket, prefix string) {
	t.Helper()
	var doc any
	for _, st := range a.Stacks {
		for id, res := range st.Section("Resources") {
			r := res.(map[string]any)
			if r["Type"] != "AWS::S3::BucketPolicy" {
				continue
			}
			props, err := ev.Value(st, r["Properties"])
			if err != nil {
				t.Errorf("bucket policy %s in %s: %v", id, reg.name, err)
				continue
			}
			if p := props.(map[string]any); p["Bucket"] == bucket {
				doc = p["PolicyDocument"]
			}
		}
	}
	if doc == nil {
		t.Errorf("%s: the access-log bucket %s has no bucket policy", reg.name, bucket)
		return
	}
	object := fmt.Sprintf("arn:%s:s3:::%s/%s/AWSLogs/%s/elasticloadbalancing/%s/2026/01/31/%s_elasticloadbalancing_%s_app.demo.0123456789abcdef_20260131T0000Z_10.0.1.10_abc.log.gz",
		reg.partition, bucket, prefix, testAccount, reg.name, testAccount, reg.name)
	requests := map[string]cfneval.Request{
		"the log delivery service principal": {Service: "logdelivery.elasticloadbalancing.amazonaws.com", Action: "s3:PutObject", Resource: object},
	}
	if reg.elbAccount != "" {
		requests["the regional ELB account "+reg.elbAccount] = cfneval.Request{Account: reg.elbAccount, Action: "s3:PutObject", Resource: object}
	}
	for who, req := range requests {
		d, err := cfneval.Authorize(doc, req)
		if err != nil {
			t.Errorf("%s: access-log bucket policy: %v", reg.name, err)
		} else if !d.Allowed {
			t.Errorf("%s: the access-log bucket policy does not let %s write %s", reg.name, who, object)
		}
	}
}
