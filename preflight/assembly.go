package preflight

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cdkdemo/fargate/report"
)

// Assembly is the synthesized app: what the deploy will create, with its
// exact names.
type Assembly struct {
	Dir    string
	Stacks []Stack // in deploy order
}

// Stack is one stack of the assembly.
type Stack struct {
	ID   string // construct ID, "Network"
	Name string // CloudFormation stack name, "demo-dev-network"
	// Account and Region the stack is pinned to; empty when it is
	// environment-agnostic and the deploy takes the profile's.
	Account, Region string
	Template        Template
}

// Template is the part of a CloudFormation template preflight reads.
type Template struct {
	Parameters map[string]struct {
		Type    string `json:"Type"`
		Default any    `json:"Default"`
	} `json:"Parameters"`
	Rules      map[string]any      `json:"Rules"`
	Conditions map[string]any      `json:"Conditions"`
	Resources  map[string]Resource `json:"Resources"`
	Outputs    map[string]Output   `json:"Outputs"`
}

// Resource is one template resource.
type Resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
	Metadata       map[string]any `json:"Metadata"`
}

// Output is one template output; Export is nil when it exports nothing.
type Output struct {
	Value  any `json:"Value"`
	Export *struct {
		Name any `json:"Name"`
	} `json:"Export"`
}

// ReadAssembly reads the cloud assembly in dir (cdk.out): its stacks in
// deploy order, their names, pinned environments and templates.
func ReadAssembly(dir string) (*Assembly, error) {
	listed, err := report.ReadAssembly(dir)
	if err != nil {
		return nil, err
	}
	envs, err := manifestEnvironments(dir)
	if err != nil {
		return nil, err
	}
	a := &Assembly{Dir: dir}
	for _, st := range listed {
		file := filepath.Join(dir, st.ID+".template.json")
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading stack %s: %w", st.ID, err)
		}
		t, err := ParseTemplate(b)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		s := Stack{ID: st.ID, Name: st.Name, Template: t}
		if s.Name == "" {
			s.Name = st.ID
		}
		s.Account, s.Region = parseEnvironment(envs[st.ID])
		a.Stacks = append(a.Stacks, s)
	}
	return a, nil
}

// ParseTemplate reads a template's JSON.
func ParseTemplate(b []byte) (Template, error) {
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return Template{}, fmt.Errorf("not a CloudFormation template in JSON: %w", err)
	}
	return t, nil
}

// manifestEnvironments maps each stack (by template file name, without
// .template.json) to its manifest environment, "aws://ACCOUNT/REGION".
func manifestEnvironments(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
			Properties  struct {
				TemplateFile string `json:"templateFile"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: not a cloud assembly manifest: %w", filepath.Join(dir, "manifest.json"), err)
	}
	out := map[string]string{}
	for id, art := range m.Artifacts {
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		key := strings.TrimSuffix(art.Properties.TemplateFile, ".template.json")
		if key == "" {
			key = id
		}
		out[key] = art.Environment
	}
	return out, nil
}

// parseEnvironment reads "aws://123456789012/eu-west-1"; the CDK writes
// unknown-account and unknown-region for an environment-agnostic stack.
func parseEnvironment(env string) (account, region string) {
	rest, ok := strings.CutPrefix(env, "aws://")
	if !ok {
		return "", ""
	}
	account, region, _ = strings.Cut(rest, "/")
	if account == "unknown-account" {
		account = ""
	}
	if region == "unknown-region" {
		region = ""
	}
	return account, region
}

// Pinned returns the account and region the stacks are pinned to ("" for
// none), or an error when they disagree: preflight checks one environment.
func (a *Assembly) Pinned() (account, region string, err error) {
	var accounts, regions []string
	for _, s := range a.Stacks {
		if s.Account != "" && !slices.Contains(accounts, s.Account) {
			accounts = append(accounts, s.Account)
		}
		if s.Region != "" && !slices.Contains(regions, s.Region) {
			regions = append(regions, s.Region)
		}
	}
	if len(accounts) > 1 || len(regions) > 1 {
		return "", "", fmt.Errorf("the stacks of %s are pinned to more than one environment (accounts %v, regions %v): preflight checks one account and region at a time", a.Dir, accounts, regions)
	}
	if len(accounts) == 1 {
		account = accounts[0]
	}
	if len(regions) == 1 {
		region = regions[0]
	}
	return account, region, nil
}

// Bootstrap is what the templates require of the CDK bootstrap: the
// version parameter and the lowest version their CheckBootstrapVersion
// rule accepts.
type Bootstrap struct {
	Parameter string // "/cdk-bootstrap/hnb659fds/version"
	Required  int    // 6
	Stacks    []string
}

// Bootstrap reads the bootstrap requirement from the templates: the
// BootstrapVersion parameter's default names the SSM parameter, and the
// CheckBootstrapVersion rule lists the versions it rejects. ok is false
// when no template has the rule (a legacy-synthesized app).
func (a *Assembly) Bootstrap() (b Bootstrap, ok bool) {
	for _, s := range a.Stacks {
		p, has := s.Template.Parameters["BootstrapVersion"]
		name, _ := p.Default.(string)
		if !has || name == "" {
			continue
		}
		req := requiredBootstrapVersion(s.Template.Rules["CheckBootstrapVersion"])
		if !ok || req > b.Required {
			b.Required = req
		}
		if b.Parameter == "" {
			b.Parameter = name
		}
		b.Stacks = append(b.Stacks, s.Name)
		ok = true
	}
	return b, ok
}

// requiredBootstrapVersion reads the CDK's rule
//
//	{"Assertions": [{"Assert": {"Fn::Not": [{"Fn::Contains": [["1", …, "5"], {"Ref": "BootstrapVersion"}]}]}}]}
//
// and returns one more than the highest version it rejects (0 when the
// rule is absent or has another shape).
func requiredBootstrapVersion(rule any) int {
	highest := 0
	walk(rule, func(m map[string]any) {
		c, ok := m["Fn::Contains"].([]any)
		if !ok || len(c) != 2 {
			return
		}
		list, ok := c[0].([]any)
		if !ok {
			return
		}
		for _, v := range list {
			if s, ok := v.(string); ok {
				if n, err := strconv.Atoi(s); err == nil && n > highest {
					highest = n
				}
			}
		}
	})
	if highest == 0 {
		return 0
	}
	return highest + 1
}

// walk calls f on every object in a JSON value, depth first.
func walk(v any, f func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		f(t)
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walk(t[k], f)
		}
	case []any:
		for _, e := range t {
			walk(e, f)
		}
	}
}

// ofType lists the logical IDs of a template's resources of a type, sorted.
func (t Template) ofType(types ...string) []string {
	var ids []string
	for id, r := range t.Resources {
		if slices.Contains(types, r.Type) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// exportName returns an output's literal export name ("" for none or one
// built by an intrinsic function).
func (o Output) exportName() string {
	if o.Export == nil {
		return ""
	}
	s, _ := o.Export.Name.(string)
	return s
}

// importNames lists every literal Fn::ImportValue name in a JSON value.
func importNames(v any) []string {
	var out []string
	walk(v, func(m map[string]any) {
		if s, ok := m["Fn::ImportValue"].(string); ok && !slices.Contains(out, s) {
			out = append(out, s)
		}
	})
	slices.Sort(out)
	return out
}

// yamlImportRe finds Fn::ImportValue names in a template that is not JSON
// (a YAML template another tool deployed): `Fn::ImportValue: name` or
// `!ImportValue name`.
var yamlImportRe = regexp.MustCompile(`(?:Fn::ImportValue|!ImportValue)["']?\s*:?\s*["']?([A-Za-z0-9:._-]+)`)

// templateImports lists the import names of a deployed template's body,
// JSON or YAML.
func templateImports(body string) []string {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err == nil {
		return importNames(v)
	}
	var out []string
	for _, m := range yamlImportRe.FindAllStringSubmatch(body, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}
