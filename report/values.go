package report

import (
	"math"
	"strconv"
	"strings"
)

// Template values come as JSON numbers, as strings ("512"), or as intrinsic
// functions ({"Ref": …}) the report cannot evaluate. These helpers read the
// first two and say "not known" for the rest, so no guess passes for a fact.

// number reads a number or a numeric string.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// integer reads a whole number or a string holding one.
func integer(v any) (int, bool) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

// text reads a plain string.
func text(v any) string {
	s, _ := v.(string)
	return s
}

// object reads a JSON object.
func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list reads a JSON array.
func list(v any) ([]any, bool) {
	l, ok := v.([]any)
	return l, ok
}

// refID returns the logical ID in {"Ref": ID} or {"Fn::GetAtt": [ID, …]}.
func refID(v any) string {
	m := object(v)
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		return text(ga[0])
	}
	return ""
}

// flatten renders a string value, joining Fn::Join parts and writing any
// other intrinsic as "{}", so a service name or an ARN can be recognized
// without evaluating the template.
func flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep := text(j[0])
			parts, _ := list(j[1])
			out := make([]string, 0, len(parts))
			for _, p := range parts {
				out = append(out, flatten(p))
			}
			return strings.Join(out, sep)
		}
		if s, ok := x["Fn::Sub"].(string); ok {
			return s
		}
	}
	return "{}"
}

// round6 keeps six decimals: enough for any price times any count, and JSON
// shows 16.425 instead of 16.424999999999997.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// taskCount is how many tasks an ECS service runs at idle: its DesiredCount
// when the template sets one, otherwise the MinCapacity of the scalable
// target that manages it (autoscaling owns the count, and keeps it at its
// minimum when idle), otherwise CloudFormation's default of 1 for a new
// service. source says which it was.
func taskCount(tm Template, serviceID string) (n int, source string, ok bool) {
	p := tm.Resources[serviceID].Properties
	if v, set := p["DesiredCount"]; set {
		n, ok := integer(v)
		return n, "DesiredCount", ok
	}
	for _, r := range tm.Resources {
		if r.Type != "AWS::ApplicationAutoScaling::ScalableTarget" || text(r.Properties["ScalableDimension"]) != "ecs:service:DesiredCount" {
			continue
		}
		if !mentions(r.Properties["ResourceId"], serviceID) {
			continue
		}
		n, ok := integer(r.Properties["MinCapacity"])
		return n, "autoscaling minimum", ok
	}
	return 1, "CloudFormation's default for a new service", true
}

// mentions reports whether a template value refers to a logical ID, through
// Ref or Fn::GetAtt anywhere inside it.
func mentions(v any, id string) bool {
	switch x := v.(type) {
	case map[string]any:
		if refID(x) == id {
			return true
		}
		for _, e := range x {
			if mentions(e, id) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if mentions(e, id) {
				return true
			}
		}
	}
	return false
}
