package preflight

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// createOnlyJSON lists, per resource type, the properties whose change
// makes CloudFormation replace the resource (a new physical ID, so a new
// Ref value): the registry schemas' createOnlyProperties, top level only,
// for every type the app's templates use. `go test ./preflight -update`
// regenerates it from the schemas cfn-lint ships; TestCreateOnlyTable
// keeps it complete and current.
//
//go:embed createonly.json
var createOnlyJSON []byte

// createOnlyTable is createonly.json's content.
type createOnlyTable struct {
	Source string              `json:"source"`
	Types  map[string][]string `json:"types"`
}

var createOnly = func() map[string][]string {
	var t createOnlyTable
	if err := json.Unmarshal(createOnlyJSON, &t); err != nil {
		panic("preflight: createonly.json: " + err.Error())
	}
	return t.Types
}()

// replacement says whether the new template replaces a deployed resource.
type replacement struct {
	// Replaced: certainly; Maybe: preflight cannot tell (a type it has no
	// schema for, whose properties change).
	Replaced, Maybe bool
	Why             string
}

// replacements compares a deployed template with the new one and returns,
// for each resource in both, whether the update replaces it: a create-only
// property changes, or refers to a resource that is replaced.
func replacements(old, new Template) map[string]replacement {
	memo := map[string]replacement{}
	visiting := map[string]bool{}
	var visit func(id string) replacement
	visit = func(id string) replacement {
		if r, ok := memo[id]; ok {
			return r
		}
		o, inOld := old.Resources[id]
		n, inNew := new.Resources[id]
		if !inOld || !inNew || visiting[id] {
			return replacement{}
		}
		visiting[id] = true
		r := compare(id, o, n, visit)
		delete(visiting, id)
		memo[id] = r
		return r
	}
	out := map[string]replacement{}
	ids := make([]string, 0, len(new.Resources))
	for id := range new.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if r := visit(id); r.Replaced || r.Maybe {
			out[id] = r
		}
	}
	return out
}

// compare decides one resource, visiting the resources it refers to.
func compare(id string, o, n Resource, visit func(string) replacement) replacement {
	if o.Type != n.Type {
		return replacement{Replaced: true, Why: fmt.Sprintf("its type changes from %s to %s", o.Type, n.Type)}
	}
	props, known := createOnly[n.Type]
	if !known {
		if !sameJSON(o.Properties, n.Properties) {
			return replacement{Maybe: true, Why: fmt.Sprintf("its properties change, and preflight does not know which properties of %s force a replacement", n.Type)}
		}
		for _, ref := range references(n.Properties) {
			if r := visit(ref); r.Replaced || r.Maybe {
				return replacement{Maybe: true, Why: fmt.Sprintf("it refers to %s, which is replaced, and preflight does not know whether %s follows", ref, n.Type)}
			}
		}
		return replacement{}
	}
	var maybe replacement
	for _, p := range props {
		ov, nv := o.Properties[p], n.Properties[p]
		if !sameJSON(ov, nv) {
			return replacement{Replaced: true, Why: propertyChange(p, ov, nv)}
		}
		for _, ref := range references(nv) {
			r := visit(ref)
			if r.Replaced {
				return replacement{Replaced: true, Why: fmt.Sprintf("%s refers to %s, which is replaced", p, ref)}
			}
			if r.Maybe && !maybe.Maybe {
				maybe = replacement{Maybe: true, Why: fmt.Sprintf("%s refers to %s, which may be replaced", p, ref)}
			}
		}
	}
	return maybe
}

// shownProperty matches the create-only properties whose values a message
// may show: addresses and names, never a container definition (which holds
// the environment) or anything else that could carry a secret.
var shownProperty = regexp.MustCompile(`(CidrBlock|AvailabilityZone|Name|Type|Port|Protocol)$`)

// propertyChange says how a create-only property changes.
func propertyChange(p string, ov, nv any) string {
	os, oOK := ov.(string)
	ns, nOK := nv.(string)
	switch {
	case !shownProperty.MatchString(p):
		return p + " changes"
	case oOK && nOK:
		return fmt.Sprintf("%s changes from %s to %s", p, os, ns)
	case ov == nil && nOK:
		return fmt.Sprintf("%s is set to %s", p, ns)
	case oOK && nv == nil:
		return fmt.Sprintf("%s %s is removed", p, os)
	}
	return p + " changes"
}

// sameJSON compares two JSON values.
func sameJSON(a, b any) bool { return reflect.DeepEqual(a, b) }

// subRefRe finds ${Name} and ${Name.Attr} in an Fn::Sub string.
var subRefRe = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}`)

// references lists the logical IDs a JSON value refers to with Ref,
// Fn::GetAtt or Fn::Sub, without pseudo parameters.
func references(v any) []string {
	var out []string
	add := func(id string) {
		if id != "" && !strings.HasPrefix(id, "AWS::") && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	walk(v, func(m map[string]any) {
		if s, ok := m["Ref"].(string); ok {
			add(s)
		}
		switch g := m["Fn::GetAtt"].(type) {
		case []any:
			if len(g) > 0 {
				s, _ := g[0].(string)
				add(s)
			}
		case string:
			id, _, _ := strings.Cut(g, ".")
			add(id)
		}
		var sub string
		switch s := m["Fn::Sub"].(type) {
		case string:
			sub = s
		case []any:
			if len(s) > 0 {
				sub, _ = s[0].(string)
			}
		}
		for _, match := range subRefRe.FindAllStringSubmatch(sub, -1) {
			add(match[1])
		}
	})
	slices.Sort(out)
	return out
}

// describeValue renders a short form of an output value for a message:
// "Ref Vpc8378EB38", "Fn::GetAtt ClusterEB0386A7.Arn", or the literal.
func describeValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if s, ok := t["Ref"].(string); ok && len(t) == 1 {
			return "Ref " + s
		}
		if g, ok := t["Fn::GetAtt"].([]any); ok && len(t) == 1 && len(g) == 2 {
			return fmt.Sprintf("Fn::GetAtt %v.%v", g[0], g[1])
		}
	}
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}
