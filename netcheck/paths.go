package netcheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Leg is one concrete way along a path, from one subnet to another: a path
// from tasks in two subnets to a load balancer in two has four legs.
type Leg struct {
	From    string  `json:"from"`
	To      string  `json:"to"`
	Verdict Verdict `json:"verdict"`
	Hops    []Hop   `json:"hops"`
}

// Result is the verdict on one path with the hops that decided it.
type Result struct {
	From    string  `json:"from"`
	To      string  `json:"to"`
	Traffic string  `json:"traffic"`
	Verdict Verdict `json:"verdict"`
	// Reason names the deciding rules hop by hop, e.g. "denied: NACL
	// PrivateNacl ingress rule 80 deny tcp 22 from 0.0.0.0/0 (evaluated
	// before rule 100 allow)".
	Reason string `json:"reason"`
	// Because is Reason's parts, one decision each.
	Because []string `json:"because"`
	Legs    []Leg    `json:"legs"`
}

// place is where one end of a path sits: subnets, security groups, a
// public IP or not.
type place struct {
	name     string
	subnets  []*Subnet
	sgs      []*SecurityGroup
	sgLayer  bool
	publicIP bool
	noPublic string // why it has no public IP
	lb       *LoadBalancer
	refuses  string // why it takes no inbound connection
	unknown  string
}

// end is one end of a path: a place, the internet, outside addresses, or
// an AWS service.
type end struct {
	label    string
	internet bool
	addrs    spans
	service  string
	place    *place
}

func placeOfService(s *Service) *place {
	p := &place{name: s.Name(), subnets: s.Subnets, sgs: s.SGs, sgLayer: true, publicIP: s.PublicIP, unknown: s.Unknown}
	if !s.PublicIP {
		p.noPublic = fmt.Sprintf("%s AssignPublicIp DISABLED", s.Name())
	}
	return p
}

func placeOfLB(lb *LoadBalancer) *place {
	p := &place{name: lb.Name(), subnets: lb.Subnets, sgs: lb.SGs, sgLayer: lb.LBType == "application" || len(lb.SGs) > 0, lb: lb, unknown: lb.Unknown}
	p.publicIP = lb.Scheme == "internet-facing"
	if !p.publicIP {
		p.noPublic = fmt.Sprintf("%s scheme %s", lb.Name(), lb.Scheme)
	}
	return p
}

func placeOfInstance(in *Instance) *place {
	p := &place{name: in.Name(), sgs: in.SGs, sgLayer: true, publicIP: in.PublicIP, unknown: in.Unknown}
	if in.Subnet != nil {
		p.subnets = []*Subnet{in.Subnet}
	}
	if !in.PublicIP {
		p.noPublic = in.Name() + " gets no public IP"
	}
	return p
}

func placeOfFunction(fn *Function) *place {
	return &place{name: fn.Name(), subnets: fn.Subnets, sgs: fn.SGs, sgLayer: true, noPublic: "Lambda functions in a VPC get no public IP", refuses: "a Lambda function takes no inbound connection", unknown: fn.Unknown}
}

func placeOfEndpoint(ep *Endpoint) *place {
	return &place{name: ep.Name(), subnets: ep.Subnets, sgs: ep.SGs, sgLayer: true, noPublic: "interface endpoints get no public IP", unknown: ep.Unknown}
}

func placeOfNAT(n *NAT) *place {
	p := &place{name: n.Name(), publicIP: !n.Private, noPublic: "private NAT gateway", refuses: "a NAT gateway takes no inbound connection", unknown: n.Unknown}
	if n.Subnet != nil {
		p.subnets = []*Subnet{n.Subnet}
	}
	return p
}

func placeOfSubnets(name string, sns ...*Subnet) *place {
	p := &place{name: name, subnets: sns, publicIP: true}
	for _, sn := range sns {
		if !sn.MapPublicIP {
			p.publicIP, p.noPublic = false, fmt.Sprintf("subnet %s does not map public IPs", sn.Name())
		}
	}
	return p
}

// internet is the address space of "the internet" as seen from the model:
// all of IPv4 but RFC 1918 and the VPCs' own CIDRs.
func (m *Model) internet() spans {
	out := allAddrs.minus(private)
	for _, v := range m.VPCs {
		out = out.minus(v.addrs)
	}
	return out
}

// leg collects hops.
type leg struct {
	Leg
	stop bool
	// at is where the next hops are decided, unless they say (Hop.At).
	at string
}

func (l *leg) add(h Hop) {
	if h.At == "" {
		h.At = l.at
	}
	l.Hops = append(l.Hops, h)
}

func (l *leg) addf(layer string, v Verdict, format string, args ...any) {
	l.add(Hop{Layer: layer, Verdict: v, Text: fmt.Sprintf(format, args...)})
}

func (l *leg) done() Leg {
	l.Verdict = Allowed
	for _, h := range l.Hops {
		switch {
		case h.Verdict == Denied:
			l.Verdict = Denied
		case h.Verdict == Unknown && l.Verdict == Allowed:
			l.Verdict = Unknown
		}
	}
	return l.Leg
}

// peerLabel shows the other end of a connection as a security group sees
// it: its groups and its subnet's addresses.
func peerLabel(p *place, sn *Subnet) string {
	if !p.sgLayer {
		return subnetLabel(sn)
	}
	return fmt.Sprintf("%s (%s in %s)", p.name, sgNames(p.sgs), sn.CIDR)
}

func subnetLabel(sn *Subnet) string {
	if sn.CIDR == "" {
		return sn.Name()
	}
	return fmt.Sprintf("%s (%s)", sn.Name(), sn.CIDR)
}

// nacls adds the four NACL checks of a connection between two subnets: the
// request out of one and into the other, and the return traffic, to the
// ephemeral ports, back. NACLs do not see traffic within one subnet.
func nacls(l *leg, from, to *Subnet, f flow) {
	if from == to {
		return
	}
	out := f
	out.addrs, out.peer, out.internet = to.addrs, subnetLabel(to), false
	l.add(naclHop(from, true, out))
	in := f
	in.addrs, in.peer, in.internet = from.addrs, subnetLabel(from), false
	l.add(naclHop(to, false, in))
	l.add(naclHop(to, true, f.reverse(from.addrs, subnetLabel(from), false)))
	l.add(naclHop(from, false, f.reverse(to.addrs, subnetLabel(to), false)))
}

// within evaluates a connection inside a VPC, from src in subnet s to dst
// in subnet d.
func (m *Model) within(src *place, s *Subnet, dst *place, d *Subnet, f flow) Leg {
	l := &leg{Leg: Leg{From: s.Name(), To: d.Name()}, at: s.Name()}
	if s.VPC != d.VPC || s.VPC == nil {
		l.addf("route", Unknown, "subnets %s and %s are not in the same VPC: peering and transit gateways are not modeled", s.Name(), d.Name())
		return l.done()
	}
	if src.sgLayer {
		out := f
		out.addrs, out.peer = d.addrs, peerLabel(dst, d)
		l.add(sgHop(src.name, src.sgs, true, out, dst.sgs))
	}
	r, except := s.RouteTable.lookupRoute(d.addrs, "")
	switch {
	case r == nil:
		l.addf("route", Denied, "subnet %s has no route to %s (%s)", s.Name(), subnetLabel(d), s.RouteTable.summary())
		return l.done()
	case r.Target != TargetLocal:
		l.addf("route", Unknown, "subnet %s route %s: traffic to %s leaves through %s, which is not modeled", s.Name(), routeText(r), d.Name(), r.TargetText)
		return l.done()
	}
	l.addf("route", Allowed, "subnet %s route %s", s.Name(), routeText(r))
	for _, e := range except {
		l.addf("route", Unknown, "subnet %s route %s takes part of %s away from the local route", s.Name(), routeText(e), d.CIDR)
	}
	nacls(l, s, d, f)
	if dst.sgLayer {
		in := f
		in.addrs, in.peer = s.addrs, peerLabel(src, s)
		l.add(sgHop(dst.name, dst.sgs, false, in, src.sgs))
	}
	m.accepts(l, dst, f)
	return l.done()
}

// accepts checks that the destination takes the connection at all.
func (m *Model) accepts(l *leg, dst *place, f flow) {
	l.at = dst.name
	if dst.refuses != "" {
		l.addf("placement", Denied, "%s: %s", dst.name, dst.refuses)
	}
	if lb := dst.lb; lb != nil {
		var ports []string
		for _, li := range lb.Listeners {
			if int(f.ports.lo) <= li.Port && li.Port <= int(f.ports.hi) && (f.proto == 6 || f.proto == -1) {
				l.addf("listener", Allowed, "%s listener %s %s %d", lb.Name(), li.Name(), li.Protocol, li.Port)
				return
			}
			ports = append(ports, fmt.Sprint(li.Port))
		}
		if len(ports) == 0 {
			ports = []string{"none"}
		}
		l.addf("listener", Denied, "%s has no listener on %s (listeners: %s)", lb.Name(), f.trafficText(), strings.Join(ports, ", "))
	}
}

// exit is one way out of a subnet towards part of a destination outside
// the VPC: the route hops that decide it, and the NAT gateway's subnet when
// it goes through one. stop: no route leads out.
type exit struct {
	addrs     spans
	split     bool // the destination is split across more than one route
	hops      []Hop
	natSubnet *Subnet
	stop      bool
	at        string // the subnet whose route table decides the next hops
}

func (e *exit) addf(layer string, v Verdict, format string, args ...any) {
	e.hops = append(e.hops, Hop{Layer: layer, Verdict: v, At: e.at, Text: fmt.Sprintf(format, args...)})
}

// exits follows a subnet's routes towards dst, outside addresses, to an
// internet gateway, directly or through a NAT gateway. The destination is
// split by longest-prefix match, in the subnet's route table and again in
// the NAT gateway's: each part of it that a different route wins is one
// exit, so a more specific route that leads nowhere (a blackhole, a
// detached internet gateway, no route at all) denies its part of the
// destination, and the verdict says how much.
func (m *Model) exits(s *Subnet, dst spans, label, service string, src *place, f flow) []exit {
	shares, shadowed := s.RouteTable.routesFor(dst, service)
	var notes []Hop
	for _, r := range shadowed {
		notes = append(notes, Hop{Layer: "route", Verdict: info, At: s.Name(), Text: fmt.Sprintf("subnet %s route %s is most specific for none of the addresses of %s: more specific routes take all of them", s.Name(), routeText(r), label)})
	}
	var out []exit
	for _, sh := range shares {
		e := exit{addrs: sh.addrs, split: len(shares) > 1, hops: slices.Clone(notes), at: s.Name()}
		part := ""
		if e.split {
			part = fmt.Sprintf(" (most specific for %s of the addresses of %s)", shareText(sh.addrs, dst), label)
		}
		r := sh.route
		if r == nil {
			why := ""
			if service != "" {
				for _, ep := range m.Endpoints {
					if ep.Gateway && ep.Service == service && ep.VPC == s.VPC {
						why = fmt.Sprintf(": gateway endpoint %s for %s is not on this route table", ep.Name(), service)
					}
				}
				if why == "" && (service == "s3" || service == "dynamodb") {
					why = fmt.Sprintf(": no %s gateway endpoint and no NAT", service)
				} else if why == "" {
					why = fmt.Sprintf(": no interface endpoint for %s and no NAT", service)
				}
			}
			what := label
			if e.split {
				what = fmt.Sprintf("%s of the addresses of %s", shareText(sh.addrs, dst), label)
			}
			e.stop = true
			e.addf("route", Denied, "subnet %s has no route to %s%s (%s)", s.Name(), what, why, s.RouteTable.summary())
			out = append(out, e)
			continue
		}
		lead := fmt.Sprintf("subnet %s route %s%s", s.Name(), routeText(r), part)
		e.stop = true
		switch r.Target {
		case TargetEndpoint:
			e.stop = false
			e.addf("route", Allowed, "%s", lead)
		case TargetIGW:
			switch _, attached := s.VPC.Attachments[r.IGW]; {
			case !attached:
				e.addf("route", Denied, "%s: blackhole, %s is not attached to %s (no VPCGatewayAttachment)", lead, r.IGW.Name(), s.VPC.Name())
			case !src.publicIP:
				e.addf("route", Denied, "%s, but %s has no public IP (%s): an internet gateway only carries traffic of public addresses", lead, src.name, src.noPublic)
			default:
				e.stop = false
				e.addf("route", Allowed, "%s", lead)
			}
		case TargetNAT:
			switch nat := r.NAT; {
			case nat.Unknown != "":
				e.addf("route", Unknown, "%s: NAT gateway %s", lead, nat.Unknown)
			case nat.Private:
				e.addf("route", Denied, "%s: a private NAT gateway (ConnectivityType private) does not reach the internet", lead)
			default:
				out = append(out, m.natExits(e, nat.Subnet, dst, label, lead, "NAT gateway")...)
				continue
			}
		case TargetInstance:
			d := deviceOf(r)
			switch {
			case d.unknown != "":
				e.addf("route", Unknown, "%s: %s", lead, d.unknown)
			case d.detached:
				e.addf("route", Denied, "%s: blackhole, network interface %s is attached to no instance", lead, d.name)
			default:
				out = append(out, m.instanceExits(e, d, s, src, dst, label, lead, f)...)
				continue
			}
		case TargetLocal:
			e.addf("route", Denied, "%s: %s is inside the VPC", lead, label)
		default:
			if r.TargetText == "no target" {
				e.addf("route", Denied, "%s: the route has no target, so it leads nowhere", lead)
			} else {
				e.addf("route", Unknown, "%s: leaves the modeled network", lead)
			}
		}
		out = append(out, e)
	}
	return out
}

// natExits follows the part of a destination a NAT gateway (or, kind says,
// a NAT instance) in subnet n forwards: by the NAT subnet's own routes,
// split by longest-prefix match again, to an attached internet gateway.
func (m *Model) natExits(e exit, n *Subnet, dst spans, label, lead, kind string) []exit {
	shares, _ := n.RouteTable.routesFor(e.addrs, "")
	var out []exit
	for _, sh := range shares {
		// On from the NAT gateway, its subnet's route table decides.
		x := exit{addrs: sh.addrs, split: e.split || len(shares) > 1, hops: slices.Clone(e.hops), stop: true, at: n.Name()}
		part := ""
		if len(shares) > 1 {
			part = fmt.Sprintf(" (most specific in %s for %s of the addresses of %s)", n.Name(), shareText(sh.addrs, dst), label)
		}
		r := sh.route
		switch {
		case r == nil:
			what := label
			if x.split {
				what = fmt.Sprintf("%s of the addresses of %s", shareText(sh.addrs, dst), label)
			}
			x.addf("route", Denied, "%s, but %s has no route to %s (%s): a %s must sit in a public subnet", lead, n.Name(), what, n.RouteTable.summary(), kind)
		case r.Target == TargetIGW:
			if _, ok := n.VPC.Attachments[r.IGW]; !ok {
				x.addf("route", Denied, "%s -> route %s%s: blackhole, %s is not attached to %s (no VPCGatewayAttachment)", lead, routeText(r), part, r.IGW.Name(), n.VPC.Name())
				break
			}
			x.stop, x.natSubnet = false, n
			if part != "" {
				x.addf("route", Allowed, "%s -> route %s%s", lead, routeText(r), part)
			} else {
				x.addf("route", Allowed, "%s -> %s", lead, r.IGW.Name())
			}
		case r.Target == TargetNAT || r.Target == TargetInstance:
			x.addf("route", Denied, "%s, but %s routes %s%s: the %s sits in a private subnet", lead, n.Name(), routeText(r), part, kind)
		case r.Target == TargetUnknown && r.TargetText == "no target":
			x.addf("route", Denied, "%s -> route %s%s: the route has no target, so it leads nowhere", lead, routeText(r), part)
		default:
			x.addf("route", Unknown, "%s -> route %s%s: not modeled", lead, routeText(r), part)
		}
		out = append(out, x)
	}
	return out
}

// natDevice is what a route to an instance or a network interface hands
// traffic to: that interface's subnet, security groups, source/destination
// check and public address. The instance forwards out of the same
// interface, as a NAT instance with one interface does.
type natDevice struct {
	name         string
	subnet       *Subnet
	sgs          []*SecurityGroup
	srcDestCheck bool
	publicIP     bool
	publicVia    string
	detached     bool // a network interface attached to no instance
	unknown      string
}

func deviceOf(r *Route) natDevice {
	if e := r.ENI; e != nil {
		d := natDevice{name: e.Name(), subnet: e.Subnet, sgs: e.SGs, srcDestCheck: e.SourceDestCheck, publicIP: e.PublicIP, publicVia: e.PublicIPVia, unknown: e.Unknown}
		if e.Instance == nil {
			d.detached = true
		} else if e.Instance.Unknown != "" && d.unknown == "" {
			d.unknown = "instance " + e.Instance.Name() + ": " + e.Instance.Unknown
		}
		return d
	}
	in := r.Instance
	return natDevice{name: in.Name(), subnet: in.Subnet, sgs: in.SGs, srcDestCheck: in.SourceDestCheck, publicIP: in.PublicIP, publicVia: in.PublicIPVia, unknown: in.Unknown}
}

// instanceExits follows the part of a destination a route hands to an
// instance: it forwards only with its source/destination check off, its
// security groups must admit the traffic from the source subnet and let it
// out to the destination, the internet gateway carries it only from a
// public address, and on from there the instance's subnet routes it, as a
// NAT gateway's does.
func (m *Model) instanceExits(e exit, d natDevice, s *Subnet, src *place, dst spans, label, lead string, f flow) []exit {
	add := func(layer string, v Verdict, format string, args ...any) {
		e.hops = append(e.hops, Hop{Layer: layer, Verdict: v, At: d.name, Text: fmt.Sprintf(format, args...)})
	}
	e.addf("route", Allowed, "%s", lead)
	if d.srcDestCheck {
		add("nat", Denied, "%s has its source/destination check on (SourceDestCheck is not false): it drops traffic not addressed to itself, so it forwards nothing", d.name)
	} else {
		add("nat", Allowed, "%s forwards: source/destination check off", d.name)
	}
	in := f
	in.addrs, in.peer, in.internet = s.addrs, peerLabel(src, s), false
	h := sgHop(d.name, d.sgs, false, in, src.sgs)
	h.At = d.name
	e.hops = append(e.hops, h)
	out := f
	out.addrs = e.addrs
	h = sgHop(d.name, d.sgs, true, out, nil)
	e.hops = append(e.hops, h)
	if d.publicIP {
		add("nat", Allowed, "%s has a public IP (%s)", d.name, d.publicVia)
	} else {
		add("nat", Denied, "%s has no public IP (%s): the internet gateway carries only traffic of public addresses", d.name, d.publicVia)
	}
	if d.subnet == nil {
		add("route", Unknown, "where %s sits is unknown", d.name)
		e.stop = true
		return []exit{e}
	}
	return m.natExits(e, d.subnet, dst, label, "on from "+d.name, "NAT instance")
}

// outward evaluates a connection from src in subnet s to addresses outside
// the VPC: the internet, or an AWS service's public endpoint. It gives one
// leg per exit: when routes split the destination, each part is a leg of
// its own, named with its share of the addresses.
func (m *Model) outward(src *place, s *Subnet, dst spans, label string, internet bool, service string, f flow) []Leg {
	if s.VPC == nil {
		l := &leg{Leg: Leg{From: s.Name(), To: label}, at: s.Name()}
		l.addf("route", Unknown, "subnet %s: %s", s.Name(), s.Unknown)
		return []Leg{l.done()}
	}
	f.addrs, f.peer, f.internet = dst, label, internet
	var sg *Hop
	if src.sgLayer {
		h := sgHop(src.name, src.sgs, true, f, nil)
		sg = &h
	}
	var legs []Leg
	for _, e := range m.exits(s, dst, label, service, src, f) {
		l := &leg{Leg: Leg{From: s.Name(), To: label}, at: s.Name()}
		if e.split {
			l.To = fmt.Sprintf("%s [%s of its addresses]", label, shareText(e.addrs, dst))
		}
		if sg != nil {
			l.add(*sg)
		}
		for _, h := range e.hops {
			l.add(h)
		}
		if !e.stop {
			g := f
			g.addrs = e.addrs
			l.add(naclHop(s, true, g))
			if n := e.natSubnet; n != nil && n != s {
				in := g
				in.addrs, in.peer, in.internet = s.addrs, subnetLabel(s), false
				l.add(naclHop(n, false, in))
				l.add(naclHop(n, true, g))
				l.add(naclHop(n, false, g.reverse(e.addrs, label, internet)))
				l.add(naclHop(n, true, g.reverse(s.addrs, subnetLabel(s), false)))
			}
			l.add(naclHop(s, false, g.reverse(e.addrs, label, internet)))
		}
		legs = append(legs, l.done())
	}
	return legs
}

// inward evaluates a connection from outside addresses to dst in subnet d.
// The replies go by d's routes to the source, split by longest-prefix
// match: one leg per part of the source that a different route wins.
func (m *Model) inward(src spans, label string, internet bool, dst *place, d *Subnet, f flow) []Leg {
	if d.VPC == nil {
		l := &leg{Leg: Leg{From: label, To: d.Name()}, at: d.Name()}
		l.addf("route", Unknown, "subnet %s: %s", d.Name(), d.Unknown)
		return []Leg{l.done()}
	}
	shares, shadowed := d.RouteTable.routesFor(src, "")
	if len(shares) == 0 {
		shares = []routeShare{{nil, src}}
	}
	var legs []Leg
	for _, sh := range shares {
		l := &leg{Leg: Leg{From: label, To: d.Name()}, at: dst.name}
		part := ""
		if len(shares) > 1 {
			l.From = fmt.Sprintf("%s [%s of its addresses]", label, shareText(sh.addrs, src))
			part = fmt.Sprintf(" (most specific for %s of the addresses of %s)", shareText(sh.addrs, src), label)
		}
		if dst.refuses != "" {
			l.addf("placement", Denied, "%s: %s", dst.name, dst.refuses)
		}
		if !dst.publicIP {
			l.addf("placement", Denied, "%s: no public IP, so no address to reach from %s", dst.noPublic, label)
		}
		l.at = d.Name()
		for _, r := range shadowed {
			l.addf("route", info, "subnet %s route %s is most specific for none of the addresses of %s: more specific routes take all of them", d.Name(), routeText(r), label)
		}
		r := sh.route
		lead := ""
		if r != nil {
			lead = fmt.Sprintf("subnet %s route %s%s", d.Name(), routeText(r), part)
		}
		switch {
		case r == nil:
			what := label
			if part != "" {
				what = fmt.Sprintf("%s of the addresses of %s", shareText(sh.addrs, src), label)
			}
			l.addf("route", Denied, "subnet %s has no route back to %s (%s): not a public subnet", d.Name(), what, d.RouteTable.summary())
		case r.Target == TargetIGW:
			if _, ok := d.VPC.Attachments[r.IGW]; ok {
				l.addf("route", Allowed, "%s", lead)
			} else {
				l.addf("route", Denied, "%s: blackhole, %s is not attached to %s (no VPCGatewayAttachment)", lead, r.IGW.Name(), d.VPC.Name())
			}
		case r.Target == TargetNAT || r.Target == TargetInstance:
			l.addf("route", Denied, "%s, not to an internet gateway: not a public subnet, replies would leave through the NAT", lead)
		case r.Target == TargetUnknown && r.TargetText == "no target":
			l.addf("route", Denied, "%s: the route has no target, so replies lead nowhere", lead)
		default:
			l.addf("route", Unknown, "%s: replies leave through a target that is not modeled", lead)
		}
		in := f
		in.addrs, in.peer, in.internet = sh.addrs, label, internet
		l.add(naclHop(d, false, in))
		l.add(naclHop(d, true, f.reverse(sh.addrs, label, internet)))
		if dst.sgLayer {
			l.add(sgHop(dst.name, dst.sgs, false, in, nil))
		}
		if dst.lb != nil {
			m.accepts(l, &place{name: dst.name, lb: dst.lb}, f)
		}
		legs = append(legs, l.done())
	}
	return legs
}

// toService evaluates a connection from src in subnet s to an AWS service:
// through an interface endpoint with private DNS when the VPC has one
// (one leg per endpoint subnet: DNS hands out all of them), else through
// the route to the service's public addresses, where a gateway endpoint's
// prefix list wins over any CIDR route.
func (m *Model) toService(src *place, s *Subnet, service string, f flow) []Leg {
	var legs []Leg
	var notes []Hop
	for _, ep := range m.Endpoints {
		if !ep.Interface || ep.Service != service || ep.VPC != s.VPC {
			continue
		}
		if !ep.PrivateDNS {
			notes = append(notes, Hop{Layer: "endpoint", Verdict: info, At: ep.Name(), Text: fmt.Sprintf("interface endpoint %s has private DNS off: %s's usual name resolves to its public addresses", ep.Name(), service)})
			continue
		}
		dst := placeOfEndpoint(ep)
		if ep.Unknown != "" {
			l := &leg{Leg: Leg{From: s.Name(), To: ep.Name()}, at: ep.Name()}
			l.addf("endpoint", Unknown, "interface endpoint %s: %s", ep.Name(), ep.Unknown)
			legs = append(legs, l.done())
			continue
		}
		for _, e := range ep.Subnets {
			lg := m.within(src, s, dst, e, f)
			for i, h := range lg.Hops {
				if h.Layer == "route" && h.Verdict == Allowed {
					lg.Hops[i].Text += fmt.Sprintf(" -> %s (interface endpoint, ENI in %s)", ep.Name(), e.Name())
				}
			}
			lg.To = ep.Name() + " in " + e.Name()
			legs = append(legs, lg)
		}
		return legs
	}
	for _, lg := range m.outward(src, s, m.internet(), service, true, service, f) {
		lg.Hops = append(slices.Clone(notes), lg.Hops...)
		legs = append(legs, lg)
	}
	return legs
}

// combine turns the legs of a path into its verdict and reason.
func combine(from, to string, f flow, legs []Leg) Result {
	res := Result{From: from, To: to, Traffic: f.trafficText(), Legs: legs}
	var allowed, denied, unknown int
	for _, l := range legs {
		switch l.Verdict {
		case Allowed:
			allowed++
		case Denied:
			denied++
		default:
			unknown++
		}
	}
	switch {
	case len(legs) == 0:
		res.Verdict = Unknown
	case denied > 0 && allowed > 0:
		res.Verdict = Partial
	case denied > 0 && unknown == 0:
		res.Verdict = Denied
	case unknown > 0:
		res.Verdict = Unknown
	default:
		res.Verdict = Allowed
	}
	res.Because = reason(res.Verdict, legs)
	if len(legs) == 0 {
		res.Because = []string{"no placement to evaluate"}
	}
	res.Reason = string(res.Verdict) + ": " + strings.Join(res.Because, "; ")
	return res
}

func reason(v Verdict, legs []Leg) []string {
	var out []string
	seen := map[string]bool{}
	addAll := func(l Leg, want ...Verdict) {
		for _, h := range l.Hops {
			if (h.Verdict == info || slices.Contains(want, h.Verdict)) && !seen[h.Text] {
				seen[h.Text] = true
				out = append(out, h.Text)
			}
		}
	}
	switch v {
	case Allowed:
		for _, l := range legs {
			addAll(l, Allowed)
		}
	case Partial:
		var ok, bad []string
		for _, l := range legs {
			label := l.From + " -> " + l.To
			if l.Verdict == Allowed {
				ok = append(ok, label)
				continue
			}
			bad = append(bad, label)
			addAll(l, Denied, Unknown)
		}
		return append(out, "denied for "+strings.Join(bad, ", "), "allowed for "+strings.Join(ok, ", "))
	default:
		for _, l := range legs {
			addAll(l, Denied, Unknown)
		}
	}
	return out
}

// Query is a path asked on the command line: from and to are a resource's
// logical ID, "internet", a CIDR, or (as destination) an AWS service name
// such as "ecr.dkr".
type Query struct {
	From, To string
	Proto    string
	Port     int
}

// Check evaluates a query. Its error is the user's: an unknown resource,
// a protocol that does not exist.
func (m *Model) Check(q Query) (Result, error) {
	if q.Proto == "" {
		q.Proto = "tcp"
	}
	proto, err := parseProto(q.Proto)
	if err != nil {
		return Result{}, fmt.Errorf("--proto: %w", err)
	}
	if proto == -1 {
		return Result{}, fmt.Errorf("--proto all: name one protocol (tcp, udp or icmp): a path is checked for one kind of traffic")
	}
	f := flow{proto: proto, ports: allPorts}
	if proto == 6 || proto == 17 {
		if q.Port < 0 || q.Port > 65535 {
			return Result{}, fmt.Errorf("--port %d: not a port (0-65535)", q.Port)
		}
		if q.Port == 0 {
			return Result{}, fmt.Errorf("--port: which port? %s needs one", protoName(proto))
		}
		f.ports = span{uint32(q.Port), uint32(q.Port)}
	}
	src, err := m.resolve(q.From)
	if err != nil {
		return Result{}, fmt.Errorf("--from %s: %w", q.From, err)
	}
	dst, err := m.resolve(q.To)
	if err != nil {
		return Result{}, fmt.Errorf("--to %s: %w", q.To, err)
	}
	switch {
	case src.service != "":
		return Result{}, fmt.Errorf("--from %s: traffic from an AWS service is not modeled; ask the other way round", q.From)
	case src.place == nil && dst.place == nil:
		return Result{}, fmt.Errorf("--from %s --to %s: neither end sits in the VPC; name a resource on one side", q.From, q.To)
	}
	return m.path(src, dst, f), nil
}

func (m *Model) path(src, dst end, f flow) Result {
	var legs []Leg
	unknownPlace := func(p *place) bool {
		if p.unknown == "" && len(p.subnets) > 0 {
			return false
		}
		l := &leg{Leg: Leg{From: src.label, To: dst.label}, at: p.name}
		why := p.unknown
		if why == "" {
			why = "no subnet"
		}
		l.addf("placement", Unknown, "where %s sits is unknown: %s", p.name, why)
		legs = append(legs, l.done())
		return true
	}
	switch {
	case src.place != nil && dst.place != nil:
		if unknownPlace(src.place) || unknownPlace(dst.place) {
			break
		}
		for _, s := range src.place.subnets {
			for _, d := range dst.place.subnets {
				legs = append(legs, m.within(src.place, s, dst.place, d, f))
			}
		}
	case src.place != nil && dst.service != "":
		if unknownPlace(src.place) {
			break
		}
		for _, s := range src.place.subnets {
			legs = append(legs, m.toService(src.place, s, dst.service, f)...)
		}
	case src.place != nil:
		if unknownPlace(src.place) {
			break
		}
		for _, s := range src.place.subnets {
			legs = append(legs, m.outward(src.place, s, dst.addrs, dst.label, dst.internet, "", f)...)
		}
	default:
		if unknownPlace(dst.place) {
			break
		}
		for _, d := range dst.place.subnets {
			legs = append(legs, m.inward(src.addrs, src.label, src.internet, dst.place, d, f)...)
		}
	}
	return combine(src.label, dst.label, f, legs)
}

// knownServices are AWS service names netcheck accepts as a destination
// even when no endpoint of the assembly names them.
var knownServices = []string{"ecr.api", "ecr.dkr", "s3", "logs", "dynamodb", "sts", "ssm", "ssmmessages", "ec2messages", "secretsmanager", "kms", "sqs", "sns", "monitoring", "xray", "ecs", "ecs-agent", "ecs-telemetry", "events", "lambda", "execute-api", "elasticloadbalancing", "ec2", "rds", "codebuild", "codepipeline", "codeconnections.api", "git-codecommit"}

// cdkHash is the suffix CDK appends to logical IDs; a query may leave it out.
var cdkHash = regexp.MustCompile(`[0-9A-F]{8}$`)

// dotted looks like an AWS service name such as "ecr.dkr".
var dotted = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9.-]+$`)

// resolve reads one end of a query.
func (m *Model) resolve(name string) (end, error) {
	if strings.EqualFold(name, "internet") {
		return end{label: "the internet", internet: true, addrs: m.internet()}, nil
	}
	if strings.Contains(name, "/") && strings.Count(name, ".") == 3 {
		a, err := parseCIDR(name)
		if err != nil {
			return end{}, err
		}
		for _, sn := range m.Subnets {
			if sn.addrs.covers(spans{a}) {
				p := placeOfSubnets(fmt.Sprintf("%s (in subnet %s)", name, sn.Name()), sn)
				return end{label: p.name, place: p}, nil
			}
		}
		for _, v := range m.VPCs {
			if v.addrs.overlaps(spans{a}) {
				return end{}, fmt.Errorf("%s is inside VPC %s but in no one subnet of it", name, v.Name())
			}
		}
		return end{label: name, addrs: spans{a}, internet: !private.overlaps(spans{a})}, nil
	}
	var hits []string
	var found any
	for key, o := range m.objs {
		r := resOf(o)
		stackID, id, _ := strings.Cut(key, "/")
		short := cdkHash.ReplaceAllString(id, "")
		if name == id || name == key || name == stackID+"/"+id || strings.EqualFold(name, short) && short != "" {
			hits = append(hits, r.Name())
			found = o
		}
	}
	if len(hits) > 1 {
		slices.Sort(hits)
		return end{}, fmt.Errorf("ambiguous: it names %s; use the full logical ID, or Stack/LogicalID", strings.Join(hits, ", "))
	}
	if found == nil {
		for _, ep := range m.Endpoints {
			if ep.Service == name {
				return end{label: name, service: name}, nil
			}
		}
		if slices.Contains(knownServices, name) || dotted.MatchString(name) {
			return end{label: name, service: name}, nil
		}
		return end{}, fmt.Errorf("no such resource in %s (name a logical ID such as %s, \"internet\", a CIDR, or an AWS service such as ecr.dkr)", m.Dir, strings.Join(m.examples(), ", "))
	}
	var p *place
	switch o := found.(type) {
	case *Service:
		if !slices.Contains(m.Services, o) {
			return end{}, fmt.Errorf("ECS service %s does not use awsvpc networking: its tasks are not modeled", o.Name())
		}
		p = placeOfService(o)
	case *LoadBalancer:
		p = placeOfLB(o)
	case *Instance:
		p = placeOfInstance(o)
	case *Function:
		p = placeOfFunction(o)
	case *NAT:
		p = placeOfNAT(o)
	case *Endpoint:
		if !o.Interface {
			return end{label: o.Service, service: o.Service}, nil
		}
		p = placeOfEndpoint(o)
	case *Subnet:
		p = placeOfSubnets("subnet "+o.Name(), o)
	default:
		r := resOf(o)
		return end{}, fmt.Errorf("%s is a %s, which sits nowhere: name a resource in subnets (ECS service, load balancer, instance, Lambda function, NAT gateway, interface endpoint, subnet)", r.Name(), r.Type)
	}
	return end{label: p.name, place: p}, nil
}

// examples lists a few resources a query can name.
func (m *Model) examples() []string {
	var out []string
	for _, s := range m.Services {
		out = append(out, s.Name())
	}
	for _, lb := range m.LoadBalancers {
		out = append(out, lb.Name())
	}
	for _, sn := range m.Subnets {
		if len(out) >= 4 {
			break
		}
		out = append(out, sn.Name())
	}
	return out
}
