package config

import "fmt"

// Warnings are choices the configuration allows that trade robustness for
// cost, or settings that have no effect: each names the key path, what it
// risks and where the docs say more. `cdk synth` prints them; they stop
// nothing.
func (c Config) Warnings() []string {
	var out []string
	warn := func(key, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", c.path(key), fmt.Sprintf(format, args...)))
	}
	n, s := c.Network, c.Service
	if n.Egress == EgressNatInstance {
		warn("egress", "%q is a single EC2 instance without failover: when it stops, is replaced (a deploy after AWS publishes a new Amazon Linux image) or its AZ fails, the tasks lose ECR, CloudWatch Logs and the internet until it is back; use \"nat\" or \"nat-per-az\" where that matters (docs/network.md)", n.Egress)
	}
	if _, set := c.origin["natInstanceType"]; set && n.Egress != EgressNatInstance {
		warn("natInstanceType", "%q has no effect: egress is %q, not \"nat-instance\"", n.NatInstanceType, n.Egress)
	}
	if _, set := c.origin["allowSingleNatInstanceInProd"]; set && c.Environment != ProductionEnvironment {
		warn("allowSingleNatInstanceInProd", "has no effect outside the %q environment", ProductionEnvironment)
	}
	if s.Capacity == CapacitySpot && c.Environment == ProductionEnvironment {
		warn("capacity", "%q puts every production task on Fargate Spot: AWS may take them back at the same time, and there is no fallback to on-demand while Spot has no capacity; \"mixed\" keeps onDemandBaseCount tasks on-demand (docs/service.md)", s.Capacity)
	}
	if _, set := c.origin["onDemandBaseCount"]; set && s.Capacity != CapacityMixed {
		warn("onDemandBaseCount", "%d has no effect: capacity is %q, not \"mixed\"", s.OnDemandBaseCount, s.Capacity)
	}
	return out
}
