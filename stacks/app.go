// Package stacks assembles the app's CloudFormation stacks: the
// RegistryStack (ECR and the released image, which outlive `make destroy`),
// the NetworkStack (VPC and egress), the ServiceStack (Fargate, ALB) and the
// PipelineStack (CodePipeline from a git push to an ECS deploy).
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/cdkdemo/fargate/config"
)

// BuiltinValidation turns the CDK's built-in CloudFormation validation (a
// cfn-lint compiled to WebAssembly, run on every synth) on or off. It is off:
// it took 2 of the 5 seconds of a warm `cdk synth`, and `make test` runs
// the real cfn-lint, and cfn-guard, over every golden template.
const BuiltinValidation = false

// App holds the stacks of one environment.
type App struct {
	Registry RegistryStack
	Network  NetworkStack
	Service  ServiceStack
	Pipeline PipelineStack
}

// Build creates every stack of the configured environment in scope. It is
// the one place main.go and the tests share, so tests check what `cdk
// synth` deploys.
func Build(scope constructs.Construct, cfg config.Config) App {
	env := environment(cfg)
	props := func(part, description string) awscdk.StackProps {
		return awscdk.StackProps{
			Env:         env,
			StackName:   jsii.String(cfg.StackName(part)),
			Description: jsii.String(description),
			Tags:        &map[string]*string{"app": jsii.String(cfg.AppName), "environment": jsii.String(cfg.Environment)},
		}
	}
	registry := NewRegistryStack(scope, "Registry", &RegistryStackProps{
		StackProps:         props("registry", "ECR repository and released image of "+cfg.ResourcePrefix()+"; kept by make destroy"),
		Service:            cfg.Service,
		RepositoryName:     cfg.ResourcePrefix(),
		ImageParameterName: cfg.ImageParameterName(),
		RetainKey:          !cfg.Pipeline.AutoDeleteArtifacts,
		AlarmTopicStack:    cfg.StackName("service"),
	})
	network := NewNetworkStack(scope, "Network", &NetworkStackProps{
		StackProps:         props("network", "VPC, subnets and egress of "+cfg.ResourcePrefix()),
		Network:            cfg.Network,
		InterfaceEndpoints: cfg.InterfaceEndpoints(),
		PlaceholderImage:   cfg.Service.PlaceholderImage,
		PullThroughPrefix:  cfg.PullThroughPrefix(),
		Key:                registry.Key(),
		Architecture:       cfg.Service.Architecture,
		// The placeholder's SSM hand-off in the endpoints mode.
		PlaceholderParameterName: cfg.PlaceholderParameterName(),
	})
	service := NewServiceStack(scope, "Service", &ServiceStackProps{
		StackProps:               props("service", "Fargate service and ALB of "+cfg.ResourcePrefix()),
		Service:                  cfg.Service,
		Vpc:                      network.Vpc(),
		VpcCidr:                  cfg.Network.VpcCidr,
		Repository:               registry.Repository(),
		ImageParameterName:       cfg.ImageParameterName(),
		PlaceholderImage:         network.PlaceholderImage(),
		PlaceholderParameterName: network.PlaceholderParameter(),
		PullThroughRepositoryArn: network.PullThroughRepositoryArn(),
		Name:                     cfg.ResourcePrefix(),
		Key:                      registry.Key(),
	})
	// The image parameter is read by name, not by reference: it must exist
	// before the service's first deploy.
	service.AddStackDependency(registry, jsii.String("the image parameter must exist before the service reads it"))
	pipeline := NewPipelineStack(scope, "Pipeline", &PipelineStackProps{
		StackProps:       props("pipeline", "CodePipeline from "+cfg.Pipeline.Repository+" to the Fargate service of "+cfg.ResourcePrefix()),
		Pipeline:         cfg.Pipeline,
		Arm64:            cfg.Service.Architecture == "ARM64",
		LogRetentionDays: cfg.Service.LogRetentionDays,
		ConnectionName:   cfg.ConnectionName(),
		Repository:       registry.Repository(),
		BuildCache:       registry.BuildCache(),
		Service:          service.Service(),
		TaskDef:          service.TaskDefinition(),
		ContainerName:    service.ContainerName(),
		FailureTopic:     service.AlarmTopic(),
		ServiceURL:       service.URL(),
		HealthCheckPath:  cfg.Service.HealthCheck.Path,
		ImageParameter:   registry.ImageParameter(),
		Key:              registry.Key(),
	})
	// The AWS Solutions rules run on every synth, in `cdk synth` and in the
	// tests alike; an unsuppressed finding fails `cdk synth`.
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return App{Registry: registry, Network: network, Service: service, Pipeline: pipeline}
}

// environment pins the stacks to an account and region only when the
// configuration says so; otherwise they stay environment-agnostic and synth
// needs no credentials.
func environment(cfg config.Config) *awscdk.Environment {
	if cfg.Account == "" && cfg.Region == "" {
		return nil
	}
	env := &awscdk.Environment{}
	if cfg.Account != "" {
		env.Account = jsii.String(cfg.Account)
	}
	if cfg.Region != "" {
		env.Region = jsii.String(cfg.Region)
	}
	return env
}
