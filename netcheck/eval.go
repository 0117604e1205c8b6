package netcheck

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Verdict is the answer for a path.
type Verdict string

// Verdicts. Partial means some legs of the path (say, one of two subnets)
// are allowed and others denied; unknown means a value that decides it is
// only known at deploy time.
const (
	Allowed Verdict = "allowed"
	Denied  Verdict = "denied"
	Partial Verdict = "partial"
	Unknown Verdict = "unknown"
	// info marks a hop that explains without deciding.
	info Verdict = "info"
)

// Hop is one decision along a path: a security group, a route, a NACL, a
// placement, a listener. Text names the resources and rules that decided.
type Hop struct {
	Layer   string  `json:"layer"`
	Verdict Verdict `json:"verdict"`
	Text    string  `json:"text"`
	// At is where it was decided: for a route or a NACL, the subnet whose
	// route table or NACL it is (a NAT gateway's subnet for the route on
	// from there); else the resource whose security groups, listeners or
	// placement decided, as the path's ends are named.
	At string `json:"at"`
}

// flow is the traffic one hop sees: a protocol, destination ports, and the
// peer's addresses (source for ingress, destination for egress).
type flow struct {
	proto    int
	ports    span
	addrs    spans
	peer     string // how the peer is shown
	internet bool   // addrs is "the internet", where a blocklist is not a denial
	ret      bool   // return traffic of a connection
}

func (f flow) trafficText() string {
	t := protoName(f.proto)
	if f.proto == 6 || f.proto == 17 {
		t += " " + portText(f.ports)
	}
	return t
}

// reverse is the return traffic of f: to the client's ephemeral ports.
func (f flow) reverse(peer spans, label string, internet bool) flow {
	r := flow{proto: f.proto, ports: allPorts, addrs: peer, peer: label, internet: internet, ret: true}
	if f.proto == 6 || f.proto == 17 {
		r.ports = ephemeral
	}
	return r
}

func protoMatches(rule, flow int) bool { return rule == -1 || rule == flow }

// naclHop evaluates a subnet's NACL for one direction, exactly: the needed
// ports and addresses are cut into pieces at every rule boundary, and each
// piece is decided by the lowest-numbered rule that matches it, or by the
// implicit final rule "*", which denies.
func naclHop(sn *Subnet, egress bool, f flow) (h Hop) {
	defer func() { h.At = sn.Name() }()
	acl := sn.NACL
	dir, prep := "ingress", "from"
	if egress {
		dir, prep = "egress", "to"
	}
	var entries []*NaclEntry
	for _, e := range acl.Entries {
		if e.Egress == egress && !e.IPv6 {
			entries = append(entries, e)
		}
	}
	slices.SortStableFunc(entries, func(a, b *NaclEntry) int { return a.Number - b.Number })

	what := f.trafficText() + " " + prep + " " + f.peer
	if f.ret {
		what = "return traffic " + what
	}
	name := "NACL " + acl.Name() + " " + dir
	if f.addrs.empty() {
		return Hop{Layer: "nacl", Verdict: Unknown, Text: fmt.Sprintf("%s: the addresses of %s are unknown", name, f.peer)}
	}

	// Cut the ports and addresses at every rule boundary.
	portCuts := []uint64{uint64(f.ports.lo), uint64(f.ports.hi) + 1}
	var addrCuts []uint64
	for _, a := range f.addrs {
		addrCuts = append(addrCuts, uint64(a.lo), uint64(a.hi)+1)
	}
	for _, e := range entries {
		if f.proto == 6 || f.proto == 17 {
			portCuts = append(portCuts, uint64(e.Ports.lo), uint64(e.Ports.hi)+1)
		}
		for _, a := range e.addrs {
			addrCuts = append(addrCuts, uint64(a.lo), uint64(a.hi)+1)
		}
	}
	slices.Sort(portCuts)
	portCuts = slices.Compact(portCuts)
	slices.Sort(addrCuts)
	addrCuts = slices.Compact(addrCuts)

	type decision struct {
		entry *NaclEntry // nil: the implicit "*" rule
		ports spans
		addrs spans
	}
	var decided []*decision
	byEntry := map[*NaclEntry]*decision{}
	var unknown *NaclEntry
	for i := 0; i+1 < len(portCuts); i++ {
		pp := span{uint32(portCuts[i]), uint32(portCuts[i+1] - 1)}
		if !f.ports.contains(pp) {
			continue
		}
		for j := 0; j+1 < len(addrCuts); j++ {
			ap := span{uint32(addrCuts[j]), uint32(addrCuts[j+1] - 1)}
			if !f.addrs.covers(spans{ap}) {
				continue
			}
			var hit *NaclEntry
			for _, e := range entries {
				if e.Unknown != "" {
					unknown = e
					break
				}
				if protoMatches(e.Proto, f.proto) && (f.proto != 6 && f.proto != 17 || e.Ports.contains(pp)) && e.addrs.covers(spans{ap}) {
					hit = e
					break
				}
			}
			if unknown != nil {
				break
			}
			d := byEntry[hit]
			if d == nil {
				d = &decision{entry: hit}
				byEntry[hit] = d
				decided = append(decided, d)
			}
			d.ports = d.ports.union(spans{pp})
			d.addrs = d.addrs.union(spans{ap})
		}
		if unknown != nil {
			break
		}
	}
	if unknown != nil {
		return Hop{Layer: "nacl", Verdict: Unknown, Text: fmt.Sprintf("%s rule %d is unknown (%s): cannot tell whether %s is allowed", name, unknown.Number, unknown.Unknown, what)}
	}
	slices.SortStableFunc(decided, func(a, b *decision) int {
		switch {
		case a.entry == nil:
			return 1
		case b.entry == nil:
			return -1
		}
		return a.entry.Number - b.entry.Number
	})
	var allows, denies []*decision
	for _, d := range decided {
		if d.entry != nil && d.entry.Allow {
			allows = append(allows, d)
		} else {
			denies = append(denies, d)
		}
	}
	ruleList := func(ds []*decision) string {
		var ss []string
		for _, d := range ds {
			ss = append(ss, ruleText(d.entry))
		}
		return strings.Join(ss, ", ")
	}
	suffix := fmt.Sprintf(" (%s)", f.trafficText())
	if f.ret {
		suffix = fmt.Sprintf(" (return %s)", f.trafficText())
	}
	if len(denies) == 0 {
		return Hop{Layer: "nacl", Verdict: Allowed, Text: name + " " + ruleList(allows) + suffix}
	}
	// A deny of part of the internet, such as a blocklist, leaves the
	// internet reachable; it is worth saying, not a denial.
	if f.internet && len(allows) > 0 {
		blocklist := true
		var blocked spans
		for _, d := range denies {
			if d.entry == nil || d.entry.addrs.covers(f.addrs) {
				blocklist = false
			}
			blocked = blocked.union(d.addrs)
		}
		if blocklist {
			return Hop{Layer: "nacl", Verdict: Allowed, Text: fmt.Sprintf("%s %s%s, except %s (%s)", name, ruleList(allows), suffix, blocked, ruleList(denies))}
		}
	}
	d := denies[0]
	part := ""
	if !d.ports.covers(spans{f.ports}) && (f.proto == 6 || f.proto == 17) {
		part = fmt.Sprintf(" %s of", portsText(d.ports))
	}
	if !d.addrs.covers(f.addrs) {
		part += fmt.Sprintf(" %s of", d.addrs)
	}
	if d.entry == nil {
		why := "no rule allows " + what
		if part != "" {
			why = fmt.Sprintf("no rule allows%s %s (%s covers the rest)", part, what, ruleList(allows))
		}
		if f.ret {
			why += ": NACLs are stateless, return traffic needs its own rule"
		}
		return Hop{Layer: "nacl", Verdict: Denied, Text: fmt.Sprintf("%s rule * deny: %s", name, why)}
	}
	text := fmt.Sprintf("%s %s", name, ruleText(d.entry))
	// Name the allow rule it shadows, the classic mistake.
	for _, e := range entries {
		if e.Number > d.entry.Number && e.Allow && protoMatches(e.Proto, f.proto) && e.addrs.overlaps(d.addrs) &&
			(f.proto != 6 && f.proto != 17 || spans{e.Ports}.overlaps(d.ports)) {
			text += fmt.Sprintf(" (evaluated before rule %d allow)", e.Number)
			break
		}
	}
	if part != "" || f.ret {
		text += fmt.Sprintf(": denies%s %s", part, what)
	}
	return Hop{Layer: "nacl", Verdict: Denied, Text: text}
}

func portsText(p spans) string {
	var ss []string
	for _, s := range p {
		ss = append(ss, portText(s))
	}
	return "ports " + strings.Join(ss, ", ")
}

// ruleText shows a NACL entry: "rule 100 allow tcp 443 to 0.0.0.0/0".
func ruleText(e *NaclEntry) string {
	if e == nil {
		return "rule * deny"
	}
	action := "deny"
	if e.Allow {
		action = "allow"
	}
	t := protoName(e.Proto)
	if (e.Proto == 6 || e.Proto == 17) && e.Ports != allPorts {
		t += " " + portText(e.Ports)
	}
	prep := "from"
	if e.Egress {
		prep = "to"
	}
	return fmt.Sprintf("rule %d %s %s %s %s", e.Number, action, t, prep, e.CIDR)
}

// sgHop evaluates the security groups of one end of a connection for one
// direction. Rules add up; a rule matches by CIDR, covering all of the
// peer's addresses, or by the peer's security group.
func sgHop(owner string, sgs []*SecurityGroup, egress bool, f flow, peerSGs []*SecurityGroup) (h Hop) {
	defer func() { h.At = owner }()
	dir, prep := "ingress", "from"
	if egress {
		dir, prep = "egress", "to"
	}
	names := make([]string, len(sgs))
	for i, sg := range sgs {
		names[i] = sg.Name()
	}
	name := strings.Join(names, "+") + " " + dir
	if len(sgs) == 0 {
		return Hop{Layer: "sg", Verdict: Denied, Text: fmt.Sprintf("%s has no security group", owner)}
	}
	var covered spans
	var used []string
	var unknown, all []*SGRule
	placeholder := false
	for _, sg := range sgs {
		placeholder = placeholder || sg.Placeholder
		rules := sg.Ingress
		if egress {
			rules = sg.Egress
		}
		for _, r := range rules {
			all = append(all, r)
			if r.IPv6 {
				continue
			}
			matches := protoMatches(r.Proto, f.proto) && (f.proto != 6 && f.proto != 17 || r.Ports.contains(f.ports))
			if r.Unknown != "" {
				if matches || !r.peerUnknown {
					unknown = append(unknown, r)
				}
				continue
			}
			if !matches {
				continue
			}
			if r.Peer != nil && slices.Contains(peerSGs, r.Peer) {
				return Hop{Layer: "sg", Verdict: Allowed, Text: fmt.Sprintf("%s %s", name, sgRuleText(r))}
			}
			if !r.addrs.empty() && r.addrs.overlaps(f.addrs) && !covered.covers(f.addrs) {
				covered = covered.union(r.addrs)
				used = append(used, sgRuleText(r))
			}
		}
	}
	if !f.addrs.empty() && covered.covers(f.addrs) {
		return Hop{Layer: "sg", Verdict: Allowed, Text: fmt.Sprintf("%s %s", name, strings.Join(used, ", "))}
	}
	if len(unknown) > 0 {
		return Hop{Layer: "sg", Verdict: Unknown, Text: fmt.Sprintf("%s rule %s is unknown (%s): cannot tell whether it admits %s %s %s", name, sgRuleText(unknown[0]), unknown[0].Unknown, f.trafficText(), prep, f.peer)}
	}
	var have []string
	for _, r := range all {
		have = append(have, sgRuleText(r))
	}
	rules := "its rules: " + strings.Join(have, ", ")
	switch {
	case len(have) == 0 && placeholder:
		rules = "no rule but CDK's 'disallow all' placeholder: allowAllOutbound is false"
	case len(have) == 0:
		rules = "no " + dir + " rule"
	}
	part := ""
	if !covered.empty() {
		part = fmt.Sprintf(" (only %s of it)", covered.intersect(f.addrs))
	}
	return Hop{Layer: "sg", Verdict: Denied, Text: fmt.Sprintf("%s: no rule admits %s %s %s%s (%s)", name, f.trafficText(), prep, f.peer, part, rules)}
}

// sgRuleText shows a rule: "from AlbSG tcp 80 (AlbSGtoService…)".
func sgRuleText(r *SGRule) string {
	prep := "from"
	if r.Egress {
		prep = "to"
	}
	peer := r.CIDR
	switch {
	case r.Peer != nil:
		peer = r.Peer.Name()
	case r.PrefixList != "":
		peer = "prefix list " + r.PrefixList
	case r.Unknown != "" && peer == "":
		peer = "(unknown)"
	}
	t := protoName(r.Proto)
	if r.Proto == -1 {
		t = "all traffic"
	} else if (r.Proto == 6 || r.Proto == 17) && r.Ports != allPorts {
		t += " " + portText(r.Ports)
	}
	return fmt.Sprintf("%s %s %s (%s)", prep, peer, t, r.Origin)
}

// routes lists a route table's routes, the VPC's local routes first.
func (rt *RouteTable) routes() []*Route {
	var out []*Route
	if rt.VPC != nil {
		for _, c := range rt.VPC.CIDRs {
			a, _ := parseCIDR(c)
			out = append(out, &Route{Dest: c, addrs: spans{a}, Target: TargetLocal})
		}
	}
	return append(out, rt.Routes...)
}

// lookupRoute finds the route that carries traffic to dst: for an AWS
// service with a gateway endpoint on the table, the endpoint's prefix-list
// route (more specific than any CIDR route around it); else the most
// specific route whose destination holds all of dst. Routes more specific
// still, that hold part of dst, are returned as exceptions.
func (rt *RouteTable) lookupRoute(dst spans, service string) (best *Route, except []*Route) {
	routes := rt.routes()
	if service != "" {
		for _, r := range routes {
			if r.Target == TargetEndpoint && r.service == service {
				return r, nil
			}
		}
	}
	size := func(r *Route) uint64 { return uint64(r.addrs[0].hi) - uint64(r.addrs[0].lo) }
	for _, r := range routes {
		if r.addrs.empty() || !r.addrs.covers(dst) {
			continue
		}
		if best == nil || size(r) < size(best) {
			best = r
		}
	}
	for _, r := range routes {
		if r != best && !r.addrs.empty() && r.addrs.overlaps(dst) && !r.addrs.covers(dst) {
			except = append(except, r)
		}
	}
	return best, except
}

// routeShare is the part of a destination that one route carries.
type routeShare struct {
	route *Route // nil: no route of the table holds these addresses
	addrs spans
}

// routesFor splits dst by longest-prefix match, as AWS routes: each address
// goes by the most specific route whose destination holds it, and a gateway
// endpoint's prefix list takes all of the AWS service it serves (its
// addresses are unknown offline, so an AWS service's destination is any
// public IPv4 address unless such a prefix list covers it). The shares come
// most specific route first; addresses no route holds come last, with a nil
// route. shadowed are the routes that hold part of dst but carry none of
// it, more specific routes having taken all of their part.
func (rt *RouteTable) routesFor(dst spans, service string) (shares []routeShare, shadowed []*Route) {
	routes := rt.routes()
	if service != "" {
		for _, r := range routes {
			if r.Target == TargetEndpoint && r.service == service {
				return []routeShare{{r, dst}}, nil
			}
		}
	}
	var cands []*Route
	for _, r := range routes {
		if !r.addrs.empty() && r.addrs.overlaps(dst) {
			cands = append(cands, r)
		}
	}
	slices.SortStableFunc(cands, func(a, b *Route) int {
		return cmp.Or(cmp.Compare(routeSize(a), routeSize(b)), cmp.Compare(a.addrs[0].lo, b.addrs[0].lo))
	})
	rest := dst
	for _, r := range cands {
		part := rest.intersect(r.addrs)
		if part.empty() {
			shadowed = append(shadowed, r)
			continue
		}
		shares = append(shares, routeShare{r, part})
		rest = rest.minus(part)
	}
	if !rest.empty() {
		shares = append(shares, routeShare{nil, rest})
	}
	return shares, shadowed
}

func routeSize(r *Route) uint64 { return uint64(r.addrs[0].hi) - uint64(r.addrs[0].lo) }

// count is how many addresses the spans hold.
func (s spans) count() uint64 {
	var n uint64
	for _, a := range s {
		n += uint64(a.hi) - uint64(a.lo) + 1
	}
	return n
}

// shareText says how much of whole part is: "49.8%", "all".
func shareText(part, whole spans) string {
	n, total := part.count(), whole.count()
	if n >= total {
		return "all"
	}
	pct := 100 * float64(n) / float64(total)
	switch t := fmt.Sprintf("%.1f%%", pct); {
	case pct < 0.1:
		return fmt.Sprintf("%d addresses (under 0.1%%)", n)
	case t == "100.0%":
		return "over 99.9%"
	default:
		return t
	}
}

// routeText shows a route: "0.0.0.0/0 -> VpcIGWD7BA715C".
func routeText(r *Route) string {
	dest := r.Dest
	if r.service != "" {
		dest = "prefix list of " + r.service
	}
	switch r.Target {
	case TargetLocal:
		return dest + " local"
	case TargetIGW:
		return dest + " -> " + r.IGW.Name()
	case TargetNAT:
		t := dest + " -> " + r.NAT.Name()
		if r.NAT.Subnet != nil {
			t += " in " + r.NAT.Subnet.Name()
		}
		return t
	case TargetEndpoint:
		return dest + " -> " + r.Endpoint.Name() + " (gateway endpoint)"
	case TargetInstance:
		d := deviceOf(r)
		t := dest + " -> " + d.name
		if d.subnet != nil {
			t += " in " + d.subnet.Name()
		}
		return t
	}
	return dest + " -> " + r.TargetText
}

func (rt *RouteTable) summary() string {
	var ss []string
	for _, r := range rt.routes() {
		ss = append(ss, routeText(r))
	}
	return fmt.Sprintf("route table %s: %s", rt.Name(), strings.Join(ss, ", "))
}
