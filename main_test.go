package main

// The CDK tests of the app live in this one package (package main), since
// each test package links its own ~120 MB binary and starts its own Node.
// This file holds the harness; *_test.go beside it hold the checks.

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ and the nag table of docs/quality-gates.md")

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	jsii.Close()
	if synthRoot != "" {
		os.RemoveAll(synthRoot)
	}
	os.Exit(code)
}

var (
	cdkContextOnce sync.Once
	cdkContext     map[string]any
	cdkContextErr  error
)

// cdkJSONContext is cdk.json's "context": `go test` does not read cdk.json,
// and without it the tests would see other feature flags than `cdk synth`.
func cdkJSONContext(t testing.TB) map[string]any {
	t.Helper()
	cdkContextOnce.Do(func() {
		var file struct {
			Context map[string]any `json:"context"`
		}
		b, err := os.ReadFile("cdk.json")
		if err == nil {
			err = json.Unmarshal(b, &file)
		}
		cdkContext, cdkContextErr = file.Context, err
	})
	if cdkContextErr != nil {
		t.Fatalf("reading cdk.json: %v", cdkContextErr)
	}
	return maps.Clone(cdkContext)
}

// synthed is one synth of the whole app: its config, its stacks and the
// templates as written to the cloud assembly.
type synthed struct {
	cfg       config.Config
	app       stacks.App
	outdir    string
	templates map[string]template // by stack construct ID: Network, Service, Pipeline
}

// cliContext is what the CDK CLI adds to the context of every `cdk synth`
// (path and asset metadata, version reporting), so the tests synthesize
// the very templates the CLI writes.
var cliContext = map[string]any{
	"aws:cdk:enable-path-metadata":  true,
	"aws:cdk:enable-asset-metadata": true,
	"aws:cdk:version-reporting":     true,
	"aws:cdk:bundling-stacks":       []any{"**"},
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthed{}
	synthRoot  string
)

// synth builds and synthesizes the app from cdk.json's context plus
// overrides, exactly as `cdk synth -c key=value` would. A synth is shared
// by every test asking for the same overrides; tests only read it.
func synth(t testing.TB, overrides map[string]any) *synthed {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	key := jsonOf(overrides)
	if s, ok := synthCache[key]; ok {
		return s
	}
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, cliContext)
	maps.Copy(ctx, overrides)
	cfg, err := config.Load(ctx)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if synthRoot == "" {
		if synthRoot, err = os.MkdirTemp("", "cdk-synth-"); err != nil {
			t.Fatal(err)
		}
	}
	outdir := filepath.Join(synthRoot, fmt.Sprint(len(synthCache)))
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir), BuiltinCloudFormationValidation: jsii.Bool(stacks.BuiltinValidation)})
	built := stacks.Build(app, cfg)
	app.Synth(nil)
	s := &synthed{cfg: cfg, app: built, outdir: outdir, templates: readTemplates(t, outdir)}
	synthCache[key] = s
	return s
}

func readTemplates(t testing.TB, dir string) map[string]template {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
	out := map[string]template{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tm template
		if err := json.Unmarshal(b, &tm); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".template.json")] = tm
	}
	return out
}

// must runs a jsii assertion, turning its panic into a test error so one
// failure does not hide the others.
func must(t *testing.T, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	assertion()
}

// template is a synthesized CloudFormation template.
type template map[string]any

// Resources returns the resources of one type by logical ID.
func (tm template) Resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := tm["Resources"].(map[string]any)
	for id, r := range res {
		if m, ok := r.(map[string]any); ok && m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

// Props returns a resource's properties.
func (tm template) Props(id string) map[string]any {
	res, _ := tm["Resources"].(map[string]any)
	r, _ := res[id].(map[string]any)
	p, _ := r["Properties"].(map[string]any)
	return p
}

// Only returns the one resource of a type, failing when there are more.
func (tm template) Only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := tm.Resources(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, found %d: %v", typ, len(rs), sortedIDs(rs))
	}
	for id, r := range rs {
		p, _ := r["Properties"].(map[string]any)
		return id, p
	}
	return "", nil
}

// At returns the resource the construct at a CDK path made, e.g.
// "Registry/BuildCache/Resource", failing when there is none.
func (tm template) At(t *testing.T, path string) (string, map[string]any) {
	t.Helper()
	res, _ := tm["Resources"].(map[string]any)
	for id, r := range res {
		m, _ := r.(map[string]any)
		if meta, _ := m["Metadata"].(map[string]any); meta["aws:cdk:path"] == path {
			p, _ := m["Properties"].(map[string]any)
			return id, p
		}
	}
	t.Fatalf("no resource at %s", path)
	return "", nil
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ref returns the logical ID in {"Ref": ID} or {"Fn::GetAtt": [ID, …]}.
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

// refs maps ref over a list.
func refs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, it := range list {
		out = append(out, ref(it))
	}
	return out
}

// jsonOf renders a value for a failure message.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
