package cfneval

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Request is one API call as a resource policy sees it: who calls, the
// action, the resource, and the request context's condition keys.
type Request struct {
	// Service is the calling service principal (cloudwatch.amazonaws.com);
	// Account the calling account's ID, for an AWS principal.
	Service, Account string
	Action, Resource string
	// Context holds the condition keys present in the request
	// (aws:SourceArn, aws:SourceAccount, ...). A key that is absent is
	// absent: a condition on it does not match.
	Context map[string]string
}

// Decision is what a policy answers to a request.
type Decision struct {
	Allowed bool
	// Allows and Denies are the statements that matched, by index.
	Allows, Denies []int
}

// Authorize evaluates an evaluated policy document (see Evaluator.Value)
// against a request: allowed when an Allow statement matches and no Deny
// does. Elements or condition operators it does not model are errors, so a
// policy it cannot read never passes for allowed.
func Authorize(doc any, req Request) (Decision, error) {
	var d Decision
	m, ok := doc.(map[string]any)
	if !ok {
		return d, fmt.Errorf("policy document %v: not an object", doc)
	}
	stmts, ok := m["Statement"].([]any)
	if !ok {
		if one, isObj := m["Statement"].(map[string]any); isObj {
			stmts = []any{one}
		} else {
			return d, fmt.Errorf("policy document without statements: %v", doc)
		}
	}
	for i, sv := range stmts {
		st, ok := sv.(map[string]any)
		if !ok {
			return d, fmt.Errorf("statement %d: not an object", i)
		}
		match, err := statementMatches(st, req)
		if err != nil {
			return d, fmt.Errorf("statement %d (%v): %w", i, st["Sid"], err)
		}
		if !match {
			continue
		}
		switch st["Effect"] {
		case "Allow":
			d.Allows = append(d.Allows, i)
		case "Deny":
			d.Denies = append(d.Denies, i)
		default:
			return d, fmt.Errorf("statement %d: effect %v", i, st["Effect"])
		}
	}
	d.Allowed = len(d.Allows) > 0 && len(d.Denies) == 0
	return d, nil
}

// Statements returns the statements of an evaluated policy document.
func Statements(doc any) []map[string]any {
	m, _ := doc.(map[string]any)
	var out []map[string]any
	switch s := m["Statement"].(type) {
	case map[string]any:
		out = append(out, s)
	case []any:
		for _, it := range s {
			if st, ok := it.(map[string]any); ok {
				out = append(out, st)
			}
		}
	}
	return out
}

// ConditionKeys lists the condition keys a statement tests, lower-cased.
func ConditionKeys(st map[string]any) []string {
	var out []string
	cond, _ := st["Condition"].(map[string]any)
	for _, body := range cond {
		kv, _ := body.(map[string]any)
		for k := range kv {
			if k = strings.ToLower(k); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

func strs(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, it := range x {
			s, err := str(it)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := str(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func statementMatches(st map[string]any, req Request) (bool, error) {
	for _, unsupported := range []string{"NotPrincipal"} {
		if _, ok := st[unsupported]; ok {
			return false, fmt.Errorf("%s is not modelled", unsupported)
		}
	}
	ok, err := principalMatches(st["Principal"], req)
	if err != nil || !ok {
		return false, err
	}
	if ok, err = listMatches(st, "Action", req.Action, true); err != nil || !ok {
		return false, err
	}
	if ok, err = listMatches(st, "Resource", req.Resource, false); err != nil || !ok {
		return false, err
	}
	return conditionsMatch(st["Condition"], req.Context)
}

func principalMatches(p any, req Request) (bool, error) {
	if p == "*" {
		return true, nil
	}
	m, ok := p.(map[string]any)
	if !ok {
		return false, fmt.Errorf("principal %v: not modelled", p)
	}
	for kind, v := range m {
		ids, err := strs(v)
		if err != nil {
			return false, fmt.Errorf("principal %s: %w", kind, err)
		}
		for _, id := range ids {
			switch kind {
			case "Service":
				if id == req.Service {
					return true, nil
				}
			case "AWS":
				if id == "*" || (req.Account != "" && (id == req.Account || strings.HasSuffix(id, ":iam::"+req.Account+":root"))) {
					return true, nil
				}
			case "Federated", "CanonicalUser":
			default:
				return false, fmt.Errorf("principal kind %s: not modelled", kind)
			}
		}
	}
	return false, nil
}

// listMatches tests Action/NotAction or Resource/NotResource.
func listMatches(st map[string]any, elem, value string, fold bool) (bool, error) {
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if glob(p, value, fold) {
				return true
			}
		}
		return false
	}
	if v, ok := st[elem]; ok {
		ps, err := strs(v)
		if err != nil {
			return false, fmt.Errorf("%s: %w", elem, err)
		}
		return match(ps), nil
	}
	if v, ok := st["Not"+elem]; ok {
		ps, err := strs(v)
		if err != nil {
			return false, fmt.Errorf("Not%s: %w", elem, err)
		}
		return !match(ps), nil
	}
	return false, fmt.Errorf("statement has neither %s nor Not%s", elem, elem)
}

// glob matches IAM wildcards: * any run of characters, ? one character.
func glob(pattern, value string, fold bool) bool {
	if fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	// path.Match treats / specially and knows [ ]; IAM does neither.
	esc := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `/`, "\x00").Replace
	ok, err := path.Match(esc(pattern), esc(value))
	return err == nil && ok
}

// arnLike compares the six colon-separated parts of two ARNs one by one, as
// ArnLike does: a wildcard never spans a colon of the first five.
func arnLike(pattern, value string) bool {
	p, v := strings.SplitN(pattern, ":", 6), strings.SplitN(value, ":", 6)
	if len(p) != 6 || len(v) != 6 {
		return false
	}
	for i := range p {
		if !glob(p[i], v[i], false) {
			return false
		}
	}
	return true
}

func conditionsMatch(c any, ctx map[string]string) (bool, error) {
	if c == nil {
		return true, nil
	}
	cond, ok := c.(map[string]any)
	if !ok {
		return false, fmt.Errorf("condition %v: not an object", c)
	}
	lower := map[string]string{}
	for k, v := range ctx {
		lower[strings.ToLower(k)] = v
	}
	for op, body := range cond {
		kv, ok := body.(map[string]any)
		if !ok {
			return false, fmt.Errorf("condition %s: not an object", op)
		}
		for key, want := range kv {
			wants, err := strs(want)
			if err != nil {
				return false, fmt.Errorf("condition %s %s: %w", op, key, err)
			}
			got, present := lower[strings.ToLower(key)]
			ok, err := operator(op, wants, got, present)
			if err != nil {
				return false, err
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// operator applies one condition operator. An absent key matches only the
// negated operators, ...IfExists and Null, as in IAM.
func operator(op string, wants []string, got string, present bool) (bool, error) {
	base, ifExists := strings.CutSuffix(op, "IfExists")
	if strings.Contains(base, ":") {
		return false, fmt.Errorf("condition operator %s: set operators are not modelled", op)
	}
	if base == "Null" {
		want := len(wants) == 1 && strings.EqualFold(wants[0], "true")
		return want == !present, nil
	}
	var negated bool
	var test func(w string) bool
	switch base {
	case "StringEquals", "ArnEquals":
		test = func(w string) bool { return w == got }
	case "StringNotEquals", "ArnNotEquals":
		negated, test = true, func(w string) bool { return w == got }
	case "StringEqualsIgnoreCase":
		test = func(w string) bool { return strings.EqualFold(w, got) }
	case "StringNotEqualsIgnoreCase":
		negated, test = true, func(w string) bool { return strings.EqualFold(w, got) }
	case "StringLike":
		test = func(w string) bool { return glob(w, got, false) }
	case "StringNotLike":
		negated, test = true, func(w string) bool { return glob(w, got, false) }
	case "ArnLike":
		test = func(w string) bool { return arnLike(w, got) }
	case "ArnNotLike":
		negated, test = true, func(w string) bool { return arnLike(w, got) }
	case "Bool":
		test = func(w string) bool { return strings.EqualFold(w, got) }
	default:
		return false, fmt.Errorf("condition operator %s: not modelled", op)
	}
	if !present {
		return negated || ifExists, nil
	}
	any := slices.ContainsFunc(wants, test)
	if negated {
		return !any, nil
	}
	return any, nil
}
