package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	acm "github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	ec2 "github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	ecr "github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	ecs "github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	iam "github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	kms "github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	route53 "github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	r53targets "github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	secretsmanager "github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	sns "github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	ssm "github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	appconstructs "github.com/cdkdemo/fargate/constructs"
	"github.com/cdkdemo/fargate/nag"
)

// ContainerName names the application container. The task definition and
// the pipeline's imagedefinitions.json both use this one value: the ECS
// deploy action finds the container to update by this name.
const ContainerName = "app"

// ServiceStackProps configures the service of one environment.
type ServiceStackProps struct {
	awscdk.StackProps
	Service config.Service
	// Vpc is the NetworkStack's VPC, with Public and Private subnet groups.
	Vpc ec2.IVpc
	// VpcCidr is the VPC's configured CIDR (config.Network.VpcCidr).
	VpcCidr string
	// Repository is the RegistryStack's ECR repository.
	Repository ecr.IRepository
	// ImageParameterName is the RegistryStack's SSM parameter that records
	// the released image; it is resolved again at every deploy.
	ImageParameterName string
	// PlaceholderImage runs until the first release (NetworkStack.PlaceholderImage).
	PlaceholderImage string
	// PlaceholderParameterName, when not empty, is the SSM parameter that
	// holds the placeholder instead (NetworkStack.PlaceholderParameter).
	PlaceholderParameterName string
	// PullThroughRepositoryArn, when not empty, is where the placeholder
	// image is pulled through in the endpoints mode.
	PullThroughRepositoryArn string
	// Name names what people look for in the console: the task definition
	// family, e.g. "demo-dev". Environments in one account then keep their
	// revisions apart.
	Name string
	// Key encrypts the container's logs and the alarm topic (the
	// RegistryStack's environment key).
	Key kms.IKey
}

// ServiceStack runs the application: a Fargate service in the private
// subnets, and the ALB in front, whose security group is the tasks' only way
// in.
type ServiceStack interface {
	awscdk.Stack
	// Service is what the pipeline's ECS deploy action updates.
	Service() ecs.IBaseService
	// ContainerName is the container the deploy action updates.
	ContainerName() string
	// AlarmTopic receives the alarms, and the pipeline's failures.
	AlarmTopic() sns.ITopic
	// URL is where the service answers.
	URL() string
	// TaskDefinition is the task the service runs; the deploy action
	// registers new revisions of its family and passes its roles.
	TaskDefinition() ecs.TaskDefinition
}

type serviceStack struct {
	awscdk.Stack
	service ecs.FargateService
	taskDef ecs.FargateTaskDefinition
	topic   sns.Topic
	url     string
}

func (s *serviceStack) Service() ecs.IBaseService          { return s.service }
func (s *serviceStack) ContainerName() string              { return ContainerName }
func (s *serviceStack) AlarmTopic() sns.ITopic             { return s.topic }
func (s *serviceStack) URL() string                        { return s.url }
func (s *serviceStack) TaskDefinition() ecs.TaskDefinition { return s.taskDef }

// zoneNameMetadata is the alias record's metadata key for hostedZoneName;
// preflight.ZoneNameMetadata reads it (its tests read the golden template).
const zoneNameMetadata = "preflight:hostedZoneName"

// NewServiceStack builds the cluster, task definition, service, load
// balancer, autoscaling and alarms.
func NewServiceStack(scope constructs.Construct, id string, props *ServiceStackProps) ServiceStack {
	s := &serviceStack{}
	awscdk.NewStack_Override(s, scope, &id, &props.StackProps)
	stack := s.Stack
	cfg := props.Service
	public := &ec2.SubnetSelection{SubnetGroupName: jsii.String(PublicSubnets)}
	private := &ec2.SubnetSelection{SubnetGroupName: jsii.String(PrivateSubnets)}

	cluster := ecs.NewCluster(stack, jsii.String("Cluster"), &ecs.ClusterProps{
		Vpc:                 props.Vpc,
		ContainerInsightsV2: ecs.ContainerInsights_ENABLED,
	})

	taskDef := newTaskDefinition(stack, props)
	s.taskDef = taskDef

	// Security groups: the ALB admits the listener ports from the allowed
	// CIDRs and may only talk to the service; the service admits only the
	// ALB, on the container port, and never a CIDR.
	albSG := ec2.NewSecurityGroup(stack, jsii.String("AlbSecurityGroup"), &ec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("ALB: listener ports from the allowed CIDRs; egress only to the service"),
		AllowAllOutbound: jsii.Bool(false),
	})
	serviceSG := ec2.NewSecurityGroup(stack, jsii.String("ServiceSecurityGroup"), &ec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("Fargate tasks: ingress only from the ALB on the container port"),
		AllowAllOutbound: jsii.Bool(true),
	})
	if slices.Contains(cfg.AllowedCidrs, "0.0.0.0/0") {
		nag.Suppress(albSG, "AwsSolutions-EC23", "The ALB is the public entry point of a web service: it admits only its listener ports (80, and 443 with HTTPS) from allowedCidrs, which is 0.0.0.0/0 for a public site; the tasks behind it admit only the ALB's security group")
	}
	listenerPorts := []float64{80}
	if cfg.HTTPS() {
		listenerPorts = append(listenerPorts, 443)
	}
	for _, cidr := range cfg.AllowedCidrs {
		for _, p := range listenerPorts {
			albSG.AddIngressRule(ec2.Peer_Ipv4(jsii.String(cidr)), ec2.Port_Tcp(jsii.Number(p)), jsii.String(fmt.Sprintf("Listener %v from %s", p, cidr)), nil)
		}
	}

	serviceProps := &ecs.FargateServiceProps{
		Cluster:        cluster,
		TaskDefinition: taskDef,
		// No DesiredCount: CloudFormation would set it again on every
		// update, undoing what autoscaling chose. A new service starts with
		// one task, and registering the scalable target raises it to
		// minCount at once (Application Auto Scaling keeps the count inside
		// its range whenever the target is registered).
		VpcSubnets:             private,
		AssignPublicIp:         jsii.Bool(false),
		SecurityGroups:         &[]ec2.ISecurityGroup{serviceSG},
		HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(cfg.HealthCheckGracePeriodSeconds)),
		EnableExecuteCommand:   jsii.Bool(cfg.EnableExec),
		PlatformVersion:        ecs.FargatePlatformVersion_LATEST,
		// On-demand, Spot or both (constructs/capacity.go).
		CapacityProviderStrategies: appconstructs.CapacityProviderStrategies(cfg.Capacity, cfg.OnDemandBaseCount),
		PropagateTags:              ecs.PropagatedTagSource_SERVICE,
	}
	// The strategy, its knobs, the circuit breaker.
	appconstructs.DeploymentOptions(serviceProps, cfg.Rollout)
	s.service = ecs.NewFargateService(stack, jsii.String("Service"), serviceProps)

	// The task definition references the roles, not their policies: without
	// this, an update that adds a grant (a new secret) can start tasks
	// before the grant exists (aws/aws-cdk#18675).
	for _, role := range []iam.IRole{taskDef.ExecutionRole(), taskDef.TaskRole()} {
		if policy := role.Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
			s.service.Node().AddDependency(policy)
		}
	}

	appconstructs.AssociateFargateCapacityProviders(stack, cluster, s.service)
	if cfg.EnableExec {
		nag.Suppress(nag.DefaultPolicy(taskDef.TaskRole()), "AwsSolutions-IAM5", "ECS Exec, turned on by enableExec: the ssmmessages actions have no resource types and are authorized only on *", nag.Finding{Exact: "Resource::*"})
	}

	alb := elbv2.NewApplicationLoadBalancer(stack, jsii.String("Alb"), &elbv2.ApplicationLoadBalancerProps{
		Vpc:                     props.Vpc,
		InternetFacing:          jsii.Bool(true),
		VpcSubnets:              public,
		SecurityGroup:           albSG,
		DropInvalidHeaderFields: jsii.Bool(true),
		DeletionProtection:      jsii.Bool(cfg.DeletionProtection),
	})
	if !cfg.AccessLogs {
		nag.Suppress(alb, "AwsSolutions-ELB2", "Access logs are turned off for this environment by its accessLogs setting")
	}
	if cfg.AccessLogs {
		logs := appconstructs.NewAccessLogBucket(stack, "AccessLogs", &appconstructs.AccessLogBucketProps{ExpireAfterDays: cfg.LogRetentionDays})
		const prefix = "alb"
		policy := logs.AllowAlbLogDelivery(prefix)
		alb.SetAttribute(jsii.String("access_logs.s3.enabled"), jsii.String("true"))
		alb.SetAttribute(jsii.String("access_logs.s3.bucket"), logs.Bucket().BucketName())
		alb.SetAttribute(jsii.String("access_logs.s3.prefix"), jsii.String(prefix))
		alb.Node().AddDependency(policy)
	}

	tgProps := targetGroupProps(props)
	targetGroup := elbv2.NewApplicationTargetGroup(stack, jsii.String("TargetGroup"), tgProps)
	production, certificate, url := newListeners(stack, alb, cfg)
	s.url = url
	// Production traffic through a rule on the production listener; for
	// blue/green, canary and linear an alternate target group and a test
	// listener too, and the role ECS shifts traffic between them with.
	trafficProps := &appconstructs.TrafficProps{
		VpcCidr: props.VpcCidr, LoadBalancer: alb, Listener: production, TargetGroup: targetGroup,
		Certificate: certificate, TestListenerCidrs: cfg.Rollout.TestListenerCidrs,
	}
	if cfg.Rollout.Strategy.ECS().Shifts() {
		trafficProps.AlternateTargetGroupProps = tgProps
	}
	traffic := appconstructs.NewTraffic(stack, "Traffic", trafficProps)
	// Registers the tasks by IP and opens ALB -> service on the container
	// port, in both security groups.
	traffic.Attach(s.service, ContainerName, float64(cfg.ContainerPort))

	scaling := s.service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(cfg.MinCount),
		MaxCapacity: jsii.Number(cfg.MaxCount),
	})
	scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &ecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(cfg.ScaleCpuPercent),
	})
	// One policy per target group: the group production traffic is not
	// in has no requests, and Application Auto Scaling scales in only when
	// every policy agrees, so the group with the traffic decides.
	for i, tg := range traffic.TargetGroups() {
		id := "Requests"
		if i > 0 {
			id = "RequestsAlternate"
		}
		scaling.ScaleOnRequestCount(jsii.String(id), &ecs.RequestCountScalingProps{
			RequestsPerTarget: jsii.Number(cfg.ScaleRequestsPerTarget),
			TargetGroup:       tg,
		})
	}
	appconstructs.ScaleOnSchedule(scaling, cfg.Schedule, cfg.MinCount, cfg.MaxCount)

	s.topic = appconstructs.NewAlarmTopic(stack, "Alarms", &appconstructs.AlarmTopicProps{Email: cfg.AlarmEmail, Key: props.Key})
	appconstructs.NewServiceAlarms(stack, "ServiceAlarms", &appconstructs.ServiceAlarmsProps{
		Topic: s.topic, LoadBalancer: alb, TargetGroups: traffic.TargetGroups(), Service: s.service, Cluster: cluster,
	})
	if cfg.Rollout.Alarms {
		appconstructs.NewRollbackAlarms(stack, "RollbackAlarms", &appconstructs.RollbackAlarmsProps{
			Service: s.service, Topic: s.topic, TargetGroups: traffic.TargetGroups(), Rollout: cfg.Rollout, NamePrefix: props.Name,
		})
	}

	awscdk.NewCfnOutput(stack, jsii.String("ServiceUrl"), &awscdk.CfnOutputProps{
		Value:       jsii.String(s.url),
		Description: jsii.String("Where the service answers"),
	})
	return s
}

// targetGroupProps is the service's target group: the primary one, and the
// alternate copy of the traffic-shifting strategies.
func targetGroupProps(props *ServiceStackProps) *elbv2.ApplicationTargetGroupProps {
	cfg := props.Service
	port := jsii.Number(cfg.ContainerPort)
	hc := cfg.HealthCheck
	return &elbv2.ApplicationTargetGroupProps{
		Vpc:        props.Vpc,
		TargetType: elbv2.TargetType_IP, // awsvpc tasks register by IP
		Port:       port,
		Protocol:   elbv2.ApplicationProtocol_HTTP,
		HealthCheck: &elbv2.HealthCheck{
			Path:                    jsii.String(hc.Path),
			Interval:                awscdk.Duration_Seconds(jsii.Number(hc.IntervalSeconds)),
			Timeout:                 awscdk.Duration_Seconds(jsii.Number(hc.TimeoutSeconds)),
			HealthyThresholdCount:   jsii.Number(hc.HealthyThreshold),
			UnhealthyThresholdCount: jsii.Number(hc.UnhealthyThreshold),
			HealthyHttpCodes:        jsii.String(hc.Matcher),
		},
		DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(cfg.DeregistrationDelaySeconds)),
	}
}

// newListeners creates the production listener (80, or 443 with 80
// redirecting to it and the alias record), answering 404 by default: the
// traffic rules come from constructs.NewTraffic.
func newListeners(stack awscdk.Stack, alb elbv2.ApplicationLoadBalancer, cfg config.Service) (production elbv2.ApplicationListener, certificate elbv2.IListenerCertificate, url string) {
	if cfg.HTTPS() {
		zone := route53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &route53.HostedZoneAttributes{
			HostedZoneId: jsii.String(cfg.HostedZoneId),
			ZoneName:     jsii.String(strings.TrimSuffix(cfg.HostedZoneName, ".")),
		})
		cert := acm.NewCertificate(stack, jsii.String("Certificate"), &acm.CertificateProps{
			DomainName: jsii.String(cfg.DomainName),
			Validation: acm.CertificateValidation_FromDns(zone),
		})
		certificate = elbv2.ListenerCertificate_FromCertificateManager(cert)
		production = alb.AddListener(jsii.String("Https"), &elbv2.BaseApplicationListenerProps{
			Port:          jsii.Number(443),
			Protocol:      elbv2.ApplicationProtocol_HTTPS,
			Certificates:  &[]elbv2.IListenerCertificate{certificate},
			SslPolicy:     elbv2.SslPolicy_RECOMMENDED_TLS,
			Open:          jsii.Bool(false),
			DefaultAction: appconstructs.NotFoundAction(),
		})
		alb.AddListener(jsii.String("Http"), &elbv2.BaseApplicationListenerProps{
			Port:     jsii.Number(80),
			Protocol: elbv2.ApplicationProtocol_HTTP,
			Open:     jsii.Bool(false),
			DefaultAction: elbv2.ListenerAction_Redirect(&elbv2.RedirectOptions{
				Protocol: jsii.String("HTTPS"), Port: jsii.String("443"), Permanent: jsii.Bool(true),
			}),
		})
		alias := route53.NewARecord(stack, jsii.String("Alias"), &route53.ARecordProps{
			Zone:       zone,
			RecordName: jsii.String(cfg.DomainName),
			Target:     route53.RecordTarget_FromAlias(r53targets.NewLoadBalancerTarget(alb, nil)),
		})
		// The zone's name is in no CloudFormation property: record it, so
		// preflight can check that hostedZoneId is that zone.
		alias.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String(zoneNameMetadata), strings.TrimSuffix(cfg.HostedZoneName, "."))
		url = "https://" + cfg.DomainName
	} else {
		production = alb.AddListener(jsii.String("Http"), &elbv2.BaseApplicationListenerProps{
			Port:          jsii.Number(80),
			Protocol:      elbv2.ApplicationProtocol_HTTP,
			Open:          jsii.Bool(false),
			DefaultAction: appconstructs.NotFoundAction(),
		})
		url = "http://" + *alb.LoadBalancerDnsName()
	}
	return production, certificate, url
}

// newTaskDefinition is the Fargate task: one application container whose
// image is read from the SSM parameter at every deploy, so neither the first
// deploy (placeholder) nor a later one (the pipeline's image) depends on a
// fixed string in the template.
func newTaskDefinition(stack awscdk.Stack, props *ServiceStackProps) ecs.FargateTaskDefinition {
	cfg := props.Service
	arch := ecs.CpuArchitecture_X86_64()
	if cfg.Architecture == "ARM64" {
		arch = ecs.CpuArchitecture_ARM64()
	}
	taskDef := ecs.NewFargateTaskDefinition(stack, jsii.String("TaskDefinition"), &ecs.FargateTaskDefinitionProps{
		Family:          jsii.String(props.Name),
		Cpu:             jsii.Number(cfg.Cpu),
		MemoryLimitMiB:  jsii.Number(cfg.MemoryMiB),
		RuntimePlatform: &ecs.RuntimePlatform{OperatingSystemFamily: ecs.OperatingSystemFamily_LINUX(), CpuArchitecture: arch},
	})
	execRole := taskDef.ObtainExecutionRole()
	props.Repository.GrantPull(execRole)
	nag.Suppress(nag.DefaultPolicy(execRole), "AwsSolutions-IAM5", "ecr:GetAuthorizationToken is authorized only on *; image pulls are limited to this repository", nag.Finding{Exact: "Resource::*"})
	if props.PullThroughRepositoryArn != "" {
		// The first pull through the cache creates the repository and imports
		// the image from ECR Public on the task's behalf.
		execRole.AddToPrincipalPolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
			Sid:       jsii.String("PullPlaceholderThroughCache"),
			Actions:   jsii.Strings("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"),
			Resources: jsii.Strings(props.PullThroughRepositoryArn),
		}))
		nag.Suppress(nag.DefaultPolicy(execRole), "AwsSolutions-IAM5", "The pull-through cache creates one repository per upstream image under this app's own prefix, on the first pull", nag.Finding{Regex: `/^Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository\/[a-z0-9-]+-ecr-public\/\*$/`})
	}

	// The app's contract: listen on $PORT, answer the health check at
	// $HEALTH_CHECK_PATH.
	if arn, ok := privateEcrRepositoryArn(cfg.PlaceholderImage); ok {
		// A placeholder in a private ECR repository is pulled with the
		// execution role too: that repository only, for pulls.
		execRole.AddToPrincipalPolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
			Sid:       jsii.String("PullPlaceholder"),
			Actions:   jsii.Strings("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"),
			Resources: jsii.Strings(arn),
		}))
	}

	env := map[string]*string{
		"PORT":              jsii.String(strconv.Itoa(cfg.ContainerPort)),
		"HEALTH_CHECK_PATH": jsii.String(cfg.HealthCheck.Path),
	}
	for k, v := range cfg.Environment {
		env[k] = jsii.String(v)
	}
	secrets := map[string]ecs.Secret{}
	for name, arn := range cfg.Secrets {
		secrets[name] = containerSecret(stack, name, arn)
	}
	grantSecretsAsGiven(execRole, cfg.Secrets)
	var sysctls *[]*ecs.SystemControl
	if cfg.ContainerPort < 1024 {
		// Lets a non-root process bind a port below 1024 in the task's own
		// network namespace, as Docker allows by default.
		sysctls = &[]*ecs.SystemControl{{Namespace: jsii.String("net.ipv4.ip_unprivileged_port_start"), Value: jsii.String("0")}}
	}
	nag.Suppress(taskDef, "AwsSolutions-ECS2", "The environment holds PORT, HEALTH_CHECK_PATH and the non-secret values of the environment setting; secrets reach the container through its secrets, from Secrets Manager or SSM")
	container := taskDef.AddContainer(jsii.String(ContainerName), &ecs.ContainerDefinitionOptions{
		ContainerName: jsii.String(ContainerName),
		Image:         ecs.ContainerImage_FromRegistry(releasedImage(stack, props), nil),
		Essential:     jsii.Bool(true),
		// The container may use all of the task's memory and no more, and
		// writes only to its scratch volumes.
		MemoryLimitMiB:         jsii.Number(cfg.MemoryMiB),
		ReadonlyRootFilesystem: jsii.Bool(true),
		StopTimeout:            appconstructs.StopTimeout(cfg.Capacity),
		PortMappings:           &[]*ecs.PortMapping{{ContainerPort: jsii.Number(cfg.ContainerPort), Protocol: ecs.Protocol_TCP, Name: jsii.String("http")}},
		Environment:            &env,
		Secrets:                &secrets,
		SystemControls:         sysctls,
		Logging: ecs.LogDriver_AwsLogs(&ecs.AwsLogDriverProps{
			StreamPrefix: jsii.String(ContainerName),
			LogGroup:     appconstructs.NewLogGroup(stack, "Logs", cfg.LogRetentionDays, props.Key),
		}),
	})
	// With ECS Exec, the exec agent's directories are among them.
	for _, p := range cfg.ScratchPaths() {
		name := "scratch" + strings.ReplaceAll(p, "/", "-")
		taskDef.AddVolume(&ecs.Volume{Name: jsii.String(name)})
		container.AddMountPoints(&ecs.MountPoint{SourceVolume: jsii.String(name), ContainerPath: jsii.String(p), ReadOnly: jsii.Bool(false)})
	}
	return taskDef
}

// releasedImage is the image the task runs: the one the pipeline last
// released, read from the parameter at every deploy, or the placeholder
// while the parameter still says NoRelease. The placeholder is decided here,
// from this deploy's network, and never written to the parameter: changing
// the egress mode or the placeholder cannot undo a release.
func releasedImage(stack awscdk.Stack, props *ServiceStackProps) *string {
	released := ssm.StringParameter_ValueForStringParameter(stack, jsii.String(props.ImageParameterName), nil)
	placeholder := props.PlaceholderImage
	if props.PlaceholderParameterName != "" {
		placeholder = *ssm.StringParameter_ValueForStringParameter(stack, jsii.String(props.PlaceholderParameterName), nil)
	}
	none := awscdk.NewCfnCondition(stack, jsii.String("NoReleaseYet"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(released, jsii.String(NoRelease)),
	})
	return awscdk.Fn_ConditionIf(none.LogicalId(), jsii.String(placeholder), released).ToString()
}

var privateEcrImage = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9._/-]+?)(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})?$`)

// privateEcrRepositoryArn is the repository ARN of an image in a private
// ECR registry, such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.
func privateEcrRepositoryArn(image string) (string, bool) {
	m := privateEcrImage.FindStringSubmatch(image)
	if m == nil {
		return "", false
	}
	partition := "aws"
	if m[3] != "" {
		partition = "aws-cn"
	}
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition, m[2], m[1], m[4]), true
}

// containerSecret imports a configured secret by ARN. The container's
// secrets grant the execution role read access to exactly these ARNs.
func containerSecret(scope constructs.Construct, name, arn string) ecs.Secret {
	id := jsii.String("Secret" + name)
	if strings.Contains(arn, ":ssm:") {
		// The stacks are environment-agnostic, so the CDK cannot tell whether
		// the parameter's account is the stack's own and warns on every ARN.
		awscdk.Annotations_Of(scope).AcknowledgeWarning(jsii.String("aws-cdk-lib/aws-ssm:crossAccountReferenceSameRegion"),
			jsii.String("secrets are read by ARN; a parameter shared from another account must be in the stack's region, as docs/service.md says"))
		return ecs.Secret_FromSsmParameter(ssm.StringParameter_FromStringParameterArn(scope, id, jsii.String(arn)))
	}
	// A partial ARN (the name alone) and a complete one (the name, a hyphen
	// and six random characters) cannot be told apart: a name such as
	// app-config ends in a hyphen and six characters too. Imported as
	// partial, the container's grant covers the ARN plus any six
	// characters; grantSecretsAsGiven covers the ARN itself.
	return ecs.Secret_FromSecretsManager(secretsmanager.Secret_FromSecretPartialArn(scope, id, jsii.String(arn)), nil)
}

// grantSecretsAsGiven lets the execution role read the configured Secrets
// Manager ARNs exactly as given: the complete ones among them. The
// container's secrets grant the same ARNs with any six-character suffix,
// the partial ones (containerSecret).
func grantSecretsAsGiven(role iam.IRole, secrets map[string]string) {
	var arns []string
	for _, arn := range secrets {
		if !strings.Contains(arn, ":ssm:") {
			arns = append(arns, arn)
		}
	}
	if len(arns) == 0 {
		return
	}
	slices.Sort(arns)
	role.AddToPrincipalPolicy(iam.NewPolicyStatement(&iam.PolicyStatementProps{
		Sid:       jsii.String("ReadSecretsAsConfigured"),
		Actions:   jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
		Resources: jsii.Strings(arns...),
	}))
}
