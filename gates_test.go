package main

// The template quality gates that run inside `go test`: cdk-nag findings,
// golden snapshots of every template, and docs/quality-gates.md's table of nag
// suppressions. cfn-lint and cfn-guard run over the same golden templates
// from `make test` (the Makefile's lint-templates and guard-templates).

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// gateVariant is one configuration every gate covers.
type gateVariant struct {
	name      string
	overrides map[string]any
}

// optionalFeatures are the options that add resources or suppressions and
// go together with every egress mode.
var optionalFeatures = map[string]any{
	"enableExec":         "true",
	"architecture":       "ARM64",
	"domainName":         "app.example.com",
	"hostedZoneId":       "Z0123456789ABCDEFGHIJ",
	"hostedZoneName":     "example.com",
	"alarmEmail":         "ops@example.com",
	"dockerHubSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub",
	"buildTestCommand":   "docker build --target test -f app/Dockerfile app",
	"secrets":            `{"DB_PASSWORD":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","API_KEY":"arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key"}`,
	"environment":        `{"MODE":"fast"}`,
	// Spot beside an on-demand base, and working hours in a zone with
	// daylight saving time.
	"capacity":          "mixed",
	"onDemandBaseCount": "1",
	"schedule":          `{"days":"MON,WED-FRI","start":"07:30","end":"19:15","timeZone":"Europe/Berlin"}`,
}

// naclRules is a custom NACL the tasks work through: the ALB's port in,
// HTTPS out, and the return traffic. Through VPC endpoints, which live in
// the private subnets too, HTTPS must also come in from the VPC.
func naclRules(endpoints bool) string {
	in443 := ""
	if endpoints {
		in443 = `{"rule":120,"action":"allow","direction":"ingress","protocol":"tcp","fromPort":443,"toPort":443,"cidr":"10.0.0.0/16"},
			`
	}
	return `[{"rule":100,"action":"allow","direction":"ingress","protocol":"tcp","fromPort":80,"toPort":80,"cidr":"10.0.0.0/16"},
			{"rule":110,"action":"allow","direction":"ingress","protocol":"tcp","fromPort":1024,"toPort":65535,"cidr":"0.0.0.0/0"},
			` + in443 + `{"rule":100,"action":"allow","direction":"egress","protocol":"tcp","fromPort":443,"toPort":443,"cidr":"0.0.0.0/0"},
			{"rule":110,"action":"allow","direction":"egress","protocol":"tcp","fromPort":1024,"toPort":65535,"cidr":"10.0.0.0/16"}]`
}

// with returns the optional features plus more settings.
func with(more map[string]any) map[string]any {
	out := maps.Clone(optionalFeatures)
	maps.Copy(out, more)
	return out
}

// gateVariants cover both environments, every egress mode, every
// deployment strategy, and every optional feature (each of which adds
// resources or suppressions).
var gateVariants = []gateVariant{
	// cdk.json's dev: a NAT instance, Fargate Spot on ARM64, working hours.
	{"dev", nil},
	{"prod", map[string]any{"env": "prod"}},
	{"dev-endpoints", map[string]any{"egress": "endpoints"}},
	// One NAT gateway, on-demand, always on: what dev was before.
	{"dev-nat", map[string]any{"egress": "nat", "capacity": "on-demand", "schedule": "none"}},
	// A NAT instance that prod allows, on x86, and some tasks on Spot.
	{"prod-nat-instance", map[string]any{
		"env":                          "prod",
		"egress":                       "nat-instance",
		"allowSingleNatInstanceInProd": "true",
		"natInstanceType":              "t3.micro",
		"capacity":                     "mixed",
		"onDemandBaseCount":            "2",
	}},
	{"features", with(map[string]any{
		"egress":           "nat-per-az",
		"accessLogs":       "false",
		"privateNaclRules": naclRules(false),
	})},
	// The longest names validation accepts (appName of 20 characters, an
	// environment of 12) with every option that adds a resource on: every
	// name AWS limits must fit. Endpoints egress adds the pull-through cache
	// rule and its repository prefix; the NAT modes add no named resource.
	{"longest-names", with(map[string]any{
		"appName": "abcdefghij-klmnopq-z",
		"env":     "abcdefghijkl",
		"environments": map[string]any{
			"dev":          map[string]any{"sourceRepository": "example-org/fargate-demo"},
			"prod":         map[string]any{"sourceRepository": "example-org/fargate-demo"},
			"abcdefghijkl": map[string]any{"sourceRepository": "example-org-with-a-long-name/fargate-demo-with-a-long-name"},
		},
		"egress":                    "endpoints",
		"manualApproval":            "true",
		"deletionProtection":        "true",
		"deleteRepositoryOnDestroy": "true",
		"autoDeleteArtifacts":       "false",
		"logRetentionDays":          "365",
		"flowLogRetentionDays":      "365",
		"privateNaclRules":          naclRules(true),
		// Every option that names or adds resources of the newer features:
		// the rollback alarms (named after the app), the alternate target
		// group, the test listener and the shift role, Spot, working hours.
		"deploymentStrategy": "blue-green",
		"testListenerCidrs":  "198.51.100.0/24",
		"capacity":           "mixed",
		"onDemandBaseCount":  "1",
		"schedule":           `{"days":"MON-FRI","start":"07:30","end":"19:45","timeZone":"America/Argentina/Buenos_Aires"}`,
	})},
	// The two strategies no environment defaults to (dev rolls, prod goes
	// canary first); blue-green with HTTPS and an open test listener.
	{"linear", map[string]any{"deploymentStrategy": "linear", "deployTimeoutMinutes": "35"}},
	{"blue-green", map[string]any{
		"deploymentStrategy": "blue-green",
		"testListenerCidrs":  "198.51.100.0/24",
		"domainName":         "app.example.com",
		"hostedZoneId":       "Z0123456789ABCDEFGHIJ",
		"hostedZoneName":     "example.com",
	}},
	{"endpoints-secrets", map[string]any{
		"egress":     "endpoints",
		"enableExec": "true",
		// Partial ARNs: a name, and a name that ends like a complete ARN
		// (a hyphen and six characters).
		"secrets": `{"DB_PASSWORD":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db","APP_CONFIG":"arn:aws:secretsmanager:us-east-1:123456789012:secret:app-config","API_KEY":"arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key"}`,
	}},
}

// TestNoUnsuppressedFindings: cdk-nag's AwsSolutions pack (applied by
// stacks.Build, as in `cdk synth`) and the CDK itself leave no error and no
// warning in the cloud assembly.
func TestNoUnsuppressedFindings(t *testing.T) {
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.overrides)
			// The CDK writes each stack's metadata, annotations included, to
			// <Stack>.metadata.json beside the manifest.
			files, _ := filepath.Glob(filepath.Join(s.outdir, "*.metadata.json"))
			entries := 0
			for _, f := range files {
				var meta map[string][]struct {
					Type string `json:"type"`
					Data any    `json:"data"`
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &meta); err != nil {
					t.Fatal(err)
				}
				for path, list := range meta {
					for _, m := range list {
						entries++
						if m.Type == "aws:cdk:error" || m.Type == "aws:cdk:warning" {
							t.Errorf("%s at %s: %v", strings.TrimPrefix(m.Type, "aws:cdk:"), path, m.Data)
						}
					}
				}
			}
			if entries == 0 {
				t.Fatalf("the assembly has no metadata at all: the check reads the wrong files")
			}
		})
	}
}

// TestNagRunsOnSynth shows the nag pack is on: the template carries the
// suppressions it honoured, and an ALB open to the world would be flagged
// without one.
func TestNagRunsOnSynth(t *testing.T) {
	s := synth(t, nil)
	albSG := ""
	for id, r := range s.templates["Service"].Resources("AWS::EC2::SecurityGroup") {
		if strings.Contains(jsonOf(r), "Listener 80 from 0.0.0.0/0") {
			albSG = id
		}
	}
	meta := jsonOf(s.templates["Service"]["Resources"].(map[string]any)[albSG].(map[string]any)["Metadata"])
	if !strings.Contains(meta, `"id":"AwsSolutions-EC23"`) {
		t.Errorf("the ALB security group carries no EC23 suppression: is cdk-nag applied? %s", meta)
	}
}

var hash64 = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize removes what changes from run to run or with the CDK version
// alone: the CDK metadata resource and asset hashes.
func normalize(tm template) []byte {
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, val := range x {
				out[hash64.ReplaceAllString(k, "<asset-hash>")] = walk(val)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, val := range x {
				out[i] = walk(val)
			}
			return out
		case string:
			return hash64.ReplaceAllString(x, "<asset-hash>")
		}
		return v
	}
	n := walk(map[string]any(tm)).(map[string]any)
	if res, ok := n["Resources"].(map[string]any); ok {
		delete(res, "CDKMetadata")
	}
	if cond, ok := n["Conditions"].(map[string]any); ok {
		delete(cond, "CDKMetadataAvailable")
		if len(cond) == 0 {
			delete(n, "Conditions")
		}
	}
	b, _ := json.MarshalIndent(n, "", " ")
	return append(b, '\n')
}

// TestGoldenTemplates compares every stack's template, per variant, with
// testdata/golden/<variant>/<Stack>.template.json. `go test -update .`
// rewrites them; review the diff before committing.
func TestGoldenTemplates(t *testing.T) {
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			s := synth(t, v.overrides)
			dir := filepath.Join("testdata", "golden", v.name)
			for _, stack := range sortedIDs(s.templates) {
				got := normalize(s.templates[stack])
				file := filepath.Join(dir, stack+".template.json")
				if *update {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Errorf("%v: run `go test -update .` to write it", err)
					continue
				}
				if string(want) != string(got) {
					t.Errorf("%s differs from the synthesized template (run `go test -update .` if the change is intended):\n%s", file, unifiedDiff(file, "synthesized", string(want), string(got), 3))
				}
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "*.template.json")); len(files) != len(s.templates) {
				t.Errorf("%s holds %d templates, the app has %d stacks", dir, len(files), len(s.templates))
			}
		})
	}
}

// unifiedDiff renders the line difference of a and b as a unified diff with
// context lines, so a mismatch reads like `git diff`.
func unifiedDiff(nameA, nameB, a, b string, context int) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// Trim the common head and tail: templates differ in a few places.
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	// Longest common subsequence of the middle.
	lcs := make([][]int32, len(mx)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(my)+1)
	}
	for i := len(mx) - 1; i >= 0; i-- {
		for j := len(my) - 1; j >= 0; j-- {
			if mx[i] == my[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // line number in a (1-based) of ' ' and '-'
		bi   int
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', x[i], i + 1, i + 1})
	}
	i, j := 0, 0
	for i < len(mx) || j < len(my) {
		switch {
		case i < len(mx) && j < len(my) && mx[i] == my[j]:
			ops = append(ops, op{' ', mx[i], pre + i + 1, pre + j + 1})
			i, j = i+1, j+1
		case i < len(mx) && (j == len(my) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', mx[i], pre + i + 1, pre + j + 1})
			i++
		default:
			ops = append(ops, op{'+', my[j], pre + i + 1, pre + j + 1})
			j++
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, op{' ', x[len(x)-suf+k], len(x) - suf + k + 1, len(y) - suf + k + 1})
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(0, k-context)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*context || run == len(ops) {
				end = min(len(ops), end+context)
				break
			}
			end = run
		}
		na, nb := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", ops[start].ai, na, ops[start].bi, nb)
		for _, o := range ops[start:end] {
			out.WriteString(string(o.kind) + o.line + "\n")
		}
		k = end
	}
	return out.String()
}

func TestUnifiedDiff(t *testing.T) {
	a := "{\n \"A\": 1,\n \"B\": 2,\n \"C\": 3\n}"
	b := "{\n \"A\": 1,\n \"B\": 20,\n \"C\": 3,\n \"D\": 4\n}"
	want := "--- a\n+++ b\n@@ -1,5 +1,6 @@\n {\n  \"A\": 1,\n- \"B\": 2,\n- \"C\": 3\n+ \"B\": 20,\n+ \"C\": 3,\n+ \"D\": 4\n }\n"
	if got := unifiedDiff("a", "b", a, b, 3); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := unifiedDiff("a", "b", a, a, 3); got != "--- a\n+++ b\n" {
		t.Errorf("equal inputs give hunks:\n%s", got)
	}
}

const (
	// nagDoc is the page that holds the generated table of suppressions.
	nagDoc   = "docs/quality-gates.md"
	nagStart = "<!-- nag-suppressions:start (generated by `go test -update .`) -->\n"
	nagEnd   = "<!-- nag-suppressions:end -->"
)

// TestDocNagSuppressions keeps the list of cdk-nag suppressions in
// docs/quality-gates.md equal to what the templates carry, in every gate
// variant.
func TestDocNagSuppressions(t *testing.T) {
	type row struct{ path, rule, applies, reason string }
	seen := map[row][]string{}
	for _, v := range gateVariants {
		s := synth(t, v.overrides)
		for _, tm := range s.templates {
			for _, r := range tm["Resources"].(map[string]any) {
				meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
				nagMeta, _ := meta["cdk_nag"].(map[string]any)
				path, _ := meta["aws:cdk:path"].(string)
				for _, sup := range asList(nagMeta["rules_to_suppress"]) {
					m := sup.(map[string]any)
					var applies []string
					for _, a := range asList(m["applies_to"]) {
						if s, ok := a.(string); ok {
							applies = append(applies, "`"+s+"`")
						} else {
							applies = append(applies, "`"+a.(map[string]any)["regex"].(string)+"`")
						}
					}
					rw := row{strings.TrimSuffix(path, "/Resource"), m["id"].(string), strings.ReplaceAll(strings.Join(applies, "<br>"), "|", "\\|"), m["reason"].(string)}
					if !slices.Contains(seen[rw], v.name) {
						seen[rw] = append(seen[rw], v.name)
					}
				}
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("no suppressions found in the templates")
	}
	var rows []string
	for rw, variants := range seen {
		when := "always"
		if !slices.Contains(variants, "dev") {
			when = strings.Join(variants, ", ")
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s | %s | %s |", rw.path, rw.rule, rw.applies, strings.ReplaceAll(rw.reason, "|", "\\|"), when))
	}
	slices.Sort(rows)
	want := "| Construct | Rule | Findings | Why it does not apply | In variants |\n|---|---|---|---|---|\n" + strings.Join(rows, "\n") + "\n"

	b, err := os.ReadFile(nagDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, nagStart), strings.Index(doc, nagEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no suppression table between %q and %q", nagDoc, nagStart, nagEnd)
	}
	if got := doc[i+len(nagStart) : j]; got != want {
		if *update {
			if err := os.WriteFile(nagDoc, []byte(doc[:i+len(nagStart)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the table of nag suppressions in %s is stale: run `go test -update .`\n%s", nagDoc, unifiedDiff(nagDoc, "templates", got, want, 1))
	}
}
