package netcheck

import (
	"fmt"
	"slices"
	"strings"
)

// RequiredServices are what a Fargate task needs to start and log: the ECR
// API (auth, manifests), the ECR registry, S3 (image layers) and
// CloudWatch Logs.
var RequiredServices = []string{"ecr.api", "ecr.dkr", "s3", "logs"}

// Options tune the required checks to the configuration the templates
// were synthesized with.
type Options struct {
	// Egress is the egress mode ("nat", "nat-per-az" or "endpoints"): it
	// decides whether tasks must reach the internet (NAT) or must not
	// (endpoints). Empty: inferred from the templates, NAT gateways meaning
	// nat, interface endpoints without NAT meaning endpoints.
	Egress string
	// InternetSources are the CIDRs the load balancer must be reachable
	// from (the app's allowedCidrs). Empty: the public CIDRs its security
	// groups admit on the listener port.
	InternetSources []string
	// TestSources are the CIDRs besides the VPC the test listener of a
	// blue/green, canary or linear service may be reached from (the app's
	// testListenerCidrs). Empty: the public CIDRs its security groups admit
	// on the test listener's port.
	TestSources []string
}

// Check is one required path with the verdict the app needs.
type Check struct {
	Result
	Want Verdict `json:"want"`
	OK   bool    `json:"ok"`
	// Why says what is broken when OK is false.
	Why string `json:"why,omitempty"`
	// Row and Col place the check in the matrix: source and destination.
	Row string `json:"-"`
	Col string `json:"-"`
	// Via names what of the destination the path is checked through when
	// there is more than one: a test listener, a target group.
	Via string `json:"via,omitempty"`
}

// Report is the verdict on every path the app needs.
type Report struct {
	Dir    string   `json:"dir"`
	Stacks []string `json:"stacks"`
	Egress string   `json:"egress"`
	// EgressWhy says where the egress mode came from.
	EgressWhy string   `json:"egressWhy"`
	Checks    []Check  `json:"checks"`
	Skipped   []string `json:"skipped,omitempty"`
	Notes     []string `json:"notes,omitempty"`
	OK        bool     `json:"ok"`
}

// Broken lists the checks that failed.
func (r Report) Broken() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Required evaluates the paths the app needs: the internet reaches the
// load balancer's listeners and not the tasks; the load balancer reaches
// the tasks on the container port; tasks reach ECR, S3 and CloudWatch Logs
// on 443; tasks reach the internet through NAT, or not at all in the
// endpoints mode.
func (m *Model) Required(opts Options) Report {
	rep := Report{Dir: m.Dir, Notes: m.Notes}
	for _, st := range m.Stacks {
		rep.Stacks = append(rep.Stacks, fmt.Sprintf("%s (%s)", st.ID, st.Name))
	}
	rep.Egress, rep.EgressWhy = m.egressMode(opts.Egress)

	tasks := m.taskPlaces(&rep)
	lbs := m.frontLBs()
	for _, lb := range lbs {
		rep.Checks = append(rep.Checks, m.internetToLB(lb, opts.InternetSources)...)
		rep.Checks = append(rep.Checks, m.internetToTestListeners(lb, opts.TestSources)...)
	}
	if len(lbs) == 0 {
		rep.Skipped = append(rep.Skipped, "internet -> load balancer, load balancer -> tasks: no AWS::ElasticLoadBalancingV2::LoadBalancer in the assembly")
	}
	for _, t := range tasks {
		if t.svc == nil {
			continue
		}
		rep.Checks = append(rep.Checks, m.internetToTasks(t.place, "Let only the load balancer's security group in"))
		rep.Checks = append(rep.Checks, m.lbToTasks(t.svc, t.place, lbs)...)
	}
	for _, t := range tasks {
		for _, svc := range RequiredServices {
			res := m.path(end{label: t.place.name, place: t.place}, end{label: svc, service: svc}, flow{proto: 6, ports: span{443, 443}})
			rep.Checks = append(rep.Checks, want(res, Allowed, t.place.name, svc))
		}
		res := m.path(end{label: t.place.name, place: t.place}, end{label: "the internet", internet: true, addrs: m.internet()}, flow{proto: 6, ports: span{443, 443}})
		w := Allowed
		if rep.Egress == "endpoints" {
			w = Denied
		}
		rep.Checks = append(rep.Checks, want(res, w, t.place.name, "internet"))
	}
	// A NAT instance has a public IP in a public subnet: its security
	// groups alone keep the internet from its own ports (sshd listens on
	// Amazon Linux). The CDK's default admits all of the internet.
	for _, in := range m.natInstances() {
		rep.Checks = append(rep.Checks, m.internetToTasks(placeOfInstance(in), "Admit only the private subnets' CIDRs"))
	}
	rep.OK = true
	for _, c := range rep.Checks {
		rep.OK = rep.OK && c.OK
	}
	return rep
}

func want(res Result, w Verdict, row, col string) Check {
	c := Check{Result: res, Want: w, OK: res.Verdict == w, Row: row, Col: col}
	if !c.OK {
		c.Why = fmt.Sprintf("%s -> %s %s must be %s, is %s", res.From, res.To, res.Traffic, w, res.Reason)
	}
	return c
}

func (m *Model) egressMode(given string) (mode, why string) {
	switch given {
	case "nat", "nat-per-az", "nat-instance":
		return "nat", "given: " + given
	case "endpoints":
		return "endpoints", "given: endpoints"
	}
	var nats, ifaces []string
	for _, n := range m.NATs {
		if !n.Private {
			nats = append(nats, n.Name())
		}
	}
	for _, ep := range m.Endpoints {
		if ep.Interface {
			ifaces = append(ifaces, ep.Name())
		}
	}
	var instances []string
	for _, in := range m.natInstances() {
		instances = append(instances, in.Name())
	}
	for _, rt := range m.RouteTables {
		for _, r := range rt.Routes {
			if r.ENI != nil && r.ENI.Instance == nil && !slices.Contains(instances, r.ENI.Name()+" (a network interface attached to no instance)") {
				instances = append(instances, r.ENI.Name()+" (a network interface attached to no instance)")
			}
		}
	}
	switch {
	case len(nats) > 0:
		return "nat", "inferred: NAT gateway " + strings.Join(nats, ", ")
	case len(instances) > 0:
		return "nat", "inferred: NAT instance " + strings.Join(instances, ", ")
	case len(ifaces) > 0:
		return "endpoints", "inferred: no NAT gateway, interface endpoints " + strings.Join(ifaces, ", ")
	}
	return "nat", "inferred: neither NAT gateway nor interface endpoint, so tasks need a NAT"
}

type taskPlace struct {
	svc   *Service
	place *place
}

// taskPlaces are the ECS services, or, before there is one, the private
// subnets tasks would run in, checked without a security group.
func (m *Model) taskPlaces(rep *Report) []taskPlace {
	var out []taskPlace
	for _, s := range m.Services {
		out = append(out, taskPlace{s, placeOfService(s)})
	}
	if len(out) > 0 {
		return out
	}
	var priv []*Subnet
	for _, sn := range m.Subnets {
		if sn.VPC != nil && sn.publicRoute() == nil {
			priv = append(priv, sn)
		}
	}
	if len(priv) > 0 {
		// Fargate tasks get a public IP only with AssignPublicIp ENABLED,
		// whatever the subnet's MapPublicIpOnLaunch says.
		p := placeOfSubnets("private subnets", priv...)
		p.publicIP, p.noPublic = false, "Fargate tasks get no public IP unless AssignPublicIp is ENABLED"
		out = append(out, taskPlace{nil, p})
		rep.Skipped = append(rep.Skipped, "internet -> tasks, load balancer -> tasks: no ECS service in the assembly; the tasks' paths to AWS services and the internet are checked from the private subnets, without a security group")
	}
	return out
}

// frontLBs are the load balancers that forward to an ECS service's target
// group; all of them when none does.
func (m *Model) frontLBs() []*LoadBalancer {
	var out []*LoadBalancer
	for _, lb := range m.LoadBalancers {
		for _, svc := range m.Services {
			if len(m.linkedPorts(lb, svc)) > 0 && !slices.Contains(out, lb) {
				out = append(out, lb)
			}
		}
	}
	if len(out) == 0 {
		return m.LoadBalancers
	}
	return out
}

// linkedPorts are the container ports lb forwards to svc on.
func (m *Model) linkedPorts(lb *LoadBalancer, svc *Service) []int {
	var ports []int
	for _, t := range svc.Targets {
		for _, l := range lb.Listeners {
			if t.TargetGroup != nil && slices.Contains(l.TargetGroups, t.TargetGroup) && !slices.Contains(ports, t.ContainerPort) {
				ports = append(ports, t.ContainerPort)
			}
		}
	}
	return ports
}

// internetToLB checks every production listener port from the internet;
// test listeners have checks of their own.
func (m *Model) internetToLB(lb *LoadBalancer, sources []string) []Check {
	p := placeOfLB(lb)
	if !slices.ContainsFunc(lb.Listeners, func(l *Listener) bool { return !l.Test }) {
		res := Result{From: "the internet", To: lb.Name(), Traffic: "tcp", Verdict: Denied, Reason: fmt.Sprintf("denied: %s has no listener", lb.Name())}
		res.Because = []string{fmt.Sprintf("%s has no listener", lb.Name())}
		return []Check{want(res, Allowed, "internet", lb.Name())}
	}
	var out []Check
	for _, l := range lb.Listeners {
		if l.Test {
			continue
		}
		f := flow{proto: 6, ports: span{uint32(l.Port), uint32(l.Port)}}
		src, label, internet := m.lbSources(lb, f, sources)
		res := m.path(end{label: label, internet: internet, addrs: src}, end{label: p.name, place: p}, f)
		res.From = "the internet"
		if label != "the internet" {
			res.From = "the internet (" + label + ")"
		}
		out = append(out, want(res, Allowed, "internet", lb.Name()))
	}
	return out
}

// internetToTestListeners checks that the test listener of a blue/green,
// canary or linear service is not reachable from the internet, except from
// the CIDRs configured for it (given, or else the public ones its security
// groups admit on its port), and that it is from those.
func (m *Model) internetToTestListeners(lb *LoadBalancer, given []string) []Check {
	p := placeOfLB(lb)
	inet := m.internet()
	var out []Check
	for _, l := range lb.Listeners {
		if !l.Test {
			continue
		}
		f := flow{proto: 6, ports: span{uint32(l.Port), uint32(l.Port)}}
		var admitted, configured spans
		for _, sg := range lb.SGs {
			for _, r := range sg.Ingress {
				if r.Unknown == "" && !r.IPv6 && protoMatches(r.Proto, 6) && r.Ports.contains(f.ports) {
					admitted = admitted.union(r.addrs)
				}
			}
		}
		configured = admitted
		if len(given) > 0 {
			configured = nil
			for _, c := range given {
				if a, err := parseCIDR(c); err == nil {
					configured = configured.union(spans{a})
				}
			}
		}
		configured = configured.intersect(inet)
		rest, label := inet.minus(configured), "the internet"
		if !configured.empty() {
			label = "the internet but " + configured.String()
		}
		if !rest.empty() {
			// A security group admits a connection only when it covers
			// every source address: the check starts from the internet
			// addresses it admits, if any, so one open range shows.
			src := rest
			if leak := admitted.intersect(rest); !leak.empty() {
				src = leak
			}
			res := m.path(end{label: label, internet: true, addrs: src}, end{label: p.name, place: p}, f)
			res.From = label
			c := want(res, Denied, "internet", lb.Name())
			c.Via = "test listener " + l.Name()
			out = append(out, c)
		}
		if !configured.empty() {
			res := m.path(end{label: configured.String(), internet: true, addrs: configured}, end{label: p.name, place: p}, f)
			res.From = "the internet (" + configured.String() + ")"
			c := want(res, Allowed, "internet", lb.Name())
			c.Via = "test listener " + l.Name()
			out = append(out, c)
		}
	}
	return out
}

// lbSources are the addresses a listener must be reachable from.
func (m *Model) lbSources(lb *LoadBalancer, f flow, given []string) (spans, string, bool) {
	inet := m.internet()
	var src spans
	if len(given) > 0 {
		for _, c := range given {
			a, err := parseCIDR(c)
			if err != nil {
				continue
			}
			src = src.union(spans{a})
		}
	} else {
		for _, sg := range lb.SGs {
			for _, r := range sg.Ingress {
				if r.Unknown == "" && protoMatches(r.Proto, 6) && r.Ports.contains(f.ports) && r.addrs.overlaps(inet) {
					src = src.union(r.addrs)
				}
			}
		}
	}
	if src.empty() || src.covers(inet) {
		return inet, "the internet", true
	}
	if len(given) > 0 {
		return src, src.String(), src.overlaps(inet)
	}
	return src.intersect(inet), src.String(), true
}

// internetToTasks checks that nothing on the internet reaches the tasks,
// on any port, and that the tasks' security group is one of the reasons:
// a group open to the world, with only the missing public IP in the way,
// is one routing change from exposure.
func (m *Model) internetToTasks(p *place, advice string) Check {
	inet := m.internet()
	var legs []Leg
	sgOpen := false
	if p.unknown != "" || len(p.subnets) == 0 {
		l := &leg{Leg: Leg{From: "the internet", To: p.name}, at: p.name}
		l.addf("placement", Unknown, "where %s sits is unknown: %s", p.name, p.unknown)
		legs = append(legs, l.done())
	}
	for _, d := range p.subnets {
		if p.unknown != "" {
			break
		}
		l := &leg{Leg: Leg{From: "the internet", To: d.Name()}, at: p.name}
		if !p.publicIP {
			l.addf("placement", Denied, "%s: tasks get no public IP", p.noPublic)
		}
		l.at = d.Name()
		r, _ := d.RouteTable.lookupRoute(inet, "")
		switch pr := d.publicRoute(); {
		case pr != nil:
			// Any route to the attached IGW, even for part of the internet.
			l.addf("route", Allowed, "subnet %s route %s", d.Name(), routeText(pr))
		case r == nil:
			l.addf("route", Denied, "subnet %s has no route to the internet (%s)", d.Name(), d.RouteTable.summary())
		case r.Target == TargetIGW:
			l.addf("route", Denied, "subnet %s route %s: blackhole, %s is not attached", d.Name(), routeText(r), r.IGW.Name())
		default:
			l.addf("route", Denied, "subnet %s route %s: no internet gateway route, not a public subnet", d.Name(), routeText(r))
		}
		var open []*SGRule
		var have []string
		l.at = p.name
		for _, sg := range p.sgs {
			for _, r := range sg.Ingress {
				have = append(have, sg.Name()+" "+sgRuleText(r))
				switch {
				case r.Unknown != "":
					l.addf("sg", Unknown, "%s ingress rule %s is unknown (%s)", sg.Name(), sgRuleText(r), r.Unknown)
				case !r.IPv6 && r.addrs.overlaps(inet):
					open = append(open, r)
					l.addf("sg", Allowed, "%s ingress %s admits the internet", sg.Name(), sgRuleText(r))
				}
			}
		}
		if len(open) == 0 {
			if len(have) == 0 {
				have = []string{"none"}
			}
			l.addf("sg", Denied, "%s admits nothing from the internet (ingress: %s)", sgNames(p.sgs), strings.Join(have, ", "))
		} else {
			sgOpen = true
			r := open[0]
			f := flow{proto: r.Proto, ports: r.Ports, addrs: inet, peer: "the internet", internet: true}
			if r.Proto == -1 {
				f.proto, f.ports = 6, allPorts
			}
			l.add(naclHop(d, false, f))
			l.add(naclHop(d, true, f.reverse(inet, "the internet", true)))
		}
		legs = append(legs, l.done())
	}
	res := combine("the internet", p.name, flow{proto: -1}, legs)
	res.Traffic = "any port"
	c := want(res, Denied, "internet", p.name)
	if !c.OK && sgOpen {
		c.Why += ". " + advice
	}
	if c.OK && sgOpen {
		c.OK = false
		var blockers, opens []string
		for _, l := range legs {
			for _, h := range l.Hops {
				if h.Verdict == Denied && !slices.Contains(blockers, h.Text) {
					blockers = append(blockers, h.Text)
				}
				if h.Layer == "sg" && h.Verdict == Allowed && !slices.Contains(opens, h.Text) {
					opens = append(opens, h.Text)
				}
			}
		}
		c.Why = fmt.Sprintf("the internet -> %s any port must be denied by its security group too: %s; it is kept out only by: %s. %s", p.name, strings.Join(opens, "; "), strings.Join(blockers, "; "), advice)
	}
	return c
}

func sgNames(sgs []*SecurityGroup) string {
	var ss []string
	for _, sg := range sgs {
		ss = append(ss, sg.Name())
	}
	if len(ss) == 0 {
		return "no security group"
	}
	return strings.Join(ss, "+")
}

// lbToTasks checks that each load balancer in front of the service reaches
// every task subnet on the container port, through each of the service's
// target groups (with an alternate one, a new revision's tasks register
// there): with cross-zone load balancing, every load balancer node sends
// to every target.
func (m *Model) lbToTasks(svc *Service, p *place, lbs []*LoadBalancer) []Check {
	var out []Check
	for _, lb := range lbs {
		if checks := m.lbToTargetGroups(svc, p, lb); len(checks) > 0 {
			out = append(out, checks...)
			continue
		}
		ports := m.linkedPorts(lb, svc)
		var note string
		if len(ports) == 0 {
			for _, t := range svc.Targets {
				ports = append(ports, t.ContainerPort)
			}
			if len(ports) == 0 {
				ports = svc.Ports
			}
			note = fmt.Sprintf("no listener of %s forwards to a target group of %s; checked on its container port anyway", lb.Name(), svc.Name())
		}
		if len(ports) == 0 {
			res := Result{From: lb.Name(), To: svc.Name(), Traffic: "tcp", Verdict: Unknown, Reason: "unknown: no container port in the service or its task definition"}
			res.Because = []string{"no container port in the service or its task definition"}
			out = append(out, want(res, Allowed, lb.Name(), svc.Name()))
			continue
		}
		for _, port := range ports {
			res := m.path(end{label: lb.Name(), place: placeOfLB(lb)}, end{label: svc.Name(), place: p}, flow{proto: 6, ports: span{uint32(port), uint32(port)}})
			if note != "" {
				res.Because = append([]string{note}, res.Because...)
				res.Reason = string(res.Verdict) + ": " + strings.Join(res.Because, "; ")
			}
			out = append(out, want(res, Allowed, lb.Name(), svc.Name()))
		}
	}
	return out
}

// lbToTargetGroups checks lb -> tasks once per target group of the
// service that a listener of lb forwards to, when the service has more
// than one (blue/green, canary, linear); nil otherwise, and lbToTasks
// checks per port.
func (m *Model) lbToTargetGroups(svc *Service, p *place, lb *LoadBalancer) []Check {
	if !slices.ContainsFunc(svc.Targets, func(t ServiceTarget) bool { return t.Alternate }) {
		return nil
	}
	var out []Check
	for _, t := range svc.Targets {
		forwarded := slices.ContainsFunc(lb.Listeners, func(l *Listener) bool { return t.TargetGroup != nil && slices.Contains(l.TargetGroups, t.TargetGroup) })
		if t.TargetGroup == nil || t.ContainerPort == 0 {
			res := Result{From: lb.Name(), To: svc.Name(), Traffic: "tcp", Verdict: Unknown, Reason: "unknown: a target of the service has no target group or container port in the template"}
			res.Because = []string{"a target of the service has no target group or container port in the template"}
			out = append(out, want(res, Allowed, lb.Name(), svc.Name()))
			continue
		}
		kind := "target group"
		if t.Alternate {
			kind = "alternate target group"
		}
		res := m.path(end{label: lb.Name(), place: placeOfLB(lb)}, end{label: svc.Name(), place: p}, flow{proto: 6, ports: span{uint32(t.ContainerPort), uint32(t.ContainerPort)}})
		if !forwarded {
			res.Verdict = Denied
			res.Because = append([]string{fmt.Sprintf("no listener or rule of %s forwards to %s %s", lb.Name(), kind, t.TargetGroup.Name())}, res.Because...)
			res.Reason = string(res.Verdict) + ": " + strings.Join(res.Because, "; ")
		}
		c := want(res, Allowed, lb.Name(), svc.Name())
		c.Via = kind + " " + t.TargetGroup.Name()
		out = append(out, c)
	}
	return out
}

// natInstances are the instances a route hands traffic to, directly or
// through one of their network interfaces: NAT instances, or meant to be.
func (m *Model) natInstances() []*Instance {
	var out []*Instance
	for _, rt := range m.RouteTables {
		for _, r := range rt.Routes {
			in := r.Instance
			if r.ENI != nil {
				in = r.ENI.Instance
			}
			if in != nil && !slices.Contains(out, in) {
				out = append(out, in)
			}
		}
	}
	return out
}
