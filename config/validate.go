package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// Time zones are checked against the IANA database: the machine's, or
	// the copy built into the binary where the machine has none.
	_ "time/tzdata"

	"github.com/cdkdemo/fargate/rollout"
)

// LogRetentionDays are the retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// FargateMemory lists, per task CPU value, the memory sizes (MiB) Fargate
// accepts, as in AWS's task-size table.
var FargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step int) []int {
	var out []int
	for m := from; m <= to; m += step {
		out = append(out, m)
	}
	return out
}

var (
	appNameRe    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,18}[a-z0-9]$`)
	envNameRe    = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)
	accountRe    = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	envVarRe     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretArnRe  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
	ssmArnRe     = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$`)
	connArnRe    = regexp.MustCompile(`^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[A-Za-z0-9-]+$`)
	emailRe      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$`)
	hostnameRe   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	zoneIDRe     = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	privateEcrRe = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/`)
	repositoryRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	matcherRe    = regexp.MustCompile(`^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$`)
	branchBadRe  = regexp.MustCompile(`[\s~^:?*\[\\]|\.\.|@\{|^[-/]|/$|\.lock$|^$`)
	// instanceTypeRe is an EC2 instance type: family, generation and
	// options, then a size, e.g. t4g.nano, c7gn.xlarge, m5.metal.
	instanceTypeRe = regexp.MustCompile(`^[a-z]+[0-9][a-z0-9-]*\.([0-9]*(nano|micro|small|medium|large|xlarge)|metal(-[0-9]+xl)?)$`)
	clockRe        = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	// tzNameRe keeps out what LoadLocation reads besides zone names: paths.
	tzNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`)
)

// reservedEnv are the container's environment variables the app sets
// itself, from the setting named.
var reservedEnv = map[string]string{"PORT": "containerPort", "HEALTH_CHECK_PATH": "healthCheckPath"}

// validator collects problems, each naming the key path, the value and what
// is allowed.
type validator struct {
	c    *Config
	errs []error
}

func (v *validator) bad(key string, value any, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s %s", v.c.path(key), show(value), fmt.Sprintf(format, args...)))
}

// concealed reports a value that may be a secret without showing it: at
// path (the key's, plus a suffix such as ".NAME"), the value is… .
func (v *validator) concealed(key, suffix, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s%s: the value %s (%s)", v.c.path(key), suffix, fmt.Sprintf(format, args...), notShown))
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	v := &validator{c: &c}
	if !appNameRe.MatchString(c.AppName) {
		v.errs = append(v.errs, fmt.Errorf("%s: %s is not allowed: use 2 to 20 lowercase letters, digits and hyphens, starting with a letter (it names stacks and the ECR repository)", keyAppName, show(c.AppName)))
	}
	if !envNameRe.MatchString(c.Environment) {
		v.errs = append(v.errs, fmt.Errorf("%s.%s: %s is not allowed as an environment name: use 1 to 12 lowercase letters and digits, starting with a letter", keyEnvironments, c.Environment, show(c.Environment)))
	}
	if c.Account != "" && !accountRe.MatchString(c.Account) {
		v.bad("account", c.Account, "is not an AWS account ID: 12 digits, or empty for environment-agnostic stacks")
	}
	if c.Region != "" && !regionRe.MatchString(c.Region) {
		v.bad("region", c.Region, "is not an AWS region name such as \"us-east-1\", or empty for environment-agnostic stacks")
	}
	v.network()
	v.service()
	v.pipeline()
	return errors.Join(v.errs...)
}

// parseCidr checks an IPv4 network CIDR, reporting against key.
func (v *validator) parseCidr(key, cidr string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		v.bad(key, cidr, "is not an IPv4 CIDR such as \"10.0.0.0/16\"")
		return p, false
	}
	if p.Masked() != p {
		v.bad(key, cidr, "is not a network address: the host bits are set (did you mean %q?)", p.Masked().String())
		return p, false
	}
	return p, true
}

func (v *validator) network() {
	n := v.c.Network
	vpc, vpcOK := v.parseCidr("vpcCidr", n.VpcCidr)
	if vpcOK && (vpc.Bits() < 16 || vpc.Bits() > 28) {
		v.bad("vpcCidr", n.VpcCidr, "has a /%d prefix; a VPC takes /16 to /28", vpc.Bits())
		vpcOK = false
	}
	custom := v.c.origin["publicSubnetCidrs"] != "" || v.c.origin["privateSubnetCidrs"] != ""
	if !custom {
		switch {
		case n.SubnetMask < 16 || n.SubnetMask > 28:
			v.bad("subnetMask", n.SubnetMask, "is not a subnet prefix length AWS accepts: 16 to 28")
		case vpcOK && n.SubnetMask-vpc.Bits() < 3:
			v.bad("subnetMask", n.SubnetMask, "does not fit the VPC %s: the layout needs blocks 1 to 4 of /%d (public, public, private, private), and %s holds %d; use a mask from %d to 28",
				n.VpcCidr, n.SubnetMask, n.VpcCidr, 1<<max(0, n.SubnetMask-vpc.Bits()), vpc.Bits()+3)
		}
	}
	layout := []struct {
		key  string
		list []string
	}{{"publicSubnetCidrs", n.PublicSubnetCidrs}, {"privateSubnetCidrs", n.PrivateSubnetCidrs}}
	if len(n.PublicSubnetCidrs) != 2 || len(n.PrivateSubnetCidrs) != 2 {
		if custom {
			for _, l := range layout {
				if len(l.list) != 2 {
					v.bad(l.key, l.list, "must hold exactly 2 CIDRs, one per AZ (set publicSubnetCidrs and privateSubnetCidrs together)")
				}
			}
		}
	} else if vpcOK {
		var seen []netip.Prefix
		var seenKeys []string
		for _, l := range layout {
			k := l.key
			for _, s := range l.list {
				p, ok := v.parseCidr(k, s)
				switch {
				case !ok:
				case p.Bits() < 16 || p.Bits() > 28:
					v.bad(k, s, "has a /%d prefix; a subnet takes /16 to /28", p.Bits())
				case !vpc.Contains(p.Addr()) || p.Bits() < vpc.Bits():
					v.bad(k, s, "is not inside the VPC %s", n.VpcCidr)
				default:
					for i, q := range seen {
						if q.Overlaps(p) {
							v.bad(k, s, "overlaps %s from %s", q, seenKeys[i])
						}
					}
					seen = append(seen, p)
					seenKeys = append(seenKeys, k)
				}
			}
		}
	}
	if !slices.Contains(EgressModes, n.Egress) {
		v.bad("egress", string(n.Egress), "is not one of \"nat\", \"nat-per-az\", \"nat-instance\", \"endpoints\"")
	}
	if n.Egress == EgressNatInstance && v.c.Environment == ProductionEnvironment && !n.AllowSingleNatInstanceInProd {
		v.bad("egress", string(n.Egress), "is a single EC2 instance without failover: when it stops, or its AZ fails, production loses ECR, CloudWatch Logs and the internet until it is replaced; use \"nat-per-az\" (or \"nat\"), or set allowSingleNatInstanceInProd to true to accept that")
	}
	if !instanceTypeRe.MatchString(n.NatInstanceType) {
		v.bad("natInstanceType", n.NatInstanceType, "is not an EC2 instance type such as \"t4g.nano\" or \"t3.micro\"")
	}
	if p := Partition(v.c.Region); n.Egress == EgressEndpoints && regionRe.MatchString(v.c.Region) && p != "aws" {
		v.bad("egress", string(n.Egress), "works in the aws partition only, and region %s is in %s: its interface endpoint service names (com.amazonaws.REGION.…, aws/aws-cdk#16139) and the ECR Public pull-through cache that brings the placeholder in are the aws partition's; use egress \"nat\" or \"nat-per-az\" there", show(v.c.Region), p)
	}
	v.retention("flowLogRetentionDays", n.FlowLogRetentionDays)
	v.naclRules(n.PrivateNaclRules)
}

func (v *validator) retention(key string, days int) {
	if !slices.Contains(LogRetentionDays, days) {
		v.bad(key, days, "is not a retention CloudWatch Logs accepts; use one of %s", joinInts(LogRetentionDays))
	}
}

func (v *validator) naclRules(rules []NaclRule) {
	const key = "privateNaclRules"
	seen := map[string]bool{}
	for i, r := range rules {
		at := fmt.Sprintf("rule [%d] (%d)", i, r.Rule)
		if r.Rule < 1 || r.Rule > 32766 {
			v.bad(key, r.Rule, "in %s is not a rule number: 1 to 32766", at)
		}
		if r.Action != "allow" && r.Action != "deny" {
			v.bad(key, r.Action, "in %s is not an action: \"allow\" or \"deny\"", at)
		}
		if r.Direction != "ingress" && r.Direction != "egress" {
			v.bad(key, r.Direction, "in %s is not a direction: \"ingress\" or \"egress\"", at)
		}
		switch r.Protocol {
		case "tcp", "udp":
			if r.FromPort < 0 || r.ToPort > 65535 || r.FromPort > r.ToPort {
				v.bad(key, fmt.Sprintf("%d-%d", r.FromPort, r.ToPort), "in %s is not a port range: fromPort ≤ toPort within 0 to 65535", at)
			}
		case "icmp", "all":
		default:
			v.bad(key, r.Protocol, "in %s is not a protocol: \"tcp\", \"udp\", \"icmp\" or \"all\"", at)
		}
		if p, err := netip.ParsePrefix(r.Cidr); err != nil || !p.Addr().Is4() || p.Masked() != p {
			v.bad(key, r.Cidr, "in %s is not an IPv4 network CIDR", at)
		}
		id := r.Direction + strconv.Itoa(r.Rule)
		if seen[id] {
			v.bad(key, r.Rule, "in %s is used twice for %s rules; each rule number is used once per direction", at, r.Direction)
		}
		seen[id] = true
	}
}

func (v *validator) service() {
	s := v.c.Service
	if mems, ok := FargateMemory[s.Cpu]; !ok {
		v.bad("cpu", s.Cpu, "is not a Fargate CPU value; use one of %s", joinInts(sortedIntKeys(FargateMemory)))
	} else if !slices.Contains(mems, s.MemoryMiB) {
		v.bad("memory", s.MemoryMiB, "is not a memory size Fargate offers with cpu %d; use one of %s", s.Cpu, joinInts(mems))
	}
	if s.Architecture != "X86_64" && s.Architecture != "ARM64" {
		v.bad("architecture", s.Architecture, "is not \"X86_64\" or \"ARM64\"")
	}
	// A bad port is reported once, here, and not again by the checks that
	// compare it with the placeholder.
	portOK := s.ContainerPort >= 1 && s.ContainerPort <= 65535
	if !portOK {
		v.bad("containerPort", s.ContainerPort, "is not a port: 1 to 65535")
	}
	v.retention("logRetentionDays", s.LogRetentionDays)
	for _, name := range sortedKeys(s.Environment) {
		switch {
		case !envVarRe.MatchString(name):
			v.bad("environment", name, "is not an environment variable name: letters, digits and _, not starting with a digit")
		case reservedEnv[name] != "":
			v.bad("environment", name, "is set by the app from %s; set %s instead", reservedEnv[name], reservedEnv[name])
		}
	}
	for _, name := range sortedKeys(s.Secrets) {
		arn := s.Secrets[name]
		switch {
		case !envVarRe.MatchString(name):
			v.bad("secrets", name, "is not an environment variable name: letters, digits and _, not starting with a digit")
		case reservedEnv[name] != "":
			v.bad("secrets", name, "is set by the app from %s; set %s instead", reservedEnv[name], reservedEnv[name])
		case s.Environment[name] != "":
			v.bad("secrets", name, "is also set in environment; a variable comes from one place")
		}
		if !secretArnRe.MatchString(arn) && !ssmArnRe.MatchString(arn) {
			// Never shown: a wrong value is often the secret itself.
			v.concealed("secrets", "."+name, "is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)")
		}
	}
	if s.MinCount < 1 {
		v.bad("minCount", s.MinCount, "is too small: the service keeps at least 1 task")
	}
	if s.MaxCount > 1000 {
		v.bad("maxCount", s.MaxCount, "is more tasks than one ECS service runs: at most 1000")
	}
	if s.MinCount > s.MaxCount {
		v.bad("minCount", s.MinCount, "is greater than maxCount %d", s.MaxCount)
	}
	if s.ScaleCpuPercent < 10 || s.ScaleCpuPercent > 90 {
		v.bad("scaleCpuPercent", s.ScaleCpuPercent, "is not a CPU target autoscaling can track well: 10 to 90")
	}
	if s.ScaleRequestsPerTarget < 1 {
		v.bad("scaleRequestsPerTarget", s.ScaleRequestsPerTarget, "is not a request count: at least 1")
	}
	if s.Capacity == CapacityMixed && (s.OnDemandBaseCount < 1 || s.OnDemandBaseCount > s.MaxCount) {
		v.bad("onDemandBaseCount", s.OnDemandBaseCount, "is not an on-demand base for capacity \"mixed\": 1 to maxCount %d (0 is capacity \"spot\", maxCount or more is \"on-demand\")", s.MaxCount)
	}
	if s.Schedule != nil {
		v.schedule(*s.Schedule)
	}
	if s.HealthCheckGracePeriodSeconds < 0 || s.HealthCheckGracePeriodSeconds > 3600 {
		v.bad("healthCheckGracePeriodSeconds", s.HealthCheckGracePeriodSeconds, "is not a grace period: 0 to 3600 seconds")
	}
	if len(s.AllowedCidrs) == 0 {
		v.bad("allowedCidrs", s.AllowedCidrs, "is empty: the ALB would admit nobody; use [\"0.0.0.0/0\"] for everyone")
	}
	for _, cidr := range s.AllowedCidrs {
		v.parseCidr("allowedCidrs", cidr)
	}
	v.healthCheck(s.HealthCheck)
	if s.DeregistrationDelaySeconds < 0 || s.DeregistrationDelaySeconds > 3600 {
		v.bad("deregistrationDelaySeconds", s.DeregistrationDelaySeconds, "is not a deregistration delay: 0 to 3600 seconds")
	}
	v.https(s)
	v.rollout(s)
	if s.AlarmEmail != "" && !emailRe.MatchString(s.AlarmEmail) {
		v.bad("alarmEmail", s.AlarmEmail, "is not an email address such as \"ops@example.com\"")
	}
	seenPaths := map[string]bool{}
	for _, p := range s.WritablePaths {
		switch {
		case !path.IsAbs(p) || path.Clean(p) != p || p == "/":
			v.bad("writablePaths", p, "is not a directory path such as \"/tmp\": absolute, clean, not \"/\"")
		case seenPaths[p]:
			v.bad("writablePaths", p, "is listed twice")
		}
		seenPaths[p] = true
	}
	if s.KeepImages < 2 || s.KeepImages > 1000 {
		v.bad("keepImages", s.KeepImages, "is not a number of images to keep: 2 to 1000 (the released image and the one before it, for a rollback, and a build waiting for approval besides the newest)")
	}
	switch {
	case strings.TrimSpace(s.PlaceholderImage) == "":
		v.bad("placeholderImage", s.PlaceholderImage, "is empty: the first deploy needs an image that exists before the pipeline has pushed one")
	case s.PlaceholderImage == DefaultPlaceholderImage && s.ContainerPort != 80 && portOK:
		v.bad("placeholderImage", s.PlaceholderImage, "listens on port 80, but containerPort is %d: the first deploy would never turn healthy; name an image that answers %q on port %d", s.ContainerPort, s.HealthCheck.Path, s.ContainerPort)
	case s.PlaceholderImage == DefaultPlaceholderImage && s.HealthCheck.Path != "/" && portOK:
		v.bad("placeholderImage", s.PlaceholderImage, "answers only \"/\", but healthCheckPath is %q: the first deploy would never turn healthy; name an image that answers %q on port %d", s.HealthCheck.Path, s.HealthCheck.Path, s.ContainerPort)
	case v.c.Network.Egress == EgressEndpoints && !strings.HasPrefix(s.PlaceholderImage, "public.ecr.aws/") && !privateEcrRe.MatchString(s.PlaceholderImage):
		v.bad("placeholderImage", s.PlaceholderImage, "cannot be pulled with egress \"endpoints\", where tasks reach only ECR: use an image on ECR Public (pulled through this account's cache) or in this account's ECR")
	case v.c.Network.Egress == EgressEndpoints && strings.HasPrefix(s.PlaceholderImage, "public.ecr.aws/") && strings.Contains(s.PlaceholderImage, "@"):
		// The NetworkStack fills the cache with the placeholder before the
		// service starts (constructs.PlaceholderCache), by tag: a first pull
		// by digest does not fill a pull-through cache.
		v.bad("placeholderImage", s.PlaceholderImage, "names a digest: with egress \"endpoints\" it comes through this account's pull-through cache, which fills on a pull by tag only; name it by tag, such as %q", DefaultPlaceholderImage)
	}
}

// weekdays are the day names of Application Auto Scaling's cron
// expressions, Sunday first.
var weekdays = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// Days lists the weekdays (0 Sunday … 6 Saturday) of a cron day-of-week
// field: names, ranges of names, separated by commas.
func Days(field string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(field, ",") {
		from, to, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, b := slices.Index(weekdays, from), slices.Index(weekdays, to)
		if !isRange {
			b = a
		}
		if a < 0 || b < 0 || b < a {
			return nil, fmt.Errorf("%q is not a day or a range of days from SUN to SAT", part)
		}
		for d := a; d <= b; d++ {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// ClockTime reads a 24-hour time "HH:MM".
func ClockTime(s string) (hour, minute int, ok bool) {
	if !clockRe.MatchString(s) {
		return 0, 0, false
	}
	hour, _ = strconv.Atoi(s[:2])
	minute, _ = strconv.Atoi(s[3:])
	return hour, minute, true
}

func (v *validator) schedule(sch Schedule) {
	const key = "schedule"
	const shape = `a schedule is {"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "Europe/Berlin"}`
	for _, f := range []struct{ name, val string }{{"days", sch.Days}, {"start", sch.Start}, {"end", sch.End}, {"timeZone", sch.TimeZone}} {
		if f.val == "" {
			v.errs = append(v.errs, fmt.Errorf("%s: %s is missing; %s", v.c.path(key), f.name, shape))
		}
	}
	if sch.Days != "" {
		if _, err := Days(sch.Days); err != nil {
			v.errs = append(v.errs, fmt.Errorf("%s: days %s is not a list of weekdays such as \"MON-FRI\" or \"MON,WED,FRI\": %v", v.c.path(key), show(sch.Days), err))
		}
	}
	sh, sm, startOK := ClockTime(sch.Start)
	eh, em, endOK := ClockTime(sch.End)
	for _, f := range []struct {
		name, val string
		ok        bool
	}{{"start", sch.Start, startOK}, {"end", sch.End, endOK}} {
		if f.val != "" && !f.ok {
			v.errs = append(v.errs, fmt.Errorf("%s: %s %s is not a 24-hour time such as \"08:00\" (00:00 to 23:59)", v.c.path(key), f.name, show(f.val)))
		}
	}
	if startOK && endOK && eh*60+em <= sh*60+sm {
		v.errs = append(v.errs, fmt.Errorf("%s: end %s is not after start %s: the service runs from start to end of each day listed; a window past midnight is not supported", v.c.path(key), show(sch.End), show(sch.Start)))
	}
	if sch.TimeZone != "" {
		if _, err := time.LoadLocation(sch.TimeZone); err != nil || sch.TimeZone == "Local" || !tzNameRe.MatchString(sch.TimeZone) {
			v.errs = append(v.errs, fmt.Errorf("%s: timeZone %s is not an IANA time zone name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"", v.c.path(key), show(sch.TimeZone)))
		}
	}
}

func (v *validator) healthCheck(h HealthCheck) {
	if !strings.HasPrefix(h.Path, "/") || len(h.Path) > 1024 || strings.ContainsAny(h.Path, " \t") {
		v.bad("healthCheckPath", h.Path, "is not a health-check path: it starts with \"/\", has no spaces and is at most 1024 characters")
	}
	if h.IntervalSeconds < 5 || h.IntervalSeconds > 300 {
		v.bad("healthCheckIntervalSeconds", h.IntervalSeconds, "is not an ALB health-check interval: 5 to 300 seconds")
	}
	if h.TimeoutSeconds < 2 || h.TimeoutSeconds > 120 {
		v.bad("healthCheckTimeoutSeconds", h.TimeoutSeconds, "is not an ALB health-check timeout: 2 to 120 seconds")
	} else if h.TimeoutSeconds >= h.IntervalSeconds {
		v.bad("healthCheckTimeoutSeconds", h.TimeoutSeconds, "is not less than healthCheckIntervalSeconds %d", h.IntervalSeconds)
	}
	if h.HealthyThreshold < 2 || h.HealthyThreshold > 10 {
		v.bad("healthyThresholdCount", h.HealthyThreshold, "is not a threshold the ALB accepts: 2 to 10")
	}
	if h.UnhealthyThreshold < 2 || h.UnhealthyThreshold > 10 {
		v.bad("unhealthyThresholdCount", h.UnhealthyThreshold, "is not a threshold the ALB accepts: 2 to 10")
	}
	if !matcherRe.MatchString(h.Matcher) {
		v.bad("healthCheckMatcher", h.Matcher, "is not an HTTP code matcher such as \"200\", \"200-399\" or \"200,302\"")
	} else {
		for _, part := range strings.FieldsFunc(h.Matcher, func(r rune) bool { return r == ',' || r == '-' }) {
			if code, _ := strconv.Atoi(part); code < 200 || code > 499 {
				v.bad("healthCheckMatcher", h.Matcher, "has code %d; the ALB accepts 200 to 499", code)
				break
			}
		}
	}
}

func (v *validator) https(s Service) {
	zoneSet := s.HostedZoneId != "" || s.HostedZoneName != ""
	switch {
	case s.DomainName != "" && (s.HostedZoneId == "" || s.HostedZoneName == ""):
		v.bad("domainName", s.DomainName, "needs a Route 53 hosted zone: set hostedZoneId and hostedZoneName too")
	case s.DomainName == "" && zoneSet:
		for _, k := range []struct{ key, val string }{{"hostedZoneId", s.HostedZoneId}, {"hostedZoneName", s.HostedZoneName}} {
			if k.val != "" {
				v.bad(k.key, k.val, "is set without domainName: set domainName for HTTPS, or remove hostedZoneId and hostedZoneName")
			}
		}
	}
	if s.DomainName != "" && !hostnameRe.MatchString(s.DomainName) {
		v.bad("domainName", s.DomainName, "is not a domain name such as \"app.example.com\" (lowercase)")
	}
	if s.HostedZoneId != "" && !zoneIDRe.MatchString(s.HostedZoneId) {
		v.bad("hostedZoneId", s.HostedZoneId, "is not a Route 53 hosted zone ID such as \"Z0123456789ABCDEFGHIJ\"")
	}
	if s.HostedZoneName != "" {
		zone := strings.TrimSuffix(s.HostedZoneName, ".")
		if !hostnameRe.MatchString(zone) {
			v.bad("hostedZoneName", s.HostedZoneName, "is not a domain name such as \"example.com\"")
		} else if s.DomainName != "" && s.DomainName != zone && !strings.HasSuffix(s.DomainName, "."+zone) {
			v.bad("domainName", s.DomainName, "is not inside the hosted zone %q", zone)
		}
	}
}

func (v *validator) pipeline() {
	p := v.c.Pipeline
	if !repositoryRe.MatchString(p.Repository) {
		v.bad("sourceRepository", p.Repository, "is not a repository in the form \"owner/repo\"")
	}
	if branchBadRe.MatchString(p.Branch) {
		v.bad("sourceBranch", p.Branch, "is not a branch name: not empty, no spaces, no \"..\", not starting with \"-\" or \"/\"")
	}
	if p.ConnectionArn != "" && !connArnRe.MatchString(p.ConnectionArn) {
		v.bad("connectionArn", p.ConnectionArn, "is not a CodeConnections ARN (arn:aws:codeconnections:REGION:ACCOUNT:connection/ID), or empty to create one")
	}
	for _, f := range []struct{ key, val string }{{"dockerfile", p.Dockerfile}, {"buildContext", p.BuildContext}} {
		clean := path.Clean(f.val)
		if f.val == "" || path.IsAbs(f.val) || clean == ".." || strings.HasPrefix(clean, "../") {
			v.bad(f.key, f.val, "is not a path inside the repository: relative, without \"..\"")
		}
	}
	if p.DockerHubSecretArn != "" && !secretArnRe.MatchString(p.DockerHubSecretArn) {
		const want = "is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)"
		if looksLikeArn(p.DockerHubSecretArn) {
			v.bad("dockerHubSecretArn", p.DockerHubSecretArn, want)
		} else {
			// Not an ARN: perhaps the Docker Hub password itself.
			v.concealed("dockerHubSecretArn", "", want)
		}
	}
	switch {
	case p.DeployTimeoutMinutes < MinDeployTimeoutMinutes || p.DeployTimeoutMinutes > MaxDeployTimeoutMinutes:
		v.bad("deployTimeoutMinutes", p.DeployTimeoutMinutes, "is not a deploy timeout the pipeline's deploy step accepts: %d to %d minutes (CodeBuild's shortest timeout, CodePipeline's longest action)", MinDeployTimeoutMinutes, MaxDeployTimeoutMinutes)
	default:
		v.deployTimeout(p.DeployTimeoutMinutes)
	}
	seen := map[string]bool{}
	for _, sp := range p.SmokeTestPaths {
		switch {
		case !strings.HasPrefix(sp, "/") || len(sp) > 1024 || strings.ContainsAny(sp, " \t\n"):
			v.bad("smokeTestPaths", sp, "is not a path to request: it starts with \"/\", has no spaces and is at most 1024 characters")
		case seen[sp]:
			v.bad("smokeTestPaths", sp, "is listed twice")
		}
		seen[sp] = true
	}
	if p.SmokeTest && !slices.Contains(v.c.Service.AllowedCidrs, "0.0.0.0/0") && len(v.c.Service.AllowedCidrs) > 0 {
		v.bad("smokeTest", p.SmokeTest, "cannot reach the load balancer: allowedCidrs %s does not admit 0.0.0.0/0, and the smoke test runs in CodeBuild outside the VPC, from addresses AWS does not fix; add \"0.0.0.0/0\" to allowedCidrs, or set smokeTest to false (the image is then recorded after the deploy alone)", show(v.c.Service.AllowedCidrs))
	}
}

// The deploy step's timeout: CodeBuild's shortest, and the longest a
// CodePipeline action other than the few listed with longer ones may run
// (CodePipeline quotas: "All other actions: 1 hour").
const (
	MinDeployTimeoutMinutes = 5
	MaxDeployTimeoutMinutes = 60
)

// deployTimeout rejects a deploy timeout the rollout cannot finish in: the
// deploy step waits for the whole ECS deployment, bake included, and a step
// that gives up first fails a good deploy (and rolls it back).
func (v *validator) deployTimeout(minutes int) {
	b := v.c.RolloutBound()
	need := (b.Seconds + rollout.DeployOverheadSeconds + 59) / 60
	knobs := "healthCheckGracePeriodSeconds, healthCheckIntervalSeconds, healthyThresholdCount or deregistrationDelaySeconds"
	switch v.c.Service.Rollout.Strategy {
	case StrategyCanary:
		knobs = "bakeTimeMinutes or canaryBakeMinutes"
	case StrategyLinear:
		knobs = "bakeTimeMinutes, linearStepBakeMinutes, or raise linearStepPercent"
	case StrategyBlueGreen:
		knobs = "bakeTimeMinutes"
	}
	strategy := v.c.Service.Rollout.Strategy
	switch {
	case need > MaxDeployTimeoutMinutes:
		v.bad("deployTimeoutMinutes", minutes, "cannot cover the %s rollout: it takes up to %s (make report; dominant term: %s), plus %d s for the deploy step itself, longer than the %d minutes a pipeline action may run; shorten %s",
			strategy, minutesText(b.Seconds), b.Dominant, rollout.DeployOverheadSeconds, MaxDeployTimeoutMinutes, knobs)
	case minutes < need:
		v.bad("deployTimeoutMinutes", minutes, "is shorter than the %s rollout it waits for: up to %s (make report; dominant term: %s) plus %d s for the deploy step itself; set deployTimeoutMinutes to at least %d, or shorten %s",
			strategy, minutesText(b.Seconds), b.Dominant, rollout.DeployOverheadSeconds, need, knobs)
	}
}

func minutesText(seconds int) string {
	if seconds%60 == 0 {
		return fmt.Sprintf("%d min", seconds/60)
	}
	return fmt.Sprintf("%d min %d s", seconds/60, seconds%60)
}

// rollout checks the deployment strategy's knobs against the ranges of
// AWS::ECS::Service DeploymentConfiguration (BakeTimeInMinutes 0–1440),
// CanaryConfiguration (CanaryPercent 0.1–100 in multiples of 0.1,
// CanaryBakeTimeInMinutes 0–1440) and LinearConfiguration (StepPercent
// 3–100 in multiples of 0.1, StepBakeTimeInMinutes 0–1440), as the
// CloudFormation template reference and cfn-lint 1.51.0's resource schema
// give them. A knob set for a strategy that does not use it is an error:
// it would be silently ignored.
func (v *validator) rollout(s Service) {
	r := s.Rollout
	minutes := func(key string, n int) {
		if n < 0 || n > 1440 {
			v.bad(key, n, "is not a bake time ECS accepts: 0 to 1440 minutes (24 hours)")
		}
	}
	percent := func(key string, x, low float64) {
		tenths := x * 10
		switch {
		case x < low || x > 100:
			v.bad(key, x, "is not a traffic share ECS accepts: %s to 100 %%", strconv.FormatFloat(low, 'f', -1, 64))
		case math.Abs(tenths-math.Round(tenths)) > 1e-9:
			v.bad(key, x, "is not a multiple of 0.1 %%, as ECS requires (did you mean %s?)", strconv.FormatFloat(math.Round(tenths)/10, 'f', -1, 64))
		}
	}
	uses := map[string][]Strategy{
		"bakeTimeMinutes":       {StrategyCanary, StrategyLinear, StrategyBlueGreen},
		"canaryPercent":         {StrategyCanary},
		"canaryBakeMinutes":     {StrategyCanary},
		"linearStepPercent":     {StrategyLinear},
		"linearStepBakeMinutes": {StrategyLinear},
		"testListenerCidrs":     {StrategyCanary, StrategyLinear, StrategyBlueGreen},
	}
	for _, key := range sortedKeys(uses) {
		if v.c.origin[key] != "" && !slices.Contains(uses[key], r.Strategy) {
			v.errs = append(v.errs, fmt.Errorf("%s: applies only with deploymentStrategy %s, and it is %q: remove it, or choose one of those strategies", v.c.path(key), strings.Join(quoteAll(strategyStrings(uses[key])), " or "), r.Strategy))
		}
	}
	minutes("bakeTimeMinutes", r.BakeMinutes)
	percent("canaryPercent", r.CanaryPercent, 0.1)
	minutes("canaryBakeMinutes", r.CanaryBakeMinutes)
	percent("linearStepPercent", r.StepPercent, 3)
	minutes("linearStepBakeMinutes", r.StepBakeMinutes)
	if r.ErrorRatePercent < 0.1 || r.ErrorRatePercent > 100 {
		v.bad("rollbackErrorRatePercent", r.ErrorRatePercent, "is not an error rate to alarm on: 0.1 to 100 %%")
	}
	if r.LatencyP95Ms < 1 || r.LatencyP95Ms > 60000 {
		v.bad("rollbackLatencyP95Ms", r.LatencyP95Ms, "is not a response time to alarm on: 1 to 60000 ms (the ALB waits at most its idle timeout)")
	}
	if r.MinRequests < 1 || r.MinRequests > 1000000 {
		v.bad("rollbackMinRequests", r.MinRequests, "is not a request count: 1 to 1000000 a minute")
	}
	for _, cidr := range r.TestListenerCidrs {
		v.parseCidr("testListenerCidrs", cidr)
	}
}

func strategyStrings(ss []Strategy) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// deriveSubnets lays out the subnets like the hand-built original unless
// they were configured: with a /M mask, block 1 and 2 of size /M are public
// (AZ a, b) and block 3 and 4 private (10.0.1.0/24 … 10.0.4.0/24 by default).
func (c *Config) deriveSubnets() {
	n := &c.Network
	if len(n.PublicSubnetCidrs) > 0 || len(n.PrivateSubnetCidrs) > 0 {
		return
	}
	vpc, err := netip.ParsePrefix(n.VpcCidr)
	if err != nil || !vpc.Addr().Is4() || vpc.Masked() != vpc || n.SubnetMask < vpc.Bits()+3 || n.SubnetMask > 28 {
		return // Validate reports it
	}
	base := vpc.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := uint32(1) << (32 - n.SubnetMask)
	block := func(i uint32) string {
		a := start + i*size
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), n.SubnetMask).String()
	}
	n.PublicSubnetCidrs = []string{block(1), block(2)}
	n.PrivateSubnetCidrs = []string{block(3), block(4)}
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

func sortedIntKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Partition is the AWS partition of a region name: "aws-cn" for China,
// "aws-us-gov" for GovCloud (US), "aws-iso", "aws-iso-b", … for the
// isolated regions, and "aws" for every other name, including "" (the
// environment-agnostic stacks, which the endpoints mode targets as aws).
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.Contains(region, "-gov-"):
		return "aws-us-gov"
	}
	if _, rest, ok := strings.Cut(region, "-iso"); ok {
		if letter, _, _ := strings.Cut(rest, "-"); letter != "" {
			return "aws-iso-" + letter
		}
		return "aws-iso"
	}
	return "aws"
}
