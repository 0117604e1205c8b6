package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The weights check. With a traffic-shifting deploymentStrategy (canary,
// linear, blue-green) the Service stack's production and test listener
// rules forward by weight over the primary and the alternate target group,
// 100/0 in the template. ECS rewrites those weights on every deployment:
// after an odd number of them production forwards 0/100, to the alternate
// group, where the tasks are. CloudFormation does not know: an update that
// modifies or replaces such a rule writes the template's weights back
// (aws/aws-cdk#36649) and sends production to the group without tasks,
// 503s until a deployment moves them. Switching back to rolling, HTTPS on
// or off (the rule moves to another listener: ListenerArn is create-only),
// a new priority or condition all do it. The check compares, for every
// weighted rule of a deployed stack that this deploy changes, the live
// weights (elasticloadbalancing:DescribeRules) with the deployed template's.

// groupWeight is one target group of a weighted forward action.
type groupWeight struct {
	ID     string // the template's logical ID ("" when the live rule names a group the template does not)
	Arn    string // the physical ARN
	Weight int32
}

// weightedRule is what the check found for one weighted rule of a deployed
// stack.
type weightedRule struct {
	Stack, ID, Arn string
	// Role is "production" or "test" (the ECS service's advanced load
	// balancer configuration names them), "" when no service does.
	Role string
	// Template is the deployed template's weights, resolved to ARNs; Live
	// the rule's as the load balancer has them.
	Template, Live []groupWeight
	// Change is how this deploy changes the rule ("" when it does not);
	// Replaced when CloudFormation creates a new rule for it.
	Change   string
	Replaced bool
	// Gone: the new template removes the rule and nothing takes its part.
	Gone     bool
	NotFound bool // no live rule of that ARN
	ReadErr  error
	// Cluster and Service name the ECS service, for the fix.
	Cluster, Service string
	Region, Profile  string
}

// checkWeights checks every weighted listener rule of the deployed stacks
// of the assembly.
func checkWeights(e *env) []Result {
	var results []Result
	deployedAny := false
	for _, s := range e.a.Stacks {
		d := e.deployedStack(s.Name)
		if d.Err != nil {
			results = append(results, Result{Check: "weights", Status: Warn,
				Found: fmt.Sprintf("cannot read the deployed stack %s, so not whether this deploy rewrites weights ECS set on its listener rules: %v", s.Name, shortErr(d.Err)),
				Fix:   "allow cloudformation:DescribeStacks, cloudformation:GetTemplate and cloudformation:ListStackResources on " + s.Name})
			continue
		}
		if d.Stack == nil {
			continue
		}
		deployedAny = true
		for _, w := range weightedRules(s.Name, d, s.Template) {
			w.Region, w.Profile = e.region, e.profile
			if w.Change != "" && !w.Gone {
				w.Live, w.NotFound, w.ReadErr = e.liveWeights(w.Arn, d.Template, d.Resources)
			}
			results = append(results, weightsResult(w))
		}
	}
	if len(results) == 0 {
		found := "no deployed stack of the app has a listener rule that forwards by weight (deploymentStrategy rolling): there are no ECS weights a deploy could reset"
		if !deployedAny {
			found = "no stack of the app is deployed yet: there are no ECS weights a deploy could reset"
		}
		results = append(results, Result{Check: "weights", Status: OK, Found: found})
	}
	return results
}

// weightedRules lists the deployed template's listener rules that forward
// by weight over two or more target groups, and how the new template
// changes each.
func weightedRules(stack string, d *deployed, next Template) []weightedRule {
	old := d.Template
	roles, cluster, service := ruleRoles(old, d.Resources)
	_, newRoles := ruleRolesOf(next)
	var replaced map[string]replacement
	var out []weightedRule
	for _, id := range old.ofType("AWS::ElasticLoadBalancingV2::ListenerRule") {
		tw := forwardWeights(old.Resources[id].Properties, d.Resources)
		if len(tw) < 2 {
			continue
		}
		w := weightedRule{Stack: stack, ID: id, Arn: d.Resources[id], Role: roles[id], Template: tw, Cluster: cluster, Service: service}
		n, ok := next.Resources[id]
		switch {
		case !ok || n.Type != old.Resources[id].Type:
			// The rule goes. Where the new template has another rule in
			// its part, that one is created with the template's weights.
			if newRoles[w.Role] != "" || w.Role == "production" || w.Role == "" {
				w.Change, w.Replaced = fmt.Sprintf("the new template removes it, and CloudFormation creates %s in its place", orNew(newRoles[w.Role])), true
			} else {
				w.Change, w.Gone = "the new template removes it, with no "+w.Role+" rule in its place", true
			}
		default:
			if replaced == nil {
				replaced = replacements(old, next)
			}
			if r := replaced[id]; r.Replaced || r.Maybe {
				w.Change, w.Replaced = "it is replaced: "+r.Why, r.Replaced
				if r.Maybe {
					w.Change = "it may be replaced: " + r.Why
				}
			} else if keys := changedKeys(old.Resources[id].Properties, n.Properties); len(keys) > 0 {
				w.Change = "its " + strings.Join(keys, " and ") + " properties change"
				if len(keys) == 1 {
					w.Change = "its " + keys[0] + " property changes"
				}
			} else {
				for _, ref := range references(n.Properties) {
					if r := replaced[ref]; r.Replaced {
						w.Change = "it refers to " + ref + ", which is replaced"
						break
					}
				}
			}
		}
		out = append(out, w)
	}
	return out
}

func orNew(id string) string {
	if id == "" {
		return "a new rule"
	}
	return id
}

// ruleRoles reads the ECS services' advanced load balancer configuration:
// which rule is production's and which the test listener's, and the
// service's cluster and name for the fix (physical IDs).
func ruleRoles(t Template, phys map[string]string) (roles map[string]string, cluster, service string) {
	roles, _ = ruleRolesOf(t)
	for _, id := range t.ofType("AWS::ECS::Service") {
		p := t.Resources[id].Properties
		if ref := refID(p["Cluster"]); ref != "" {
			cluster = phys[ref]
		} else if s, ok := p["Cluster"].(string); ok {
			cluster = s
		}
		service = phys[id]
		// The physical ID is the service's ARN,
		// arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME.
		service = service[strings.LastIndex(service, "/")+1:]
		if _, ok := p["LoadBalancers"]; ok {
			break
		}
	}
	return roles, cluster, service
}

// ruleRolesOf maps rule logical IDs to their role, and roles to the rule.
func ruleRolesOf(t Template) (byRule, byRole map[string]string) {
	byRule, byRole = map[string]string{}, map[string]string{}
	for _, id := range t.ofType("AWS::ECS::Service") {
		lbs, _ := t.Resources[id].Properties["LoadBalancers"].([]any)
		for _, lb := range lbs {
			m, _ := lb.(map[string]any)
			adv, _ := m["AdvancedConfiguration"].(map[string]any)
			for key, role := range map[string]string{"ProductionListenerRule": "production", "TestListenerRule": "test"} {
				if r := refID(adv[key]); r != "" {
					byRule[r], byRole[role] = role, r
				}
			}
		}
	}
	return byRule, byRole
}

// refID is X of {"Ref": X}, or "".
func refID(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// forwardWeights reads a template rule's weighted forward action, its
// target groups resolved to their physical ARNs.
func forwardWeights(props map[string]any, phys map[string]string) []groupWeight {
	actions, _ := props["Actions"].([]any)
	for _, a := range actions {
		m, _ := a.(map[string]any)
		fc, _ := m["ForwardConfig"].(map[string]any)
		groups, _ := fc["TargetGroups"].([]any)
		if m["Type"] != "forward" || len(groups) == 0 {
			continue
		}
		var out []groupWeight
		for _, g := range groups {
			gm, _ := g.(map[string]any)
			gw := groupWeight{ID: refID(gm["TargetGroupArn"])}
			if gw.ID != "" {
				gw.Arn = phys[gw.ID]
			} else {
				gw.Arn, _ = gm["TargetGroupArn"].(string)
			}
			switch n := gm["Weight"].(type) {
			case float64:
				gw.Weight = int32(n)
			case nil:
				gw.Weight = 1 // ELB's default
			}
			out = append(out, gw)
		}
		return out
	}
	return nil
}

// changedKeys lists the top-level properties whose values differ.
func changedKeys(o, n map[string]any) []string {
	var keys []string
	for k := range o {
		if !sameJSON(o[k], n[k]) {
			keys = append(keys, k)
		}
	}
	for k := range n {
		if _, ok := o[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// liveWeights reads the rule's weights from the load balancer, named after
// the deployed template's target groups.
func (e *env) liveWeights(arn string, t Template, phys map[string]string) ([]groupWeight, bool, error) {
	out, err := e.c.ELB.DescribeRules(e.ctx, &elbv2.DescribeRulesInput{RuleArns: []string{arn}})
	if apiCode(err) == "RuleNotFound" {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(out.Rules) == 0 {
		return nil, true, nil
	}
	names := map[string]string{}
	for _, id := range t.ofType("AWS::ElasticLoadBalancingV2::TargetGroup") {
		names[phys[id]] = id
	}
	var live []groupWeight
	for _, a := range out.Rules[0].Actions {
		if a.Type != "forward" {
			continue
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			for _, g := range a.ForwardConfig.TargetGroups {
				arn := aws.ToString(g.TargetGroupArn)
				live = append(live, groupWeight{ID: names[arn], Arn: arn, Weight: aws.ToInt32(g.Weight)})
			}
		} else if a.TargetGroupArn != nil {
			arn := aws.ToString(a.TargetGroupArn)
			live = append(live, groupWeight{ID: names[arn], Arn: arn, Weight: 1})
		}
		break
	}
	return live, false, nil
}

// shares are a rule's weights as fractions of their sum, by ARN: 100/0 and
// 1/0 forward alike.
func shares(ws []groupWeight) map[string]float64 {
	var total float64
	for _, w := range ws {
		total += float64(w.Weight)
	}
	out := map[string]float64{}
	for _, w := range ws {
		if total > 0 && w.Weight > 0 {
			out[w.Arn] = float64(w.Weight) / total
		}
	}
	return out
}

func sameWeights(a, b []groupWeight) bool {
	sa, sb := shares(a), shares(b)
	if len(sa) != len(sb) {
		return false
	}
	for k, v := range sa {
		if d := v - sb[k]; d > 1e-9 || d < -1e-9 {
			return false
		}
	}
	return true
}

// weightsText is "100/0 (TargetGroup3D7CD9B8 100, TrafficAlternate… 0)":
// the weights in the template's order (primary/alternate), then by group.
func weightsText(order, ws []groupWeight) string {
	nums, groups := weightsParts(order, ws)
	return nums + " (" + groups + ")"
}

// weightsParts is weightsText's two parts.
func weightsParts(order, ws []groupWeight) (nums, groups string) {
	by := map[string]int32{}
	seen := map[string]bool{}
	for _, w := range ws {
		by[w.Arn] += w.Weight
	}
	var ns, parts []string
	for _, o := range order {
		ns = append(ns, fmt.Sprint(by[o.Arn]))
		parts = append(parts, fmt.Sprintf("%s %d", o.ID, by[o.Arn]))
		seen[o.Arn] = true
	}
	for _, w := range ws {
		if !seen[w.Arn] {
			ns = append(ns, fmt.Sprint(w.Weight))
			parts = append(parts, fmt.Sprintf("%s %d", w.Arn, w.Weight))
			seen[w.Arn] = true
		}
	}
	return strings.Join(ns, "/"), strings.Join(parts, ", ")
}

// heavy is the group that takes all of a rule's traffic, or "" when the
// traffic is split (a deployment is shifting it, or was stopped mid-way).
func heavy(ws []groupWeight) string {
	for arn, s := range shares(ws) {
		if s > 1-1e-9 {
			return arn
		}
	}
	return ""
}

// weightsResult is the line for one weighted rule.
func weightsResult(w weightedRule) Result {
	r := Result{Check: "weights"}
	role := w.Role
	if role == "" {
		role = "weighted"
	}
	rule := fmt.Sprintf("the %s rule %s of %s", role, w.ID, w.Stack)
	tmpl := weightsText(w.Template, w.Template)
	switch {
	case w.Change == "":
		r.Status, r.Found = OK, fmt.Sprintf("%s forwards by weight, and this deploy does not change it: CloudFormation leaves the weights ECS set alone", rule)
	case w.Gone:
		r.Status, r.Found = OK, fmt.Sprintf("%s: %s; no traffic goes through it after the deploy", rule, w.Change)
	case w.ReadErr != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s changes in this deploy (%s), which writes the template's weights %s; cannot read the weights ECS set on it: %v", rule, w.Change, tmpl, short(w.ReadErr))
		r.Fix = fmt.Sprintf("allow elasticloadbalancing:DescribeRules, or read them yourself: aws elbv2 describe-rules --rule-arns %s --region %s%s", w.Arn, w.Region, profileFlag(w.Profile))
	case w.NotFound:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s changes in this deploy (%s), but the load balancer has no rule %s: it was deleted outside CloudFormation, and the deploy may fail on it", rule, w.Change, w.Arn)
		r.Fix = fmt.Sprintf("check the listener's rules: aws elbv2 describe-rules --rule-arns %s --region %s%s", w.Arn, w.Region, profileFlag(w.Profile))
	case sameWeights(w.Live, w.Template):
		r.Status = OK
		r.Found = fmt.Sprintf("%s changes in this deploy (%s), and its live weights are the deployed template's, %s: the rewrite moves no traffic", rule, w.Change, weightsText(w.Template, w.Live))
	default:
		nums, groups := weightsParts(w.Template, w.Live)
		var where string
		if h := heavy(w.Live); h != "" {
			name := h
			for _, g := range append(w.Live, w.Template...) {
				if g.Arn == h && g.ID != "" {
					name = g.ID
				}
			}
			where = fmt.Sprintf("ECS's last deployment left the traffic on %s", name)
		} else {
			where = "a deployment is shifting the traffic now (or was stopped mid-way)"
		}
		verb := "modifies it"
		if w.Replaced {
			verb = "replaces it with a new rule"
		}
		r.Found = fmt.Sprintf("%s forwards %s live (%s: %s), and the deployed template says %s; this deploy %s (%s), and CloudFormation writes the template's weights (aws/aws-cdk#36649)",
			rule, nums, groups, where, tmpl, verb, w.Change)
		if w.Role == "test" {
			r.Status = Warn
			r.Found += ": the test listener would send its requests (the pre-traffic checks) to the group without the tasks until the next deployment"
		} else {
			r.Status = Fail
			r.Found += ": production requests would go to the group without the tasks, and answer 503 until a deployment moves them"
		}
		r.Fix = weightsFix(w)
	}
	return r
}

// weightsFix: a deployment of the running revision first. ECS starts it in
// the group production is not on and shifts production there, so once it
// has finished the live weights are the template's again, and the deploy's
// rewrite of them moves nothing. Deploying without the rule change first
// would not help: the weights stay as ECS left them.
func weightsFix(w weightedRule) string {
	primary := w.Template[0].ID
	for _, g := range w.Template {
		if g.Weight > 0 {
			primary = g.ID
			break
		}
	}
	nums, _ := weightsParts(w.Template, w.Template)
	cluster, service := w.Cluster, w.Service
	if cluster == "" {
		cluster = "CLUSTER"
	}
	if service == "" {
		service = "SERVICE"
	}
	return fmt.Sprintf("run a deployment of the running revision first, so that ECS moves the traffic back to %s (the template's %s): "+
		"aws ecs update-service --cluster %s --service %s --force-new-deployment --region %s%s; "+
		"when it has finished (its whole rollout and bake; wait for a deployment in progress to end first, and run one more if that one leaves the traffic on the alternate group), "+
		"make preflight again, which passes once the rule's live weights are %s, then deploy (docs/deployments.md, Switching strategies on a running environment, and ECS's weights)",
		primary, weightsText(w.Template, w.Template), cluster, service, w.Region, profileFlag(w.Profile), nums)
}
