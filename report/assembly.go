package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Stack is one synthesized CloudFormation stack of the cloud assembly.
type Stack struct {
	// ID is the stack's construct ID ("Network"); Name is the deployed
	// CloudFormation stack name ("demo-dev-network") when the manifest says.
	ID       string
	Name     string
	Template Template
}

// Template is the part of a CloudFormation template the report reads.
type Template struct {
	Resources map[string]Resource `json:"Resources"`
}

// idsOf lists the logical IDs of the template's resources of one type, in
// order, so that a report's sections come out the same on every run.
func (t Template) idsOf(typ string) []string {
	ids := make([]string, 0)
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Resource is one template resource.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
}

// path is the resource's construct path, which names it better for a reader
// than the logical ID with its hash.
func (r Resource) path(logicalID string) string {
	if p, ok := r.Metadata["aws:cdk:path"].(string); ok && p != "" {
		return p
	}
	return logicalID
}

// ReadAssembly reads the stacks of a cloud assembly directory (cdk.out), in
// deploy order. It follows manifest.json when there is one, and otherwise
// reads every *.template.json, so a hand-made directory works too.
func ReadAssembly(dir string) ([]Stack, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading cloud assembly %s: no such directory: run `make synth` first, or name the directory `cdk synth -o` wrote", dir)
		}
		return nil, fmt.Errorf("reading cloud assembly %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("reading cloud assembly %s: not a directory: name the directory `cdk synth` wrote (cdk.out)", dir)
	}
	stacks, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if stacks == nil {
		stacks, err = globTemplates(dir)
		if err != nil {
			return nil, err
		}
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("reading cloud assembly %s: no stack templates in it: run `make synth` first", dir)
	}
	for i := range stacks {
		file := filepath.Join(dir, stacks[i].ID+".template.json")
		if stacks[i].Template.Resources != nil {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading stack %s: %w", stacks[i].ID, err)
		}
		if err := json.Unmarshal(b, &stacks[i].Template); err != nil {
			return nil, fmt.Errorf("reading %s: not a CloudFormation template: %w", file, err)
		}
	}
	return stacks, nil
}

// manifest is the part of a cloud assembly's manifest.json the report reads.
type manifest struct {
	Artifacts map[string]struct {
		Type         string   `json:"type"`
		DisplayName  string   `json:"displayName"`
		Dependencies []string `json:"dependencies"`
		Properties   struct {
			TemplateFile string `json:"templateFile"`
			StackName    string `json:"stackName"`
		} `json:"properties"`
	} `json:"artifacts"`
}

// readManifest returns the stacks manifest.json lists, dependencies first,
// or nil when there is no manifest.
func readManifest(dir string) ([]Stack, error) {
	file := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: not a cloud assembly manifest: %w", file, err)
	}
	type node struct {
		stack Stack
		deps  []string
	}
	nodes := map[string]node{}
	for id, a := range m.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		st := Stack{ID: strings.TrimSuffix(a.Properties.TemplateFile, ".template.json"), Name: a.Properties.StackName}
		if st.ID == "" {
			st.ID = id
		}
		nodes[id] = node{stack: st, deps: a.Dependencies}
	}
	// Deploy order: a stack after the stacks it depends on, ties by ID.
	ids := make([]string, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []Stack
	done := map[string]bool{}
	var visit func(id string, seen map[string]bool)
	visit = func(id string, seen map[string]bool) {
		n, ok := nodes[id]
		if !ok || done[id] || seen[id] {
			return
		}
		seen[id] = true
		deps := slices.Clone(n.deps)
		slices.Sort(deps)
		for _, d := range deps {
			visit(d, seen)
		}
		done[id] = true
		out = append(out, n.stack)
	}
	for _, id := range ids {
		visit(id, map[string]bool{})
	}
	return out, nil
}

// globTemplates returns a stack per *.template.json, by name.
func globTemplates(dir string) ([]Stack, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly %s: %w", dir, err)
	}
	slices.Sort(files)
	var out []Stack
	for _, f := range files {
		out = append(out, Stack{ID: strings.TrimSuffix(filepath.Base(f), ".template.json")})
	}
	return out, nil
}
