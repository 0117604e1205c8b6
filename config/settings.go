package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// setting is one configuration key: how to read it into a Config and how to
// show it in docs/configuration.md. Each key is set per environment
// (environments.NAME.key in cdk.json) or for the chosen environment on the
// command line (-c key=value).
type setting struct {
	key  string
	typ  string
	doc  string
	get  func(*Config) any
	set  func(*Config, any) error
	enum []string
}

// settings is every key the configuration knows, in the order of docs/configuration.md.
var settings = []setting{
	str("account", "AWS account ID to pin the stacks to. Empty keeps them environment-agnostic: synth needs no credentials.", func(c *Config) *string { return &c.Account }),
	str("region", "AWS region to pin the stacks to, e.g. `eu-west-1`. Empty keeps them environment-agnostic.", func(c *Config) *string { return &c.Region }),

	str("vpcCidr", "IPv4 CIDR of the VPC, /16 to /28.", func(c *Config) *string { return &c.Network.VpcCidr }),
	integer("subnetMask", "Prefix length of each of the 4 subnets. They are laid out like the hand-built original: block 1 and 2 public, block 3 and 4 private.", func(c *Config) *int { return &c.Network.SubnetMask }),
	strList("publicSubnetCidrs", "Two CIDRs (AZ a, AZ b) for the public subnets, instead of the layout from `subnetMask`. Set with `privateSubnetCidrs`.", func(c *Config) *[]string { return &c.Network.PublicSubnetCidrs }),
	strList("privateSubnetCidrs", "Two CIDRs (AZ a, AZ b) for the private subnets, instead of the layout from `subnetMask`. Set with `publicSubnetCidrs`.", func(c *Config) *[]string { return &c.Network.PrivateSubnetCidrs }),
	enum("egress", "How tasks in the private subnets reach ECR, S3 and CloudWatch Logs: `nat` (one shared NAT gateway, cheap), `nat-per-az` (a NAT gateway per AZ, no single point of failure), `nat-instance` (one EC2 NAT instance: cheapest, but a single instance without failover; prod only with `allowSingleNatInstanceInProd`), `endpoints` (no NAT: VPC endpoints only, no internet; the `aws` partition only, [network](network.md)).", func(c *Config) *Egress { return &c.Network.Egress }, EgressModes...),
	str("natInstanceType", "EC2 instance type of the NAT instance (egress `nat-instance`), e.g. `t4g.micro`. Graviton (`…g.…`) types run the arm64 Amazon Linux 2023 image, the others x86_64.", func(c *Config) *string { return &c.Network.NatInstanceType }),
	boolean("allowSingleNatInstanceInProd", "Let the production environment use egress `nat-instance`: one instance, no failover; when it stops, the tasks lose ECR, CloudWatch Logs and the internet until it is back.", func(c *Config) *bool { return &c.Network.AllowSingleNatInstanceInProd }),
	integer("flowLogRetentionDays", "Days CloudWatch Logs keeps the VPC flow logs.", func(c *Config) *int { return &c.Network.FlowLogRetentionDays }),
	naclRules("privateNaclRules", "Numbered rules of a custom network ACL on the private subnets (empty: the VPC's default NACL, which allows all). Each rule: `{\"rule\":100,\"action\":\"allow\",\"direction\":\"ingress\",\"protocol\":\"tcp\",\"fromPort\":80,\"toPort\":80,\"cidr\":\"10.0.0.0/16\"}`.", func(c *Config) *[]NaclRule { return &c.Network.PrivateNaclRules }),

	integer("cpu", "Task CPU units (256 = 0.25 vCPU … 16384 = 16 vCPU).", func(c *Config) *int { return &c.Service.Cpu }),
	integer("memory", "Task memory in MiB; must be a size Fargate offers for `cpu`.", func(c *Config) *int { return &c.Service.MemoryMiB }),
	enum("architecture", "CPU architecture of the task (and of the image the pipeline builds).", func(c *Config) *string { return &c.Service.Architecture }, "X86_64", "ARM64"),
	integer("containerPort", "Port the container listens on; the task sets it in `$PORT`.", func(c *Config) *int { return &c.Service.ContainerPort }),
	integer("logRetentionDays", "Days CloudWatch Logs keeps the container and build logs.", func(c *Config) *int { return &c.Service.LogRetentionDays }),
	strMap("environment", "Environment variables of the container, as an object.", func(c *Config) *map[string]string { return &c.Service.Environment }),
	concealed(strMap("secrets", "Environment variables filled from Secrets Manager secret ARNs (complete or partial) or SSM parameter ARNs, as an object `{\"NAME\": \"arn:…\"}`. The execution role may read just these ([secrets](#secrets): the accepted forms, and customer managed KMS keys). No message repeats a value: a wrong one may be the secret itself.", func(c *Config) *map[string]string { return &c.Service.Secrets }), always),
	integer("minCount", "Fewest tasks autoscaling keeps, and what the first deploy starts with. Autoscaling owns the running count: no deploy sets it.", func(c *Config) *int { return &c.Service.MinCount }),
	integer("maxCount", "Most tasks autoscaling starts.", func(c *Config) *int { return &c.Service.MaxCount }),
	integer("scaleCpuPercent", "Average CPU utilization autoscaling tracks.", func(c *Config) *int { return &c.Service.ScaleCpuPercent }),
	integer("scaleRequestsPerTarget", "ALB requests per task per minute autoscaling tracks.", func(c *Config) *int { return &c.Service.ScaleRequestsPerTarget }),
	enum("capacity", "Where the tasks run: `on-demand` Fargate, `spot` (Fargate Spot: about 70 % cheaper, taken back with a two-minute warning, and no fallback to on-demand when Spot has no capacity), or `mixed` (`onDemandBaseCount` tasks on-demand, the rest on Spot). With Spot the container's stop timeout is 120 s.", func(c *Config) *Capacity { return &c.Service.Capacity }, CapacityModes...),
	integer("onDemandBaseCount", "With capacity `mixed`: how many tasks always run on-demand (1 to maxCount); the rest run on Spot.", func(c *Config) *int { return &c.Service.OnDemandBaseCount }),
	schedule("schedule", "Working hours, as `{\"days\": \"MON-FRI\", \"start\": \"08:00\", \"end\": \"20:00\", \"timeZone\": \"Europe/Berlin\"}`: outside them the service scales to zero tasks, inside them back to `minCount`. Days as in cron (`MON-FRI`, `MON,WED,FRI`), times 24-hour, an IANA time zone. Empty or `none`: always on.", func(c *Config) **Schedule { return &c.Service.Schedule }),
	integer("healthCheckGracePeriodSeconds", "Seconds ECS ignores failing ALB health checks of a new task.", func(c *Config) *int { return &c.Service.HealthCheckGracePeriodSeconds }),
	boolean("enableExec", "Turn on ECS Exec (`aws ecs execute-command`) for the tasks. The exec agent gets writable scratch volumes at `/managed-agents`, `/var/lib/amazon/ssm` and `/var/log/amazon/ssm`, since the root filesystem is read-only.", func(c *Config) *bool { return &c.Service.EnableExec }),
	strList("allowedCidrs", "IPv4 CIDRs the ALB admits on its listener ports.", func(c *Config) *[]string { return &c.Service.AllowedCidrs }),
	str("healthCheckPath", "Path the ALB probes; must start with `/`.", func(c *Config) *string { return &c.Service.HealthCheck.Path }),
	integer("healthCheckIntervalSeconds", "Seconds between ALB health checks (5–300).", func(c *Config) *int { return &c.Service.HealthCheck.IntervalSeconds }),
	integer("healthCheckTimeoutSeconds", "Seconds the ALB waits for a health-check answer (2–120, less than the interval).", func(c *Config) *int { return &c.Service.HealthCheck.TimeoutSeconds }),
	integer("healthyThresholdCount", "Consecutive passes before a target is healthy (2–10).", func(c *Config) *int { return &c.Service.HealthCheck.HealthyThreshold }),
	integer("unhealthyThresholdCount", "Consecutive failures before a target is unhealthy (2–10).", func(c *Config) *int { return &c.Service.HealthCheck.UnhealthyThreshold }),
	str("healthCheckMatcher", "HTTP codes that count as healthy, e.g. `200` or `200-399`.", func(c *Config) *string { return &c.Service.HealthCheck.Matcher }),
	integer("deregistrationDelaySeconds", "Seconds the ALB drains a target before it is gone (ELB's default of 300 makes every deploy wait five minutes).", func(c *Config) *int { return &c.Service.DeregistrationDelaySeconds }),
	boolean("accessLogs", "Write ALB access logs to an S3 bucket.", func(c *Config) *bool { return &c.Service.AccessLogs }),
	str("domainName", "Domain for HTTPS (certificate, 443 listener, 80 redirects to 443, alias record). Needs `hostedZoneId` and `hostedZoneName`.", func(c *Config) *string { return &c.Service.DomainName }),
	str("hostedZoneId", "Route 53 hosted zone ID of `domainName`.", func(c *Config) *string { return &c.Service.HostedZoneId }),
	str("hostedZoneName", "Route 53 hosted zone name of `domainName`, e.g. `example.com`.", func(c *Config) *string { return &c.Service.HostedZoneName }),
	str("alarmEmail", "Email address subscribed to the alarm topic (empty: no subscription).", func(c *Config) *string { return &c.Service.AlarmEmail }),
	integer("keepImages", "Released images the ECR lifecycle policy keeps, and as many of the newest other builds (2 or more; untagged images expire after a day). A build that is never released cannot push out a released one.", func(c *Config) *int { return &c.Service.KeepImages }),
	boolean("deleteRepositoryOnDestroy", "Let `cdk destroy` delete the ECR repository and its images. Off: the repository is retained.", func(c *Config) *bool { return &c.Service.DeleteRepositoryOnDestroy }),
	strList("writablePaths", "Writable scratch directories of the container, whose root filesystem is read-only. The defaults are `/tmp` and what the placeholder (nginx) writes to.", func(c *Config) *[]string { return &c.Service.WritablePaths }),
	boolean("deletionProtection", "Turn on the ALB's deletion protection: `cdk destroy` then fails until it is turned off.", func(c *Config) *bool { return &c.Service.DeletionProtection }),
	str("placeholderImage", "Image the service runs until the pipeline's first build. The default (nginx on ECR Public) answers `/` on port 80; with another port or health-check path, name an image that answers them.", func(c *Config) *string { return &c.Service.PlaceholderImage }),

	enum("deploymentStrategy", "How ECS rolls a new image out ([deployments](deployments.md#deployment-strategies)): `rolling` (replace the tasks, no second fleet), `canary` (`canaryPercent` of traffic first, the rest after `canaryBakeMinutes`), `linear` (`linearStepPercent` at a time, `linearStepBakeMinutes` apart) or `blue-green` (a second fleet, all traffic at once). The last three keep the old tasks for `bakeTimeMinutes` and shift back on an alarm.", func(c *Config) *Strategy { return &c.Service.Rollout.Strategy }, Strategies...),
	integer("bakeTimeMinutes", "Minutes `canary`, `linear` and `blue-green` keep the old tasks after all traffic has moved, watching the rollback alarms (0–1440).", func(c *Config) *int { return &c.Service.Rollout.BakeMinutes }),
	number("canaryPercent", "Share of production traffic the new image gets first with `canary`, in % (0.1–100, in steps of 0.1).", func(c *Config) *float64 { return &c.Service.Rollout.CanaryPercent }),
	integer("canaryBakeMinutes", "Minutes `canary` waits on `canaryPercent` before shifting the rest (0–1440).", func(c *Config) *int { return &c.Service.Rollout.CanaryBakeMinutes }),
	number("linearStepPercent", "Share of production traffic `linear` shifts at each step, in % (3–100, in steps of 0.1).", func(c *Config) *float64 { return &c.Service.Rollout.StepPercent }),
	integer("linearStepBakeMinutes", "Minutes `linear` waits after each step but the last (0–1440).", func(c *Config) *int { return &c.Service.Rollout.StepBakeMinutes }),
	boolean("rollbackAlarms", "Roll a deployment back when the target 5xx rate or the p95 latency alarm fires (the service's deployment alarms, every strategy). The circuit breaker is on regardless.", func(c *Config) *bool { return &c.Service.Rollout.Alarms }),
	number("rollbackErrorRatePercent", "Target 5xx answers, in % of requests a minute, that fire the rollback alarm (0.1–100).", func(c *Config) *float64 { return &c.Service.Rollout.ErrorRatePercent }),
	integer("rollbackLatencyP95Ms", "p95 target response time, in ms, that fires the rollback alarm (1–60000).", func(c *Config) *int { return &c.Service.Rollout.LatencyP95Ms }),
	integer("rollbackMinRequests", "Requests a minute below which the rollback alarms do not fire, so low traffic does not trip them (1–1000000).", func(c *Config) *int { return &c.Service.Rollout.MinRequests }),
	strList("testListenerCidrs", "IPv4 CIDRs that may reach the test listener of `canary`, `linear` and `blue-green`, besides the VPC (empty: the VPC only, never the internet).", func(c *Config) *[]string { return &c.Service.Rollout.TestListenerCidrs }),

	enum("sourceProvider", "Where the source repository lives, reached through a CodeConnections connection.", func(c *Config) *string { return &c.Pipeline.Provider }, "GitHub", "Bitbucket", "GitLab"),
	str("sourceRepository", "Source repository as `owner/repo`.", func(c *Config) *string { return &c.Pipeline.Repository }),
	str("sourceBranch", "Branch whose pushes trigger the pipeline.", func(c *Config) *string { return &c.Pipeline.Branch }),
	str("connectionArn", "ARN of an existing CodeConnections connection. Empty: the PipelineStack creates one, which you approve once in the console.", func(c *Config) *string { return &c.Pipeline.ConnectionArn }),
	enum("buildComputeType", "CodeBuild compute size.", func(c *Config) *string { return &c.Pipeline.ComputeType }, "SMALL", "MEDIUM", "LARGE", "XLARGE", "2XLARGE"),
	str("buildTestCommand", "Command the build runs before pushing the image, e.g. `make -C app test` (empty: none).", func(c *Config) *string { return &c.Pipeline.TestCommand }),
	str("dockerfile", "Dockerfile path, relative to the repository root.", func(c *Config) *string { return &c.Pipeline.Dockerfile }),
	str("buildContext", "Docker build context, relative to the repository root.", func(c *Config) *string { return &c.Pipeline.BuildContext }),
	concealed(str("dockerHubSecretArn", "Secrets Manager secret with `username` and `password` for Docker Hub; the build logs in before building (empty: no login). A value that is not an ARN is never repeated in a message.", func(c *Config) *string { return &c.Pipeline.DockerHubSecretArn }), unlessArn),
	integer("deployTimeoutMinutes", "Minutes the pipeline's deploy step may take before it fails and asks ECS to roll back (5–60); at least the rollout bound of the strategy (`make report`) plus 3.", func(c *Config) *int { return &c.Pipeline.DeployTimeoutMinutes }),
	boolean("smokeTest", "After the deploy, request the health-check path and `smokeTestPaths` through the load balancer; the image is recorded as released only when every answer is 2xx or 3xx. Needs `allowedCidrs` to admit `0.0.0.0/0`: the test runs in CodeBuild, outside the VPC.", func(c *Config) *bool { return &c.Pipeline.SmokeTest }),
	strList("smokeTestPaths", "Paths the smoke test requests besides the health-check path, e.g. `[\"/smoke\"]`.", func(c *Config) *[]string { return &c.Pipeline.SmokeTestPaths }),
	boolean("manualApproval", "Add a manual approval stage before deploy.", func(c *Config) *bool { return &c.Pipeline.ManualApproval }),
	boolean("autoDeleteArtifacts", "Let `cdk destroy` empty and delete the pipeline's artifact bucket.", func(c *Config) *bool { return &c.Pipeline.AutoDeleteArtifacts }),
}

// removedSettings are keys the app no longer reads, with what to do
// instead: a removed key must fail loudly, never be ignored.
var removedSettings = map[string]string{
	"desiredCount": "is no longer a setting: autoscaling owns the running task count, and a deploy that set it would undo what autoscaling chose; the first deploy starts minCount tasks, so set minCount (and maxCount) instead",
}

// settingByKey finds a setting, or nil.
func settingByKey(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

// typeError says a value has the wrong type for its key.
type typeError struct {
	want string
	got  any
}

func (e typeError) Error() string {
	return fmt.Sprintf("%s is not %s", show(e.got), e.want)
}

// notShown is how a message refers to a value it must not repeat.
const notShown = "not shown: it may be a secret"

// concealed is a setting whose wrong values may be secrets pasted by
// mistake: when hide says so, its errors name the key and what is expected,
// never the value.
func concealed(s setting, hide func(any) bool) setting {
	set := s.set
	s.set = func(c *Config, v any) error {
		err := set(c, v)
		if err == nil || !hide(v) {
			return err
		}
		var te typeError
		if errors.As(err, &te) {
			return errors.New(strings.Replace(err.Error(), te.Error(), "the value is not "+te.want+" ("+notShown+")", 1))
		}
		return errors.New("the value is not valid (" + notShown + ")")
	}
	return s
}

// always hides every value of a setting.
func always(any) bool { return true }

// unlessArn hides a value unless it looks like an ARN, which is no secret.
func unlessArn(v any) bool {
	s, ok := v.(string)
	return !ok || !looksLikeArn(s)
}

func looksLikeArn(s string) bool { return strings.HasPrefix(s, "arn:") }

func str(key, doc string, field func(*Config) *string) setting {
	return setting{key: key, typ: "string", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			s, ok := v.(string)
			if !ok {
				return typeError{"a string", v}
			}
			*field(c) = s
			return nil
		}}
}

func enum[T ~string](key, doc string, field func(*Config) *T, allowed ...T) setting {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return setting{key: key, typ: "string", doc: doc, enum: names,
		get: func(c *Config) any { return string(*field(c)) },
		set: func(c *Config, v any) error {
			s, ok := v.(string)
			if !ok {
				return typeError{"a string", v}
			}
			for _, a := range allowed {
				if string(a) == s {
					*field(c) = a
					return nil
				}
			}
			return fmt.Errorf("%s is not one of %s", show(s), strings.Join(quoteAll(names), ", "))
		}}
}

func integer(key, doc string, field func(*Config) *int) setting {
	return setting{key: key, typ: "integer", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			n, err := toInt(v)
			if err != nil {
				return err
			}
			*field(c) = n
			return nil
		}}
}

func number(key, doc string, field func(*Config) *float64) setting {
	return setting{key: key, typ: "number", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			n, err := toFloat(v)
			if err != nil {
				return err
			}
			*field(c) = n
			return nil
		}}
}

func boolean(key, doc string, field func(*Config) *bool) setting {
	return setting{key: key, typ: "boolean", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			switch b := v.(type) {
			case bool:
				*field(c) = b
				return nil
			case string: // -c key=true arrives as a string
				if p, err := strconv.ParseBool(b); err == nil && (b == "true" || b == "false") {
					*field(c) = p
					return nil
				}
			}
			return typeError{"true or false", v}
		}}
}

func strList(key, doc string, field func(*Config) *[]string) setting {
	return setting{key: key, typ: "list of strings", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			if s, ok := v.(string); ok { // -c key=a,b or -c 'key=["a","b"]'
				v = fromCommandLine(s, true)
			}
			items, ok := v.([]any)
			if !ok {
				return typeError{"a list of strings", v}
			}
			out := make([]string, 0, len(items))
			for _, it := range items {
				s, ok := it.(string)
				if !ok {
					return typeError{"a list of strings", v}
				}
				out = append(out, s)
			}
			*field(c) = out
			return nil
		}}
}

func strMap(key, doc string, field func(*Config) *map[string]string) setting {
	return setting{key: key, typ: "object of strings", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			if s, ok := v.(string); ok { // -c 'key={"A":"b"}'
				v = fromCommandLine(s, false)
			}
			obj, ok := v.(map[string]any)
			if !ok {
				return typeError{"an object of strings", v}
			}
			out := make(map[string]string, len(obj))
			for k, it := range obj {
				s, ok := it.(string)
				if !ok {
					return fmt.Errorf("%s: %w", k, typeError{"a string", it})
				}
				out[k] = s
			}
			*field(c) = out
			return nil
		}}
}

func naclRules(key, doc string, field func(*Config) *[]NaclRule) setting {
	return setting{key: key, typ: "list of rules", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			if s, ok := v.(string); ok {
				v = fromCommandLine(s, false)
			}
			items, ok := v.([]any)
			if !ok {
				return typeError{"a list of NACL rules", v}
			}
			var out []NaclRule
			for i, it := range items {
				r, err := parseNaclRule(it)
				if err != nil {
					return fmt.Errorf("[%d]: %w", i, err)
				}
				out = append(out, r)
			}
			*field(c) = out
			return nil
		}}
}

func schedule(key, doc string, field func(*Config) **Schedule) setting {
	return setting{key: key, typ: "schedule object", doc: doc,
		get: func(c *Config) any { return *field(c) },
		set: func(c *Config, v any) error {
			if s, ok := v.(string); ok { // -c 'schedule={"days":…}' or -c schedule=none
				if t := strings.TrimSpace(s); t == "" || t == "none" {
					*field(c) = nil
					return nil
				}
				v = fromCommandLine(s, false)
			}
			obj, ok := v.(map[string]any)
			if !ok {
				return typeError{`a schedule object such as {"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "Europe/Berlin"}, or "none"`, v}
			}
			sch := &Schedule{}
			for _, k := range sortedKeys(obj) {
				val, ok := obj[k].(string)
				if !ok {
					return fmt.Errorf("%s: %w", k, typeError{"a string", obj[k]})
				}
				switch k {
				case "days":
					sch.Days = val
				case "start":
					sch.Start = val
				case "end":
					sch.End = val
				case "timeZone":
					sch.TimeZone = val
				default:
					return fmt.Errorf("%s: unknown key; a schedule has days, start, end and timeZone", k)
				}
			}
			*field(c) = sch
			return nil
		}}
}

// parseNaclRule reads one rule object, strictly: unknown keys are errors.
func parseNaclRule(v any) (NaclRule, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return NaclRule{}, typeError{"an object", v}
	}
	r := NaclRule{Protocol: "tcp", Cidr: "0.0.0.0/0"}
	for _, k := range sortedKeys(obj) {
		var err error
		switch val := obj[k]; k {
		case "rule":
			r.Rule, err = toInt(val)
		case "fromPort":
			r.FromPort, err = toInt(val)
		case "toPort":
			r.ToPort, err = toInt(val)
		case "action", "direction", "protocol", "cidr":
			s, ok := val.(string)
			if !ok {
				err = typeError{"a string", val}
				break
			}
			switch k {
			case "action":
				r.Action = s
			case "direction":
				r.Direction = s
			case "protocol":
				r.Protocol = s
			case "cidr":
				r.Cidr = s
			}
		default:
			err = fmt.Errorf("unknown key; a rule has rule, action, direction, protocol, fromPort, toPort, cidr")
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", k, err)
		}
	}
	return r, nil
}

// fromCommandLine reads a -c value meant as a list or an object: JSON when
// it looks like JSON, otherwise (for lists) comma-separated.
func fromCommandLine(s string, commaList bool) any {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
		var v any
		if err := json.Unmarshal([]byte(t), &v); err == nil {
			return v
		}
		return s
	}
	if !commaList {
		return s
	}
	out := []any{}
	for _, part := range strings.Split(t, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func toInt(v any) (int, error) {
	switch n := v.(type) {
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<31 {
			return int(n), nil
		}
	case int:
		return n, nil
	case string: // -c key=512 arrives as a string
		if i, err := strconv.Atoi(strings.TrimSpace(n)); err == nil {
			return i, nil
		}
	}
	return 0, typeError{"an integer", v}
}

func toFloat(v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		if !math.IsInf(n, 0) && !math.IsNaN(n) {
			return n, nil
		}
	case int:
		return float64(n), nil
	case string: // -c key=2.5 arrives as a string
		if f, err := strconv.ParseFloat(strings.TrimSpace(n), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, nil
		}
	}
	return 0, typeError{"a number", v}
}

// show renders a value the way it appears in a message: strings quoted,
// everything else as JSON.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
