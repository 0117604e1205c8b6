package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Item is one line of the idle monthly cost: what is billed, how many, at
// which price, for how long.
type Item struct {
	Resource string `json:"resource"`
	// Detail says what the count is made of ("2 tasks × 0.5 vCPU").
	Detail    string  `json:"detail,omitempty"`
	Type      string  `json:"type"`
	Count     float64 `json:"count"`
	UnitPrice float64 `json:"unit_price_usd"`
	Unit      string  `json:"unit"`
	// Hours is the hours in a month for a price per hour, and 0 for a
	// price per month.
	Hours   float64 `json:"hours,omitempty"`
	Monthly float64 `json:"monthly_usd"`
	// Price is the key of the price in prices.json.
	Price string `json:"price"`
	// egress marks the NAT gateway, its address and interface endpoint
	// lines, which the egress comparison swaps out; natInstance, those of a
	// NAT instance among them.
	egress      bool
	natInstance bool
	// task marks a line of Fargate tasks, which "What dev could cost"
	// prices again with the lean choices.
	task *taskUnit
}

// taskUnit says what a line of Fargate tasks counts: vCPU or GB, of which
// architecture, on Spot or not.
type taskUnit struct {
	memory bool
	arch   string
	spot   bool
	// scheduled: its hours are the working hours', not the month's.
	scheduled bool
}

// Usage is a usage-based charge, zero at idle: it is shown per unit with
// an example quantity, never added to the idle figure.
type Usage struct {
	Resource string `json:"resource"`
	Type     string `json:"type"`
	// Resources is how many resources of the stack this applies to.
	Resources int     `json:"resources"`
	UnitPrice float64 `json:"unit_price_usd"`
	Unit      string  `json:"unit"`
	Price     string  `json:"price"`
	// Example is the quantity the example cost is for, in Unit; Of says
	// what it is ("GB through the NAT").
	Example     float64 `json:"example_quantity"`
	Of          string  `json:"example_of"`
	ExampleCost float64 `json:"example_usd"`
	Assumption  string  `json:"assumption,omitempty"`
}

// FreeType is a resource type of a stack that costs nothing at idle.
type FreeType struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
	Why   string `json:"why"`
}

// NotPriced is a resource, or part of one, the report could not price: an
// unknown type, or a value it cannot read. It is listed so that an estimate
// never looks complete when it is not.
type NotPriced struct {
	Type      string `json:"type"`
	LogicalID string `json:"logical_id"`
	Path      string `json:"path"`
	Reason    string `json:"reason"`
}

// StackCost is the idle cost of one stack.
type StackCost struct {
	Stack     string      `json:"stack"`
	StackName string      `json:"stack_name,omitempty"`
	Items     []Item      `json:"items"`
	Monthly   float64     `json:"monthly_usd"`
	Usage     []Usage     `json:"usage"`
	Free      []FreeType  `json:"free"`
	NotPriced []NotPriced `json:"not_priced"`
	// AlwaysOnMonthly is the stack at idle without its services' working
	// hours (Schedules): tasks running all month.
	AlwaysOnMonthly float64    `json:"always_on_monthly_usd"`
	Schedules       []Schedule `json:"schedules"`
}

// pricer prices one resource of a type.
type pricer func(c *stackCtx, id string, r Resource) result

// result is what a pricer found: idle items, usage charges, or that the
// resource is free after all (a gateway endpoint), or parts it could not
// price.
type result struct {
	items     []Item
	usage     []Usage
	free      string
	notPriced []string
	// schedule is a service's working hours, when it has some.
	schedule *Schedule
}

// stackCtx is what pricers may look at besides their own resource.
type stackCtx struct {
	prices Prices
	stack  Stack
	// natEIPs holds the EIPs a NAT gateway or NAT instance of the stack uses.
	natEIPs map[string]bool
	// natInstances holds the instances a route of the stack sends to.
	natInstances map[string]bool
}

func (c *stackCtx) resource(id string) (Resource, bool) {
	r, ok := c.stack.Template.Resources[id]
	return r, ok
}

// hourly is an item billed per hour for the whole month.
func (c *stackCtx) hourly(key, resource, detail, typ string, count float64) Item {
	return c.hourlyFor(key, resource, detail, typ, count, c.prices.hours())
}

// hourlyFor is an item billed per hour for h hours of the month.
func (c *stackCtx) hourlyFor(key, resource, detail, typ string, count, h float64) Item {
	h = round6(h)
	return Item{Resource: resource, Detail: detail, Type: typ, Count: count, UnitPrice: c.prices.usd(key),
		Unit: c.prices.get(key).Unit, Hours: h, Monthly: round6(count * c.prices.usd(key) * h), Price: key}
}

// monthly is an item billed per month.
func (c *stackCtx) monthly(key, resource, detail, typ string, count float64) Item {
	return Item{Resource: resource, Detail: detail, Type: typ, Count: count, UnitPrice: c.prices.usd(key),
		Unit: c.prices.get(key).Unit, Monthly: round6(count * c.prices.usd(key)), Price: key}
}

// usage is a usage charge with its example: "per 100 GB through the NAT".
func (c *stackCtx) usage(key, resource, typ string, example float64, of, assumption string) Usage {
	p := c.prices.get(key)
	return Usage{Resource: resource, Type: typ, Resources: 1, UnitPrice: p.USD, Unit: p.Unit, Price: key,
		Example: example, Of: of, ExampleCost: round6(example * p.USD), Assumption: assumption}
}

// costStack prices every resource of a stack.
func costStack(st Stack, prices Prices) StackCost {
	c := &stackCtx{prices: prices, stack: st, natEIPs: map[string]bool{}, natInstances: map[string]bool{}}
	for _, r := range st.Template.Resources {
		switch r.Type {
		case "AWS::EC2::NatGateway":
			c.natEIPs[refID(r.Properties["AllocationId"])] = true
		case "AWS::EC2::Route":
			if id := refID(r.Properties["InstanceId"]); id != "" {
				c.natInstances[id] = true
			}
		}
	}
	for id, r := range st.Template.Resources {
		if r.Type == "AWS::EC2::EIP" && c.natInstances[refID(r.Properties["InstanceId"])] {
			c.natEIPs[id] = true
		}
	}
	sc := StackCost{Stack: st.ID, StackName: st.Name, Items: []Item{}, Usage: []Usage{}, Free: []FreeType{}, NotPriced: []NotPriced{}}
	ids := make([]string, 0, len(st.Template.Resources))
	for id := range st.Template.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	freeCount := map[string]*FreeType{}
	addFree := func(typ, why string) {
		if f, ok := freeCount[typ]; ok {
			f.Count++
			return
		}
		freeCount[typ] = &FreeType{Type: typ, Count: 1, Why: why}
	}
	for _, id := range ids {
		r := st.Template.Resources[id]
		cl, known := classify(r.Type)
		if !known {
			sc.NotPriced = append(sc.NotPriced, NotPriced{Type: r.Type, LogicalID: id, Path: r.path(id),
				Reason: "resource type not classified in report/classify.go: its cost is unknown"})
			continue
		}
		if cl.price == nil {
			addFree(r.Type, cl.free)
			continue
		}
		res := cl.price(c, id, r)
		for _, why := range res.notPriced {
			sc.NotPriced = append(sc.NotPriced, NotPriced{Type: r.Type, LogicalID: id, Path: r.path(id), Reason: why})
		}
		if res.free != "" {
			addFree(r.Type, res.free)
		}
		sc.Items = append(sc.Items, res.items...)
		sc.Usage = append(sc.Usage, res.usage...)
		if res.schedule != nil {
			sc.Schedules = append(sc.Schedules, *res.schedule)
		}
	}
	sc.Items = mergeItems(sc.Items)
	sc.Usage = mergeUsage(sc.Usage)
	for _, it := range sc.Items {
		sc.Monthly += it.Monthly
	}
	sc.Monthly = round6(sc.Monthly)
	sc.AlwaysOnMonthly = sc.Monthly
	for _, sch := range sc.Schedules {
		sc.AlwaysOnMonthly += sch.AlwaysOnMonthly - sch.Monthly
	}
	sc.AlwaysOnMonthly = round6(sc.AlwaysOnMonthly)
	if sc.Schedules == nil {
		sc.Schedules = []Schedule{}
	}
	for _, f := range freeCount {
		sc.Free = append(sc.Free, *f)
	}
	slices.SortFunc(sc.Free, func(a, b FreeType) int { return strings.Compare(a.Type, b.Type) })
	return sc
}

// mergeItems adds up the items of one resource, detail and price, biggest
// monthly first: the reader looks for what drives the bill.
func mergeItems(items []Item) []Item {
	var out []Item
	for _, it := range items {
		i := slices.IndexFunc(out, func(o Item) bool {
			return o.Resource == it.Resource && o.Detail == it.Detail && o.Price == it.Price && o.egress == it.egress && o.Hours == it.Hours
		})
		if i < 0 {
			out = append(out, it)
			continue
		}
		out[i].Count = round6(out[i].Count + it.Count)
		out[i].Monthly = round6(out[i].Monthly + it.Monthly)
	}
	slices.SortStableFunc(out, func(a, b Item) int {
		return cmp.Or(cmp.Compare(b.Monthly, a.Monthly), strings.Compare(a.Resource, b.Resource), strings.Compare(a.Detail, b.Detail))
	})
	if out == nil {
		out = []Item{}
	}
	return out
}

// mergeUsage keeps one usage line per charge, counting the resources.
func mergeUsage(us []Usage) []Usage {
	out := []Usage{}
	for _, u := range us {
		i := slices.IndexFunc(out, func(o Usage) bool { return o.Resource == u.Resource && o.Price == u.Price })
		if i < 0 {
			out = append(out, u)
			continue
		}
		out[i].Resources++
		if out[i].Assumption != u.Assumption {
			out[i].Assumption = "" // differs between the resources: none holds for all
		}
	}
	slices.SortStableFunc(out, func(a, b Usage) int { return strings.Compare(a.Resource, b.Resource) })
	return out
}

// num formats a count without trailing zeros: 2, 0.5, 1.25.
func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// --- Network ---

func priceNATGateway(c *stackCtx, id string, r Resource) result {
	res := result{
		items: []Item{c.hourly(pNATHour, "NAT gateway", "", r.Type, 1)},
		usage: []Usage{c.usage(pNATGB, "NAT gateway data processed", r.Type, 100, "GB through the NAT",
			"tasks' traffic to ECR, CloudWatch Logs and the internet; image layers go through the free S3 gateway endpoint")},
	}
	res.items[0].egress = true
	if text(r.Properties["ConnectivityType"]) == "private" {
		return res
	}
	// A public NAT gateway holds a public IPv4 address. An EIP of this
	// template is priced as such; one from elsewhere is counted here.
	if eip, ok := c.resource(refID(r.Properties["AllocationId"])); !ok || eip.Type != "AWS::EC2::EIP" {
		ip := c.hourly(pIPv4Hour, "Public IPv4 address", "NAT gateway's address (allocated outside this template)", r.Type, 1)
		ip.egress = true
		res.items = append(res.items, ip)
	}
	return res
}

// priceEC2Instance prices an instance by the hour, its public IPv4
// address and its EBS volumes; a NAT instance (one a route sends to) is an
// egress line the egress comparison swaps.
func priceEC2Instance(c *stackCtx, id string, r Resource) result {
	p := r.Properties
	nat := c.natInstances[id]
	what := "EC2 instance"
	if nat {
		what = "NAT instance"
	}
	mark := func(it Item) Item {
		it.egress, it.natInstance = nat, nat
		return it
	}
	var res result
	typ := text(p["InstanceType"])
	if slices.Contains(ec2InstanceTypes, typ) {
		res.items = append(res.items, mark(c.hourly(ec2Key(typ), what+" "+typ, "", r.Type, 1)))
	} else {
		res.notPriced = append(res.notPriced, fmt.Sprintf("instance type %s: no price in prices.json (it has %s)", cmpOr(typ, "(not a literal)"), strings.Join(ec2InstanceTypes, ", ")))
	}
	nis, _ := list(p["NetworkInterfaces"])
	for _, ni := range nis {
		if object(ni)["AssociatePublicIpAddress"] == true {
			res.items = append(res.items, mark(c.hourly(pIPv4Hour, "Public IPv4 address", what+"'s, assigned at launch", r.Type, 1)))
		}
	}
	bdms, _ := list(p["BlockDeviceMappings"])
	for _, b := range bdms {
		ebs := object(object(b)["Ebs"])
		size, ok := number(ebs["VolumeSize"])
		switch vt := cmpOr(text(ebs["VolumeType"]), "gp2"); {
		case !ok:
			res.notPriced = append(res.notPriced, "an EBS volume without a VolumeSize: its size comes from the image")
		case vt != "gp3":
			res.notPriced = append(res.notPriced, fmt.Sprintf("an EBS %s volume: only gp3 is in prices.json", vt))
		default:
			res.items = append(res.items, mark(c.monthly(pEBSgp3, "EBS volume (gp3)", what+"'s root volume, "+num(size)+" GB", r.Type, size)))
		}
	}
	if len(bdms) == 0 {
		res.notPriced = append(res.notPriced, "its root volume: no BlockDeviceMappings, so its size and type come from the image")
	}
	return res
}

func priceEIP(c *stackCtx, id string, r Resource) result {
	if c.natEIPs[id] {
		of := "a NAT gateway"
		if c.natInstances[refID(r.Properties["InstanceId"])] {
			of = "the NAT instance"
		}
		ip := c.hourly(pIPv4Hour, "Public IPv4 address", "Elastic IP of "+of, r.Type, 1)
		ip.natInstance = of == "the NAT instance"
		ip.egress = true
		return result{items: []Item{ip}}
	}
	return result{items: []Item{c.hourly(pIPv4Hour, "Public IPv4 address", "Elastic IP", r.Type, 1)}}
}

func priceVPCEndpoint(c *stackCtx, id string, r Resource) result {
	typ := cmp.Or(text(r.Properties["VpcEndpointType"]), "Gateway")
	switch typ {
	case "Gateway":
		return result{free: "gateway endpoints (S3, DynamoDB) are free"}
	case "Interface":
	default:
		return result{notPriced: []string{fmt.Sprintf("a %s endpoint: only interface and gateway endpoints are in prices.json", typ)}}
	}
	svc := endpointService(r.Properties["ServiceName"])
	subnets, ok := list(r.Properties["SubnetIds"])
	if !ok || len(subnets) == 0 {
		return result{notPriced: []string{fmt.Sprintf("interface endpoint %s: its subnets (one AZ each) are not a list in the template", svc)}}
	}
	it := c.hourly(pEndpointAZHour, "Interface endpoint "+svc, fmt.Sprintf("%d AZs", len(subnets)), r.Type, float64(len(subnets)))
	it.egress = true
	return result{
		items: []Item{it},
		usage: []Usage{c.usage(pEndpointGB, "Interface endpoint data processed", r.Type, 100, "GB through the endpoints",
			"tasks' traffic to ECR and CloudWatch Logs")},
	}
}

// endpointService returns "ecr.api" from "com.amazonaws.us-east-1.ecr.api"
// or from {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".ecr.api"]]}.
func endpointService(v any) string {
	s := flatten(v)
	if i := strings.LastIndex(s, "{}"); i >= 0 {
		return strings.TrimPrefix(s[i+2:], ".")
	}
	s = strings.TrimPrefix(s, "com.amazonaws.")
	if _, rest, ok := strings.Cut(s, "."); ok {
		return rest
	}
	return s
}

// --- Service ---

func priceLoadBalancer(c *stackCtx, id string, r Resource) result {
	p := r.Properties
	if typ := cmp.Or(text(p["Type"]), "application"); typ != "application" {
		return result{notPriced: []string{fmt.Sprintf("a %s load balancer: only application load balancers are in prices.json", typ)}}
	}
	res := result{
		items: []Item{c.hourly(pALBHour, "Application Load Balancer", "", r.Type, 1)},
		usage: []Usage{c.usage(pALBLCUHour, "ALB capacity units (LCU)", r.Type, c.prices.hours(), "LCU-hours: one LCU all month",
			"an idle ALB uses close to no LCU; one LCU is 25 new connections/s, 3,000 active connections, 1 GB/h or 1,000 rule evaluations/s")},
	}
	if cmp.Or(text(p["Scheme"]), "internet-facing") != "internet-facing" || text(p["IpAddressType"]) == "dualstack-without-public-ipv4" {
		return res
	}
	subnets, ok := list(p["Subnets"])
	if !ok {
		subnets, ok = list(p["SubnetMappings"])
	}
	if !ok || len(subnets) == 0 {
		res.notPriced = append(res.notPriced, "public IPv4 addresses of the internet-facing ALB: its subnets (one address per AZ) are not a list in the template")
		return res
	}
	res.items = append(res.items, c.hourly(pIPv4Hour, "Public IPv4 address", fmt.Sprintf("internet-facing ALB, one per AZ (%d)", len(subnets)), r.Type, float64(len(subnets))))
	return res
}

func priceECSService(c *stackCtx, id string, r Resource) result {
	p := r.Properties
	if lt := text(p["LaunchType"]); lt != "" && lt != "FARGATE" {
		return result{notPriced: []string{fmt.Sprintf("launch type %s: its instances are priced on their own, not here", lt)}}
	}
	td, ok := c.resource(refID(p["TaskDefinition"]))
	if !ok || td.Type != "AWS::ECS::TaskDefinition" {
		return result{notPriced: []string{"Fargate tasks: the task definition is not a resource of this stack, so CPU and memory are unknown"}}
	}
	cpu, okCPU := number(td.Properties["Cpu"])
	mem, okMem := number(td.Properties["Memory"])
	if !okCPU || !okMem {
		return result{notPriced: []string{"Fargate tasks: the task definition's Cpu and Memory are not numbers in the template"}}
	}
	rp := object(td.Properties["RuntimePlatform"])
	if os := cmp.Or(text(rp["OperatingSystemFamily"]), "LINUX"); os != "LINUX" {
		return result{notPriced: []string{fmt.Sprintf("Fargate tasks on %s: only Linux is in prices.json", os)}}
	}
	arch := cmp.Or(text(rp["CpuArchitecture"]), "X86_64")
	var vcpuKey, gbKey string
	switch arch {
	case "X86_64":
		vcpuKey, gbKey = pFargateX86VCPU, pFargateX86GB
	case "ARM64":
		vcpuKey, gbKey = pFargateARMVCPU, pFargateARMGB
	default:
		return result{notPriced: []string{fmt.Sprintf("Fargate tasks: CPU architecture %q is not in prices.json", arch)}}
	}
	desired, source, ok := taskCount(c.stack.Template, id)
	if !ok {
		return result{notPriced: []string{"Fargate tasks: the " + source + " is not a number in the template"}}
	}
	strategy, _ := list(p["CapacityProviderStrategy"])
	keys := map[bool][2]string{false: {vcpuKey, gbKey}}
	switch arch {
	case "X86_64":
		keys[true] = [2]string{pSpotX86VCPU, pSpotX86GB}
	case "ARM64":
		keys[true] = [2]string{pSpotARMVCPU, pSpotARMGB}
	}
	vcpu, gb := cpu/1024, mem/1024
	ephemeral, _ := number(object(td.Properties["EphemeralStorage"])["SizeInGiB"])
	awsvpc := object(object(p["NetworkConfiguration"])["AwsvpcConfiguration"])
	publicIP := text(awsvpc["AssignPublicIp"]) == "ENABLED"

	// The task count over the month: all month at the idle count, or, with
	// working hours, each count the schedule holds for its hours.
	h := c.prices.hours()
	type period struct {
		tasks int
		hours float64
	}
	periods := []period{{desired, h}}
	res := result{}
	sch, problem := scheduleOf(c.stack.Template, id)
	if problem != "" {
		res.notPriced = append(res.notPriced, problem)
	}
	if sch != nil {
		periods = nil
		counts := make([]int, 0, len(sch.HoursPerWeek))
		for n := range sch.HoursPerWeek {
			counts = append(counts, n)
		}
		slices.Sort(counts)
		for _, n := range counts {
			hours := sch.HoursPerWeek[n] * h / hoursPerWeek
			if n > 0 {
				periods = append(periods, period{n, hours})
				sch.RunningHoursPerMonth = round6(sch.RunningHoursPerMonth + hours)
			}
		}
	}
	priceTasks := func(periods []period, scheduled bool) (items []Item, problem string) {
		for _, pd := range periods {
			onDemand, spot, problem := split(pd.tasks, strategy)
			if problem != "" {
				return nil, problem
			}
			for _, part := range []struct {
				n    int
				spot bool
			}{{onDemand, false}, {spot, true}} {
				if part.n == 0 {
					continue
				}
				n := float64(part.n)
				label, on := "Fargate", ""
				if part.spot {
					label, on = "Fargate Spot", " on Spot"
				}
				when := ""
				if scheduled {
					when = fmt.Sprintf(", %s h a month in working hours", num(math.Round(pd.hours*100)/100))
				}
				cpuItem := c.hourlyFor(keys[part.spot][0], label+" vCPU ("+arch+")", fmt.Sprintf("%d tasks × %s vCPU%s%s", part.n, num(vcpu), on, when), r.Type, round6(n*vcpu), pd.hours)
				memItem := c.hourlyFor(keys[part.spot][1], label+" memory ("+arch+")", fmt.Sprintf("%d tasks × %s GB%s%s", part.n, num(gb), on, when), r.Type, round6(n*gb), pd.hours)
				cpuItem.task = &taskUnit{arch: arch, spot: part.spot, scheduled: scheduled}
				memItem.task = &taskUnit{memory: true, arch: arch, spot: part.spot, scheduled: scheduled}
				items = append(items, cpuItem, memItem)
			}
			n := float64(pd.tasks)
			if ephemeral > 20 {
				items = append(items, c.hourlyFor(pFargateEphemeral, "Fargate ephemeral storage",
					fmt.Sprintf("%d tasks × %s GB above the free 20 GB", pd.tasks, num(ephemeral-20)), r.Type, round6(n*(ephemeral-20)), pd.hours))
			}
			if publicIP {
				items = append(items, c.hourlyFor(pIPv4Hour, "Public IPv4 address", fmt.Sprintf("one per task (%d)", pd.tasks), r.Type, n, pd.hours))
			}
		}
		return items, ""
	}
	items, problem := priceTasks(periods, sch != nil)
	if problem != "" {
		return result{notPriced: []string{"Fargate tasks: " + problem}}
	}
	res.items = items
	if sch != nil {
		always, _ := priceTasks([]period{{desired, h}}, false)
		for _, it := range items {
			sch.Monthly += it.Monthly
		}
		for _, it := range always {
			sch.AlwaysOnMonthly += it.Monthly
		}
		sch.Monthly, sch.AlwaysOnMonthly = round6(sch.Monthly), round6(sch.AlwaysOnMonthly)
		res.schedule = sch
	}
	return res
}

func priceECSCluster(c *stackCtx, id string, r Resource) result {
	settings, _ := list(r.Properties["ClusterSettings"])
	for _, s := range settings {
		m := object(s)
		if text(m["Name"]) == "containerInsights" && text(m["Value"]) != "disabled" {
			return result{notPriced: []string{"Container Insights is on: its metrics and performance logs are billed and not priced here"}}
		}
	}
	return result{free: "a cluster is free; its services are priced"}
}

func priceLogGroup(c *stackCtx, id string, r Resource) result {
	retention := "never expires"
	if d, ok := integer(r.Properties["RetentionInDays"]); ok {
		retention = fmt.Sprintf("kept %d days", d)
	}
	return result{usage: []Usage{
		c.usage(pLogsIngestGB, "CloudWatch Logs ingestion", r.Type, 10, "GB ingested", "the first 5 GB a month of the account are free"),
		c.usage(pLogsStorageGB, "CloudWatch Logs storage", r.Type, 10, "GB stored", retention),
	}}
}

func priceAlarm(c *stackCtx, id string, r Resource) result {
	metrics := 1
	period, _ := number(r.Properties["Period"])
	if ms, ok := list(r.Properties["Metrics"]); ok {
		// A metric-math alarm is billed per metric it reads.
		metrics = 0
		for _, m := range ms {
			stat := object(object(m)["MetricStat"])
			if stat == nil {
				continue
			}
			metrics++
			if p, ok := number(stat["Period"]); ok && (period == 0 || p < period) {
				period = p
			}
		}
		metrics = max(metrics, 1)
	}
	if period > 0 && period < 60 {
		return result{items: []Item{c.monthly(pAlarmHighResMonth, "CloudWatch alarm", "high resolution", r.Type, float64(metrics))}}
	}
	return result{items: []Item{c.monthly(pAlarmMonth, "CloudWatch alarm", "standard resolution", r.Type, float64(metrics))}}
}

func priceScalingPolicy(c *stackCtx, id string, r Resource) result {
	if text(r.Properties["PolicyType"]) != "TargetTrackingScaling" {
		return result{free: "step scaling policies are free; their alarms are resources of their own"}
	}
	// Target tracking creates two alarms (high and low) outside the template,
	// billed like any other.
	return result{items: []Item{c.monthly(pAlarmMonth, "CloudWatch alarm", "2 per target-tracking policy, created by Application Auto Scaling", r.Type, 2)}}
}

func priceECRRepository(c *stackCtx, id string, r Resource) result {
	assumption := "no lifecycle policy: every image pushed is kept"
	if r.Properties["LifecyclePolicy"] != nil {
		assumption = "the lifecycle policy bounds the images kept"
	}
	return result{usage: []Usage{c.usage(pECRStorage, "ECR image storage", r.Type, 1, "GB of images stored", assumption)}}
}

func priceECRPullThroughCache(c *stackCtx, id string, r Resource) result {
	return result{usage: []Usage{c.usage(pECRStorage, "ECR image storage", r.Type, 1, "GB of images stored", "cached images are stored like pushed ones")}}
}

func priceS3Bucket(c *stackCtx, id string, r Resource) result {
	return result{usage: []Usage{c.usage(pS3Storage, "S3 storage", r.Type, 10, "GB stored", "requests are billed on top")}}
}

func priceKMSKey(c *stackCtx, id string, r Resource) result {
	return result{items: []Item{c.monthly(pKMSKey, "KMS key", "", r.Type, 1)}}
}

func priceSSMParameter(c *stackCtx, id string, r Resource) result {
	if text(r.Properties["Tier"]) == "Advanced" {
		return result{items: []Item{c.monthly(pSSMAdvanced, "SSM parameter (advanced tier)", "", r.Type, 1)}}
	}
	return result{free: "standard-tier parameters are free"}
}

// --- Pipeline ---

func priceCodePipeline(c *stackCtx, id string, r Resource) result {
	if cmp.Or(text(r.Properties["PipelineType"]), "V1") != "V2" {
		return result{items: []Item{c.monthly(pPipelineV1Month, "CodePipeline V1", "active pipeline", r.Type, 1)}}
	}
	stages, _ := list(r.Properties["Stages"])
	actions := 0
	for _, s := range stages {
		as, _ := list(object(s)["Actions"])
		actions += len(as)
	}
	return result{usage: []Usage{c.usage(pPipelineV2Minute, "CodePipeline V2 action time", r.Type, 100, "action-minutes",
		fmt.Sprintf("%d actions in %d stages, each billed for the minutes it runs; 100 minutes a month are free", actions, len(stages)))}}
}

// codeBuildPrices maps a CodeBuild environment type and compute type to
// its price key.
var codeBuildPrices = map[[2]string]string{
	{"LINUX_CONTAINER", "BUILD_GENERAL1_SMALL"}:   pBuildLinuxSmall,
	{"LINUX_CONTAINER", "BUILD_GENERAL1_MEDIUM"}:  pBuildLinuxMedium,
	{"LINUX_CONTAINER", "BUILD_GENERAL1_LARGE"}:   pBuildLinuxLarge,
	{"LINUX_CONTAINER", "BUILD_GENERAL1_XLARGE"}:  pBuildLinuxXLarge,
	{"LINUX_CONTAINER", "BUILD_GENERAL1_2XLARGE"}: pBuildLinux2XLarge,
	{"ARM_CONTAINER", "BUILD_GENERAL1_SMALL"}:     pBuildARMSmall,
	{"ARM_CONTAINER", "BUILD_GENERAL1_LARGE"}:     pBuildARMLarge,
}

func priceCodeBuild(c *stackCtx, id string, r Resource) result {
	env := object(r.Properties["Environment"])
	typ, compute := text(env["Type"]), text(env["ComputeType"])
	key, ok := codeBuildPrices[[2]string{typ, compute}]
	if !ok {
		return result{notPriced: []string{fmt.Sprintf("CodeBuild %s on %s: no price for it in prices.json", compute, typ)}}
	}
	return result{usage: []Usage{c.usage(key, "CodeBuild "+strings.TrimPrefix(compute, "BUILD_GENERAL1_")+" "+typ, r.Type, 100, "build-minutes",
		"e.g. 20 builds of 5 minutes; 100 minutes a month on general1.small are free")}}
}
