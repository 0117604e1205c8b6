package netcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Stack is one synthesized CloudFormation template of the cloud assembly.
type Stack struct {
	// ID is the stack's artifact ID in manifest.json (its construct ID).
	ID string `json:"id"`
	// Name is the CloudFormation stack name, which Fn::GetStackOutput uses.
	Name string `json:"name"`
	File string `json:"file"`

	resources  map[string]resource
	outputs    map[string]any
	parameters map[string]any
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Condition  string         `json:"Condition"`
}

// readAssembly reads every stack template of a cloud assembly directory,
// in the order manifest.json lists them (nested assemblies of CDK stages
// included); without a manifest, every *.template.json in the directory.
func readAssembly(dir string) ([]*Stack, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly %s: %w (run `make synth` first)", dir, errors.Unwrap(err))
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("reading cloud assembly %s: not a directory", dir)
	}
	var stacks []*Stack
	if err := readManifest(dir, "", &stacks); err != nil {
		return nil, err
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("reading cloud assembly %s: no stack templates in it (run `make synth` first)", dir)
	}
	return stacks, nil
}

func readManifest(dir, prefix string, out *[]*Stack) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
		slices.Sort(files)
		for _, f := range files {
			id := strings.TrimSuffix(filepath.Base(f), ".template.json")
			st, err := readTemplate(f, prefix+id, id)
			if err != nil {
				return err
			}
			*out = append(*out, st)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading cloud assembly %s: %w", dir, err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				TemplateFile  string `json:"templateFile"`
				StackName     string `json:"stackName"`
				DirectoryName string `json:"directoryName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	ids := make([]string, 0, len(manifest.Artifacts))
	for id := range manifest.Artifacts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := manifest.Artifacts[id]
		switch a.Type {
		case "aws:cloudformation:stack":
			name := a.Properties.StackName
			if name == "" {
				name = id
			}
			st, err := readTemplate(filepath.Join(dir, a.Properties.TemplateFile), prefix+id, name)
			if err != nil {
				return err
			}
			*out = append(*out, st)
		case "cdk:cloud-assembly":
			if err := readManifest(filepath.Join(dir, a.Properties.DirectoryName), prefix+id+"/", out); err != nil {
				return err
			}
		}
	}
	return nil
}

func readTemplate(file, id, name string) (*Stack, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading stack %s: %w", id, err)
	}
	var t struct {
		Resources  map[string]resource `json:"Resources"`
		Outputs    map[string]any      `json:"Outputs"`
		Parameters map[string]any      `json:"Parameters"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("reading stack %s: %s is not a CloudFormation template: %w", id, file, err)
	}
	return &Stack{ID: id, Name: name, File: file, resources: t.Resources, outputs: t.Outputs, parameters: t.Parameters}, nil
}

// unknownError is a value the templates do not fix: a parameter, a
// pseudo parameter, a condition, a value from outside the assembly.
// Netcheck reports it as "unknown" rather than guess.
type unknownError struct{ what string }

func (e *unknownError) Error() string { return "unknown: " + e.what }

func unknownf(format string, args ...any) error { return &unknownError{fmt.Sprintf(format, args...)} }

// ref is a resource a value points at, with the attribute of Fn::GetAtt.
type ref struct {
	st   *Stack
	id   string
	attr string
}

func (r ref) key() string { return r.st.ID + "/" + r.id }

// follow resolves cross-stack references: Fn::ImportValue through the
// exporting stack's Outputs (Export.Name), Fn::GetStackOutput (CDK's weak
// references) through the named stack's Outputs. It returns the stack and
// expression the value really comes from.
func (m *Model) follow(st *Stack, v any) (*Stack, any, error) {
	for range 10 {
		obj, ok := v.(map[string]any)
		if !ok || len(obj) != 1 {
			return st, v, nil
		}
		if name, ok := obj["Fn::ImportValue"]; ok {
			n, err := m.str(st, name)
			if err != nil {
				return nil, nil, fmt.Errorf("Fn::ImportValue: %w", err)
			}
			exp, ok := m.exports[n]
			if !ok {
				return nil, nil, unknownf("Fn::ImportValue %q: no stack of the assembly exports it", n)
			}
			st, v = exp.st, exp.v
			continue
		}
		if arg, ok := obj["Fn::GetStackOutput"].(map[string]any); ok {
			sn, err := m.str(st, arg["StackName"])
			if err != nil {
				return nil, nil, fmt.Errorf("Fn::GetStackOutput: %w", err)
			}
			on, err := m.str(st, arg["OutputName"])
			if err != nil {
				return nil, nil, fmt.Errorf("Fn::GetStackOutput: %w", err)
			}
			src := m.stackNamed(sn)
			if src == nil {
				return nil, nil, unknownf("Fn::GetStackOutput of stack %q: not in the assembly", sn)
			}
			out, _ := src.outputs[on].(map[string]any)
			if out == nil {
				return nil, nil, unknownf("Fn::GetStackOutput: stack %s has no output %q", sn, on)
			}
			st, v = src, out["Value"]
			continue
		}
		return st, v, nil
	}
	return nil, nil, unknownf("cross-stack references loop")
}

func (m *Model) stackNamed(name string) *Stack {
	for _, st := range m.Stacks {
		if st.Name == name || st.ID == name {
			return st
		}
	}
	return nil
}

// refOf resolves {"Ref": id} or {"Fn::GetAtt": [id, attr]} to a resource
// of the assembly, following cross-stack references.
func (m *Model) refOf(st *Stack, v any) (ref, error) {
	st, v, err := m.follow(st, v)
	if err != nil {
		return ref{}, err
	}
	obj, _ := v.(map[string]any)
	var r ref
	switch {
	case obj == nil:
		return ref{}, unknownf("%s is a literal, not a resource of the assembly", show(v))
	case obj["Ref"] != nil:
		r.id, _ = obj["Ref"].(string)
	case obj["Fn::GetAtt"] != nil:
		switch ga := obj["Fn::GetAtt"].(type) {
		case []any:
			if len(ga) == 2 {
				r.id, _ = ga[0].(string)
				r.attr, _ = ga[1].(string)
			}
		case string:
			r.id, r.attr, _ = strings.Cut(ga, ".")
		}
	default:
		return ref{}, unknownf("%s does not name a resource", show(v))
	}
	r.st = st
	if _, ok := st.resources[r.id]; !ok {
		if _, ok := st.parameters[r.id]; ok {
			return ref{}, unknownf("%s is parameter %s of stack %s", show(v), r.id, st.ID)
		}
		return ref{}, unknownf("%s: no resource %s in stack %s", show(v), r.id, st.ID)
	}
	return r, nil
}

// str resolves a value to a literal string: strings, numbers, Fn::Join,
// Fn::Sub and Fn::Select of literals, and the attributes netcheck can know
// (a VPC's CidrBlock). Parameters and pseudo parameters are unknown.
func (m *Model) str(st *Stack, v any) (string, error) {
	st, v, err := m.follow(st, v)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", unknownf("no value")
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			parts, err := m.list(st, j[1])
			if err != nil {
				return "", err
			}
			var ss []string
			for _, p := range parts {
				s, err := m.str(p.st, p.v)
				if err != nil {
					return "", err
				}
				ss = append(ss, s)
			}
			return strings.Join(ss, sep), nil
		}
		if sel, ok := x["Fn::Select"].([]any); ok && len(sel) == 2 {
			items, err := m.list(st, sel[1])
			if err != nil {
				return "", err
			}
			i, err := m.num(st, sel[0])
			if err != nil {
				return "", err
			}
			if i < 0 || i >= len(items) {
				return "", unknownf("Fn::Select index %d out of range", i)
			}
			return m.str(items[i].st, items[i].v)
		}
		if sub, ok := x["Fn::Sub"]; ok {
			if s, ok := sub.(string); ok {
				var bad error
				out := subVar.ReplaceAllStringFunc(s, func(v string) string {
					name := v[2 : len(v)-1]
					if strings.HasPrefix(name, "!") {
						return "${" + name[1:] + "}"
					}
					if name == "AWS::StackName" {
						return st.Name
					}
					bad = unknownf("Fn::Sub ${%s}", name)
					return v
				})
				return out, bad
			}
		}
		if r, err := m.refOf(st, x); err == nil {
			if r.attr == "CidrBlock" && st.resources[r.id].Type == "AWS::EC2::VPC" {
				return m.str(st, st.resources[r.id].Properties["CidrBlock"])
			}
			return "", unknownf("%s is only known after deploy", show(x))
		}
		if p, ok := x["Ref"].(string); ok {
			if p == "AWS::StackName" {
				return st.Name, nil
			}
			if strings.HasPrefix(p, "AWS::") {
				return "", unknownf("pseudo parameter %s", p)
			}
			return "", unknownf("parameter %s of stack %s", p, st.ID)
		}
	}
	return "", unknownf("%s", show(v))
}

var subVar = regexp.MustCompile(`\$\{[^}]+\}`)

// num resolves a value to an integer.
func (m *Model) num(st *Stack, v any) (int, error) {
	s, err := m.str(st, v)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return int(f), nil
}

// item is one element of a resolved list, still to be resolved itself.
type item struct {
	st *Stack
	v  any
}

// list resolves a list: a literal list, or Fn::Split of a Fn::Join (CDK's
// way of passing a list across stacks).
func (m *Model) list(st *Stack, v any) ([]item, error) {
	st, v, err := m.follow(st, v)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]item, len(x))
		for i, e := range x {
			out[i] = item{st, e}
		}
		return out, nil
	case map[string]any:
		if sp, ok := x["Fn::Split"].([]any); ok && len(sp) == 2 {
			sep, _ := sp[0].(string)
			jst, joined, err := m.follow(st, sp[1])
			if err != nil {
				return nil, err
			}
			if j, ok := asObj(joined)["Fn::Join"].([]any); ok && len(j) == 2 && j[0] == sep {
				return m.list(jst, j[1])
			}
			s, err := m.str(jst, joined)
			if err != nil {
				return nil, err
			}
			var out []item
			for _, p := range strings.Split(s, sep) {
				out = append(out, item{jst, p})
			}
			return out, nil
		}
		if _, ok := x["Fn::GetAZs"]; ok {
			return nil, unknownf("Fn::GetAZs (the region's AZs are only known at deploy)")
		}
	}
	return nil, unknownf("%s is not a list", show(v))
}

// az names a subnet's availability zone: the literal zone, or "az[i]" for
// CDK's environment-agnostic {"Fn::Select": [i, {"Fn::GetAZs": ""}]}.
func (m *Model) az(st *Stack, v any) string {
	if s, err := m.str(st, v); err == nil {
		return s
	}
	if sel, ok := asObj(v)["Fn::Select"].([]any); ok && len(sel) == 2 {
		if _, ok := asObj(sel[1])["Fn::GetAZs"]; ok {
			if i, err := m.num(st, sel[0]); err == nil {
				return fmt.Sprintf("az[%d]", i)
			}
		}
	}
	return "unknown AZ"
}

// show renders an intrinsic compactly for a message.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// asObj reads a JSON object, or nil: templates are input, never a reason to
// panic.
func asObj(v any) map[string]any {
	o, _ := v.(map[string]any)
	return o
}
