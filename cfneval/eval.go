// Package cfneval evaluates the intrinsic functions of synthesized
// CloudFormation templates as one deploy would: in one region, partition
// and account, across the stacks of an assembly (Fn::ImportValue resolves
// to the exporting stack's value). Tests use it to check what AWS resolves
// at deploy time rather than what the CDK wrote: a Fn::FindInMap that has no
// entry for a region, a condition that cannot be decided, a policy that
// does not admit the service that must use it.
//
// What only CloudFormation knows (a resource's physical ID, an attribute, an
// SSM parameter's value) evaluates to a marker string, {{Stack/LogicalID}}
// or {{Stack/LogicalID.Attribute}}, unless Env.Physical names it.
package cfneval

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Stack is one template of an assembly. ID is the CDK construct ID
// (Network, Service, ...), Name the CloudFormation stack name.
type Stack struct {
	ID, Name string
	Template map[string]any
}

// Section returns a top-level section of the template (Resources,
// Conditions, Mappings, Outputs, Parameters), empty when absent.
func (s *Stack) Section(name string) map[string]any {
	m, _ := s.Template[name].(map[string]any)
	return m
}

// Resource returns a resource by logical ID, nil when absent.
func (s *Stack) Resource(id string) map[string]any {
	r, _ := s.Section("Resources")[id].(map[string]any)
	return r
}

// Assembly is the stacks of one deploy.
type Assembly struct {
	Stacks []*Stack
}

// Stack returns the stack with the construct ID or stack name, nil when
// there is none.
func (a *Assembly) Stack(idOrName string) *Stack {
	for _, s := range a.Stacks {
		if s.ID == idOrName || s.Name == idOrName {
			return s
		}
	}
	return nil
}

// Env is where a deploy happens.
type Env struct {
	Region, Partition, Account string
	// Physical, when set, gives the value CloudFormation would return for
	// Ref (attr "") or Fn::GetAtt of a resource; ok false leaves a marker.
	Physical func(s *Stack, logicalID, attr string) (value string, ok bool)
}

// URLSuffix is AWS::URLSuffix of the partition.
func (e Env) URLSuffix() string {
	if e.Partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// Evaluator evaluates expressions of an assembly in one Env.
type Evaluator struct {
	a     *Assembly
	env   Env
	conds map[string]bool // by stack ID + "/" + condition name
	busy  map[string]bool // conditions being evaluated, to catch cycles
}

// In returns an evaluator of the assembly's templates deployed in env.
func (a *Assembly) In(env Env) *Evaluator {
	return &Evaluator{a: a, env: env, conds: map[string]bool{}, busy: map[string]bool{}}
}

// noValue is what {"Ref": "AWS::NoValue"} evaluates to; lists and objects
// drop it, as CloudFormation drops the property or element.
type noValue struct{}

// IsNoValue reports whether v is AWS::NoValue.
func IsNoValue(v any) bool { _, ok := v.(noValue); return ok }

// Marker is the string an unresolved resource reference evaluates to.
func Marker(stackID, logicalID, attr string) string {
	if attr != "" {
		return "{{" + stackID + "/" + logicalID + "." + attr + "}}"
	}
	return "{{" + stackID + "/" + logicalID + "}}"
}

var markerRe = regexp.MustCompile(`^\{\{([^/{}]+)/([^.{}]+)(?:\.([^{}]+))?\}\}$`)

// ParseMarker splits a string that is exactly one marker.
func ParseMarker(s string) (stackID, logicalID, attr string, ok bool) {
	m := markerRe.FindStringSubmatch(s)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// HasMarker reports whether s holds an unresolved part.
func HasMarker(s string) bool { return strings.Contains(s, "{{") }

// LookupError is a Fn::FindInMap that CloudFormation would reject: the
// mapping has no such key and the lookup gives no DefaultValue.
type LookupError struct {
	Mapping string
	Keys    []string
}

func (e *LookupError) Error() string {
	return fmt.Sprintf("Fn::FindInMap: mapping %s has no %s and the lookup has no DefaultValue", e.Mapping, strings.Join(e.Keys, "/"))
}

// UnknownError is a value only the deploy knows, such as a condition on a
// parameter's value: not a failure of the template.
type UnknownError struct{ What string }

func (e *UnknownError) Error() string { return e.What + ": only known at deploy time" }

// Condition evaluates a named condition of a stack.
func (e *Evaluator) Condition(s *Stack, name string) (bool, error) {
	key := s.ID + "/" + name
	if v, ok := e.conds[key]; ok {
		return v, nil
	}
	expr, ok := s.Section("Conditions")[name]
	if !ok {
		return false, fmt.Errorf("condition %s: not in the template", name)
	}
	if e.busy[key] {
		return false, fmt.Errorf("condition %s: refers to itself", name)
	}
	e.busy[key] = true
	defer delete(e.busy, key)
	v, err := e.Value(s, expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s: evaluates to %v, not a boolean", name, v)
	}
	e.conds[key] = b
	return b, nil
}

// Created reports whether a resource is created: its Condition holds, or it
// has none.
func (e *Evaluator) Created(s *Stack, logicalID string) (bool, error) {
	r := s.Resource(logicalID)
	if r == nil {
		return false, fmt.Errorf("resource %s: not in the template", logicalID)
	}
	name, _ := r["Condition"].(string)
	if name == "" {
		return true, nil
	}
	return e.Condition(s, name)
}

// Value evaluates an expression of stack s. Lists and objects are evaluated
// element by element; AWS::NoValue drops the element.
func (e *Evaluator) Value(s *Stack, expr any) (any, error) {
	switch x := expr.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for i, el := range x {
			v, err := e.Value(s, el)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if !IsNoValue(v) {
				out = append(out, v)
			}
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return e.intrinsic(s, k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, el := range x {
			v, err := e.Value(s, el)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if !IsNoValue(v) {
				out[k] = v
			}
		}
		return out, nil
	}
	return expr, nil
}

// String evaluates an expression that must give a string.
func (e *Evaluator) String(s *Stack, expr any) (string, error) {
	v, err := e.Value(s, expr)
	if err != nil {
		return "", err
	}
	return str(v)
}

func str(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case opaque:
		return "{{Fn::Split " + string(x) + "}}", nil
	}
	return "", fmt.Errorf("%v is not a string", v)
}

func args(fn string, arg any, n ...int) ([]any, error) {
	list, ok := arg.([]any)
	if !ok || !slices.Contains(n, len(list)) {
		return nil, fmt.Errorf("%s takes a list of %v arguments, got %v", fn, n, arg)
	}
	return list, nil
}

// evalArgs evaluates the n arguments of fn.
func (e *Evaluator) evalArgs(s *Stack, fn string, arg any, n int) ([]any, error) {
	list, err := args(fn, arg, n)
	if err != nil {
		return nil, err
	}
	out := make([]any, n)
	for i, a := range list {
		if out[i], err = e.Value(s, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (e *Evaluator) intrinsic(s *Stack, fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref of %v", arg)
		}
		return e.ref(s, name, "")
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("Fn::GetAtt of %v", arg)
			}
			id, _ = a[0].(string)
			var err error
			if attr, err = e.String(s, a[1]); err != nil {
				return nil, fmt.Errorf("Fn::GetAtt: %w", err)
			}
		case string:
			id, attr, _ = strings.Cut(a, ".")
		}
		if s.Resource(id) == nil {
			return nil, fmt.Errorf("Fn::GetAtt of %s: no such resource", id)
		}
		return e.ref(s, id, attr)
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Condition of %v", arg)
		}
		return e.Condition(s, name)
	case "Fn::Equals":
		v, err := e.evalArgs(s, fn, arg, 2)
		if err != nil {
			return nil, err
		}
		a, b := v[0], v[1]
		as, aerr := str(a)
		bs, berr := str(b)
		if aerr == nil && berr == nil {
			if HasMarker(as) || HasMarker(bs) {
				return nil, &UnknownError{fmt.Sprintf("Fn::Equals of %q and %q", as, bs)}
			}
			return as == bs, nil
		}
		return fmt.Sprint(a) == fmt.Sprint(b), nil
	case "Fn::Not", "Fn::And", "Fn::Or":
		n := []int{1}
		if fn != "Fn::Not" {
			n = []int{2, 3, 4, 5, 6, 7, 8, 9, 10}
		}
		list, err := args(fn, arg, n...)
		if err != nil {
			return nil, err
		}
		var bs []bool
		for _, el := range list {
			v, err := e.Value(s, el)
			if err != nil {
				return nil, err
			}
			b, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("%s of %v: not a condition", fn, v)
			}
			bs = append(bs, b)
		}
		switch fn {
		case "Fn::Not":
			return !bs[0], nil
		case "Fn::And":
			return !slices.Contains(bs, false), nil
		}
		return slices.Contains(bs, true), nil
	case "Fn::If":
		list, err := args(fn, arg, 3)
		if err != nil {
			return nil, err
		}
		name, ok := list[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::If on %v", list[0])
		}
		b, err := e.Condition(s, name)
		if err != nil {
			return nil, err
		}
		if b {
			return e.Value(s, list[1])
		}
		return e.Value(s, list[2])
	case "Fn::FindInMap":
		return e.findInMap(s, arg)
	case "Fn::Join":
		v, err := e.evalArgs(s, fn, arg, 2)
		if err != nil {
			return nil, err
		}
		sep, err := str(v[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Join: %w", err)
		}
		parts, ok := v[1].([]any)
		if !ok {
			if o, ok := v[1].(opaque); ok {
				return "{{Fn::Join " + string(o) + "}}", nil
			}
			return nil, fmt.Errorf("Fn::Join of %v: not a list", v[1])
		}
		ss := make([]string, len(parts))
		for i, p := range parts {
			if ss[i], err = str(p); err != nil {
				return nil, fmt.Errorf("Fn::Join: %w", err)
			}
		}
		return strings.Join(ss, sep), nil
	case "Fn::Split":
		v, err := e.evalArgs(s, fn, arg, 2)
		if err != nil {
			return nil, err
		}
		sep, err := str(v[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Split: %w", err)
		}
		src, err := str(v[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Split: %w", err)
		}
		if HasMarker(src) {
			// The parts of an unknown value are unknown too.
			return opaqueList(src), nil
		}
		var out []any
		for _, p := range strings.Split(src, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		v, err := e.evalArgs(s, fn, arg, 2)
		if err != nil {
			return nil, err
		}
		is, err := str(v[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: %w", err)
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index %q: %w", is, err)
		}
		if o, ok := v[1].(opaque); ok {
			return fmt.Sprintf("{{Fn::Select %d of %s}}", i, string(o)), nil
		}
		items, ok := v[1].([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Select from %v: not a list", v[1])
		}
		if i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select index %d of a list of %d", i, len(items))
		}
		return items[i], nil
	case "Fn::Sub":
		return e.sub(s, arg)
	case "Fn::ImportValue":
		name, err := e.String(s, arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::ImportValue: %w", err)
		}
		return e.importValue(name)
	case "Fn::GetStackOutput":
		m, _ := arg.(map[string]any)
		sn, err := e.String(s, m["StackName"])
		if err != nil {
			return nil, err
		}
		on, err := e.String(s, m["OutputName"])
		if err != nil {
			return nil, err
		}
		src := e.a.Stack(sn)
		if src == nil {
			return nil, fmt.Errorf("Fn::GetStackOutput: no stack %q in the assembly", sn)
		}
		out, ok := src.Section("Outputs")[on].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Fn::GetStackOutput: stack %s has no output %q", sn, on)
		}
		return e.Value(src, out["Value"])
	case "Fn::GetAZs":
		return []any{e.env.Region + "a", e.env.Region + "b", e.env.Region + "c"}, nil
	case "Fn::Base64":
		v, err := e.String(s, arg)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(v)), nil
	case "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll", "Fn::Cidr", "Fn::Length", "Fn::ToJsonString", "Fn::Transform":
		return "{{" + fn + "}}", nil
	}
	return nil, fmt.Errorf("%s: not an intrinsic function this evaluator knows", fn)
}

// opaque is a list whose elements are only known at deploy time.
type opaque string

func opaqueList(src string) opaque { return opaque(src) }

func (e *Evaluator) ref(s *Stack, name, attr string) (any, error) {
	if attr == "" {
		switch name {
		case "AWS::Region":
			return e.env.Region, nil
		case "AWS::Partition":
			return e.env.Partition, nil
		case "AWS::AccountId":
			return e.env.Account, nil
		case "AWS::URLSuffix":
			return e.env.URLSuffix(), nil
		case "AWS::NoValue":
			return noValue{}, nil
		case "AWS::StackName":
			return s.Name, nil
		case "AWS::StackId":
			return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/{{id}}", e.env.Partition, e.env.Region, e.env.Account, s.Name), nil
		case "AWS::NotificationARNs":
			return []any{}, nil
		}
		if p, ok := s.Section("Parameters")[name].(map[string]any); ok {
			typ, _ := p["Type"].(string)
			if d, ok := p["Default"]; ok && !strings.HasPrefix(typ, "AWS::SSM::") {
				return d, nil
			}
			return Marker(s.ID, name, ""), nil
		}
	}
	if s.Resource(name) == nil {
		return nil, fmt.Errorf("Ref of %s: no such resource, parameter or pseudo parameter", name)
	}
	if e.env.Physical != nil {
		if v, ok := e.env.Physical(s, name, attr); ok {
			return v, nil
		}
	}
	return Marker(s.ID, name, attr), nil
}

func (e *Evaluator) findInMap(s *Stack, arg any) (any, error) {
	list, err := args("Fn::FindInMap", arg, 3, 4)
	if err != nil {
		return nil, err
	}
	var def any
	hasDefault := false
	if len(list) == 4 {
		opts, _ := list[3].(map[string]any)
		if def, hasDefault = opts["DefaultValue"]; !hasDefault {
			return nil, fmt.Errorf("Fn::FindInMap: the fourth argument has no DefaultValue: %v", list[3])
		}
	}
	keys := make([]string, 3)
	for i := range keys {
		if keys[i], err = e.String(s, list[i]); err != nil {
			return nil, fmt.Errorf("Fn::FindInMap key %d: %w", i, err)
		}
	}
	mapping, ok := s.Section("Mappings")[keys[0]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: no mapping %s", keys[0])
	}
	top, _ := mapping[keys[1]].(map[string]any)
	v, ok := top[keys[2]]
	if !ok {
		if hasDefault {
			return e.Value(s, def)
		}
		return nil, &LookupError{Mapping: keys[0], Keys: keys[1:]}
	}
	return v, nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (e *Evaluator) sub(s *Stack, arg any) (any, error) {
	var tmpl string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub of %v", arg)
		}
		tmpl, _ = a[0].(string)
		m, _ := a[1].(map[string]any)
		for k, v := range m {
			ev, err := e.Value(s, v)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = ev
		}
	default:
		return nil, fmt.Errorf("Fn::Sub of %v", arg)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v any
		var err error
		if val, ok := vars[name]; ok {
			v = val
		} else if id, attr, ok := strings.Cut(name, "."); ok {
			v, err = e.ref(s, id, attr)
		} else {
			v, err = e.ref(s, name, "")
		}
		if err == nil {
			var sv string
			if sv, err = str(v); err == nil {
				return sv
			}
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		return m
	})
	return out, firstErr
}

func (e *Evaluator) importValue(name string) (any, error) {
	for _, st := range e.a.Stacks {
		for _, o := range st.Section("Outputs") {
			out, _ := o.(map[string]any)
			exp, _ := out["Export"].(map[string]any)
			if exp == nil {
				continue
			}
			n, err := e.String(st, exp["Name"])
			if err != nil || n != name {
				continue
			}
			return e.Value(st, out["Value"])
		}
	}
	return nil, fmt.Errorf("Fn::ImportValue %q: no stack of the assembly exports it", name)
}

// Lookup is one Fn::FindInMap of a template, wherever it stands (also in
// a branch of Fn::If that a region does not take, since CloudFormation
// resolves mappings before it picks branches).
type Lookup struct {
	Path string // where it stands, e.g. Resources/Bucket/Properties/...
	Expr any    // the Fn::FindInMap object
}

// Lookups lists every Fn::FindInMap of a stack's Resources, Outputs and
// Conditions.
func Lookups(s *Stack) []Lookup {
	var out []Lookup
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["Fn::FindInMap"]; ok && len(x) == 1 {
				out = append(out, Lookup{Path: path, Expr: x})
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(path+"/"+k, x[k])
			}
		case []any:
			for i, el := range x {
				walk(fmt.Sprintf("%s/%d", path, i), el)
			}
		}
	}
	for _, sec := range []string{"Conditions", "Resources", "Outputs"} {
		walk(sec, s.Template[sec])
	}
	return out
}

// Check evaluates, in the evaluator's Env, everything of a stack that
// CloudFormation resolves before it creates anything: every condition, and
// every Fn::FindInMap (its keys may use Ref, and a missing key without a
// DefaultValue rejects the stack). It returns every failure; a condition
// that only the deploy can decide (an UnknownError) is none.
func (e *Evaluator) Check(s *Stack) []error {
	var errs []error
	names := make([]string, 0, len(s.Section("Conditions")))
	for name := range s.Section("Conditions") {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		var unknown *UnknownError
		if _, err := e.Condition(s, name); err != nil && !errors.As(err, &unknown) {
			errs = append(errs, err)
		}
	}
	for _, l := range Lookups(s) {
		if _, err := e.Value(s, l.Expr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.Path, err))
		}
	}
	return errs
}
