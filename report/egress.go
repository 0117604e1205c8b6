package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Egress modes, named as the app's `egress` setting names them.
const (
	ModeNat       = "nat"
	ModeNatPerAz  = "nat-per-az"
	ModeEndpoints = "endpoints"
	// ModeNatInstance is one EC2 instance doing NAT.
	ModeNatInstance = "nat-instance"
	// ModeNone is a VPC whose private subnets have neither.
	ModeNone = "none"
)

// requiredEndpoints are the interface endpoints tasks need in the endpoints
// mode: the ECR API and registry and CloudWatch Logs (S3 is the free
// gateway endpoint). It mirrors config.InterfaceEndpoints, which adds
// secretsmanager and ssm for secrets kept there and ssmmessages for ECS Exec;
// the report reads those from the task definition and the service.
var requiredEndpoints = []string{"ecr.api", "ecr.dkr", "logs"}

// defaultNatInstanceType and natInstanceRootGiB are the app's NAT
// instance when the templates have none to read them from: the
// natInstanceType setting's default, and constructs.NatInstanceRootVolumeGiB
// (report_app_test.go checks both against the app).
const (
	defaultNatInstanceType = "t4g.nano"
	natInstanceRootGiB     = 8
)

// trafficExamples are the monthly traffic figures each mode is shown at.
var trafficExamples = []float64{0, 100, 1000}

// Egress compares the same app under each egress mode: only the NAT
// gateways, their addresses and the interface endpoints change.
type Egress struct {
	Current          string       `json:"current"`
	AZs              int          `json:"azs"`
	EndpointServices []string     `json:"endpoint_services"`
	Modes            []EgressMode `json:"modes"`
	BreakEven        []BreakEven  `json:"break_even"`
	Assumptions      []string     `json:"assumptions"`
}

// EgressMode is the app's cost under one egress mode.
type EgressMode struct {
	Mode         string  `json:"mode"`
	NATGateways  int     `json:"nat_gateways"`
	NATInstances int     `json:"nat_instances"`
	EndpointAZs  int     `json:"interface_endpoint_azs"`
	PublicIPv4   int     `json:"public_ipv4"`
	Fixed        float64 `json:"egress_monthly_usd"`
	// PerGB is the charge per GB of the tasks' egress traffic.
	PerGB float64 `json:"per_gb_usd"`
	// AppMonthly is the whole app at idle with this mode.
	AppMonthly float64   `json:"app_monthly_usd"`
	AtTraffic  []Traffic `json:"at_traffic"`
}

// Traffic is the app's monthly cost at a monthly egress traffic.
type Traffic struct {
	GB      float64 `json:"gb"`
	Monthly float64 `json:"monthly_usd"`
}

// BreakEven says from which monthly traffic one mode is cheaper than
// another. AboveGB is nil when Cheaper is cheaper (or as cheap) at any
// traffic.
type BreakEven struct {
	Cheaper string   `json:"cheaper"`
	Than    string   `json:"than"`
	AboveGB *float64 `json:"above_gb,omitempty"`
	Text    string   `json:"text"`
}

// compareEgress builds the comparison from the priced stacks, or returns
// nil when the app has no VPC.
func compareEgress(stacks []Stack, costs []StackCost, total float64, prices Prices) *Egress {
	azs := map[string]bool{}
	hasVPC := false
	var services []string
	secretsManager, ssm, exec := false, false, false
	for _, st := range stacks {
		for _, r := range st.Template.Resources {
			switch r.Type {
			case "AWS::EC2::VPC":
				hasVPC = true
			case "AWS::EC2::Subnet":
				b, _ := json.Marshal(r.Properties["AvailabilityZone"])
				azs[string(b)] = true
			case "AWS::EC2::VPCEndpoint":
				if text(r.Properties["VpcEndpointType"]) == "Interface" {
					services = append(services, endpointService(r.Properties["ServiceName"]))
				}
			case "AWS::ECS::TaskDefinition":
				cds, _ := list(r.Properties["ContainerDefinitions"])
				for _, cd := range cds {
					secrets, _ := list(object(cd)["Secrets"])
					for _, s := range secrets {
						arn := flatten(object(s)["ValueFrom"])
						secretsManager = secretsManager || strings.Contains(arn, ":secretsmanager:")
						ssm = ssm || strings.Contains(arn, ":ssm:") || strings.Contains(arn, ":parameter/")
					}
				}
			case "AWS::ECS::Service":
				exec = exec || r.Properties["EnableExecuteCommand"] == true
			}
		}
	}
	if !hasVPC {
		return nil
	}
	nAZ := max(len(azs), 1)

	var nats, natInstances, endpointAZs, currentFixed float64
	// The NAT instance row prices the app's own NAT instance, or the
	// default one: a t4g.nano with the root volume the app gives it.
	instanceKey, rootGB := ec2Key(defaultNatInstanceType), float64(natInstanceRootGiB)
	for _, sc := range costs {
		for _, it := range sc.Items {
			if !it.egress {
				continue
			}
			currentFixed += it.Monthly
			switch {
			case it.Price == pNATHour:
				nats += it.Count
			case it.Price == pEndpointAZHour:
				endpointAZs += it.Count
			case it.natInstance && strings.HasPrefix(it.Price, "ec2_"):
				natInstances += it.Count
				instanceKey = it.Price
			case it.natInstance && it.Price == pEBSgp3:
				rootGB = it.Count
			}
		}
	}
	current := ModeNone
	switch {
	case nats == 1 && nAZ > 1:
		current = ModeNat
	case nats >= 1:
		current = ModeNatPerAz
	case natInstances >= 1:
		current = ModeNatInstance
	case endpointAZs > 0:
		current = ModeEndpoints
	}
	if current != ModeEndpoints {
		services = slices.Clone(requiredEndpoints)
		if secretsManager {
			services = append(services, "secretsmanager")
		}
		if ssm {
			services = append(services, "ssm")
		}
		if exec {
			services = append(services, "ssmmessages")
		}
	}
	slices.Sort(services)
	services = slices.Compact(services)

	h := prices.hours()
	base := total - currentFixed
	natGB := prices.usd(pNATGB)
	// With one NAT, the traffic of the other AZs crosses to it: $0.01/GB
	// out of one AZ and $0.01/GB into the other.
	crossShare := float64(nAZ-1) / float64(nAZ)
	mode := func(name string, natCount, instances, epAZs int, perGB float64) EgressMode {
		fixed := float64(natCount)*prices.usd(pNATHour)*h +
			float64(natCount+instances)*prices.usd(pIPv4Hour)*h +
			float64(instances)*(prices.usd(instanceKey)*h+rootGB*prices.usd(pEBSgp3)) +
			float64(epAZs)*prices.usd(pEndpointAZHour)*h
		m := EgressMode{Mode: name, NATGateways: natCount, NATInstances: instances, EndpointAZs: epAZs, PublicIPv4: natCount + instances,
			Fixed: round6(fixed), PerGB: round6(perGB), AppMonthly: round6(base + fixed)}
		for _, gb := range trafficExamples {
			m.AtTraffic = append(m.AtTraffic, Traffic{GB: gb, Monthly: round6(base + fixed + gb*perGB)})
		}
		return m
	}
	e := &Egress{
		Current:          current,
		AZs:              nAZ,
		EndpointServices: services,
		Modes: []EgressMode{
			mode(ModeNat, 1, 0, 0, natGB+crossShare*2*prices.usd(pInterAZGB)),
			mode(ModeNatPerAz, nAZ, 0, 0, natGB),
			mode(ModeEndpoints, 0, 0, len(services)*nAZ, prices.usd(pEndpointGB)),
			// No charge per GB processed: only the other AZs' crossing.
			mode(ModeNatInstance, 0, 1, 0, crossShare*2*prices.usd(pInterAZGB)),
		},
		Assumptions: []string{
			"Traffic is the GB a month between the tasks and ECR (API and registry), CloudWatch Logs and, with a NAT, the internet. Image layers come from S3 through the free gateway endpoint in every mode.",
			fmt.Sprintf("Tasks are spread evenly over %d AZs: with one NAT, %s of the traffic crosses AZs at %s/GB each way.", nAZ, percent(crossShare), dollars(prices.usd(pInterAZGB))),
			fmt.Sprintf("The NAT instance is one %s (%s an hour) with its public IPv4 address and a %s GB gp3 root volume; it bills no GB processed, only the cross-AZ share like one NAT gateway. It is a single instance without failover, and its network bandwidth is its instance type's (a t4g.nano: a 32 Mbit/s baseline, bursts to 5 Gbit/s), so heavy traffic needs a larger natInstanceType.",
				strings.TrimSuffix(strings.ReplaceAll(strings.TrimPrefix(instanceKey, "ec2_"), "_", "."), ".hour"), dollars(prices.usd(instanceKey)), num(rootGB)),
			"Interface endpoints are reached in the task's own AZ.",
			"The endpoints mode has no internet access at all: it fits only an app that talks to nothing outside AWS.",
			"Everything else in the app is the same in every mode.",
		},
	}
	for i := range e.Modes {
		for j := i + 1; j < len(e.Modes); j++ {
			e.BreakEven = append(e.BreakEven, breakEven(e.Modes[i], e.Modes[j]))
		}
	}
	return e
}

// breakEven compares two modes' fixed + perGB × traffic lines.
func breakEven(a, b EgressMode) BreakEven {
	// Make a the one cheaper with no traffic.
	if b.Fixed < a.Fixed || (b.Fixed == a.Fixed && b.PerGB < a.PerGB) {
		a, b = b, a
	}
	if b.PerGB >= a.PerGB {
		return BreakEven{Cheaper: a.Mode, Than: b.Mode, Text: fmt.Sprintf("%s is cheaper than %s at any traffic", a.Mode, b.Mode)}
	}
	gb := round6((b.Fixed - a.Fixed) / (a.PerGB - b.PerGB))
	return BreakEven{Cheaper: b.Mode, Than: a.Mode, AboveGB: &gb,
		Text: fmt.Sprintf("%s is cheaper than %s above %s GB a month (%s fixed vs %s, %s/GB vs %s/GB)",
			b.Mode, a.Mode, num(math.Round(gb*10)/10), dollars(b.Fixed), dollars(a.Fixed), dollars(b.PerGB), dollars(a.PerGB))}
}

func percent(x float64) string { return num(math.Round(x*1000)/10) + " %" }
