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
		{"dev architecture: Graviton", dev.Service.Architecture, "ARM64"},
		{"prod architecture: as its images so far", prod.Service.Architecture, "X86_64"},
		{"NAT instance type", dev.Network.NatInstanceType, "t4g.nano"},
		{"no NAT instance in prod unless allowed", prod.Network.AllowSingleNatInstanceInProd, false},
		{"capacity", dev.Service.Capacity, CapacityOnDemand},
		{"prod capacity", prod.Service.Capacity, CapacityOnDemand},
		{"on-demand base", dev.Service.OnDemandBaseCount, 1},
		{"no schedule", dev.Service.Schedule, (*Schedule)(nil)},
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
		{"deploy timeout", dev.Pipeline.DeployTimeoutMinutes, 20},
		{"prod deploy timeout covers the canary", prod.Pipeline.DeployTimeoutMinutes, 30},
		{"dev rolls", dev.Service.Rollout.Strategy, StrategyRolling},
		{"prod goes canary first", prod.Service.Rollout.Strategy, StrategyCanary},
		{"bake", dev.Service.Rollout.BakeMinutes, 10},
		{"canary share", dev.Service.Rollout.CanaryPercent, 10.0},
		{"canary bake", dev.Service.Rollout.CanaryBakeMinutes, 10},
		{"linear step", dev.Service.Rollout.StepPercent, 25.0},
		{"linear step bake", dev.Service.Rollout.StepBakeMinutes, 5},
		{"rollback alarms on", dev.Service.Rollout.Alarms, true},
		{"prod rollback alarms on", prod.Service.Rollout.Alarms, true},
		{"error rate", dev.Service.Rollout.ErrorRatePercent, 5.0},
		{"latency", dev.Service.Rollout.LatencyP95Ms, 1000},
		{"min requests", dev.Service.Rollout.MinRequests, 20},
		{"test listener: the VPC only", len(dev.Service.Rollout.TestListenerCidrs), 0},
		{"smoke test on", dev.Pipeline.SmokeTest, true},
		{"no extra smoke paths", len(dev.Pipeline.SmokeTestPaths), 0},
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
		"cpu": "1024", "memory": "2048", "enableExec": "true", "allowedCidrs": "10.1.0.0/16, 192.168.0.0/24", "smokeTest": "false",
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
		{"endpoints in China", map[string]any{"egress": "endpoints", "region": "cn-north-1"}, nil,
			[]string{`environments.dev.egress: "endpoints" works in the aws partition only, and region "cn-north-1" is in aws-cn`}},
		{"endpoints in GovCloud", map[string]any{"egress": "endpoints", "region": "us-gov-west-1"}, nil,
			[]string{`environments.dev.egress: "endpoints" works in the aws partition only, and region "us-gov-west-1" is in aws-us-gov`}},
		{"endpoints in an isolated region", map[string]any{"egress": "endpoints", "region": "us-isob-east-1"}, nil,
			[]string{`environments.dev.egress: "endpoints" works in the aws partition only, and region "us-isob-east-1" is in aws-iso-b`}},
		{"bad egress", map[string]any{"egress": "nat-gateway"}, nil,
			[]string{`environments.dev.egress: "nat-gateway" is not one of "nat", "nat-per-az", "nat-instance", "endpoints"`}},
		{"NAT instance in prod", nil, map[string]any{"env": "prod", "egress": "nat-instance"},
			[]string{`egress: "nat-instance" is a single EC2 instance without failover`, `set allowSingleNatInstanceInProd to true to accept that`}},
		{"NAT instance in prod from cdk.json", nil, map[string]any{"env": "prod", "environments": map[string]any{
			"dev":  map[string]any{"sourceRepository": "o/r"},
			"prod": map[string]any{"sourceRepository": "o/r", "egress": "nat-instance"},
		}}, []string{`environments.prod.egress: "nat-instance" is a single EC2 instance without failover`}},
		{"NAT instance type", map[string]any{"egress": "nat-instance", "natInstanceType": "nano"}, nil,
			[]string{`environments.dev.natInstanceType: "nano" is not an EC2 instance type such as "t4g.nano" or "t3.micro"`}},
		{"NAT instance type, not a string", nil, map[string]any{"natInstanceType": 3.0},
			[]string{`natInstanceType: 3 is not a string`}},
		{"allow a NAT instance in prod: a boolean", nil, map[string]any{"allowSingleNatInstanceInProd": "yes"},
			[]string{`allowSingleNatInstanceInProd: "yes" is not true or false`}},
		{"capacity", map[string]any{"capacity": "spot-only"}, nil,
			[]string{`environments.dev.capacity: "spot-only" is not one of "on-demand", "spot", "mixed"`}},
		{"mixed without an on-demand base", map[string]any{"capacity": "mixed", "onDemandBaseCount": 0}, nil,
			[]string{`environments.dev.onDemandBaseCount: 0 is not an on-demand base for capacity "mixed": 1 to maxCount 4 (0 is capacity "spot", maxCount or more is "on-demand")`}},
		{"mixed with a base above maxCount", nil, map[string]any{"capacity": "mixed", "onDemandBaseCount": "5"},
			[]string{`onDemandBaseCount: 5 is not an on-demand base for capacity "mixed": 1 to maxCount 4`}},
		{"schedule: not an object", map[string]any{"schedule": 8.0}, nil,
			[]string{`environments.dev.schedule: 8 is not a schedule object such as {"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "Europe/Berlin"}, or "none"`}},
		{"schedule: unknown key", map[string]any{"schedule": map[string]any{"days": "MON-FRI", "from": "08:00"}}, nil,
			[]string{`environments.dev.schedule: from: unknown key; a schedule has days, start, end and timeZone`}},
		{"schedule: missing keys", map[string]any{"schedule": map[string]any{"days": "MON-FRI"}}, nil,
			[]string{`environments.dev.schedule: start is missing; a schedule is {"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "Europe/Berlin"}`, `environments.dev.schedule: timeZone is missing`}},
		{"schedule: bad values", map[string]any{"schedule": map[string]any{"days": "MON-FRY", "start": "8am", "end": "24:00", "timeZone": "Berlin"}}, nil,
			[]string{`environments.dev.schedule: days "MON-FRY" is not a list of weekdays such as "MON-FRI" or "MON,WED,FRI": "MON-FRY" is not a day or a range of days from SUN to SAT`,
				`environments.dev.schedule: start "8am" is not a 24-hour time such as "08:00" (00:00 to 23:59)`,
				`environments.dev.schedule: end "24:00" is not a 24-hour time`,
				`environments.dev.schedule: timeZone "Berlin" is not an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC"`}},
		{"schedule: a range backwards", map[string]any{"schedule": map[string]any{"days": "FRI-MON", "start": "08:00", "end": "20:00", "timeZone": "UTC"}}, nil,
			[]string{`environments.dev.schedule: days "FRI-MON" is not a list of weekdays`}},
		{"schedule: past midnight", nil, map[string]any{"schedule": `{"days":"MON-FRI","start":"20:00","end":"08:00","timeZone":"Europe/Berlin"}`},
			[]string{`schedule: end "08:00" is not after start "20:00": the service runs from start to end of each day listed; a window past midnight is not supported`}},
		{"schedule: a path is no time zone", map[string]any{"schedule": map[string]any{"days": "MON", "start": "08:00", "end": "09:00", "timeZone": "../etc/passwd"}}, nil,
			[]string{`timeZone "../etc/passwd" is not an IANA time zone name`}},
		{"schedule: Local is no time zone", map[string]any{"schedule": map[string]any{"days": "MON", "start": "08:00", "end": "09:00", "timeZone": "Local"}}, nil,
			[]string{`timeZone "Local" is not an IANA time zone name`}},
		{"schedule: a value not a string", map[string]any{"schedule": map[string]any{"days": "MON", "start": 8.0}}, nil,
			[]string{`environments.dev.schedule: start: 8 is not a string`}},
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
			[]string{`environments.dev.keepImages: 0 is not a number of images to keep: 2 to 1000`}},
		{"keep one image only", map[string]any{"keepImages": 1}, nil,
			[]string{`environments.dev.keepImages: 1 is not a number of images to keep: 2 to 1000 (the released image and the one before it`}},

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
			[]string{`environments.dev.deployTimeoutMinutes: 90 is not a deploy timeout the pipeline's deploy step accepts: 5 to 60 minutes`}},
		{"deploy timeout below CodeBuild's", map[string]any{"deployTimeoutMinutes": 4}, nil,
			[]string{`environments.dev.deployTimeoutMinutes: 4 is not a deploy timeout the pipeline's deploy step accepts: 5 to 60 minutes`}},
		{"deploy timeout shorter than the canary", map[string]any{"deploymentStrategy": "canary"}, nil,
			[]string{`environments.dev.deployTimeoutMinutes: 20 is shorter than the canary rollout it waits for: up to 22 min 30 s (make report; dominant term: canary bake) plus 180 s for the deploy step itself; set deployTimeoutMinutes to at least 26, or shorten bakeTimeMinutes or canaryBakeMinutes`}},
		{"deploy timeout shorter than the linear steps", map[string]any{"deploymentStrategy": "linear", "deployTimeoutMinutes": 30}, nil,
			[]string{`environments.dev.deployTimeoutMinutes: 30 is shorter than the linear rollout it waits for: up to 27 min 30 s (make report; dominant term: step bake) plus 180 s for the deploy step itself; set deployTimeoutMinutes to at least 31, or shorten bakeTimeMinutes, linearStepBakeMinutes, or raise linearStepPercent`}},
		{"a rollout longer than a pipeline action may run", map[string]any{"deploymentStrategy": "blue-green", "bakeTimeMinutes": 60, "deployTimeoutMinutes": 60}, nil,
			[]string{`environments.dev.deployTimeoutMinutes: 60 cannot cover the blue-green rollout: it takes up to 62 min 30 s (make report; dominant term: bake time), plus 180 s for the deploy step itself, longer than the 60 minutes a pipeline action may run; shorten bakeTimeMinutes`}},
		{"bake time out of ECS's range", map[string]any{"deploymentStrategy": "blue-green", "bakeTimeMinutes": 1441}, nil,
			[]string{`environments.dev.bakeTimeMinutes: 1441 is not a bake time ECS accepts: 0 to 1440 minutes (24 hours)`}},
		{"canary knobs out of range", map[string]any{"deploymentStrategy": "canary", "canaryPercent": 0.05, "canaryBakeMinutes": -1}, nil,
			[]string{`environments.dev.canaryPercent: 0.05 is not a traffic share ECS accepts: 0.1 to 100 %`, `environments.dev.canaryBakeMinutes: -1 is not a bake time ECS accepts: 0 to 1440 minutes`}},
		{"canary share not in tenths", map[string]any{"deploymentStrategy": "canary", "canaryPercent": 12.34}, nil,
			[]string{`environments.dev.canaryPercent: 12.34 is not a multiple of 0.1 %, as ECS requires (did you mean 12.3?)`}},
		{"linear step below ECS's 3 %", map[string]any{"deploymentStrategy": "linear", "linearStepPercent": 2.5, "deployTimeoutMinutes": 60}, nil,
			[]string{`environments.dev.linearStepPercent: 2.5 is not a traffic share ECS accepts: 3 to 100 %`}},
		{"linear step bake out of range", map[string]any{"deploymentStrategy": "linear", "linearStepBakeMinutes": 2000}, nil,
			[]string{`environments.dev.linearStepBakeMinutes: 2000 is not a bake time ECS accepts: 0 to 1440 minutes`}},
		{"a strategy that is not ECS's", map[string]any{"deploymentStrategy": "bluegreen"}, nil,
			[]string{`environments.dev.deploymentStrategy: "bluegreen" is not one of "rolling", "canary", "linear", "blue-green"`}},
		{"a share is a number", map[string]any{"deploymentStrategy": "canary", "canaryPercent": "ten"}, nil,
			[]string{`environments.dev.canaryPercent: "ten" is not a number`}},
		{"canary knobs with the rolling strategy", map[string]any{"canaryPercent": 20, "bakeTimeMinutes": 5}, nil,
			[]string{`environments.dev.bakeTimeMinutes: applies only with deploymentStrategy "canary" or "linear" or "blue-green", and it is "rolling"`, `environments.dev.canaryPercent: applies only with deploymentStrategy "canary", and it is "rolling"`}},
		{"linear knob with canary", nil, map[string]any{"env": "prod", "linearStepPercent": "20"},
			[]string{`linearStepPercent: applies only with deploymentStrategy "linear", and it is "canary"`}},
		{"test listener without a test listener", map[string]any{"testListenerCidrs": []any{"192.0.2.0/24"}}, nil,
			[]string{`environments.dev.testListenerCidrs: applies only with deploymentStrategy "canary" or "linear" or "blue-green", and it is "rolling"`}},
		{"test listener CIDR", map[string]any{"deploymentStrategy": "blue-green", "testListenerCidrs": []any{"192.0.2.1/24"}}, nil,
			[]string{`environments.dev.testListenerCidrs: "192.0.2.1/24" is not a network address`}},
		{"rollback thresholds", map[string]any{"rollbackErrorRatePercent": 0, "rollbackLatencyP95Ms": 0, "rollbackMinRequests": 0}, nil,
			[]string{`environments.dev.rollbackErrorRatePercent: 0 is not an error rate to alarm on: 0.1 to 100 %`, `environments.dev.rollbackLatencyP95Ms: 0 is not a response time to alarm on`, `environments.dev.rollbackMinRequests: 0 is not a request count`}},
		{"smoke test paths", map[string]any{"smokeTestPaths": []any{"smoke", "/a b", "/x", "/x"}}, nil,
			[]string{`environments.dev.smokeTestPaths: "smoke" is not a path to request`, `environments.dev.smokeTestPaths: "/a b" is not a path to request`, `environments.dev.smokeTestPaths: "/x" is listed twice`}},
		{"smoke test from outside the VPC to a closed ALB", map[string]any{"allowedCidrs": []any{"198.51.100.0/24"}}, nil,
			[]string{`environments.dev.smokeTest: true cannot reach the load balancer: allowedCidrs ["198.51.100.0/24"] does not admit 0.0.0.0/0, and the smoke test runs in CodeBuild outside the VPC`}},
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
		{"endpoints in China: one message that says what to use", map[string]any{"egress": "endpoints", "region": "cn-northwest-1"}, nil, []string{
			`environments.dev.egress: "endpoints" works in the aws partition only, and region "cn-northwest-1" is in aws-cn: its interface endpoint service names (com.amazonaws.REGION.…, aws/aws-cdk#16139) and the ECR Public pull-through cache that brings the placeholder in are the aws partition's; use egress "nat" or "nat-per-az" there`,
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
		{"endpoints in a pinned aws region", map[string]any{"egress": "endpoints", "region": "eu-central-2"}},
		{"a NAT in China", map[string]any{"region": "cn-north-1"}},
		{"a NAT per AZ in GovCloud", map[string]any{"egress": "nat-per-az", "region": "us-gov-east-1"}},
		{"placeholder in this account's ECR, endpoints", map[string]any{"egress": "endpoints", "placeholderImage": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/base/web:1"}},
		{"placeholder on ECR Public by tag, endpoints", map[string]any{"egress": "endpoints", "placeholderImage": "public.ecr.aws/my/app:placeholder"}},
		{"placeholder on ECR Public by digest, nat", map[string]any{"placeholderImage": "public.ecr.aws/nginx/nginx@sha256:" + strings.Repeat("a", 64)}},
		{"NACL", map[string]any{"privateNaclRules": []any{map[string]any{"rule": 100.0, "action": "allow", "direction": "ingress", "protocol": "all", "cidr": "10.0.0.0/16"}}}},
		{"canary at the edges of ECS's ranges", map[string]any{"deploymentStrategy": "canary", "canaryPercent": 0.1, "canaryBakeMinutes": 0, "bakeTimeMinutes": 0}},
		{"canary to everyone at once", map[string]any{"deploymentStrategy": "canary", "canaryPercent": "100", "deployTimeoutMinutes": 30}},
		{"linear at ECS's smallest step, baked briefly", map[string]any{"deploymentStrategy": "linear", "linearStepPercent": 3, "linearStepBakeMinutes": 1, "bakeTimeMinutes": 1, "deployTimeoutMinutes": 45}},
		{"linear from the command line", map[string]any{"deploymentStrategy": "linear", "linearStepPercent": "33.3", "deployTimeoutMinutes": "40"}},
		{"blue-green in dev's timeout", map[string]any{"deploymentStrategy": "blue-green"}},
		{"blue-green at the longest bake the pipeline waits for", map[string]any{"deploymentStrategy": "blue-green", "bakeTimeMinutes": 44, "deployTimeoutMinutes": 60}},
		{"test listener open to an office", map[string]any{"deploymentStrategy": "blue-green", "testListenerCidrs": []any{"198.51.100.0/24"}}},
		{"no rollback alarms", map[string]any{"rollbackAlarms": false}},
		{"a closed ALB without the smoke test", map[string]any{"allowedCidrs": []any{"198.51.100.0/24"}, "smokeTest": false}},
		{"smoke paths", map[string]any{"smokeTestPaths": []any{"/smoke", "/api/health?deep=1"}}},
		{"NAT instance", map[string]any{"egress": "nat-instance"}},
		{"NAT instance, x86", map[string]any{"egress": "nat-instance", "natInstanceType": "t3.micro"}},
		{"NAT instance, a large type", map[string]any{"egress": "nat-instance", "natInstanceType": "c7gn.16xlarge"}},
		{"Spot", map[string]any{"capacity": "spot"}},
		{"mixed, base 1", map[string]any{"capacity": "mixed", "onDemandBaseCount": 1}},
		{"mixed, base maxCount", map[string]any{"capacity": "mixed", "onDemandBaseCount": 4}},
		{"schedule", map[string]any{"schedule": map[string]any{"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "Europe/Berlin"}}},
		{"schedule, days listed", map[string]any{"schedule": map[string]any{"days": "MON,WED-THU,SAT", "start": "00:00", "end": "23:59", "timeZone": "America/Argentina/Buenos_Aires"}}},
		{"schedule in UTC", map[string]any{"schedule": map[string]any{"days": "SUN-SAT", "start": "06:30", "end": "18:45", "timeZone": "UTC"}}},
		{"schedule off", map[string]any{"schedule": "none"}},
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

// TestNatInstanceInProd: prod takes a NAT instance only when told to,
// and still warns about it.
func TestNatInstanceInProd(t *testing.T) {
	c, err := Load(ctx(nil, map[string]any{"env": "prod", "egress": "nat-instance", "allowSingleNatInstanceInProd": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Network.Egress != EgressNatInstance || len(c.Warnings()) != 1 || !strings.HasPrefix(c.Warnings()[0], `egress: "nat-instance" is a single EC2 instance without failover`) {
		t.Errorf("egress %s, warnings %q", c.Network.Egress, c.Warnings())
	}
}

// TestWarnings: what trades robustness for cost, and settings that do
// nothing, are said, with the key path; nothing else is.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		dev  map[string]any
		top  map[string]any
		want []string
	}{
		{"defaults: none", nil, nil, nil},
		{"prod defaults: none", nil, map[string]any{"env": "prod"}, nil},
		{"a NAT instance", map[string]any{"egress": "nat-instance"}, nil, []string{
			`environments.dev.egress: "nat-instance" is a single EC2 instance without failover: when it stops, is replaced (a deploy after AWS publishes a new Amazon Linux image) or its AZ fails, the tasks lose ECR, CloudWatch Logs and the internet until it is back; use "nat" or "nat-per-az" where that matters (docs/network.md)`}},
		{"a NAT instance type without one", map[string]any{"natInstanceType": "t4g.micro"}, nil, []string{
			`environments.dev.natInstanceType: "t4g.micro" has no effect: egress is "nat", not "nat-instance"`}},
		{"allowed in dev", nil, map[string]any{"allowSingleNatInstanceInProd": "true"}, []string{
			`allowSingleNatInstanceInProd: has no effect outside the "prod" environment`}},
		{"a base without mixed", map[string]any{"capacity": "spot", "onDemandBaseCount": 2}, nil, []string{
			`environments.dev.onDemandBaseCount: 2 has no effect: capacity is "spot", not "mixed"`}},
		{"Spot in dev: documented, not warned", map[string]any{"capacity": "spot"}, nil, nil},
		{"all of prod on Spot", nil, map[string]any{"env": "prod", "capacity": "spot"}, []string{
			`capacity: "spot" puts every production task on Fargate Spot: AWS may take them back at the same time, and there is no fallback to on-demand while Spot has no capacity; "mixed" keeps onDemandBaseCount tasks on-demand (docs/service.md)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(ctx(tc.dev, tc.top))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Warnings(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("warnings:\n%q\nwant:\n%q", got, tc.want)
			}
		})
	}
}

// TestSchedule reads a schedule from cdk.json and from -c, and turns it
// off with "none".
func TestSchedule(t *testing.T) {
	want := &Schedule{Days: "MON-FRI", Start: "08:00", End: "20:00", TimeZone: "Europe/Berlin"}
	for _, tc := range []struct {
		name string
		dev  map[string]any
		top  map[string]any
		want *Schedule
	}{
		{"from cdk.json", map[string]any{"schedule": map[string]any{"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "Europe/Berlin"}}, nil, want},
		{"from -c", nil, map[string]any{"schedule": `{"days":"MON-FRI","start":"08:00","end":"20:00","timeZone":"Europe/Berlin"}`}, want},
		{"-c schedule=none turns cdk.json's off", map[string]any{"schedule": map[string]any{"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "Europe/Berlin"}}, map[string]any{"schedule": "none"}, nil},
		{"empty: off", map[string]any{"schedule": ""}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(ctx(tc.dev, tc.top))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Service.Schedule, tc.want) {
				t.Errorf("schedule %+v, want %+v", c.Service.Schedule, tc.want)
			}
		})
	}
	if got := want.String(); got != "MON-FRI 08:00-20:00 Europe/Berlin" {
		t.Errorf("String() = %q", got)
	}
	for field, days := range map[string][]int{"MON-FRI": {1, 2, 3, 4, 5}, "SUN": {0}, "MON,WED,FRI": {1, 3, 5}, "SAT,MON-TUE,MON": {1, 2, 6}, "SUN-SAT": {0, 1, 2, 3, 4, 5, 6}} {
		if got, err := Days(field); err != nil || !reflect.DeepEqual(got, days) {
			t.Errorf("Days(%q) = %v, %v; want %v", field, got, err, days)
		}
	}
	for _, bad := range []string{"", "mon", "MON-", "MON-FRI-SAT", "SAT-SUN", "1-5", "MON FRI"} {
		if _, err := Days(bad); err == nil {
			t.Errorf("Days(%q): no error", bad)
		}
	}
}
