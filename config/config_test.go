package config

import (
	"reflect"
	"strings"
	"testing"
)

// ctx builds a CDK context with dev and prod environments, the given dev
// settings and top-level (command-line) keys.
func ctx(dev map[string]any, top map[string]any) map[string]any {
	d := map[string]any{"sourceRepository": "example-org/app"}
	for k, v := range dev {
		d[k] = v
	}
	c := map[string]any{
		"@aws-cdk/aws-ec2:restrictDefaultSecurityGroup": true, // CDK's keys are not ours
		"aws:cdk:enable-path-metadata":                  true,
		"acknowledged-issue-numbers":                    []any{12345.0},
		"environments": map[string]any{
			"dev":  d,
			"prod": map[string]any{"sourceRepository": "example-org/app"},
		},
	}
	for k, v := range top {
		c[k] = v
	}
	return c
}

func TestDefaults(t *testing.T) {
	dev, err := Load(ctx(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	prod, err := Load(ctx(nil, map[string]any{"env": "prod"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"app name", dev.AppName, "demo"},
		{"environment", dev.Environment, "dev"},
		{"environment-agnostic account", dev.Account, ""},
		{"environment-agnostic region", dev.Region, ""},
		{"stack name", dev.StackName("network"), "demo-dev-network"},
		{"vpc cidr", dev.Network.VpcCidr, "10.0.0.0/16"},
		{"subnet mask", dev.Network.SubnetMask, 24},
		{"public subnets as the original", dev.Network.PublicSubnetCidrs, []string{"10.0.1.0/24", "10.0.2.0/24"}},
		{"private subnets as the original", dev.Network.PrivateSubnetCidrs, []string{"10.0.3.0/24", "10.0.4.0/24"}},
		{"dev egress", dev.Network.Egress, EgressNat},
		{"prod egress", prod.Network.Egress, EgressNatPerAz},
		{"flow log retention", dev.Network.FlowLogRetentionDays, 30},
		{"prod flow log retention", prod.Network.FlowLogRetentionDays, 365},
		{"no custom NACL", len(dev.Network.PrivateNaclRules), 0},
		{"cpu", dev.Service.Cpu, 512},
		{"memory", dev.Service.MemoryMiB, 1024},
		{"architecture", dev.Service.Architecture, "X86_64"},
		{"port", dev.Service.ContainerPort, 80},
		{"log retention", dev.Service.LogRetentionDays, 30},
		{"min", dev.Service.MinCount, 2},
		{"max", dev.Service.MaxCount, 4},
		{"prod max", prod.Service.MaxCount, 10},
		{"grace", dev.Service.HealthCheckGracePeriodSeconds, 30},
		{"exec off", dev.Service.EnableExec, false},
		{"open to the world", dev.Service.AllowedCidrs, []string{"0.0.0.0/0"}},
		{"health path", dev.Service.HealthCheck.Path, "/"},
		{"health interval", dev.Service.HealthCheck.IntervalSeconds, 10},
		{"healthy threshold", dev.Service.HealthCheck.HealthyThreshold, 2},
		{"deregistration delay", dev.Service.DeregistrationDelaySeconds, 30},
		{"access logs", dev.Service.AccessLogs, true},
		{"no https", dev.Service.HTTPS(), false},
		{"keep images", dev.Service.KeepImages, 30},
		{"repository retained", dev.Service.DeleteRepositoryOnDestroy, false},
		{"placeholder", dev.Service.PlaceholderImage, DefaultPlaceholderImage},
		{"writable paths", dev.Service.WritablePaths, []string{"/tmp", "/var/cache/nginx", "/var/run"}},
		{"dev ALB deletable", dev.Service.DeletionProtection, false},
		{"prod ALB protected", prod.Service.DeletionProtection, true},
		{"provider", dev.Pipeline.Provider, "GitHub"},
		{"branch", dev.Pipeline.Branch, "main"},
		{"deploy timeout", dev.Pipeline.DeployTimeoutMinutes, 15},
		{"dev approval", dev.Pipeline.ManualApproval, false},
		{"prod approval", prod.Pipeline.ManualApproval, true},
		{"dev artifacts deleted", dev.Pipeline.AutoDeleteArtifacts, true},
		{"prod artifacts kept", prod.Pipeline.AutoDeleteArtifacts, false},
		{"image parameter", dev.ImageParameterName(), "/demo/dev/image-uri"},
		{"nat mode: no interface endpoints", len(dev.InterfaceEndpoints()), 0},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestCommandLineStrings(t *testing.T) {
	// -c values arrive as strings; numbers, booleans, lists and objects
	// must still be read.
	c, err := Load(ctx(nil, map[string]any{
		"cpu": "1024", "memory": "2048", "enableExec": "true", "allowedCidrs": "10.1.0.0/16, 192.168.0.0/24",
		"environment": `{"MODE":"fast"}`, "egress": "endpoints", "vpcCidr": "10.20.0.0/16", "subnetMask": "20",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Service.Cpu != 1024 || c.Service.MemoryMiB != 2048 || !c.Service.EnableExec {
		t.Errorf("numbers and booleans from strings: %+v", c.Service)
	}
	if !reflect.DeepEqual(c.Service.AllowedCidrs, []string{"10.1.0.0/16", "192.168.0.0/24"}) {
		t.Errorf("list from a comma-separated string: %v", c.Service.AllowedCidrs)
	}
	if c.Service.Environment["MODE"] != "fast" {
		t.Errorf("object from JSON: %v", c.Service.Environment)
	}
	if !reflect.DeepEqual(c.Network.PrivateSubnetCidrs, []string{"10.20.48.0/20", "10.20.64.0/20"}) {
		t.Errorf("layout with a /20 mask: %v %v", c.Network.PublicSubnetCidrs, c.Network.PrivateSubnetCidrs)
	}
	if got := c.InterfaceEndpoints(); !reflect.DeepEqual(got, []string{"ecr.api", "ecr.dkr", "logs", "ssmmessages"}) {
		t.Errorf("endpoints with exec: %v", got)
	}
	if c.path("cpu") != "cpu" || c.path("vpcCidr") != "vpcCidr" || c.path("memory") != "memory" || c.path("region") != "environments.dev.region" {
		t.Errorf("key paths: %v", c.origin)
	}
}

func TestOverrideWinsOnlyForTheChosenEnvironment(t *testing.T) {
	c, err := Load(ctx(map[string]any{"cpu": 256, "memory": 512}, map[string]any{"env": "prod", "cpu": "1024", "memory": 2048}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Environment != "prod" || c.Service.Cpu != 1024 {
		t.Errorf("got %s cpu %d", c.Environment, c.Service.Cpu)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		dev  map[string]any
		top  map[string]any
		want []string // every one must appear in the error
	}{
		{"bad CIDR", map[string]any{"vpcCidr": "10.0.0.0/33"}, nil,
			[]string{`environments.dev.vpcCidr: "10.0.0.0/33" is not an IPv4 CIDR`}},
		{"not a CIDR from -c", nil, map[string]any{"vpcCidr": "banana"},
			[]string{`vpcCidr: "banana" is not an IPv4 CIDR`}},
		{"host bits set", map[string]any{"vpcCidr": "10.0.0.1/16"}, nil,
			[]string{`environments.dev.vpcCidr: "10.0.0.1/16" is not a network address`, `did you mean "10.0.0.0/16"`}},
		{"VPC too large", map[string]any{"vpcCidr": "10.0.0.0/8"}, nil,
			[]string{`environments.dev.vpcCidr: "10.0.0.0/8" has a /8 prefix; a VPC takes /16 to /28`}},
		{"mask does not fit", map[string]any{"subnetMask": 17}, nil,
			[]string{`environments.dev.subnetMask: 17 does not fit the VPC 10.0.0.0/16`, "use a mask from 19 to 28"}},
		{"mask out of range", map[string]any{"subnetMask": 30}, nil,
			[]string{`environments.dev.subnetMask: 30 is not a subnet prefix length AWS accepts: 16 to 28`}},
		{"subnets outside the VPC", map[string]any{"publicSubnetCidrs": []any{"10.0.1.0/24", "10.9.2.0/24"}, "privateSubnetCidrs": []any{"10.0.3.0/24", "10.0.3.128/25"}}, nil,
			[]string{`environments.dev.publicSubnetCidrs: "10.9.2.0/24" is not inside the VPC 10.0.0.0/16`, `environments.dev.privateSubnetCidrs: "10.0.3.128/25" overlaps 10.0.3.0/24`}},
		{"one subnet list only", map[string]any{"publicSubnetCidrs": []any{"10.0.1.0/24"}}, nil,
			[]string{`environments.dev.publicSubnetCidrs: ["10.0.1.0/24"] must hold exactly 2 CIDRs`, `environments.dev.privateSubnetCidrs: null must hold exactly 2 CIDRs`}},
		{"unknown key", map[string]any{"vpcCIDR": "10.0.0.0/16"}, nil,
			[]string{`environments.dev.vpcCIDR: unknown setting (did you mean "vpcCidr"?)`}},
		{"unknown key on the command line", nil, map[string]any{"egres": "nat"},
			[]string{`egres: unknown setting (did you mean "egress"?)`}},
		{"wrong type", map[string]any{"cpu": "lots", "enableExec": "yes", "allowedCidrs": 5.0}, nil,
			[]string{`environments.dev.cpu: "lots" is not an integer`, `environments.dev.enableExec: "yes" is not true or false`, `environments.dev.allowedCidrs: 5 is not a list of strings`}},
		{"fractional number", map[string]any{"cpu": 512.5}, nil,
			[]string{`environments.dev.cpu: 512.5 is not an integer`}},
		{"unknown environment", nil, map[string]any{"env": "staging"},
			[]string{`env: "staging" is not a configured environment; configured: dev, prod`}},
		{"environment not an object", nil, map[string]any{"environments": map[string]any{"dev": "big"}},
			[]string{`environments.dev: "big" is not an object of settings`}},
		{"top-level key inside an environment", map[string]any{"env": "prod"}, nil,
			[]string{`environments.dev.env: env is set at the top level`}},
		{"bad egress", map[string]any{"egress": "nat-gateway"}, nil,
			[]string{`environments.dev.egress: "nat-gateway" is not one of "nat", "nat-per-az", "endpoints"`}},
		{"two problems at once", map[string]any{"vpcCidr": "300.0.0.0/16", "egress": "none"}, nil,
			[]string{`environments.dev.vpcCidr: "300.0.0.0/16" is not an IPv4 CIDR`, `environments.dev.egress: "none" is not one of`}},
		{"a typo in prod fails dev too", nil, map[string]any{"environments": map[string]any{
			"dev":  map[string]any{"sourceRepository": "o/r"},
			"prod": map[string]any{"sourceRepository": "o/r", "cpuu": 256},
		}}, []string{`environments.prod.cpuu: unknown setting (did you mean "cpu"?)`}},
		{"bad app name", nil, map[string]any{"appName": "My App"},
			[]string{`appName: "My App" is not allowed`}},
		{"bad account and region", map[string]any{"account": "1234", "region": "europe"}, nil,
			[]string{`environments.dev.account: "1234" is not an AWS account ID`, `environments.dev.region: "europe" is not an AWS region name`}},
		{"flow log retention", map[string]any{"flowLogRetentionDays": 10}, nil,
			[]string{`environments.dev.flowLogRetentionDays: 10 is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30`}},
		{"NACL rules", map[string]any{"privateNaclRules": []any{
			map[string]any{"rule": 100.0, "action": "permit", "direction": "ingress", "protocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "cidr": "10.0.0.0/16"},
			map[string]any{"rule": 100.0, "action": "allow", "direction": "ingress", "protocol": "tcp", "fromPort": 90.0, "toPort": 80.0, "cidr": "10.0.0.0/16"},
		}}, nil, []string{
			`environments.dev.privateNaclRules: "permit" in rule [0] (100) is not an action`,
			`environments.dev.privateNaclRules: "90-80" in rule [1] (100) is not a port range`,
			`environments.dev.privateNaclRules: 100 in rule [1] (100) is used twice for ingress rules`,
		}},
		{"NACL rule with an unknown key", map[string]any{"privateNaclRules": []any{map[string]any{"rule": 1.0, "port": 80.0}}}, nil,
			[]string{`environments.dev.privateNaclRules: [0]: port: unknown key`}},

		// Service settings.
		{"cpu/memory pair", map[string]any{"cpu": 256, "memory": 4096}, nil,
			[]string{`environments.dev.memory: 4096 is not a memory size Fargate offers with cpu 256; use one of 512, 1024, 2048`}},
		{"cpu not offered", map[string]any{"cpu": 300}, nil,
			[]string{`environments.dev.cpu: 300 is not a Fargate CPU value; use one of 256, 512, 1024, 2048, 4096, 8192, 16384`}},
		{"16 vCPU memory steps", map[string]any{"cpu": 16384, "memory": 36864}, nil,
			[]string{`environments.dev.memory: 36864 is not a memory size Fargate offers with cpu 16384; use one of 32768, 40960`}},
		{"port", map[string]any{"containerPort": 70000, "placeholderImage": "public.ecr.aws/x/y:1"}, nil,
			[]string{`environments.dev.containerPort: 70000 is not a port: 1 to 65535`}},
		{"desiredCount is removed: autoscaling owns the count", map[string]any{"desiredCount": 2}, nil,
			[]string{`environments.dev.desiredCount: is no longer a setting: autoscaling owns the running task count, and a deploy that set it would undo what autoscaling chose; the first deploy starts minCount tasks, so set minCount (and maxCount) instead`}},
		{"desiredCount is removed on the command line too", nil, map[string]any{"desiredCount": "3"},
			[]string{`desiredCount: is no longer a setting: autoscaling owns the running task count`}},
		{"min > max", map[string]any{"minCount": 5, "maxCount": 4}, nil,
			[]string{`environments.dev.minCount: 5 is greater than maxCount 4`}},
		{"health path", map[string]any{"healthCheckPath": "health", "placeholderImage": "public.ecr.aws/x/y:1"}, nil,
			[]string{`environments.dev.healthCheckPath: "health" is not a health-check path: it starts with "/"`}},
		{"health timings", map[string]any{"healthCheckIntervalSeconds": 5, "healthCheckTimeoutSeconds": 6, "healthyThresholdCount": 1, "healthCheckMatcher": "200-600"}, nil,
			[]string{`environments.dev.healthCheckTimeoutSeconds: 6 is not less than healthCheckIntervalSeconds 5`, `environments.dev.healthyThresholdCount: 1 is not a threshold`, `environments.dev.healthCheckMatcher: "200-600" has code 600`}},
		{"log retention", map[string]any{"logRetentionDays": 45}, nil,
			[]string{`environments.dev.logRetentionDays: 45 is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60`}},
		{"domain without hosted zone", map[string]any{"domainName": "app.example.com"}, nil,
			[]string{`environments.dev.domainName: "app.example.com" needs a Route 53 hosted zone: set hostedZoneId and hostedZoneName too`}},
		{"domain outside its zone", map[string]any{"domainName": "app.example.org", "hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com"}, nil,
			[]string{`environments.dev.domainName: "app.example.org" is not inside the hosted zone "example.com"`}},
		{"email", map[string]any{"alarmEmail": "ops-at-example.com"}, nil,
			[]string{`environments.dev.alarmEmail: "ops-at-example.com" is not an email address`}},
		{"secret ARN", map[string]any{"secrets": map[string]any{"DB_PASSWORD": "my-db-password"}}, nil,
			[]string{`environments.dev.secrets.DB_PASSWORD: the value is not a Secrets Manager secret ARN`}},
		{"env var names", map[string]any{"environment": map[string]any{"1X": "a", "PORT": "8080"}}, nil,
			[]string{`environments.dev.environment: "1X" is not an environment variable name`, `environments.dev.environment: "PORT" is set by the app from containerPort`}},
		{"health path variable is the app's", map[string]any{"secrets": map[string]any{"HEALTH_CHECK_PATH": "arn:aws:ssm:us-east-1:123456789012:parameter/x"}}, nil,
			[]string{`environments.dev.secrets: "HEALTH_CHECK_PATH" is set by the app from healthCheckPath; set healthCheckPath instead`}},
		{"nobody admitted", map[string]any{"allowedCidrs": []any{}}, nil,
			[]string{`environments.dev.allowedCidrs: [] is empty: the ALB would admit nobody`}},
		{"placeholder cannot answer another port", map[string]any{"containerPort": 8080}, nil,
			[]string{`environments.dev.placeholderImage: "public.ecr.aws/nginx/nginx:stable-alpine" listens on port 80, but containerPort is 8080`}},
		{"placeholder cannot answer another path", map[string]any{"healthCheckPath": "/healthz"}, nil,
			[]string{`environments.dev.placeholderImage: "public.ecr.aws/nginx/nginx:stable-alpine" answers only "/", but healthCheckPath is "/healthz"`}},
		{"writable paths", map[string]any{"writablePaths": []any{"tmp", "/data/../x", "/", "/tmp", "/tmp"}}, nil,
			[]string{`environments.dev.writablePaths: "tmp" is not a directory path`, `environments.dev.writablePaths: "/data/../x" is not a directory path`, `environments.dev.writablePaths: "/" is not a directory path`, `environments.dev.writablePaths: "/tmp" is listed twice`}},
		{"placeholder unreachable without internet", map[string]any{"egress": "endpoints", "placeholderImage": "docker.io/library/nginx:stable"}, nil,
			[]string{`environments.dev.placeholderImage: "docker.io/library/nginx:stable" cannot be pulled with egress "endpoints"`}},
		{"placeholder by digest through the cache", map[string]any{"egress": "endpoints", "placeholderImage": "public.ecr.aws/nginx/nginx@sha256:" + strings.Repeat("a", 64)}, nil,
			[]string{`environments.dev.placeholderImage: "public.ecr.aws/nginx/nginx@sha256:aaaa`, `names a digest: with egress "endpoints" it comes through this account's pull-through cache, which fills on a pull by tag only; name it by tag, such as "public.ecr.aws/nginx/nginx:stable-alpine"`}},
		{"keep images", map[string]any{"keepImages": 0}, nil,
			[]string{`environments.dev.keepImages: 0 is not a number of images to keep`}},

		// Pipeline settings.
		{"repository form", map[string]any{"sourceRepository": "just-a-name"}, nil,
			[]string{`environments.dev.sourceRepository: "just-a-name" is not a repository in the form "owner/repo"`}},
		{"repository missing in prod", nil, map[string]any{"environments": map[string]any{"dev": map[string]any{"sourceRepository": "o/r"}, "prod": map[string]any{}}},
			[]string{`environments.prod.sourceRepository: "" is not a repository in the form "owner/repo"`}},
		{"empty branch", map[string]any{"sourceBranch": ""}, nil,
			[]string{`environments.dev.sourceBranch: "" is not a branch name`}},
		{"branch with spaces", map[string]any{"sourceBranch": "my branch"}, nil,
			[]string{`environments.dev.sourceBranch: "my branch" is not a branch name`}},
		{"provider", map[string]any{"sourceProvider": "CodeCommit"}, nil,
			[]string{`environments.dev.sourceProvider: "CodeCommit" is not one of "GitHub", "Bitbucket", "GitLab"`}},
		{"connection ARN", map[string]any{"connectionArn": "arn:aws:iam::123456789012:role/x"}, nil,
			[]string{`environments.dev.connectionArn: "arn:aws:iam::123456789012:role/x" is not a CodeConnections ARN`}},
		{"docker hub secret", map[string]any{"dockerHubSecretArn": "arn:aws:ssm:us-east-1:123456789012:parameter/dockerhub"}, nil,
			[]string{`environments.dev.dockerHubSecretArn: "arn:aws:ssm:us-east-1:123456789012:parameter/dockerhub" is not a Secrets Manager secret ARN`}},
		{"deploy timeout", map[string]any{"deployTimeoutMinutes": 90}, nil,
			[]string{`environments.dev.deployTimeoutMinutes: 90 is not a deploy timeout the ECS action accepts: 1 to 60 minutes`}},
		{"dockerfile outside the repository", map[string]any{"dockerfile": "../Dockerfile", "buildContext": "/abs"}, nil,
			[]string{`environments.dev.dockerfile: "../Dockerfile" is not a path inside the repository`, `environments.dev.buildContext: "/abs" is not a path inside the repository`}},
		{"compute type", map[string]any{"buildComputeType": "HUGE"}, nil,
			[]string{`environments.dev.buildComputeType: "HUGE" is not one of "SMALL", "MEDIUM", "LARGE", "XLARGE", "2XLARGE"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(ctx(tc.dev, tc.top))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q; it says:\n%v", w, err)
				}
			}
		})
	}
}

// TestExactMessages pins whole error texts: every line of the error, in
// order, so a message that glues values together or a follow-on message
// for a value already reported cannot slip in.
func TestExactMessages(t *testing.T) {
	const noZone = "is set without domainName: set domainName for HTTPS, or remove hostedZoneId and hostedZoneName"
	tests := []struct {
		name string
		dev  map[string]any
		top  map[string]any
		want []string
	}{
		{"hosted zone without domain", map[string]any{"hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com"}, nil, []string{
			`environments.dev.hostedZoneId: "Z0123456789ABC" ` + noZone,
			`environments.dev.hostedZoneName: "example.com" ` + noZone,
		}},
		{"hosted zone name only, from the command line", nil, map[string]any{"hostedZoneName": "example.com"}, []string{
			`hostedZoneName: "example.com" ` + noZone,
		}},
		{"hosted zone ID only", map[string]any{"hostedZoneId": "Z0123456789ABC"}, nil, []string{
			`environments.dev.hostedZoneId: "Z0123456789ABC" ` + noZone,
		}},
		{"port 0: one message, no placeholder follow-on", map[string]any{"containerPort": 0}, nil, []string{
			`environments.dev.containerPort: 0 is not a port: 1 to 65535`,
		}},
		{"port 0 and a path the placeholder does not answer: one message", map[string]any{"containerPort": 0, "healthCheckPath": "/healthz"}, nil, []string{
			`environments.dev.containerPort: 0 is not a port: 1 to 65535`,
		}},
		{"port too large: one message", nil, map[string]any{"containerPort": 70000}, []string{
			`containerPort: 70000 is not a port: 1 to 65535`,
		}},
		{"a valid port the placeholder does not answer", map[string]any{"containerPort": 8080}, nil, []string{
			`environments.dev.placeholderImage: "public.ecr.aws/nginx/nginx:stable-alpine" listens on port 80, but containerPort is 8080: the first deploy would never turn healthy; name an image that answers "/" on port 8080`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(ctx(tc.dev, tc.top))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("error lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestSecretValuesAreNeverShown: a wrong secrets value is often the secret
// itself, pasted by mistake, and so is a dockerHubSecretArn that does not
// look like an ARN. No message may repeat it, wherever it was set and
// whatever its type; each still names the key and what is expected.
func TestSecretValuesAreNeverShown(t *testing.T) {
	tests := []struct {
		name   string
		dev    map[string]any
		top    map[string]any
		secret string // must not appear in the error
		want   []string
	}{
		{"a password as a secret's ARN", map[string]any{"secrets": map[string]any{"DB_PASSWORD": "hunter2-S3cr3t!"}}, nil, "hunter2-S3cr3t!",
			[]string{`environments.dev.secrets.DB_PASSWORD: the value is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)`}},
		{"an ARN of the wrong kind is not shown either", map[string]any{"secrets": map[string]any{"API_KEY": "arn:aws:iam::123456789012:user/Hunter2Key"}}, nil, "Hunter2Key",
			[]string{`environments.dev.secrets.API_KEY: the value is not a Secrets Manager secret ARN`}},
		{"a secret on the command line", nil, map[string]any{"secrets": `{"DB_PASSWORD":"hunter2-S3cr3t!"}`}, "hunter2-S3cr3t!",
			[]string{`secrets.DB_PASSWORD: the value is not a Secrets Manager secret ARN`}},
		{"a number as a secret", map[string]any{"secrets": map[string]any{"PIN": 731904.0}}, nil, "731904",
			[]string{`environments.dev.secrets: PIN: the value is not a string`}},
		{"not JSON on the command line", nil, map[string]any{"secrets": `{DB_PASSWORD: hunter2-S3cr3t!}`}, "hunter2-S3cr3t!",
			[]string{`secrets: the value is not an object of strings`}},
		{"a string instead of an object", map[string]any{"secrets": "hunter2-S3cr3t!"}, nil, "hunter2-S3cr3t!",
			[]string{`environments.dev.secrets: the value is not an object of strings`}},
		{"a Docker Hub token as the secret's ARN", map[string]any{"dockerHubSecretArn": "dckr_pat_Hunter2xyz"}, nil, "Hunter2xyz",
			[]string{`environments.dev.dockerHubSecretArn: the value is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)`}},
		{"a Docker Hub password on the command line", nil, map[string]any{"dockerHubSecretArn": "hunter2-S3cr3t!"}, "hunter2-S3cr3t!",
			[]string{`dockerHubSecretArn: the value is not a Secrets Manager secret ARN`}},
		{"a number as the Docker Hub secret", map[string]any{"dockerHubSecretArn": 731904.0}, nil, "731904",
			[]string{`environments.dev.dockerHubSecretArn: the value is not a string`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(ctx(tc.dev, tc.top))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Errorf("the error repeats the value %q:\n%v", tc.secret, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q; it says:\n%v", w, err)
				}
			}
		})
	}
}

// TestScratchPaths: with ECS Exec the exec agent's directories are
// writable too, once each, and not again below a writable path that holds
// them already.
func TestScratchPaths(t *testing.T) {
	tests := []struct {
		name string
		dev  map[string]any
		want []string
	}{
		{"exec off: the writable paths", nil, []string{"/tmp", "/var/cache/nginx", "/var/run"}},
		{"exec on: the agent's paths too", map[string]any{"enableExec": true}, []string{"/tmp", "/var/cache/nginx", "/var/run", "/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}},
		{"exec on, a writable path already holds some", map[string]any{"enableExec": true, "writablePaths": []any{"/tmp", "/var/log", "/managed-agents"}}, []string{"/tmp", "/var/log", "/managed-agents", "/var/lib/amazon/ssm"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(ctx(tc.dev, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Service.ScratchPaths(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidConfigurations(t *testing.T) {
	tests := []struct {
		name string
		dev  map[string]any
	}{
		{"every Fargate pair", nil},
		{"custom subnets", map[string]any{"vpcCidr": "172.16.0.0/16", "publicSubnetCidrs": []any{"172.16.0.0/20", "172.16.16.0/20"}, "privateSubnetCidrs": []any{"172.16.128.0/18", "172.16.192.0/18"}}},
		{"https", map[string]any{"domainName": "app.example.com", "hostedZoneId": "Z0123456789ABC", "hostedZoneName": "example.com."}},
		{"secrets", map[string]any{"secrets": map[string]any{"A": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf", "B": "arn:aws:ssm:eu-west-1:123456789012:parameter/b/c"}}},
		{"own placeholder on another port", map[string]any{"containerPort": 8080, "healthCheckPath": "/healthz", "placeholderImage": "public.ecr.aws/my/app:placeholder"}},
		{"pinned environment", map[string]any{"account": "123456789012", "region": "eu-central-1"}},
		{"placeholder in this account's ECR, endpoints", map[string]any{"egress": "endpoints", "placeholderImage": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/base/web:1"}},
		{"placeholder on ECR Public by tag, endpoints", map[string]any{"egress": "endpoints", "placeholderImage": "public.ecr.aws/my/app:placeholder"}},
		{"placeholder on ECR Public by digest, nat", map[string]any{"placeholderImage": "public.ecr.aws/nginx/nginx@sha256:" + strings.Repeat("a", 64)}},
		{"NACL", map[string]any{"privateNaclRules": []any{map[string]any{"rule": 100.0, "action": "allow", "direction": "ingress", "protocol": "all", "cidr": "10.0.0.0/16"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(ctx(tc.dev, nil)); err != nil {
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	for cpu, mems := range FargateMemory {
		for _, mem := range mems {
			if _, err := Load(ctx(map[string]any{"cpu": cpu, "memory": mem}, nil)); err != nil {
				t.Errorf("cpu %d memory %d: %v", cpu, mem, err)
			}
		}
	}
}
