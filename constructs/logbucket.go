package constructs

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	s3 "github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AccessLogBucketProps configures AccessLogBucket.
type AccessLogBucketProps struct {
	// ExpireAfterDays bounds how long log objects are kept.
	ExpireAfterDays int
}

// AccessLogBucket is an S3 bucket for ALB access logs: SSE-S3 (the only
// encryption ALB log delivery supports), SSL only, public access blocked,
// a lifecycle, and its own server access logs in a second bucket. Both are
// retained on `cdk destroy`: logs outlive the stack they describe.
type AccessLogBucket interface {
	constructs.Construct
	Bucket() s3.IBucket
	// AllowAlbLogDelivery lets Elastic Load Balancing write under prefix and
	// returns the bucket policy, which must exist before the ALB's logging
	// attribute is set.
	AllowAlbLogDelivery(prefix string) constructs.IDependable
}

type accessLogBucket struct {
	constructs.Construct
	bucket s3.Bucket
}

func (b *accessLogBucket) Bucket() s3.IBucket { return b.bucket }

// NewAccessLogBucket creates the log bucket and its server-access-log bucket.
func NewAccessLogBucket(scope constructs.Construct, id string, props *AccessLogBucketProps) AccessLogBucket {
	c := &accessLogBucket{}
	constructs.NewConstruct_Override(c, scope, &id)
	serverLogs := newPrivateBucket(c, "ServerAccessLogs", privateBucketProps{ExpireAfterDays: props.ExpireAfterDays, Retain: true})
	c.bucket = newPrivateBucket(c, "Bucket", privateBucketProps{
		ExpireAfterDays: props.ExpireAfterDays, Retain: true, ServerAccessLogs: serverLogs, LogPrefix: "access-log-bucket/",
	})
	return c
}

// AllowAlbLogDelivery writes the bucket policy by hand because the CDK's
// ApplicationLoadBalancer.logAccessLogs needs a concrete region, and these
// stacks are environment-agnostic.
//
// Who delivers the logs depends on the region (AWS, "Enable access logs for
// your Application Load Balancer", step 2, attach a policy to your S3
// bucket:
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html):
// in regions available before August 2022 the region's Elastic Load
// Balancing account, in regions available as of August 2022 or later the
// log delivery service principal logdelivery.elasticloadbalancing.amazonaws.com.
// The policy grants the service principal everywhere, and the ELB account
// of each region the CDK knows one for, each behind a condition on
// AWS::Region. There is no Fn::FindInMap keyed on the region: a mapping
// lookup without the region rejects the whole stack, and a mapping cannot
// list the regions AWS opens later. In any other region the conditions
// are all false and the statement names only the stack's own account,
// which may write to its own bucket anyway.
func (b *accessLogBucket) AllowAlbLogDelivery(prefix string) constructs.IDependable {
	stack := awscdk.Stack_Of(b)
	objects := b.bucket.ArnForObjects(jsii.String(prefix + "/AWSLogs/" + *stack.Account() + "/*"))

	principals := []iam.IPrincipal{iam.NewAccountRootPrincipal()}
	// Read once, not once per region: each is a call into the jsii kernel.
	region, noValue := awscdk.Aws_REGION(), awscdk.Aws_NO_VALUE()
	for _, r := range elbAccounts() {
		in := awscdk.NewCfnCondition(b, jsii.String("In"+camel(r.region)), &awscdk.CfnConditionProps{
			Expression: awscdk.Fn_ConditionEquals(region, jsii.String(r.region)),
		})
		// The bare account ID is the account's principal in every
		// partition (arn:<partition>:iam::<id>:root).
		principals = append(principals, iam.NewArnPrincipal(awscdk.Fn_ConditionIf(in.LogicalId(), r.account, noValue).ToString()))
	}
	b.bucket.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AlbLogDeliveryRegionalAccount"),
		Actions:    jsii.Strings("s3:PutObject"),
		Principals: &principals,
		Resources:  &[]*string{objects},
	}))
	b.bucket.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AlbLogDeliveryService"),
		Actions:    jsii.Strings("s3:PutObject"),
		Principals: &[]iam.IPrincipal{iam.NewServicePrincipal(jsii.String("logdelivery.elasticloadbalancing.amazonaws.com"), nil)},
		Resources:  &[]*string{objects},
	}))
	return b.bucket.Policy()
}

type elbAccount struct{ region, account string }

// elbAccounts are the regional ELB accounts from the CDK's region facts,
// in every partition, by region name.
func elbAccounts() []elbAccount {
	var out []elbAccount
	for region, account := range *regioninfo.RegionInfo_RegionMap(regioninfo.FactName_ELBV2_ACCOUNT()) {
		if account != nil && *account != "" {
			out = append(out, elbAccount{region, *account})
		}
	}
	slices.SortFunc(out, func(a, b elbAccount) int { return strings.Compare(a.region, b.region) })
	return out
}

// camel turns a region name into a construct ID part: eu-west-1 -> EuWest1.
func camel(s string) string {
	var out strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part != "" {
			out.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return out.String()
}
