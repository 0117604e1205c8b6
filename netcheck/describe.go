package netcheck

import (
	"fmt"
	"strings"
)

// Describe prints the network model, to see what netcheck understood of
// the templates: which subnet uses which route table and NACL, every rule.
func (m *Model) Describe() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	for _, st := range m.Stacks {
		p("stack %s (%s): %s", st.ID, st.Name, st.File)
	}
	for _, v := range m.VPCs {
		var igws []string
		for igw, att := range v.Attachments {
			igws = append(igws, fmt.Sprintf("%s (attached by %s)", igw.Name(), att))
		}
		p("\nVPC %s %s, internet gateways: %s", v.Name(), strings.Join(v.CIDRs, ", "), orNone(igws))
		for _, sn := range m.Subnets {
			if sn.VPC != v {
				continue
			}
			pub := ", private"
			if r := sn.publicRoute(); r != nil {
				pub = ", public: route " + routeText(r)
			}
			if sn.MapPublicIP {
				pub += ", maps public IPs on launch"
			}
			p("  subnet %s %s in %s%s", sn.Name(), sn.CIDR, sn.AZ, pub)
			p("    route table %s%s", sn.RouteTable.Name(), via(sn.RouteTableVia))
			p("    NACL %s%s", sn.NACL.Name(), via(sn.NACLVia))
		}
	}
	for _, rt := range m.RouteTables {
		p("\nroute table %s", rt.Name())
		for _, r := range rt.routes() {
			p("  %s", routeText(r))
		}
	}
	for _, acl := range m.NACLs {
		p("\nNACL %s", acl.Name())
		for _, egress := range []bool{false, true} {
			for _, e := range acl.Entries {
				if e.Egress == egress {
					dir := "ingress"
					if egress {
						dir = "egress"
					}
					p("  %-7s %s", dir, ruleText(e))
				}
			}
		}
	}
	for _, sg := range m.SGs {
		p("\nsecurity group %s", sg.Name())
		for _, r := range sg.Ingress {
			p("  ingress %s", sgRuleText(r))
		}
		for _, r := range sg.Egress {
			p("  egress  %s", sgRuleText(r))
		}
		if sg.Placeholder && len(sg.Egress) == 0 {
			p("  egress  none (CDK's 'disallow all' placeholder)")
		}
	}
	for _, n := range m.NATs {
		p("\nNAT gateway %s in %s", n.Name(), nameOf(n.Subnet))
	}
	for _, in := range m.Instances {
		check := "on"
		if !in.SourceDestCheck {
			check = "off"
		}
		pub := "public IP: " + in.PublicIPVia
		if !in.PublicIP {
			pub = "no public IP: " + in.PublicIPVia
		}
		p("\ninstance %s in %s, security groups %s, source/destination check %s, %s", in.Name(), nameOf(in.Subnet), sgNames(in.SGs), check, pub)
	}
	for _, e := range m.ENIs {
		check, attached := "on", "attached to no instance"
		if !e.SourceDestCheck {
			check = "off"
		}
		if e.Instance != nil {
			attached = "attached to " + e.Instance.Name()
		}
		p("\nnetwork interface %s in %s, security groups %s, source/destination check %s, %s", e.Name(), nameOf(e.Subnet), sgNames(e.SGs), check, attached)
	}
	for _, ep := range m.Endpoints {
		kind := "gateway"
		where := []string{}
		if ep.Interface {
			kind = fmt.Sprintf("interface (private DNS %v)", ep.PrivateDNS)
			for _, sn := range ep.Subnets {
				where = append(where, sn.Name())
			}
			where = append(where, "security groups "+sgNames(ep.SGs))
		}
		for _, rt := range ep.RouteTables {
			where = append(where, rt.Name())
		}
		p("\nendpoint %s %s %s: %s", ep.Name(), ep.Service, kind, strings.Join(where, ", "))
	}
	for _, lb := range m.LoadBalancers {
		var sns, ls []string
		for _, sn := range lb.Subnets {
			sns = append(sns, sn.Name())
		}
		for _, l := range lb.Listeners {
			ls = append(ls, fmt.Sprintf("%s %d", l.Protocol, l.Port))
		}
		p("\nload balancer %s %s %s in %s, security groups %s, listeners %s", lb.Name(), lb.LBType, lb.Scheme, strings.Join(sns, ", "), sgNames(lb.SGs), orNone(ls))
	}
	for _, s := range m.Services {
		var sns []string
		for _, sn := range s.Subnets {
			sns = append(sns, sn.Name())
		}
		var ports []string
		for _, t := range s.Targets {
			ports = append(ports, fmt.Sprint(t.ContainerPort))
		}
		p("\nECS service %s in %s, security groups %s, public IP %v, load balancer ports %s", s.Name(), strings.Join(sns, ", "), sgNames(s.SGs), s.PublicIP, orNone(ports))
	}
	for _, n := range m.Notes {
		p("\nnote: %s", n)
	}
	return b.String()
}

func via(id string) string {
	if id == "" {
		return " (implicit)"
	}
	return " (by " + id + ")"
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

func nameOf(sn *Subnet) string {
	if sn == nil {
		return "unknown subnet"
	}
	return sn.Name()
}
