package constructs

import (
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
// stacks are environment-agnostic. Regions opened before August 2022
// deliver as their regional ELB account, newer ones as the log delivery
// service principal; a CloudFormation mapping of the regional ELB accounts
// picks the right one at deploy time, in any region.
func (b *accessLogBucket) AllowAlbLogDelivery(prefix string) constructs.IDependable {
	stack := awscdk.Stack_Of(b)
	objects := b.bucket.ArnForObjects(jsii.String(prefix + "/AWSLogs/" + *stack.Account() + "/*"))

	elbAccount := stack.RegionalFact(regioninfo.FactName_ELBV2_ACCOUNT(), jsii.String("none"))
	hasElbAccount := awscdk.NewCfnCondition(b, jsii.String("RegionHasElbAccount"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(elbAccount, jsii.String("none"))),
	})
	// In a region without an ELB account the statement names the stack's own
	// account, which can write to its bucket anyway: no grant is added.
	regional := awscdk.Fn_ConditionIf(hasElbAccount.LogicalId(),
		awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":iam::"), elbAccount, jsii.String(":root")}),
		stack.Account())

	b.bucket.AddToResourcePolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:        jsii.String("AlbLogDeliveryRegionalAccount"),
		Actions:    jsii.Strings("s3:PutObject"),
		Principals: &[]iam.IPrincipal{iam.NewArnPrincipal(regional.ToString())},
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
