package netcheck

import (
	"fmt"
	"strconv"
	"strings"
)

func (m *Model) buildRouting() {
	m.each("AWS::EC2::RouteTable", func(st *Stack, id string, p map[string]any) {
		rt := m.obj(st, id).(*RouteTable)
		m.RouteTables = append(m.RouteTables, rt)
		vpc, err := lookup[*VPC](m, st, p["VpcId"])
		if err != nil {
			m.note("route table %s: VPC %v", id, err)
			return
		}
		rt.VPC = vpc
	})
	m.each("AWS::EC2::SubnetRouteTableAssociation", func(st *Stack, id string, p map[string]any) {
		sn, err := lookup[*Subnet](m, st, p["SubnetId"])
		if err != nil {
			m.note("route table association %s: subnet %v", id, err)
			return
		}
		rt, err := lookup[*RouteTable](m, st, p["RouteTableId"])
		if err != nil {
			m.note("route table association %s: route table %v", id, err)
			return
		}
		sn.RouteTable, sn.RouteTableVia = rt, id
	})
	m.each("AWS::EC2::NatGateway", func(st *Stack, id string, p map[string]any) {
		nat := m.obj(st, id).(*NAT)
		m.NATs = append(m.NATs, nat)
		nat.Private = p["ConnectivityType"] == "private"
		sn, err := lookup[*Subnet](m, st, p["SubnetId"])
		if err != nil {
			nat.Unknown = fmt.Sprintf("subnet %v", err)
			return
		}
		nat.Subnet = sn
	})
	m.each("AWS::EC2::Route", func(st *Stack, id string, p map[string]any) {
		rt, err := lookup[*RouteTable](m, st, p["RouteTableId"])
		if err != nil {
			m.note("route %s: route table %v", id, err)
			return
		}
		r := &Route{ID: id}
		switch {
		case p["DestinationCidrBlock"] != nil:
			c, err := m.str(st, p["DestinationCidrBlock"])
			if err == nil {
				var a span
				if a, err = parseCIDR(c); err == nil {
					r.Dest, r.addrs = c, spans{a}
				}
			}
			if err != nil {
				m.note("route %s: destination %v: route ignored", id, err)
				return
			}
		case p["DestinationPrefixListId"] != nil:
			pl, _ := m.str(st, p["DestinationPrefixListId"])
			m.note("route %s: destination prefix list %s: which addresses it holds is unknown: route ignored", id, orUnknown(pl))
			return
		default:
			return // IPv6: not modeled
		}
		m.routeTarget(st, r, p)
		rt.Routes = append(rt.Routes, r)
	})
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func (m *Model) routeTarget(st *Stack, r *Route, p map[string]any) {
	if g := p["GatewayId"]; g != nil {
		if s, _ := g.(string); s == "local" {
			r.Target = TargetLocal
			return
		}
		if igw, err := lookup[*IGW](m, st, g); err == nil {
			r.Target, r.IGW = TargetIGW, igw
			return
		}
		if ref, err := m.refOf(st, g); err == nil {
			r.Target, r.TargetText = TargetOther, fmt.Sprintf("%s (%s)", ref.id, ref.st.resources[ref.id].Type)
			return
		}
		_, err := m.refOf(st, g)
		r.Target, r.TargetText = TargetUnknown, fmt.Sprintf("gateway %v", err)
		return
	}
	if n := p["NatGatewayId"]; n != nil {
		nat, err := lookup[*NAT](m, st, n)
		if err != nil {
			r.Target, r.TargetText = TargetUnknown, fmt.Sprintf("NAT gateway %v", err)
			return
		}
		r.Target, r.NAT = TargetNAT, nat
		return
	}
	if v := p["InstanceId"]; v != nil {
		in, err := lookup[*Instance](m, st, v)
		if err != nil {
			r.Target, r.TargetText = TargetUnknown, fmt.Sprintf("instance %v", err)
			return
		}
		r.Target, r.Instance = TargetInstance, in
		return
	}
	if v := p["NetworkInterfaceId"]; v != nil {
		eni, err := lookup[*ENI](m, st, v)
		if err != nil {
			r.Target, r.TargetText = TargetUnknown, fmt.Sprintf("network interface %v", err)
			return
		}
		r.Target, r.ENI = TargetInstance, eni
		return
	}
	for _, k := range []string{"TransitGatewayId", "VpcPeeringConnectionId", "VpcEndpointId", "EgressOnlyInternetGatewayId", "CarrierGatewayId", "LocalGatewayId", "CoreNetworkArn"} {
		if v := p[k]; v != nil {
			what := strings.TrimSuffix(strings.TrimSuffix(k, "Id"), "Arn")
			if ref, err := m.refOf(st, v); err == nil {
				what += " " + ref.id
			}
			r.Target, r.TargetText = TargetOther, what
			return
		}
	}
	r.Target, r.TargetText = TargetUnknown, "no target"
}

func (m *Model) buildNACLs() {
	m.each("AWS::EC2::NetworkAcl", func(st *Stack, id string, p map[string]any) {
		acl := m.obj(st, id).(*NACL)
		m.NACLs = append(m.NACLs, acl)
		vpc, err := lookup[*VPC](m, st, p["VpcId"])
		if err != nil {
			m.note("NACL %s: VPC %v", id, err)
			return
		}
		acl.VPC = vpc
	})
	m.each("AWS::EC2::NetworkAclEntry", func(st *Stack, id string, p map[string]any) {
		acl, err := lookup[*NACL](m, st, p["NetworkAclId"])
		if err != nil {
			m.note("NACL entry %s: NACL %v: entry ignored", id, err)
			return
		}
		e := &NaclEntry{ID: id, Ports: allPorts}
		e.Egress, _ = p["Egress"].(bool)
		if s, err := m.str(st, p["Egress"]); err == nil && s == "true" {
			e.Egress = true
		}
		action, err := m.str(st, p["RuleAction"])
		if err != nil {
			e.Unknown = fmt.Sprintf("RuleAction %v", err)
		}
		e.Allow = strings.EqualFold(action, "allow")
		if e.Number, err = m.num(st, p["RuleNumber"]); err != nil {
			e.Unknown = fmt.Sprintf("RuleNumber %v", err)
		}
		if e.Proto, err = m.proto(st, p["Protocol"]); err != nil {
			e.Unknown = fmt.Sprintf("Protocol %v", err)
		}
		if pr, ok := p["PortRange"].(map[string]any); ok && (e.Proto == 6 || e.Proto == 17) {
			from, err1 := m.num(st, pr["From"])
			to, err2 := m.num(st, pr["To"])
			if err1 != nil || err2 != nil {
				e.Unknown = fmt.Sprintf("PortRange %s", show(pr))
			}
			e.Ports = span{uint32(max(from, 0)), uint32(max(to, 0))}
		}
		switch {
		case p["CidrBlock"] != nil:
			c, err := m.str(st, p["CidrBlock"])
			if err == nil {
				var a span
				if a, err = parseCIDR(c); err == nil {
					e.CIDR, e.addrs = c, spans{a}
				}
			}
			if err != nil {
				e.Unknown = fmt.Sprintf("CidrBlock %v", err)
				e.CIDR = show(p["CidrBlock"])
			}
		default:
			e.IPv6 = true
			e.CIDR, _ = m.str(st, p["Ipv6CidrBlock"])
		}
		acl.Entries = append(acl.Entries, e)
	})
	m.each("AWS::EC2::SubnetNetworkAclAssociation", func(st *Stack, id string, p map[string]any) {
		sn, err := lookup[*Subnet](m, st, p["SubnetId"])
		if err != nil {
			m.note("NACL association %s: subnet %v", id, err)
			return
		}
		acl, err := lookup[*NACL](m, st, p["NetworkAclId"])
		if err != nil {
			m.note("NACL association %s: NACL %v", id, err)
			return
		}
		sn.NACL, sn.NACLVia = acl, id
	})
}

// proto reads an IP protocol: "tcp", "6", -1, "-1", "all" and so on.
func (m *Model) proto(st *Stack, v any) (int, error) {
	s, err := m.str(st, v)
	if err != nil {
		return 0, err
	}
	return parseProto(s)
}

func parseProto(s string) (int, error) {
	switch strings.ToLower(s) {
	case "-1", "all":
		return -1, nil
	case "tcp":
		return 6, nil
	case "udp":
		return 17, nil
	case "icmp":
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("%q is not an IP protocol (tcp, udp, icmp, all or a number)", s)
	}
	return n, nil
}

func protoName(p int) string {
	switch p {
	case -1:
		return "all"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	}
	return "proto " + strconv.Itoa(p)
}

func (m *Model) buildSGs() {
	hasEgress := map[*SecurityGroup]bool{}
	m.each("AWS::EC2::SecurityGroup", func(st *Stack, id string, p map[string]any) {
		sg := m.obj(st, id).(*SecurityGroup)
		m.SGs = append(m.SGs, sg)
		if vpc, err := lookup[*VPC](m, st, p["VpcId"]); err == nil {
			sg.VPC = vpc
		}
		if items, err := m.list(st, p["SecurityGroupIngress"]); err == nil {
			for _, it := range items {
				sg.Ingress = append(sg.Ingress, m.sgRule(it.st, it.v, false, "inline"))
			}
		} else {
			sg.Ingress = append(sg.Ingress, &SGRule{Origin: "inline", Unknown: err.Error()})
		}
		items, err := m.list(st, p["SecurityGroupEgress"])
		if err != nil {
			sg.Egress = append(sg.Egress, &SGRule{Origin: "inline", Egress: true, Unknown: err.Error()})
		}
		hasEgress[sg] = len(items) > 0 || err != nil
		for _, it := range items {
			r := m.sgRule(it.st, it.v, true, "inline")
			if isPlaceholder(r) {
				sg.Placeholder = true
				continue
			}
			sg.Egress = append(sg.Egress, r)
		}
	})
	for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		egress := typ == "AWS::EC2::SecurityGroupEgress"
		m.each(typ, func(st *Stack, id string, p map[string]any) {
			sg, err := lookup[*SecurityGroup](m, st, p["GroupId"])
			if err != nil {
				m.note("%s %s: security group %v: rule ignored", typ, id, err)
				return
			}
			r := m.sgRule(st, p, egress, id)
			if egress {
				hasEgress[sg] = true
				sg.Egress = append(sg.Egress, r)
			} else {
				sg.Ingress = append(sg.Ingress, r)
			}
		})
	}
	// A group created without egress rules gets AWS's default rule that
	// allows all egress. Inline rules replace it, and so does the first
	// SecurityGroupEgress resource (CloudFormation revokes the default rule,
	// which is why CDK drops its placeholder as soon as it adds one).
	for _, sg := range m.SGs {
		if !sg.VPCDefault && !hasEgress[sg] {
			sg.Egress = append(sg.Egress, &SGRule{Origin: "AWS default", Egress: true, Proto: -1, Ports: allPorts, CIDR: "0.0.0.0/0", addrs: allAddrs})
		}
	}
}

// isPlaceholder recognizes the rule CDK writes for allowAllOutbound: false,
// which matches no traffic and only removes AWS's default egress rule.
func isPlaceholder(r *SGRule) bool {
	return r.CIDR == "255.255.255.255/32" && r.Proto == 1 && r.Ports == span{252, 86}
}

func (m *Model) sgRule(st *Stack, v any, egress bool, origin string) *SGRule {
	r := &SGRule{Origin: origin, Egress: egress, Ports: allPorts}
	p, _ := v.(map[string]any)
	if p == nil {
		r.Unknown = fmt.Sprintf("rule %s", show(v))
		return r
	}
	var err error
	if r.Proto, err = m.proto(st, p["IpProtocol"]); err != nil {
		r.Unknown = fmt.Sprintf("IpProtocol %v", err)
	}
	if p["FromPort"] != nil || p["ToPort"] != nil {
		from, err1 := m.num(st, p["FromPort"])
		to, err2 := m.num(st, p["ToPort"])
		if err1 != nil || err2 != nil {
			r.Unknown = fmt.Sprintf("ports %v %v", err1, err2)
		}
		switch {
		case r.Proto == 1 && from == 252 && to == 86:
			r.Ports = span{252, 86} // CDK's placeholder: kept to recognize it
		case r.Proto == 6 || r.Proto == 17:
			if from == -1 {
				from, to = 0, 65535
			}
			r.Ports = span{uint32(max(from, 0)), uint32(max(to, 0))}
		}
	}
	peerSG, peerCIDR, peerPL := "SourceSecurityGroupId", "CidrIp", "SourcePrefixListId"
	if egress {
		peerSG, peerPL = "DestinationSecurityGroupId", "DestinationPrefixListId"
	}
	switch {
	case p[peerCIDR] != nil:
		c, err := m.str(st, p[peerCIDR])
		if err == nil {
			var a span
			if a, err = parseCIDR(c); err == nil {
				r.CIDR, r.addrs = c, spans{a}
				break
			}
		}
		r.CIDR = show(p[peerCIDR])
		r.Unknown, r.peerUnknown = fmt.Sprintf("CidrIp %v", err), r.Unknown == ""
		r.addrs = nil
	case p[peerSG] != nil:
		sg, err := lookup[*SecurityGroup](m, st, p[peerSG])
		if err != nil {
			r.Unknown, r.peerUnknown = fmt.Sprintf("%s %v", peerSG, err), r.Unknown == ""
			break
		}
		r.Peer = sg
	case p[peerPL] != nil:
		pl, err := m.str(st, p[peerPL])
		if err != nil {
			pl = show(p[peerPL])
		}
		r.PrefixList = pl
	case p["CidrIpv6"] != nil:
		r.IPv6 = true
		r.CIDR, _ = m.str(st, p["CidrIpv6"])
	case p["SourceSecurityGroupName"] != nil:
		r.Unknown = "SourceSecurityGroupName (EC2-Classic or default VPC)"
	default:
		r.Unknown = "rule without a peer"
	}
	return r
}

func (m *Model) buildEndpoints() {
	m.each("AWS::EC2::VPCEndpoint", func(st *Stack, id string, p map[string]any) {
		ep := m.obj(st, id).(*Endpoint)
		m.Endpoints = append(m.Endpoints, ep)
		var err error
		if ep.VPC, err = lookup[*VPC](m, st, p["VpcId"]); err != nil {
			ep.Unknown = fmt.Sprintf("VPC %v", err)
		}
		if ep.Service, err = m.serviceOf(st, p["ServiceName"]); err != nil {
			ep.Unknown = err.Error()
		}
		typ, _ := m.str(st, p["VpcEndpointType"])
		switch strings.ToLower(typ) {
		case "", "gateway":
			ep.Gateway = true
			rts, err := lookupAll[*RouteTable](m, st, p["RouteTableIds"])
			if err != nil {
				ep.Unknown = fmt.Sprintf("RouteTableIds %v", err)
			}
			ep.RouteTables = rts
			for _, rt := range rts {
				rt.Routes = append(rt.Routes, &Route{Dest: "pl:" + ep.Service, service: ep.Service, Target: TargetEndpoint, Endpoint: ep})
			}
		case "interface":
			ep.Interface = true
			if ep.Subnets, err = lookupAll[*Subnet](m, st, p["SubnetIds"]); err != nil {
				ep.Unknown = fmt.Sprintf("SubnetIds %v", err)
			}
			if ep.SGs, err = lookupAll[*SecurityGroup](m, st, p["SecurityGroupIds"]); err != nil {
				ep.Unknown = fmt.Sprintf("SecurityGroupIds %v", err)
			}
			if len(ep.SGs) == 0 && ep.VPC != nil {
				ep.SGs = []*SecurityGroup{m.defaultSG(ep.VPC)}
			}
			dns, _ := m.str(st, p["PrivateDnsEnabled"])
			ep.PrivateDNS = dns == "true"
		default:
			m.note("VPC endpoint %s: type %s is not modeled", id, typ)
		}
	})
}

func (m *Model) buildPlacements() {
	m.each("AWS::ElasticLoadBalancingV2::TargetGroup", func(st *Stack, id string, p map[string]any) {
		tg := m.obj(st, id).(*TargetGroup)
		tg.Port, _ = m.num(st, p["Port"])
		tg.TargetType, _ = m.str(st, p["TargetType"])
		if tg.TargetType == "" {
			tg.TargetType = "instance"
		}
	})
	m.each("AWS::ElasticLoadBalancingV2::LoadBalancer", func(st *Stack, id string, p map[string]any) {
		lb := m.obj(st, id).(*LoadBalancer)
		m.LoadBalancers = append(m.LoadBalancers, lb)
		lb.Scheme, _ = m.str(st, p["Scheme"])
		if lb.Scheme == "" {
			lb.Scheme = "internet-facing" // CloudFormation's default
		}
		lb.LBType, _ = m.str(st, p["Type"])
		if lb.LBType == "" {
			lb.LBType = "application"
		}
		var err error
		if p["SubnetMappings"] != nil {
			items, err := m.list(st, p["SubnetMappings"])
			if err != nil {
				lb.Unknown = fmt.Sprintf("SubnetMappings %v", err)
			}
			for _, it := range items {
				sm, _ := it.v.(map[string]any)
				sn, err := lookup[*Subnet](m, it.st, sm["SubnetId"])
				if err != nil {
					lb.Unknown = fmt.Sprintf("SubnetMappings %v", err)
					continue
				}
				lb.Subnets = append(lb.Subnets, sn)
			}
		} else if lb.Subnets, err = lookupAll[*Subnet](m, st, p["Subnets"]); err != nil {
			lb.Unknown = fmt.Sprintf("Subnets %v", err)
		}
		if lb.SGs, err = lookupAll[*SecurityGroup](m, st, p["SecurityGroups"]); err != nil {
			lb.Unknown = fmt.Sprintf("SecurityGroups %v", err)
		}
		if len(lb.SGs) == 0 && lb.LBType == "application" && len(lb.Subnets) > 0 && lb.Subnets[0].VPC != nil {
			lb.SGs = []*SecurityGroup{m.defaultSG(lb.Subnets[0].VPC)}
		}
	})
	m.each("AWS::ElasticLoadBalancingV2::Listener", func(st *Stack, id string, p map[string]any) {
		l := m.obj(st, id).(*Listener)
		lb, err := lookup[*LoadBalancer](m, st, p["LoadBalancerArn"])
		if err != nil {
			m.note("listener %s: load balancer %v", id, err)
			return
		}
		l.LB = lb
		if l.Port, err = m.num(st, p["Port"]); err != nil {
			m.note("listener %s: port %v", id, err)
			return
		}
		l.Protocol, _ = m.str(st, p["Protocol"])
		l.TargetGroups = m.forwards(st, p["DefaultActions"])
		lb.Listeners = append(lb.Listeners, l)
	})
	m.each("AWS::ElasticLoadBalancingV2::ListenerRule", func(st *Stack, id string, p map[string]any) {
		l, err := lookup[*Listener](m, st, p["ListenerArn"])
		if err != nil {
			return
		}
		rule := m.obj(st, id).(*ListenerRule)
		rule.Listener = l
		rule.TargetGroups = m.forwards(st, p["Actions"])
		l.TargetGroups = append(l.TargetGroups, rule.TargetGroups...)
	})
	ports := map[string][]int{}
	m.each("AWS::ECS::TaskDefinition", func(st *Stack, id string, p map[string]any) {
		defs, _ := p["ContainerDefinitions"].([]any)
		for _, d := range defs {
			pms, _ := asObj(d)["PortMappings"].([]any)
			for _, pm := range pms {
				if n, err := m.num(st, asObj(pm)["ContainerPort"]); err == nil {
					ports[st.ID+"/"+id] = append(ports[st.ID+"/"+id], n)
				}
			}
		}
	})
	m.each("AWS::ECS::Service", func(st *Stack, id string, p map[string]any) {
		svc := m.obj(st, id).(*Service)
		nc, _ := p["NetworkConfiguration"].(map[string]any)
		av, _ := nc["AwsvpcConfiguration"].(map[string]any)
		if av == nil {
			m.note("ECS service %s has no awsvpc network configuration: its tasks are not modeled", id)
			return
		}
		m.Services = append(m.Services, svc)
		var err error
		if svc.Subnets, err = lookupAll[*Subnet](m, st, av["Subnets"]); err != nil {
			svc.Unknown = fmt.Sprintf("Subnets %v", err)
		}
		if svc.SGs, err = lookupAll[*SecurityGroup](m, st, av["SecurityGroups"]); err != nil {
			svc.Unknown = fmt.Sprintf("SecurityGroups %v", err)
		}
		if len(svc.SGs) == 0 && len(svc.Subnets) > 0 && svc.Subnets[0].VPC != nil {
			svc.SGs = []*SecurityGroup{m.defaultSG(svc.Subnets[0].VPC)}
		}
		pub, _ := m.str(st, av["AssignPublicIp"])
		svc.PublicIP = pub == "ENABLED"
		lbs, _ := p["LoadBalancers"].([]any)
		for _, l := range lbs {
			lp, _ := l.(map[string]any)
			t := ServiceTarget{}
			t.ContainerPort, _ = m.num(st, lp["ContainerPort"])
			if tg, err := lookup[*TargetGroup](m, st, lp["TargetGroupArn"]); err == nil {
				t.TargetGroup = tg
			}
			svc.Targets = append(svc.Targets, t)
			adv, _ := lp["AdvancedConfiguration"].(map[string]any)
			if adv == nil {
				continue
			}
			alt := ServiceTarget{ContainerPort: t.ContainerPort, Alternate: true}
			if tg, err := lookup[*TargetGroup](m, st, adv["AlternateTargetGroupArn"]); err == nil {
				alt.TargetGroup = tg
			} else {
				m.note("ECS service %s: alternate target group %v", id, err)
			}
			svc.Targets = append(svc.Targets, alt)
			if adv["TestListenerRule"] == nil {
				continue
			}
			if rule, err := lookup[*ListenerRule](m, st, adv["TestListenerRule"]); err == nil && rule.Listener != nil {
				rule.Listener.Test = true
			} else {
				m.note("ECS service %s: test listener rule %v", id, err)
			}
		}
		if r, err := m.refOf(st, p["TaskDefinition"]); err == nil {
			svc.Ports = ports[r.key()]
		}
	})
	m.buildInstances()
	m.each("AWS::Lambda::Function", func(st *Stack, id string, p map[string]any) {
		vc, _ := p["VpcConfig"].(map[string]any)
		if vc == nil || vc["SubnetIds"] == nil {
			return
		}
		fn := m.obj(st, id).(*Function)
		m.Functions = append(m.Functions, fn)
		var err error
		if fn.Subnets, err = lookupAll[*Subnet](m, st, vc["SubnetIds"]); err != nil {
			fn.Unknown = fmt.Sprintf("SubnetIds %v", err)
		}
		if fn.SGs, err = lookupAll[*SecurityGroup](m, st, vc["SecurityGroupIds"]); err != nil {
			fn.Unknown = fmt.Sprintf("SecurityGroupIds %v", err)
		}
	})
}

// forwards lists the target groups of forward actions.
func (m *Model) forwards(st *Stack, actions any) []*TargetGroup {
	var out []*TargetGroup
	list, _ := actions.([]any)
	for _, a := range list {
		ap, _ := a.(map[string]any)
		if tg, err := lookup[*TargetGroup](m, st, ap["TargetGroupArn"]); err == nil {
			out = append(out, tg)
		}
		fc, _ := ap["ForwardConfig"].(map[string]any)
		tgs, _ := fc["TargetGroups"].([]any)
		for _, t := range tgs {
			if tg, err := lookup[*TargetGroup](m, st, asObj(t)["TargetGroupArn"]); err == nil {
				out = append(out, tg)
			}
		}
	}
	return out
}

// boolOf reads a boolean property: true, false, "true" or "false".
func (m *Model) boolOf(st *Stack, v any) (b, set bool) {
	if b, ok := v.(bool); ok {
		return b, true
	}
	if s, err := m.str(st, v); err == nil && (s == "true" || s == "false") {
		return s == "true", true
	}
	return false, false
}

// buildInstances places the instances and network interfaces: subnet,
// security groups, source/destination check, and a public address from
// AssociatePublicIpAddress, an Elastic IP, or the subnet's
// MapPublicIpOnLaunch, which is what a route to them (a NAT instance)
// depends on.
func (m *Model) buildInstances() {
	m.each("AWS::EC2::NetworkInterface", func(st *Stack, id string, p map[string]any) {
		eni := m.obj(st, id).(*ENI)
		m.ENIs = append(m.ENIs, eni)
		sn, err := lookup[*Subnet](m, st, p["SubnetId"])
		if err != nil {
			eni.Unknown = fmt.Sprintf("SubnetId %v", err)
			return
		}
		eni.Subnet = sn
		if eni.SGs, err = lookupAll[*SecurityGroup](m, st, p["GroupSet"]); err != nil {
			eni.Unknown = fmt.Sprintf("GroupSet %v", err)
		}
		if len(eni.SGs) == 0 && sn.VPC != nil {
			eni.SGs = []*SecurityGroup{m.defaultSG(sn.VPC)}
		}
		if b, set := m.boolOf(st, p["SourceDestCheck"]); set {
			eni.SourceDestCheck = b
		}
		eni.PublicIPVia = "no Elastic IP is associated with it"
	})
	m.each("AWS::EC2::Instance", func(st *Stack, id string, p map[string]any) {
		in := m.obj(st, id).(*Instance)
		m.Instances = append(m.Instances, in)
		if b, set := m.boolOf(st, p["SourceDestCheck"]); set {
			in.SourceDestCheck = b
		}
		subnet, sgs, pub := p["SubnetId"], p["SecurityGroupIds"], any(nil)
		if nis, ok := p["NetworkInterfaces"].([]any); ok && len(nis) > 0 {
			for _, x := range nis {
				ni, _ := x.(map[string]any)
				if ni["NetworkInterfaceId"] != nil {
					eni, err := lookup[*ENI](m, st, ni["NetworkInterfaceId"])
					if err != nil {
						in.Unknown = fmt.Sprintf("NetworkInterfaceId %v", err)
						return
					}
					eni.Instance = in
					if idx, _ := m.str(st, ni["DeviceIndex"]); idx == "0" {
						in.Primary = eni
					}
					continue
				}
				if idx, _ := m.str(st, ni["DeviceIndex"]); idx == "0" || len(nis) == 1 {
					subnet, sgs, pub = ni["SubnetId"], ni["GroupSet"], ni["AssociatePublicIpAddress"]
				}
			}
		}
		if e := in.Primary; e != nil {
			// The interface's own settings are the instance's.
			in.Subnet, in.SGs, in.SourceDestCheck = e.Subnet, e.SGs, e.SourceDestCheck
			in.PublicIPVia = "no Elastic IP is associated with its interface " + e.Name()
			if e.Unknown != "" {
				in.Unknown = e.Unknown
			}
			return
		}
		sn, err := lookup[*Subnet](m, st, subnet)
		if err != nil {
			in.Unknown = fmt.Sprintf("SubnetId %v", err)
			return
		}
		in.Subnet = sn
		if in.SGs, err = lookupAll[*SecurityGroup](m, st, sgs); err != nil {
			in.Unknown = fmt.Sprintf("security groups %v", err)
		}
		if len(in.SGs) == 0 && sn.VPC != nil {
			in.SGs = []*SecurityGroup{m.defaultSG(sn.VPC)}
		}
		in.PublicIP = sn.MapPublicIP
		in.PublicIPVia = fmt.Sprintf("no AssociatePublicIpAddress, no Elastic IP, and subnet %s does not map public IPs on launch", sn.Name())
		if sn.MapPublicIP {
			in.PublicIPVia = fmt.Sprintf("the MapPublicIpOnLaunch of subnet %s", sn.Name())
		}
		if b, set := m.boolOf(st, pub); set {
			in.PublicIP = b
			in.PublicIPVia = "AssociatePublicIpAddress"
			if !b {
				in.PublicIPVia = "AssociatePublicIpAddress false, and no Elastic IP"
			}
		}
	})
	m.each("AWS::EC2::NetworkInterfaceAttachment", func(st *Stack, id string, p map[string]any) {
		eni, err := lookup[*ENI](m, st, p["NetworkInterfaceId"])
		if err != nil {
			m.note("NetworkInterfaceAttachment %s: network interface %v", id, err)
			return
		}
		in, err := lookup[*Instance](m, st, p["InstanceId"])
		if err != nil {
			m.note("NetworkInterfaceAttachment %s: instance %v", id, err)
			return
		}
		eni.Instance = in
	})
	// Elastic IPs: on an instance (EIP InstanceId, or an EIPAssociation)
	// or on a network interface (EIPAssociation NetworkInterfaceId).
	eip := func(st *Stack, id, what string, target any, isENI bool) {
		if isENI {
			eni, err := lookup[*ENI](m, st, target)
			if err != nil {
				m.note("%s %s: network interface %v", what, id, err)
				return
			}
			eni.PublicIP, eni.PublicIPVia = true, "Elastic IP "+id
			if in := eni.Instance; in != nil && in.Primary == eni {
				in.PublicIP, in.PublicIPVia = true, "Elastic IP "+id+" on its interface "+eni.Name()
			}
			return
		}
		in, err := lookup[*Instance](m, st, target)
		if err != nil {
			m.note("%s %s: instance %v", what, id, err)
			return
		}
		in.PublicIP, in.PublicIPVia = true, "Elastic IP "+id
		if in.Primary != nil {
			in.Primary.PublicIP, in.Primary.PublicIPVia = true, "Elastic IP "+id
		}
	}
	m.each("AWS::EC2::EIP", func(st *Stack, id string, p map[string]any) {
		if p["InstanceId"] != nil {
			eip(st, id, "EIP", p["InstanceId"], false)
		}
	})
	m.each("AWS::EC2::EIPAssociation", func(st *Stack, id string, p map[string]any) {
		switch {
		case p["NetworkInterfaceId"] != nil:
			eip(st, id, "EIPAssociation", p["NetworkInterfaceId"], true)
		case p["InstanceId"] != nil:
			eip(st, id, "EIPAssociation", p["InstanceId"], false)
		}
	})
}
