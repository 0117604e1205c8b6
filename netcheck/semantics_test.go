package netcheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func entry(t *testing.T, num int, egress, allow bool, proto int, from, to uint32, cidr string) *NaclEntry {
	t.Helper()
	a, err := parseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	return &NaclEntry{Number: num, Egress: egress, Allow: allow, Proto: proto, Ports: span{from, to}, CIDR: cidr, addrs: spans{a}}
}

func cidrs(t *testing.T, cs ...string) spans {
	t.Helper()
	var out spans
	for _, c := range cs {
		a, err := parseCIDR(c)
		if err != nil {
			t.Fatal(err)
		}
		out = out.union(spans{a})
	}
	return out
}

// TestNACL checks AWS's NACL semantics: lowest rule number first, the
// implicit "*" deny at the end, allows that add up piece by piece, and a
// blocklist that leaves the rest of the internet reachable.
func TestNACL(t *testing.T) {
	tcp := func(from, to uint32) span { return span{from, to} }
	internet := allAddrs.minus(private)
	cases := []struct {
		name    string
		entries []*NaclEntry
		flow    flow
		verdict Verdict
		text    string
	}{
		{"lowest number first: deny before allow",
			[]*NaclEntry{entry(t, 100, false, true, -1, 0, 65535, "0.0.0.0/0"), entry(t, 80, false, false, 6, 22, 22, "0.0.0.0/0")},
			flow{proto: 6, ports: tcp(22, 22), addrs: internet, peer: "the internet", internet: true},
			Denied, "NACL Acl ingress rule 80 deny tcp 22 from 0.0.0.0/0 (evaluated before rule 100 allow)"},
		{"lowest number first: allow before deny",
			[]*NaclEntry{entry(t, 100, false, false, 6, 22, 22, "0.0.0.0/0"), entry(t, 80, false, true, -1, 0, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: tcp(22, 22), addrs: internet, peer: "the internet", internet: true},
			Allowed, "NACL Acl ingress rule 80 allow all from 0.0.0.0/0 (tcp 22)"},
		{"no rule: implicit deny",
			[]*NaclEntry{entry(t, 100, false, true, 6, 443, 443, "0.0.0.0/0")},
			flow{proto: 6, ports: ephemeral, addrs: internet, peer: "the internet", internet: true, ret: true},
			Denied, "NACL Acl ingress rule * deny: no rule allows return traffic tcp 1024-65535 from the internet: NACLs are stateless"},
		{"egress rules do not apply to ingress",
			[]*NaclEntry{entry(t, 100, true, true, -1, 0, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: tcp(80, 80), addrs: cidrs(t, "10.0.1.0/24"), peer: "10.0.1.0/24"},
			Denied, "rule * deny: no rule allows tcp 80 from 10.0.1.0/24"},
		{"part of the ephemeral ports",
			[]*NaclEntry{entry(t, 100, false, true, 6, 1024, 30000, "0.0.0.0/0")},
			flow{proto: 6, ports: ephemeral, addrs: internet, peer: "the internet", internet: true, ret: true},
			Denied, "rule * deny: no rule allows ports 30001-65535 of return traffic tcp 1024-65535 from the internet (rule 100 allow tcp 1024-30000 from 0.0.0.0/0 covers the rest)"},
		{"allows that add up",
			[]*NaclEntry{entry(t, 100, false, true, 6, 1024, 30000, "0.0.0.0/0"), entry(t, 110, false, true, 6, 30001, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: ephemeral, addrs: internet, peer: "the internet", internet: true, ret: true},
			Allowed, "rule 100 allow tcp 1024-30000 from 0.0.0.0/0, rule 110 allow tcp 30001-65535 from 0.0.0.0/0 (return tcp 1024-65535)"},
		{"a deny of part of the ports",
			[]*NaclEntry{entry(t, 90, false, false, 6, 1024, 2047, "0.0.0.0/0"), entry(t, 100, false, true, 6, 1024, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: ephemeral, addrs: internet, peer: "the internet", internet: true, ret: true},
			Denied, "rule 90 deny tcp 1024-2047 from 0.0.0.0/0 (evaluated before rule 100 allow): denies ports 1024-2047 of return traffic"},
		{"a blocklist leaves the internet reachable",
			[]*NaclEntry{entry(t, 50, false, false, -1, 0, 65535, "198.51.100.0/24"), entry(t, 100, false, true, -1, 0, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: tcp(80, 80), addrs: internet, peer: "the internet", internet: true},
			Allowed, "rule 100 allow all from 0.0.0.0/0 (tcp 80), except 198.51.100.0/24 (rule 50 deny all from 198.51.100.0/24)"},
		{"a blocklist denies the peer it names",
			[]*NaclEntry{entry(t, 50, false, false, -1, 0, 65535, "10.0.1.0/25"), entry(t, 100, false, true, -1, 0, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: tcp(80, 80), addrs: cidrs(t, "10.0.1.0/24"), peer: "10.0.1.0/24"},
			Denied, "rule 50 deny all from 10.0.1.0/25 (evaluated before rule 100 allow): denies 10.0.1.0/25 of tcp 80 from 10.0.1.0/24"},
		{"only part of the addresses allowed",
			[]*NaclEntry{entry(t, 100, false, true, -1, 0, 65535, "203.0.113.0/24")},
			flow{proto: 6, ports: tcp(80, 80), addrs: internet, peer: "the internet", internet: true},
			Denied, "rule * deny: no rule allows"},
		{"protocol must match",
			[]*NaclEntry{entry(t, 100, false, true, 17, 0, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: tcp(53, 53), addrs: internet, peer: "the internet", internet: true},
			Denied, "rule * deny: no rule allows tcp 53 from the internet"},
		{"icmp ignores ports",
			[]*NaclEntry{entry(t, 100, false, true, 1, 0, 65535, "0.0.0.0/0")},
			flow{proto: 1, ports: allPorts, addrs: internet, peer: "the internet", internet: true},
			Allowed, "rule 100 allow icmp from 0.0.0.0/0"},
		{"an unknown rule on the way",
			[]*NaclEntry{{Number: 90, Ports: allPorts, Proto: -1, Unknown: "CidrBlock unknown: parameter Blocked of stack S"}, entry(t, 100, false, true, -1, 0, 65535, "0.0.0.0/0")},
			flow{proto: 6, ports: tcp(80, 80), addrs: internet, peer: "the internet", internet: true},
			Unknown, "rule 90 is unknown (CidrBlock unknown: parameter Blocked of stack S)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sn := &Subnet{NACL: &NACL{Res: Res{name: "Acl"}, Entries: tc.entries}}
			egress := tc.entries[0].Egress && tc.name != "egress rules do not apply to ingress"
			h := naclHop(sn, egress, tc.flow)
			if h.Verdict != tc.verdict || !strings.Contains(h.Text, tc.text) {
				t.Errorf("got %s: %s\nwant %s: …%s…", h.Verdict, h.Text, tc.verdict, tc.text)
			}
		})
	}
}

// TestRoutes checks longest-prefix matching, and that the prefix list of a
// gateway endpoint wins for its service only.
func TestRoutes(t *testing.T) {
	vpc := &VPC{Res: Res{name: "Vpc"}, CIDRs: []string{"10.0.0.0/16"}}
	ep := &Endpoint{Res: Res{name: "S3Endpoint"}, Service: "s3", Gateway: true}
	nat := &NAT{Res: Res{name: "Nat"}}
	rt := &RouteTable{Res: Res{name: "Rt"}, VPC: vpc, Routes: []*Route{
		{Dest: "0.0.0.0/0", addrs: cidrs(t, "0.0.0.0/0"), Target: TargetNAT, NAT: nat},
		{Dest: "10.0.5.0/24", addrs: cidrs(t, "10.0.5.0/24"), Target: TargetOther, TargetText: "TransitGateway Tgw"},
		{Dest: "pl:s3", service: "s3", Target: TargetEndpoint, Endpoint: ep},
	}}
	for _, tc := range []struct {
		dst     spans
		service string
		want    string
		except  int
	}{
		{cidrs(t, "10.0.3.0/24"), "", "10.0.0.0/16 local", 0},
		{cidrs(t, "10.0.5.0/24"), "", "10.0.5.0/24 -> TransitGateway Tgw", 0},
		{cidrs(t, "10.0.0.0/16"), "", "10.0.0.0/16 local", 1},
		{cidrs(t, "8.8.8.0/24"), "", "0.0.0.0/0 -> Nat", 0},
		{allAddrs.minus(private), "s3", "prefix list of s3 -> S3Endpoint (gateway endpoint)", 0},
		{allAddrs.minus(private), "ecr.dkr", "0.0.0.0/0 -> Nat", 0},
	} {
		r, except := rt.lookupRoute(tc.dst, tc.service)
		if r == nil || routeText(r) != tc.want || len(except) != tc.except {
			got := "none"
			if r != nil {
				got = routeText(r)
			}
			t.Errorf("route to %s %s = %s with %d exceptions, want %s with %d", tc.dst, tc.service, got, len(except), tc.want, tc.except)
		}
	}
}

// TestRoutesFor checks longest-prefix match over a destination's addresses:
// each part goes by the most specific route that holds it, the rest has no
// route, a route that wins nothing is shadowed, and a gateway endpoint's
// prefix list takes all of its service.
func TestRoutesFor(t *testing.T) {
	vpc := &VPC{Res: Res{name: "Vpc"}, CIDRs: []string{"10.0.0.0/16"}}
	ep := &Endpoint{Res: Res{name: "S3Endpoint"}, Service: "s3", Gateway: true}
	nat, igw := &NAT{Res: Res{name: "Nat"}}, &IGW{Res: Res{name: "Stray"}}
	route := func(c, target string) *Route {
		r := &Route{Dest: c, addrs: cidrs(t, c), Target: TargetIGW, IGW: igw}
		if target == "nat" {
			r.Target, r.IGW, r.NAT = TargetNAT, nil, nat
		}
		return r
	}
	internet := allAddrs.minus(private).minus(cidrs(t, "10.0.0.0/16"))
	show := func(shares []routeShare) string {
		var ss []string
		for _, sh := range shares {
			r := "no route"
			if sh.route != nil {
				r = routeText(sh.route)
			}
			ss = append(ss, r+" for "+shareText(sh.addrs, internet))
		}
		return strings.Join(ss, "; ")
	}
	for _, tc := range []struct {
		name     string
		routes   []*Route
		service  string
		want     string
		shadowed int
	}{
		{"one default route", []*Route{route("0.0.0.0/0", "nat")}, "", "0.0.0.0/0 -> Nat for all", 0},
		{"a /1 takes half", []*Route{route("0.0.0.0/0", "nat"), route("0.0.0.0/1", "igw")}, "", "0.0.0.0/1 -> Stray for 49.8%; 0.0.0.0/0 -> Nat for 50.2%", 0},
		{"two /1 take all", []*Route{route("0.0.0.0/0", "nat"), route("128.0.0.0/1", "igw"), route("0.0.0.0/1", "igw")}, "", "0.0.0.0/1 -> Stray for 49.8%; 128.0.0.0/1 -> Stray for 50.2%", 1},
		{"no default route", []*Route{route("203.0.113.0/24", "nat")}, "", "203.0.113.0/24 -> Nat for 256 addresses (under 0.1%); no route for over 99.9%", 0},
		{"the prefix list wins for its service", []*Route{route("0.0.0.0/1", "igw"), {Dest: "pl:s3", service: "s3", Target: TargetEndpoint, Endpoint: ep}}, "s3", "prefix list of s3 -> S3Endpoint (gateway endpoint) for all", 0},
	} {
		rt := &RouteTable{Res: Res{name: "Rt"}, VPC: vpc, Routes: tc.routes}
		shares, shadowed := rt.routesFor(internet, tc.service)
		if got := show(shares); got != tc.want || len(shadowed) != tc.shadowed {
			t.Errorf("%s: %s with %d shadowed, want %s with %d", tc.name, got, len(shadowed), tc.want, tc.shadowed)
		}
	}
}

func TestSpans(t *testing.T) {
	for _, tc := range []struct {
		got  spans
		want string
	}{
		{cidrs(t, "10.0.0.0/16").minus(cidrs(t, "10.0.3.0/24")), "10.0.0.0/23, 10.0.2.0/24, 10.0.4.0/22 and 5 more blocks"},
		{cidrs(t, "10.0.1.0/24", "10.0.0.0/24"), "10.0.0.0/23"},
		{cidrs(t, "0.0.0.0/0").intersect(cidrs(t, "192.168.1.7/32")), "192.168.1.7/32"},
		{cidrs(t, "10.0.0.0/8").minus(cidrs(t, "0.0.0.0/0")), "no address"},
		{cidrs(t, "10.0.3.77/24"), "10.0.3.0/24"},
	} {
		if tc.got.String() != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
	if !cidrs(t, "0.0.0.0/0").covers(allAddrs.minus(private)) || cidrs(t, "10.0.0.0/8").covers(cidrs(t, "10.0.0.0/7")) {
		t.Error("covers is wrong")
	}
	if _, err := parseCIDR("10.0.0.0/33"); err == nil {
		t.Error("10.0.0.0/33 parsed")
	}
	if _, err := parseCIDR("::/0"); err == nil {
		t.Error("::/0 parsed as IPv4")
	}
}

// mini is a small VPC template: a public subnet routed to an attached IGW
// with an instance, a private subnet with no route table association (so
// the main route table) and no NACL association (so the default NACL).
func mini() map[string]any {
	ref := func(id string) map[string]any { return map[string]any{"Ref": id} }
	gid := func(id string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, "GroupId"}} }
	return map[string]any{
		"Parameters": map[string]any{"AdminCidr": map[string]any{"Type": "String", "Default": "203.0.113.0/24"}},
		"Resources": map[string]any{
			"Vpc":    map[string]any{"Type": "AWS::EC2::VPC", "Properties": map[string]any{"CidrBlock": "10.0.0.0/16"}},
			"Igw":    map[string]any{"Type": "AWS::EC2::InternetGateway"},
			"Attach": map[string]any{"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": map[string]any{"VpcId": ref("Vpc"), "InternetGatewayId": ref("Igw")}},
			"Pub":    map[string]any{"Type": "AWS::EC2::Subnet", "Properties": map[string]any{"VpcId": ref("Vpc"), "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "eu-west-1a", "MapPublicIpOnLaunch": true}},
			"PubRt":  map[string]any{"Type": "AWS::EC2::RouteTable", "Properties": map[string]any{"VpcId": ref("Vpc")}},
			"PubRta": map[string]any{"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": map[string]any{"SubnetId": ref("Pub"), "RouteTableId": ref("PubRt")}},
			"PubDef": map[string]any{"Type": "AWS::EC2::Route", "Properties": map[string]any{"RouteTableId": ref("PubRt"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": ref("Igw")}},
			"Priv":   map[string]any{"Type": "AWS::EC2::Subnet", "Properties": map[string]any{"VpcId": ref("Vpc"), "CidrBlock": "10.0.3.0/24", "AvailabilityZone": map[string]any{"Fn::Select": []any{1, map[string]any{"Fn::GetAZs": ""}}}}},
			"WebSg": map[string]any{"Type": "AWS::EC2::SecurityGroup", "Properties": map[string]any{"VpcId": ref("Vpc"), "GroupDescription": "web",
				"SecurityGroupIngress": []any{map[string]any{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": ref("AdminCidr")}}}},
			"ClosedSg": map[string]any{"Type": "AWS::EC2::SecurityGroup", "Properties": map[string]any{"VpcId": ref("Vpc"), "GroupDescription": "closed",
				"SecurityGroupEgress": []any{map[string]any{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}}}},
			"DbSg":      map[string]any{"Type": "AWS::EC2::SecurityGroup", "Properties": map[string]any{"VpcId": ref("Vpc"), "GroupDescription": "db"}},
			"DbSgOut":   map[string]any{"Type": "AWS::EC2::SecurityGroupEgress", "Properties": map[string]any{"GroupId": gid("DbSg"), "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationSecurityGroupId": gid("WebSg")}},
			"Web":       map[string]any{"Type": "AWS::EC2::Instance", "Properties": map[string]any{"SubnetId": ref("Pub"), "SecurityGroupIds": []any{gid("WebSg")}}},
			"Db":        map[string]any{"Type": "AWS::EC2::Instance", "Properties": map[string]any{"SubnetId": ref("Priv"), "SecurityGroupIds": []any{gid("DbSg")}}},
			"Closed":    map[string]any{"Type": "AWS::EC2::Instance", "Properties": map[string]any{"SubnetId": ref("Pub"), "SecurityGroupIds": []any{gid("ClosedSg")}}},
			"OpenInPub": map[string]any{"Type": "AWS::EC2::Instance", "Properties": map[string]any{"SubnetId": ref("Pub"), "SecurityGroupIds": []any{gid("DbSg")}}},
		},
	}
}

func writeMini(t *testing.T, stacks map[string]map[string]any) *Model {
	t.Helper()
	dir := t.TempDir()
	for name, tpl := range stacks {
		b, err := json.Marshal(tpl)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".template.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSemantics checks, on a small template, the defaults AWS applies that
// the template does not spell out, and "unknown" for unresolvable values.
func TestSemantics(t *testing.T) {
	m := writeMini(t, map[string]map[string]any{"Net": mini()})
	for _, tc := range []struct {
		name    string
		q       Query
		verdict Verdict
		text    string
	}{
		{"a subnet without association uses the main route table",
			Query{From: "Db", To: "internet", Port: 443}, Denied, "subnet Priv has no route to the internet (route table Vpc.MainRouteTable: 10.0.0.0/16 local)"},
		{"a group without egress rules gets AWS's allow-all egress",
			Query{From: "Web", To: "internet", Port: 443}, Allowed, "WebSg egress to 0.0.0.0/0 all traffic (AWS default)"},
		{"CDK's placeholder means no egress",
			Query{From: "Closed", To: "internet", Port: 443}, Denied, "ClosedSg egress: no rule admits tcp 443 to the internet (no rule but CDK's 'disallow all' placeholder"},
		{"a SecurityGroupEgress resource replaces the default egress",
			Query{From: "OpenInPub", To: "internet", Port: 443}, Denied, "DbSg egress: no rule admits tcp 443 to the internet (its rules: to WebSg tcp 443 (DbSgOut))"},
		{"the SecurityGroupEgress resource itself",
			Query{From: "Db", To: "Web", Port: 443}, Denied, "WebSg ingress: no rule admits tcp 443 from Db (DbSg in 10.0.3.0/24)"},
		{"subnets without NACL association use the default NACL",
			Query{From: "Db", To: "Web", Port: 22}, Denied, "DbSg egress: no rule admits tcp 22"},
		{"a parameter is unknown, not guessed",
			Query{From: "internet", To: "Web", Port: 22}, Unknown, "WebSg ingress rule from {\"Ref\":\"AdminCidr\"} tcp 22 (inline) is unknown (CidrIp unknown: parameter AdminCidr of stack Net)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := m.Check(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != tc.verdict || !strings.Contains(res.Reason, tc.text) {
				t.Errorf("got %s\nwant %s: …%s…", res.Reason, tc.verdict, tc.text)
			}
		})
	}
	var priv *Subnet
	for _, sn := range m.Subnets {
		if sn.ID == "Priv" {
			priv = sn
		}
	}
	if priv == nil || priv.AZ != "az[1]" || priv.NACL != priv.VPC.DefaultNACL || priv.RouteTable != priv.VPC.MainRT {
		t.Errorf("subnet Priv: %+v, want az[1], the default NACL and the main route table", priv)
	}
}

// TestCrossStack checks Fn::ImportValue through exports, Fn::GetStackOutput
// through outputs, lists passed as Fn::Split of Fn::Join, and that a
// logical ID used by two stacks is shown and asked with its stack.
func TestCrossStack(t *testing.T) {
	net := mini()
	net["Outputs"] = map[string]any{
		"PubOut":  map[string]any{"Value": map[string]any{"Ref": "Pub"}, "Export": map[string]any{"Name": map[string]any{"Fn::Sub": "${AWS::StackName}:Pub"}}},
		"SgsOut":  map[string]any{"Value": map[string]any{"Fn::Join": []any{",", []any{map[string]any{"Fn::GetAtt": []any{"WebSg", "GroupId"}}}}}, "Export": map[string]any{"Name": "Net:Sgs"}},
		"PrivOut": map[string]any{"Value": map[string]any{"Ref": "Priv"}},
	}
	app := map[string]any{"Resources": map[string]any{
		"Pubby": map[string]any{"Type": "AWS::EC2::Instance", "Properties": map[string]any{
			"SubnetId":         map[string]any{"Fn::ImportValue": "Net:Pub"},
			"SecurityGroupIds": map[string]any{"Fn::Split": []any{",", map[string]any{"Fn::ImportValue": "Net:Sgs"}}},
		}},
		"Privy": map[string]any{"Type": "AWS::EC2::Instance", "Properties": map[string]any{
			"SubnetId": map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "Net", "OutputName": "PrivOut"}},
		}},
		"Vpc": map[string]any{"Type": "AWS::EC2::VPC", "Properties": map[string]any{"CidrBlock": "192.168.0.0/24"}},
	}}
	m := writeMini(t, map[string]map[string]any{"Net": net, "App": app})
	var pubby, privy *Instance
	for _, in := range m.Instances {
		switch in.ID {
		case "Pubby":
			pubby = in
		case "Privy":
			privy = in
		}
	}
	if pubby == nil || pubby.Subnet == nil || pubby.Subnet.ID != "Pub" || len(pubby.SGs) != 1 || pubby.SGs[0].ID != "WebSg" {
		t.Errorf("Pubby: %+v, want subnet Pub and group WebSg through Fn::ImportValue", pubby)
	}
	if privy == nil || privy.Subnet == nil || privy.Subnet.ID != "Priv" {
		t.Errorf("Privy: %+v, want subnet Priv through Fn::GetStackOutput", privy)
	}
	if _, err := m.Check(Query{From: "Vpc", To: "internet", Port: 80}); err == nil || !strings.Contains(err.Error(), "ambiguous: it names App/Vpc, Net/Vpc") {
		t.Errorf("Check(from Vpc) = %v, want ambiguous", err)
	}
	if _, err := m.Check(Query{From: "Net/Vpc", To: "internet", Port: 80}); err == nil || !strings.Contains(err.Error(), "Net/Vpc is a AWS::EC2::VPC") {
		t.Errorf("Check(from Net/Vpc) = %v, want the VPC named with its stack", err)
	}
}

// TestPublicByRoute checks that a subnet is public by its route to an
// attached internet gateway, as AWS defines it, and never by
// MapPublicIpOnLaunch: the app's public subnets do not map public IPs, and
// a subnet that maps them without such a route is still private. Before
// there is an ECS service, the tasks' paths are checked from the private
// subnets, so the classification decides what is checked.
func TestPublicByRoute(t *testing.T) {
	ref := func(id string) map[string]any { return map[string]any{"Ref": id} }
	res := func(typ string, props map[string]any) map[string]any {
		return map[string]any{"Type": typ, "Properties": props}
	}
	tpl := map[string]any{"Resources": map[string]any{
		"Vpc":    res("AWS::EC2::VPC", map[string]any{"CidrBlock": "10.0.0.0/16"}),
		"Igw":    res("AWS::EC2::InternetGateway", map[string]any{}),
		"Attach": res("AWS::EC2::VPCGatewayAttachment", map[string]any{"VpcId": ref("Vpc"), "InternetGatewayId": ref("Igw")}),
		// Public: no public IPs on launch, 0.0.0.0/0 to the attached IGW.
		"PubNoMap":   res("AWS::EC2::Subnet", map[string]any{"VpcId": ref("Vpc"), "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "eu-west-1a", "MapPublicIpOnLaunch": false}),
		"PubRt":      res("AWS::EC2::RouteTable", map[string]any{"VpcId": ref("Vpc")}),
		"PubRta":     res("AWS::EC2::SubnetRouteTableAssociation", map[string]any{"SubnetId": ref("PubNoMap"), "RouteTableId": ref("PubRt")}),
		"PubDefault": res("AWS::EC2::Route", map[string]any{"RouteTableId": ref("PubRt"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": ref("Igw")}),
		"Nat":        res("AWS::EC2::NatGateway", map[string]any{"SubnetId": ref("PubNoMap")}),
		// Private: maps public IPs on launch, but 0.0.0.0/0 goes to the NAT.
		"PrivMapped":  res("AWS::EC2::Subnet", map[string]any{"VpcId": ref("Vpc"), "CidrBlock": "10.0.3.0/24", "AvailabilityZone": "eu-west-1a", "MapPublicIpOnLaunch": true}),
		"PrivRt":      res("AWS::EC2::RouteTable", map[string]any{"VpcId": ref("Vpc")}),
		"PrivRta":     res("AWS::EC2::SubnetRouteTableAssociation", map[string]any{"SubnetId": ref("PrivMapped"), "RouteTableId": ref("PrivRt")}),
		"PrivDefault": res("AWS::EC2::Route", map[string]any{"RouteTableId": ref("PrivRt"), "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": ref("Nat")}),
	}}
	m := writeMini(t, map[string]map[string]any{"Net": tpl})
	for _, sn := range m.Subnets {
		want := sn.ID == "PubNoMap"
		if r := sn.publicRoute(); (r != nil) != want {
			t.Errorf("subnet %s (MapPublicIpOnLaunch %v): public route %v, want public=%v", sn.ID, sn.MapPublicIP, r, want)
		}
	}
	desc := m.Describe()
	for _, want := range []string{
		"subnet PubNoMap 10.0.1.0/24 in eu-west-1a, public: route 0.0.0.0/0 -> Igw",
		"subnet PrivMapped 10.0.3.0/24 in eu-west-1a, private, maps public IPs on launch",
	} {
		if !strings.Contains(desc, want) {
			t.Errorf("--model lacks %q:\n%s", want, desc)
		}
	}
	rep := m.Required(Options{})
	if len(rep.Checks) != 5 {
		t.Fatalf("%d checks, want 5 from the private subnets (4 services, internet): %+v", len(rep.Checks), rep.Checks)
	}
	for _, c := range rep.Checks {
		var from []string
		for _, l := range c.Legs {
			from = append(from, l.From)
		}
		if c.Row != "private subnets" || !slices.Equal(slices.Compact(from), []string{"PrivMapped"}) {
			t.Errorf("%s -> %s checked from %v, want from the private subnet PrivMapped only", c.Row, c.Col, from)
		}
		if c.To == "the internet" && (c.Verdict != Allowed || !strings.Contains(c.Reason, "route 0.0.0.0/0 -> Nat in PubNoMap -> Igw")) {
			t.Errorf("private subnets -> internet: %s, want allowed through the NAT", c.Reason)
		}
	}
}
