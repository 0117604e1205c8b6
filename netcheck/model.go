// Package netcheck answers "who can reach what, and why" from a CDK app's
// synthesized CloudFormation templates, before anything is deployed.
//
// AWS's Reachability Analyzer works only on deployed resources; the traps
// that cost days (tasks that cannot reach ECR, a route to a detached
// gateway, a security group open to the world) are all visible in the
// templates already. Netcheck builds the network model from every stack of
// a cloud assembly (VPCs, subnets, route tables, NACLs, security groups, and
// where the load balancers, services, NAT gateways and endpoints sit),
// following Ref and Fn::GetAtt within a stack and Fn::ImportValue and
// Fn::GetStackOutput across stacks, then evaluates paths hop by hop with
// AWS's semantics: longest-prefix routing, NACLs stateless and first-match
// by rule number, security groups stateful and additive.
//
// It uses the standard library only: the CDK test binary is large enough.
package netcheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Model is the network of one cloud assembly.
type Model struct {
	Dir    string
	Stacks []*Stack

	VPCs          []*VPC
	Subnets       []*Subnet
	RouteTables   []*RouteTable
	NACLs         []*NACL
	SGs           []*SecurityGroup
	IGWs          []*IGW
	NATs          []*NAT
	Endpoints     []*Endpoint
	LoadBalancers []*LoadBalancer
	Services      []*Service
	Instances     []*Instance
	ENIs          []*ENI
	Functions     []*Function

	// Notes are what the model had to assume or could not resolve.
	Notes []string

	exports map[string]item
	objs    map[string]any // by ref key: stack ID "/" logical ID
	names   map[string]int // logical ID -> how many stacks use it
}

// Res identifies a resource of the assembly.
type Res struct {
	Stack *Stack
	ID    string // logical ID; "" for implicit resources such as a main route table
	Type  string
	name  string
}

// Name is how reports show the resource: its logical ID, prefixed with its
// stack when another stack has the same logical ID.
func (r *Res) Name() string { return r.name }

// VPC is an AWS::EC2::VPC with its implicit main route table and default NACL.
type VPC struct {
	Res
	CIDRs       []string
	addrs       spans
	MainRT      *RouteTable
	DefaultNACL *NACL
	// Attachments maps an attached IGW to its VPCGatewayAttachment.
	Attachments map[*IGW]string
}

// Subnet is an AWS::EC2::Subnet and what applies to its traffic.
type Subnet struct {
	Res
	VPC         *VPC
	CIDR        string
	addrs       spans
	AZ          string
	MapPublicIP bool
	RouteTable  *RouteTable
	// RouteTableVia is the SubnetRouteTableAssociation, "" for the main table.
	RouteTableVia string
	NACL          *NACL
	// NACLVia is the SubnetNetworkAclAssociation, "" for the default NACL.
	NACLVia string
	Unknown string
}

// RouteTable is an AWS::EC2::RouteTable, or a VPC's implicit main one.
type RouteTable struct {
	Res
	VPC    *VPC
	Main   bool
	Routes []*Route
}

// Target kinds of a route.
const (
	TargetLocal    = "local"
	TargetIGW      = "igw"
	TargetNAT      = "nat"
	TargetEndpoint = "gateway-endpoint"
	// TargetInstance is an EC2 instance (InstanceId) or one of its network
	// interfaces (NetworkInterfaceId): a NAT instance, when it forwards.
	TargetInstance = "instance"
	TargetOther    = "other"
	TargetUnknown  = "unknown"
)

// Route is an AWS::EC2::Route, a VPC's local route, or the prefix-list
// route a gateway endpoint adds to its route tables.
type Route struct {
	ID   string // logical ID; "" for implicit routes
	Dest string // CIDR, or "pl:<service>" for a gateway endpoint's prefix list
	// addrs is the destination; empty for prefix lists and IPv6.
	addrs    spans
	service  string // gateway endpoint service, for prefix-list routes
	Target   string // one of the Target* kinds
	IGW      *IGW
	NAT      *NAT
	Endpoint *Endpoint
	// Instance is the target of InstanceId; ENI, of NetworkInterfaceId.
	Instance *Instance
	ENI      *ENI
	// TargetText describes other and unknown targets.
	TargetText string
}

// IGW is an AWS::EC2::InternetGateway.
type IGW struct{ Res }

// NAT is an AWS::EC2::NatGateway.
type NAT struct {
	Res
	Subnet  *Subnet
	Private bool // ConnectivityType private: no internet
	Unknown string
}

// NACL is an AWS::EC2::NetworkAcl, or a VPC's default one (rule 100 allows
// all traffic both ways).
type NACL struct {
	Res
	VPC     *VPC
	Default bool
	Entries []*NaclEntry
}

// NaclEntry is one numbered rule of a NACL.
type NaclEntry struct {
	ID      string // logical ID of the NetworkAclEntry; "" for the default NACL's rules
	Number  int
	Egress  bool
	Allow   bool
	Proto   int // -1: all
	Ports   span
	CIDR    string
	addrs   spans
	IPv6    bool
	Unknown string
}

// SecurityGroup is an AWS::EC2::SecurityGroup with every rule that applies
// to it: inline ones, SecurityGroupIngress/Egress resources, and AWS's
// default allow-all egress when the template sets no egress inline.
type SecurityGroup struct {
	Res
	VPC     *VPC
	Ingress []*SGRule
	Egress  []*SGRule
	// Placeholder is CDK's "disallow all" egress rule: no egress at all.
	Placeholder bool
	// VPCDefault marks a VPC's default security group.
	VPCDefault bool
}

// SGRule is one security group rule.
type SGRule struct {
	// Origin is where the rule comes from: "inline" or the logical ID of a
	// SecurityGroupIngress/Egress resource, or "AWS default".
	Origin     string
	Egress     bool
	Proto      int
	Ports      span
	CIDR       string
	addrs      spans
	Peer       *SecurityGroup
	PrefixList string
	IPv6       bool
	Unknown    string
	// peerUnknown: only the peer is unknown; protocol and ports are known.
	peerUnknown bool
}

// Endpoint is an AWS::EC2::VPCEndpoint.
type Endpoint struct {
	Res
	VPC         *VPC
	Service     string // e.g. "ecr.dkr", "s3"
	Interface   bool
	Gateway     bool
	RouteTables []*RouteTable
	Subnets     []*Subnet
	SGs         []*SecurityGroup
	PrivateDNS  bool
	Unknown     string
}

// LoadBalancer is an AWS::ElasticLoadBalancingV2::LoadBalancer.
type LoadBalancer struct {
	Res
	Scheme    string // internet-facing or internal
	LBType    string // application, network, gateway
	Subnets   []*Subnet
	SGs       []*SecurityGroup
	Listeners []*Listener
	Unknown   string
}

// Listener is a load balancer's listener.
type Listener struct {
	Res
	LB           *LoadBalancer
	Port         int
	Protocol     string
	TargetGroups []*TargetGroup
	// Test is set when an ECS service's blue/green, canary or linear
	// deployments send their test traffic through a rule of this listener
	// (LoadBalancers[].AdvancedConfiguration.TestListenerRule): it is for
	// pre-traffic checks, not for the internet.
	Test bool
}

// ListenerRule is an AWS::ElasticLoadBalancingV2::ListenerRule.
type ListenerRule struct {
	Res
	Listener     *Listener
	TargetGroups []*TargetGroup
}

// TargetGroup is an AWS::ElasticLoadBalancingV2::TargetGroup.
type TargetGroup struct {
	Res
	Port       int
	TargetType string
}

// Service is an AWS::ECS::Service in awsvpc mode: where its tasks sit.
type Service struct {
	Res
	Subnets  []*Subnet
	SGs      []*SecurityGroup
	PublicIP bool
	// ContainerPorts are the ports the load balancers send to, by target group.
	Targets []ServiceTarget
	// Ports are the container ports of the task definition.
	Ports   []int
	Unknown string
}

// ServiceTarget is one entry of an ECS service's LoadBalancers, or the
// alternate target group of one (AdvancedConfiguration), which a
// blue/green, canary or linear deployment registers the new tasks with.
type ServiceTarget struct {
	ContainerPort int
	TargetGroup   *TargetGroup
	Alternate     bool
}

// Instance is an AWS::EC2::Instance, placed where its primary network
// interface sits.
type Instance struct {
	Res
	Subnet   *Subnet
	SGs      []*SecurityGroup
	PublicIP bool
	// PublicIPVia says where its public address comes from, or why it has
	// none: "AssociatePublicIpAddress", "Elastic IP NatEip", "the
	// MapPublicIpOnLaunch of subnet X".
	PublicIPVia string
	// SourceDestCheck is EC2's default, on: the instance drops traffic
	// not addressed to itself, so it cannot forward (a NAT instance
	// turns it off).
	SourceDestCheck bool
	// Primary is the network interface of device index 0 when the
	// template creates it apart (AWS::EC2::NetworkInterface).
	Primary *ENI
	Unknown string
}

// ENI is an AWS::EC2::NetworkInterface.
type ENI struct {
	Res
	Subnet          *Subnet
	SGs             []*SecurityGroup
	SourceDestCheck bool
	PublicIP        bool
	PublicIPVia     string
	// Instance is what it is attached to; nil: none, and a route to it
	// is a blackhole.
	Instance *Instance
	Unknown  string
}

// Function is an AWS::Lambda::Function attached to a VPC.
type Function struct {
	Res
	Subnets []*Subnet
	SGs     []*SecurityGroup
	Unknown string
}

// Load reads the cloud assembly in dir and builds its network model.
func Load(dir string) (*Model, error) {
	stacks, err := readAssembly(dir)
	if err != nil {
		return nil, err
	}
	m := &Model{Dir: dir, Stacks: stacks, exports: map[string]item{}, objs: map[string]any{}, names: map[string]int{}}
	m.build()
	return m, nil
}

func (m *Model) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if !slices.Contains(m.Notes, n) {
		m.Notes = append(m.Notes, n)
	}
}

// each calls fn for every resource of the given type, stacks in order and
// logical IDs sorted, so the model and its reports are stable.
func (m *Model) each(typ string, fn func(st *Stack, id string, p map[string]any)) {
	for _, st := range m.Stacks {
		ids := make([]string, 0, len(st.resources))
		for id, r := range st.resources {
			if r.Type == typ {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			r := st.resources[id]
			if r.Condition != "" {
				m.note("%s %s has Condition %s: assumed created", typ, id, r.Condition)
			}
			p := r.Properties
			if p == nil {
				p = map[string]any{}
			}
			fn(st, id, p)
		}
	}
}

func (m *Model) res(st *Stack, id, typ string) Res {
	return Res{Stack: st, ID: id, Type: typ}
}

// lookup resolves a value to a model object of type T.
func lookup[T any](m *Model, st *Stack, v any) (T, error) {
	var zero T
	r, err := m.refOf(st, v)
	if err != nil {
		return zero, err
	}
	o, ok := m.objs[r.key()]
	if vpc, isVPC := o.(*VPC); isVPC {
		switch r.attr {
		case "DefaultNetworkAcl":
			o = vpc.DefaultNACL
		case "DefaultSecurityGroup":
			o = m.defaultSG(vpc)
		}
	}
	t, isT := o.(T)
	if !ok || !isT {
		return zero, unknownf("%s is a %s, not a %T", r.id, r.st.resources[r.id].Type, zero)
	}
	return t, nil
}

// lookupAll resolves a list of references.
func lookupAll[T any](m *Model, st *Stack, v any) ([]T, error) {
	items, err := m.list(st, v)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, it := range items {
		t, err := lookup[T](m, it.st, it.v)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (m *Model) defaultSG(vpc *VPC) *SecurityGroup {
	key := vpc.Stack.ID + "/" + vpc.ID + ".DefaultSecurityGroup"
	if sg, ok := m.objs[key].(*SecurityGroup); ok {
		return sg
	}
	sg := &SecurityGroup{Res: Res{Stack: vpc.Stack, Type: "AWS::EC2::SecurityGroup", name: vpc.Name() + ".DefaultSecurityGroup"}, VPC: vpc, VPCDefault: true}
	// AWS's default: all traffic from members of the group, all egress;
	// CDK's restrictDefaultSecurityGroup custom resource removes both.
	restricted := false
	m.each("Custom::VpcRestrictDefaultSG", func(st *Stack, id string, p map[string]any) {
		if r, err := m.refOf(st, p["DefaultSecurityGroupId"]); err == nil && r.key() == vpc.Stack.ID+"/"+vpc.ID {
			restricted = true
		}
	})
	if !restricted {
		sg.Ingress = append(sg.Ingress, &SGRule{Origin: "AWS default", Proto: -1, Ports: allPorts, Peer: sg})
		sg.Egress = append(sg.Egress, &SGRule{Origin: "AWS default", Egress: true, Proto: -1, Ports: allPorts, CIDR: "0.0.0.0/0", addrs: allAddrs})
	} else {
		sg.name += " (rules removed by Custom::VpcRestrictDefaultSG)"
	}
	m.objs[key] = sg
	m.SGs = append(m.SGs, sg)
	return sg
}

func (m *Model) build() {
	// Exports first: everything else may import.
	for _, st := range m.Stacks {
		for _, o := range st.outputs {
			out, _ := o.(map[string]any)
			exp, _ := out["Export"].(map[string]any)
			if exp == nil {
				continue
			}
			if name, err := m.str(st, exp["Name"]); err == nil {
				m.exports[name] = item{st, out["Value"]}
			}
		}
	}
	// Pass 1: an object per resource, so pass 2 can link them in any order.
	create := map[string]func(Res) any{
		"AWS::EC2::VPC":                             func(r Res) any { return &VPC{Res: r, Attachments: map[*IGW]string{}} },
		"AWS::EC2::Subnet":                          func(r Res) any { return &Subnet{Res: r} },
		"AWS::EC2::RouteTable":                      func(r Res) any { return &RouteTable{Res: r} },
		"AWS::EC2::NetworkAcl":                      func(r Res) any { return &NACL{Res: r} },
		"AWS::EC2::SecurityGroup":                   func(r Res) any { return &SecurityGroup{Res: r} },
		"AWS::EC2::InternetGateway":                 func(r Res) any { return &IGW{Res: r} },
		"AWS::EC2::NatGateway":                      func(r Res) any { return &NAT{Res: r} },
		"AWS::EC2::VPCEndpoint":                     func(r Res) any { return &Endpoint{Res: r} },
		"AWS::ElasticLoadBalancingV2::LoadBalancer": func(r Res) any { return &LoadBalancer{Res: r} },
		"AWS::ElasticLoadBalancingV2::Listener":     func(r Res) any { return &Listener{Res: r} },
		"AWS::ElasticLoadBalancingV2::TargetGroup":  func(r Res) any { return &TargetGroup{Res: r} },
		"AWS::ElasticLoadBalancingV2::ListenerRule": func(r Res) any { return &ListenerRule{Res: r} },
		"AWS::ECS::Service":                         func(r Res) any { return &Service{Res: r} },
		"AWS::EC2::Instance":                        func(r Res) any { return &Instance{Res: r, SourceDestCheck: true} },
		"AWS::EC2::NetworkInterface":                func(r Res) any { return &ENI{Res: r, SourceDestCheck: true} },
		"AWS::Lambda::Function":                     func(r Res) any { return &Function{Res: r} },
	}
	for _, st := range m.Stacks {
		for id, r := range st.resources {
			if fn, ok := create[r.Type]; ok {
				m.names[id]++
				m.objs[st.ID+"/"+id] = fn(m.res(st, id, r.Type))
			}
		}
	}
	for _, o := range m.objs {
		if r := resOf(o); r != nil {
			r.name = r.ID
			if m.names[r.ID] > 1 {
				r.name = r.Stack.ID + "/" + r.ID
			}
		}
	}
	m.buildVPCs()
	m.buildRouting()
	m.buildNACLs()
	m.buildSGs()
	m.buildEndpoints()
	m.buildPlacements()
}

func resOf(o any) *Res {
	switch x := o.(type) {
	case *VPC:
		return &x.Res
	case *Subnet:
		return &x.Res
	case *RouteTable:
		return &x.Res
	case *NACL:
		return &x.Res
	case *SecurityGroup:
		return &x.Res
	case *IGW:
		return &x.Res
	case *NAT:
		return &x.Res
	case *Endpoint:
		return &x.Res
	case *LoadBalancer:
		return &x.Res
	case *Listener:
		return &x.Res
	case *TargetGroup:
		return &x.Res
	case *ListenerRule:
		return &x.Res
	case *Service:
		return &x.Res
	case *Instance:
		return &x.Res
	case *ENI:
		return &x.Res
	case *Function:
		return &x.Res
	}
	return nil
}

func (m *Model) obj(st *Stack, id string) any { return m.objs[st.ID+"/"+id] }

func (m *Model) buildVPCs() {
	m.each("AWS::EC2::VPC", func(st *Stack, id string, p map[string]any) {
		vpc := m.obj(st, id).(*VPC)
		vpc.MainRT = &RouteTable{Res: Res{Stack: st, Type: "AWS::EC2::RouteTable", name: vpc.Name() + ".MainRouteTable"}, VPC: vpc, Main: true}
		vpc.DefaultNACL = &NACL{Res: Res{Stack: st, Type: "AWS::EC2::NetworkAcl", name: vpc.Name() + ".DefaultNetworkAcl"}, VPC: vpc, Default: true,
			Entries: []*NaclEntry{
				{Number: 100, Allow: true, Proto: -1, Ports: allPorts, CIDR: "0.0.0.0/0", addrs: allAddrs},
				{Number: 100, Egress: true, Allow: true, Proto: -1, Ports: allPorts, CIDR: "0.0.0.0/0", addrs: allAddrs},
			}}
		m.addCIDR(vpc, st, p["CidrBlock"])
		m.VPCs = append(m.VPCs, vpc)
		m.RouteTables = append(m.RouteTables, vpc.MainRT)
		m.NACLs = append(m.NACLs, vpc.DefaultNACL)
	})
	m.each("AWS::EC2::VPCCidrBlock", func(st *Stack, id string, p map[string]any) {
		if p["CidrBlock"] == nil {
			return // IPv6 or IPAM: not modeled
		}
		vpc, err := lookup[*VPC](m, st, p["VpcId"])
		if err != nil {
			m.note("VPCCidrBlock %s: %v", id, err)
			return
		}
		m.addCIDR(vpc, st, p["CidrBlock"])
	})
	m.each("AWS::EC2::InternetGateway", func(st *Stack, id string, p map[string]any) {
		m.IGWs = append(m.IGWs, m.obj(st, id).(*IGW))
	})
	m.each("AWS::EC2::VPCGatewayAttachment", func(st *Stack, id string, p map[string]any) {
		if p["InternetGatewayId"] == nil {
			return // a VPN gateway
		}
		igw, err := lookup[*IGW](m, st, p["InternetGatewayId"])
		if err != nil {
			m.note("VPCGatewayAttachment %s: %v", id, err)
			return
		}
		vpc, err := lookup[*VPC](m, st, p["VpcId"])
		if err != nil {
			m.note("VPCGatewayAttachment %s: %v", id, err)
			return
		}
		vpc.Attachments[igw] = id
	})
	m.each("AWS::EC2::Subnet", func(st *Stack, id string, p map[string]any) {
		sn := m.obj(st, id).(*Subnet)
		m.Subnets = append(m.Subnets, sn)
		vpc, err := lookup[*VPC](m, st, p["VpcId"])
		if err != nil {
			sn.Unknown = fmt.Sprintf("VPC %v", err)
			return
		}
		sn.VPC = vpc
		sn.RouteTable, sn.NACL = vpc.MainRT, vpc.DefaultNACL
		sn.AZ = m.az(st, p["AvailabilityZone"])
		sn.MapPublicIP, _ = p["MapPublicIpOnLaunch"].(bool)
		c, err := m.str(st, p["CidrBlock"])
		if err != nil {
			sn.Unknown = fmt.Sprintf("CIDR %v", err)
			return
		}
		a, err := parseCIDR(c)
		if err != nil {
			sn.Unknown = err.Error()
			return
		}
		sn.CIDR, sn.addrs = c, spans{a}
	})
}

func (m *Model) addCIDR(vpc *VPC, st *Stack, v any) {
	c, err := m.str(st, v)
	if err == nil {
		var a span
		if a, err = parseCIDR(c); err == nil {
			vpc.CIDRs = append(vpc.CIDRs, c)
			vpc.addrs = vpc.addrs.union(spans{a})
			return
		}
	}
	m.note("VPC %s: CIDR %v", vpc.Name(), err)
}

// serviceOf turns an endpoint's ServiceName into the AWS service name,
// "com.amazonaws.<region>.ecr.dkr" -> "ecr.dkr".
var serviceName = regexp.MustCompile(`^(?:com\.amazonaws|aws\.api|aws\.sagemaker)\.(?:[a-z0-9-]+|\$\{AWS::Region\})\.(.+)$`)

func (m *Model) serviceOf(st *Stack, v any) (string, error) {
	st, v, err := m.follow(st, v)
	if err != nil {
		return "", err
	}
	flat := func(x any) (string, bool) {
		if r, ok := asObj(x)["Ref"].(string); ok && r == "AWS::Region" {
			return "${AWS::Region}", true
		}
		s, err := m.str(st, x)
		return s, err == nil
	}
	var s string
	switch x := v.(type) {
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			parts, _ := j[1].([]any)
			var ss []string
			for _, p := range parts {
				f, ok := flat(p)
				if !ok {
					return "", unknownf("service name %s", show(v))
				}
				ss = append(ss, f)
			}
			sep, _ := j[0].(string)
			s = strings.Join(ss, sep)
		} else if sub, ok := x["Fn::Sub"].(string); ok {
			s = sub
		} else {
			return "", unknownf("service name %s", show(v))
		}
	default:
		f, ok := flat(v)
		if !ok {
			return "", unknownf("service name %s", show(v))
		}
		s = f
	}
	if g := serviceName.FindStringSubmatch(s); g != nil {
		return g[1], nil
	}
	return "", unknownf("service name %q is not an AWS service's", s)
}

// publicRoute is the route that makes the subnet public: one to an internet
// gateway attached to its VPC, for public addresses. That is AWS's
// definition of a public subnet; MapPublicIpOnLaunch only decides whether
// an instance launched there gets a public IP by default, and the app's
// public subnets leave it off. nil for a private subnet.
func (sn *Subnet) publicRoute() *Route {
	if sn.VPC == nil || sn.RouteTable == nil {
		return nil
	}
	public := allAddrs.minus(private).minus(sn.VPC.addrs)
	for _, r := range sn.RouteTable.routes() {
		if r.Target != TargetIGW || !r.addrs.overlaps(public) {
			continue
		}
		if _, attached := sn.VPC.Attachments[r.IGW]; attached {
			return r
		}
	}
	return nil
}
