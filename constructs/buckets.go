package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	s3 "github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// privateBucketProps is what varies between the app's buckets.
type privateBucketProps struct {
	// Key encrypts with SSE-KMS; nil means SSE-S3, which ALB access logs and
	// server access logs require.
	Key kms.IKey
	// ExpireAfterDays bounds how long objects are kept.
	ExpireAfterDays int
	// Retain keeps the bucket on `cdk destroy`; otherwise it is emptied
	// and deleted with its stack.
	Retain bool
	// ServerAccessLogs, when set, receives this bucket's access logs.
	ServerAccessLogs s3.IBucket
	LogPrefix        string
}

// newPrivateBucket is the one shape of every bucket the app creates:
// encrypted, SSL only, public access blocked, objects owned by the bucket
// owner, versioned, and expiring by lifecycle.
func newPrivateBucket(scope constructs.Construct, id string, p privateBucketProps) s3.Bucket {
	props := &s3.BucketProps{
		Encryption:        s3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: s3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   s3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		LifecycleRules: &[]*s3.LifecycleRule{{
			Id:                                  jsii.String("Expire"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(p.ExpireAfterDays)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(7)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		AutoDeleteObjects: jsii.Bool(!p.Retain),
	}
	if !p.Retain {
		props.RemovalPolicy = awscdk.RemovalPolicy_DESTROY
	}
	if p.Key != nil {
		props.Encryption, props.EncryptionKey, props.BucketKeyEnabled = s3.BucketEncryption_KMS, p.Key, jsii.Bool(true)
	}
	if p.ServerAccessLogs != nil {
		props.ServerAccessLogsBucket, props.ServerAccessLogsPrefix = p.ServerAccessLogs, jsii.String(p.LogPrefix)
	}
	return s3.NewBucket(scope, &id, props)
}

// ArtifactStoreProps configures ArtifactStore.
type ArtifactStoreProps struct {
	// Retain keeps the artifacts and their access logs on `cdk destroy`;
	// otherwise they are emptied and deleted.
	Retain bool
	// Key encrypts the artifacts (NewEnvironmentKey, retained when the
	// artifacts are).
	Key kms.IKey
	// LogRetentionDays bounds the access logs; artifacts expire after 30 days.
	LogRetentionDays int
}

// ArtifactStore is where the pipeline keeps its artifacts (the source, the
// image definitions): a bucket under the environment's KMS key, which the
// build project uses for its output too, with server access logs.
type ArtifactStore interface {
	constructs.Construct
	Bucket() s3.IBucket
}

type artifactStore struct {
	constructs.Construct
	bucket s3.Bucket
}

func (a *artifactStore) Bucket() s3.IBucket { return a.bucket }

// NewArtifactStore creates the bucket and its access-log bucket.
func NewArtifactStore(scope constructs.Construct, id string, props *ArtifactStoreProps) ArtifactStore {
	a := &artifactStore{}
	constructs.NewConstruct_Override(a, scope, &id)
	logs := newPrivateBucket(a, "AccessLogs", privateBucketProps{ExpireAfterDays: props.LogRetentionDays, Retain: props.Retain})
	a.bucket = newPrivateBucket(a, "Bucket", privateBucketProps{
		Key: props.Key, ExpireAfterDays: 30, Retain: props.Retain, ServerAccessLogs: logs, LogPrefix: "artifacts/",
	})
	return a
}
