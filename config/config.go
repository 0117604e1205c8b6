// Package config turns the CDK context (cdk.json's "context", overridden with
// `cdk synth -c key=value`) into one typed Config of plain Go types.
//
// Everything the stacks need to know about an environment is decided here,
// once: defaults are filled in by defaults(), values are parsed by the
// settings table in settings.go, and Validate() reports every problem at
// once, each with the key path the user has to edit. Stacks never read the
// context themselves.
package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cdkdemo/fargate/rollout"
)

// Egress is how tasks in the private subnets reach ECR, S3 and CloudWatch Logs.
type Egress string

const (
	// EgressNat is one NAT gateway shared by both private subnets: the cheap choice.
	EgressNat Egress = "nat"
	// EgressNatPerAz is one NAT gateway per AZ: no single point of failure.
	EgressNatPerAz Egress = "nat-per-az"
	// EgressNatInstance is one EC2 instance doing NAT instead of a NAT
	// gateway: a few dollars a month instead of $36, and a single instance
	// without failover. prod may use it only when explicitly allowed.
	EgressNatInstance Egress = "nat-instance"
	// EgressEndpoints is no NAT at all: VPC endpoints for ECR, S3 and Logs only.
	EgressEndpoints Egress = "endpoints"
)

// EgressModes lists the egress modes in the order the docs present them.
var EgressModes = []Egress{EgressNat, EgressNatPerAz, EgressNatInstance, EgressEndpoints}

// Capacity is where the service's tasks run: on-demand Fargate, Fargate
// Spot, or a base of on-demand tasks with the rest on Spot.
type Capacity string

const (
	// CapacityOnDemand is Fargate at the on-demand price: no interruptions.
	CapacityOnDemand Capacity = "on-demand"
	// CapacitySpot is Fargate Spot: spare capacity at a discount, which AWS
	// may take back with a two-minute warning, and no fallback to
	// on-demand when there is none.
	CapacitySpot Capacity = "spot"
	// CapacityMixed runs OnDemandBaseCount tasks on-demand and the rest on
	// Spot.
	CapacityMixed Capacity = "mixed"
)

// CapacityModes lists the capacity modes in the order the docs present them.
var CapacityModes = []Capacity{CapacityOnDemand, CapacitySpot, CapacityMixed}

// UsesSpot reports whether any task may run on Fargate Spot.
func (c Capacity) UsesSpot() bool { return c == CapacitySpot || c == CapacityMixed }

// SpotStopTimeoutSeconds is the container's stop timeout with Fargate Spot:
// the most Fargate allows, which is the two minutes' warning AWS gives
// before it takes a Spot task back.
const SpotStopTimeoutSeconds = 120

// Schedule is the service's working hours: on Days, from Start to End in
// TimeZone, it runs minCount to maxCount tasks; the rest of the week it
// runs none.
type Schedule struct {
	// Days is a cron day-of-week field: "MON-FRI", "MON,WED,FRI".
	Days string `json:"days"`
	// Start and End are 24-hour times, "08:00" and "20:00".
	Start string `json:"start"`
	End   string `json:"end"`
	// TimeZone is an IANA time zone name such as "Europe/Berlin" or "UTC".
	TimeZone string `json:"timeZone"`
}

// String shows a schedule as people write it: "MON-FRI 08:00-20:00 Europe/Berlin".
func (s Schedule) String() string {
	return s.Days + " " + s.Start + "-" + s.End + " " + s.TimeZone
}

// Config is one environment of the app, fully resolved: every field holds the
// value the stacks will use.
type Config struct {
	// AppName prefixes stack names and named resources, so several apps can
	// share an account.
	AppName string
	// Environment is the chosen environment's name, e.g. "dev".
	Environment string
	// Account and Region pin the stacks to one AWS environment. Empty means
	// environment-agnostic: synth needs no credentials.
	Account string
	Region  string

	Network  Network
	Service  Service
	Pipeline Pipeline

	// origin maps a setting key to the key path it was read from, so that a
	// problem names the place the user has to edit.
	origin map[string]string
}

// Network configures the VPC and how the private subnets reach AWS services.
type Network struct {
	VpcCidr    string
	SubnetMask int
	// PublicSubnetCidrs and PrivateSubnetCidrs hold one CIDR per AZ. Unless
	// configured, they follow the hand-built original: block 1 and 2 public,
	// block 3 and 4 private (10.0.1.0/24 … 10.0.4.0/24 for the defaults).
	PublicSubnetCidrs    []string
	PrivateSubnetCidrs   []string
	Egress               Egress
	FlowLogRetentionDays int
	// PrivateNaclRules, when not empty, puts a custom network ACL with these
	// rules on the private subnets instead of the VPC's default NACL.
	PrivateNaclRules []NaclRule
	// NatInstanceType is the EC2 instance type of the NAT instance
	// (egress nat-instance).
	NatInstanceType string
	// AllowSingleNatInstanceInProd lets the production environment use a
	// NAT instance, accepting a single instance without failover.
	AllowSingleNatInstanceInProd bool
}

// NaclRule is one numbered rule of a network ACL.
type NaclRule struct {
	Rule      int
	Action    string // "allow" or "deny"
	Direction string // "ingress" or "egress"
	Protocol  string // "tcp", "udp", "icmp" or "all"
	FromPort  int
	ToPort    int
	Cidr      string
}

// Service configures the ECR repository, the Fargate service and its ALB.
type Service struct {
	Cpu          int
	MemoryMiB    int
	Architecture string
	// ContainerPort is where the container listens; the task gets it in $PORT.
	ContainerPort    int
	LogRetentionDays int
	Environment      map[string]string
	// Secrets maps an environment variable name to a Secrets Manager secret
	// or SSM parameter ARN.
	Secrets map[string]string

	// MinCount and MaxCount bound autoscaling, which owns the running task
	// count; the template sets no count of its own.
	MinCount               int
	MaxCount               int
	ScaleCpuPercent        int
	ScaleRequestsPerTarget int
	// Capacity is on-demand Fargate, Fargate Spot, or both; with mixed,
	// OnDemandBaseCount tasks run on-demand.
	Capacity          Capacity
	OnDemandBaseCount int
	// Schedule, when set, scales the service to zero outside its hours.
	Schedule *Schedule

	HealthCheckGracePeriodSeconds int
	EnableExec                    bool
	AllowedCidrs                  []string
	HealthCheck                   HealthCheck
	DeregistrationDelaySeconds    int
	AccessLogs                    bool

	DomainName     string
	HostedZoneId   string
	HostedZoneName string

	AlarmEmail string

	KeepImages                int
	DeleteRepositoryOnDestroy bool
	// PlaceholderImage is the image the service runs before the pipeline's
	// first build; it must answer the health check on the container port.
	PlaceholderImage string
	// WritablePaths are the container's scratch directories: its root
	// filesystem is read-only.
	WritablePaths []string
	// DeletionProtection keeps the ALB from being deleted, by CloudFormation
	// or by hand, until it is turned off.
	DeletionProtection bool

	// Rollout is how a new image reaches users.
	Rollout Rollout
}

// Strategy is a deployment strategy as the settings name it.
type Strategy string

// The deployment strategies, each ECS's own (rollout.Strategy).
const (
	StrategyRolling   Strategy = "rolling"
	StrategyCanary    Strategy = "canary"
	StrategyLinear    Strategy = "linear"
	StrategyBlueGreen Strategy = "blue-green"
)

// Strategies lists the deployment strategies in the order the docs present them.
var Strategies = []Strategy{StrategyRolling, StrategyCanary, StrategyLinear, StrategyBlueGreen}

// ECS is the strategy's name in AWS::ECS::Service DeploymentConfiguration.
func (s Strategy) ECS() rollout.Strategy {
	switch s {
	case StrategyCanary:
		return rollout.Canary
	case StrategyLinear:
		return rollout.Linear
	case StrategyBlueGreen:
		return rollout.BlueGreen
	}
	return rollout.Rolling
}

// Rollout configures how a new image reaches users: the ECS deployment
// strategy with its knobs, the alarms that roll a deployment back, and who
// may reach the test listener of the traffic-shifting strategies.
type Rollout struct {
	Strategy          Strategy
	BakeMinutes       int
	CanaryPercent     float64
	CanaryBakeMinutes int
	StepPercent       float64
	StepBakeMinutes   int

	// Alarms turns on the rollback alarms: the target 5xx rate and the p95
	// latency, per target group, wired as the service's deployment alarms.
	Alarms           bool
	ErrorRatePercent float64
	LatencyP95Ms     int
	// MinRequests is the requests a minute below which neither alarm
	// breaches: a single 5xx of three requests is no signal.
	MinRequests int

	// TestListenerCidrs may reach the test listener besides the VPC.
	TestListenerCidrs []string
}

// HealthCheck is the target group's health check.
type HealthCheck struct {
	Path               string
	IntervalSeconds    int
	TimeoutSeconds     int
	HealthyThreshold   int
	UnhealthyThreshold int
	Matcher            string
}

// Pipeline configures the CodePipeline that builds and deploys the image.
type Pipeline struct {
	Provider             string
	Repository           string
	Branch               string
	ConnectionArn        string
	ComputeType          string
	TestCommand          string
	Dockerfile           string
	BuildContext         string
	DockerHubSecretArn   string
	DeployTimeoutMinutes int
	ManualApproval       bool
	AutoDeleteArtifacts  bool
	// SmokeTest runs the smoke test after the deploy; only after it passes
	// is the image recorded as the released one.
	SmokeTest bool
	// SmokeTestPaths are requested besides the health-check path.
	SmokeTestPaths []string
}

// HTTPS reports whether the ALB gets a certificate and a 443 listener.
func (s Service) HTTPS() bool { return s.DomainName != "" }

// ExecAgentPaths are where the ECS Exec agent, the SSM agent that ECS
// mounts into the container, writes: /managed-agents, where Fargate puts
// the agent, its state under /var/lib/amazon/ssm and its logs under
// /var/log/amazon/ssm. AWS lists no such paths (its ECS Exec considerations
// call a read-only root unsupported); these are the ones the working
// read-only setups mount writable (aws/containers-roadmap#1359,
// aws-containers/amazon-ecs-exec-checker#71).
var ExecAgentPaths = []string{"/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}

// ScratchPaths are the container's writable directories, each a scratch
// volume on its read-only root filesystem: WritablePaths and, with ECS
// Exec, the exec agent's, unless a writable path already holds them.
func (s Service) ScratchPaths() []string {
	paths := slices.Clone(s.WritablePaths)
	if !s.EnableExec {
		return paths
	}
	for _, p := range ExecAgentPaths {
		covered := slices.ContainsFunc(s.WritablePaths, func(w string) bool { return w == p || strings.HasPrefix(p, w+"/") })
		if !covered {
			paths = append(paths, p)
		}
	}
	return paths
}

// SecretKinds reports whether any secret is kept in Secrets Manager and in
// SSM Parameter Store, so the network can add the endpoints tasks need.
func (s Service) SecretKinds() (secretsManager, ssm bool) {
	for _, arn := range s.Secrets {
		switch arnService(arn) {
		case "secretsmanager":
			secretsManager = true
		case "ssm":
			ssm = true
		}
	}
	return secretsManager, ssm
}

// InterfaceEndpoints lists the AWS services tasks reach through interface
// endpoints in the endpoints egress mode: ECR (API and registry) and Logs
// always, Secrets Manager and SSM when a secret lives there, and SSM
// Messages when ECS Exec is on. The S3 gateway endpoint is extra.
func (c Config) InterfaceEndpoints() []string {
	if c.Network.Egress != EgressEndpoints {
		return nil
	}
	eps := []string{"ecr.api", "ecr.dkr", "logs"}
	sm, ssm := c.Service.SecretKinds()
	if sm {
		eps = append(eps, "secretsmanager")
	}
	if ssm {
		eps = append(eps, "ssm")
	}
	if c.Service.EnableExec {
		eps = append(eps, "ssmmessages")
	}
	return eps
}

// StackName is the CloudFormation stack name of one part of the app, carrying
// the app and environment names so environments can share an account.
func (c Config) StackName(part string) string {
	return fmt.Sprintf("%s-%s-%s", c.AppName, c.Environment, part)
}

// ResourcePrefix names resources that something outside CloudFormation must
// find: the ECR repository, the task definition family.
func (c Config) ResourcePrefix() string {
	return c.AppName + "-" + c.Environment
}

// ImageParameterName is the SSM parameter recording the image the pipeline
// released. The RegistryStack creates it, the pipeline's Release stage
// writes it after a successful deploy, and the ServiceStack reads it at
// every deploy.
func (c Config) ImageParameterName() string {
	return "/" + c.AppName + "/" + c.Environment + "/image-uri"
}

// PlaceholderParameterName is the SSM parameter through which the
// NetworkStack hands the ServiceStack its placeholder in the endpoints
// mode: the cached image by digest, known at deploy time only.
func (c Config) PlaceholderParameterName() string {
	return "/" + c.AppName + "/" + c.Environment + "/placeholder-image"
}

// path returns the key path a setting was read from, or where it would be set.
func (c Config) path(key string) string {
	if p, ok := c.origin[key]; ok {
		return p
	}
	return "environments." + c.Environment + "." + key
}

func arnService(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[2]
}

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
