package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	ssm "github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	cr "github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/nag"
)

// CreateOnlyParameterProps configures CreateOnlyParameter.
type CreateOnlyParameterProps struct {
	// Name is the parameter's name, e.g. "/demo/dev/image-uri".
	Name string
	// Initial is the String value it is created with.
	Initial     string
	Description string
	// RetentionDays and LogKey are the provider function's log group's.
	RetentionDays int
	LogKey        kms.IKey
}

// CreateOnlyParameter is an SSM String parameter that CloudFormation
// creates once and never writes again, for a value that something else
// owns after the first deploy (the released image, which the pipeline
// records).
//
// An AWS::SSM::Parameter cannot be that: CloudFormation calls PutParameter
// with the template's value whenever one of its properties changes, and a
// change of the stack's tags is one (`cdk deploy --tags`, Tags.of(app);
// aws/aws-cdk#25949). Here the CDK's AwsCustomResource puts the parameter
// on create with Overwrite false, and a parameter that is already there
// (left by an earlier stack) stays as it is; there is no update call, so no
// template change reaches the value; delete removes the parameter with its
// stack, as CloudFormation would.
type CreateOnlyParameter interface {
	constructs.Construct
	// Parameter is the parameter by name, for grants and readers.
	Parameter() ssm.IStringParameter
}

type createOnlyParameter struct {
	constructs.Construct
	param ssm.IStringParameter
}

func (p *createOnlyParameter) Parameter() ssm.IStringParameter { return p.param }

// NewCreateOnlyParameter creates the custom resource and its grants.
func NewCreateOnlyParameter(scope constructs.Construct, id string, props *CreateOnlyParameterProps) CreateOnlyParameter {
	p := &createOnlyParameter{}
	constructs.NewConstruct_Override(p, scope, &id)
	p.param = ssm.StringParameter_FromStringParameterName(p, jsii.String("Parameter"), jsii.String(props.Name))
	cr.NewAwsCustomResource(p, jsii.String("Resource"), &cr.AwsCustomResourceProps{
		ResourceType: jsii.String("Custom::CreateOnlyParameter"),
		OnCreate: &cr.AwsSdkCall{
			Service: jsii.String("SSM"),
			Action:  jsii.String("PutParameter"),
			Parameters: map[string]any{
				"Name": props.Name, "Value": props.Initial, "Type": "String", "Overwrite": false,
				"Description": props.Description,
			},
			PhysicalResourceId:       cr.PhysicalResourceId_Of(jsii.String(props.Name)),
			IgnoreErrorCodesMatching: jsii.String("^ParameterAlreadyExists$"),
		},
		// No OnUpdate: a change of this resource never writes the value.
		OnDelete: &cr.AwsSdkCall{
			Service:                  jsii.String("SSM"),
			Action:                   jsii.String("DeleteParameter"),
			Parameters:               map[string]any{"Name": props.Name},
			IgnoreErrorCodesMatching: jsii.String("^ParameterNotFound$"),
		},
		Policy: cr.AwsCustomResourcePolicy_FromStatements(&[]iam.PolicyStatement{iam.NewPolicyStatement(&iam.PolicyStatementProps{
			Actions:   jsii.Strings("ssm:PutParameter", "ssm:DeleteParameter"),
			Resources: jsii.Strings(*p.param.ParameterArn()),
		})}),
		// The handler's own SDK: no npm install at deploy time.
		InstallLatestAwsSdk: jsii.Bool(false),
		// Encrypted and expiring like every log group of the app (the
		// CDK's own would be neither).
		LogGroup: NewLogGroup(p, "Logs", props.RetentionDays, props.LogKey),
		Timeout:  awscdk.Duration_Minutes(jsii.Number(2)),
	})
	// The CDK's singleton provider function is the stack's child.
	provider := awscdk.Stack_Of(p).Node().TryFindChild(jsii.String("AWS679f53fac002430cb0da5b7982bd2287"))
	if provider == nil {
		panic("CreateOnlyParameter: the AwsCustomResource provider function is not where the CDK puts it")
	}
	nag.Suppress(provider.Node().FindChild(jsii.String("ServiceRole")), "AwsSolutions-IAM4", "The CDK's AwsCustomResource provider writes only its own CloudWatch Logs with AWSLambdaBasicExecutionRole; its SSM access is the inline policy on the one parameter",
		nag.Finding{Exact: "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"})
	return p
}
