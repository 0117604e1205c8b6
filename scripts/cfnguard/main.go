// Command cfnguard runs the AWS Control Tower proactive controls (the
// cfn-guard rules shipped by @cdklabs/cdk-validator-cfnguard, pinned in
// package.json) over every golden template, minus the exceptions listed
// with their reasons in cfn-guard-exceptions.json.
//
//	go run ./scripts/cfnguard [-golden testdata/golden] [-exceptions cfn-guard-exceptions.json]
//
// It fails when a rule fails that is not excepted, and when an exception is
// stale (its rule passes after all), so the list of exceptions stays true.
// An exception that names resources (by CDK path) excepts those alone: the
// rule must pass on the templates without them, and fail with them.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
)

const pkg = "node_modules/@cdklabs/cdk-validator-cfnguard"

type exception struct {
	Rule     string   `json:"rule"`
	Control  string   `json:"control"`
	Variants []string `json:"variants"`
	// Resources, when given, are the CDK paths (aws:cdk:path) of the only
	// resources the rule is excepted for.
	Resources []string `json:"resources,omitempty"`
	Reason    string   `json:"reason"`
}

func (e exception) covers(variant string) bool {
	return slices.Contains(e.Variants, "*") || slices.Contains(e.Variants, variant)
}

func main() {
	golden := flag.String("golden", "testdata/golden", "directory of golden templates, one subdirectory per variant")
	file := flag.String("exceptions", "cfn-guard-exceptions.json", "exceptions file")
	flag.Parse()
	if err := run(*golden, *file); err != nil {
		fmt.Fprintf(os.Stderr, "cfn-guard: %v\n", err)
		os.Exit(1)
	}
}

func run(golden, file string) error {
	bin, err := guardBinary()
	if err != nil {
		return err
	}
	rules, err := filepath.Glob(filepath.Join(pkg, "rules/control-tower/cfn-guard/*/*.guard"))
	if err != nil || len(rules) == 0 {
		return fmt.Errorf("no Control Tower rules under %s: run `npm ci`", pkg)
	}
	exceptions, err := readExceptions(file, rules)
	if err != nil {
		return err
	}
	variants, err := os.ReadDir(golden)
	if err != nil {
		return fmt.Errorf("reading golden templates: %w (run `go test -update .`)", err)
	}

	type result struct {
		variant  string
		problems []string
		ran      int
	}
	results := make([]result, len(variants))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i, v := range variants {
		if !v.IsDir() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			problems, ran := checkVariant(bin, filepath.Join(golden, v.Name()), v.Name(), rules, exceptions)
			results[i] = result{v.Name(), problems, ran}
		}()
	}
	wg.Wait()

	var failed []string
	for _, r := range results {
		if r.variant == "" {
			continue
		}
		if len(r.problems) == 0 {
			fmt.Printf("cfn-guard %-18s ok: %d of %d Control Tower rules concern its resource types; all pass but %d excepted\n", r.variant, r.ran, len(rules), countFor(exceptions, r.variant))
			continue
		}
		for _, p := range r.problems {
			failed = append(failed, r.variant+": "+p)
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "\n"))
	}
	return nil
}

// checkVariant runs the rules a variant must pass, then each of its
// exceptions alone, which must still fail. A rule about resource types none
// of the variant's templates has cannot fail, and is not run: cfn-guard
// parses every template once per rule file, so this is most of its time.
func checkVariant(bin, dir, variant string, rules []string, exceptions []exception) ([]string, int) {
	present, err := resourceTypes(dir)
	if err != nil {
		return []string{err.Error()}, 0
	}
	var must, excepted []string
	scoped := map[string][]string{} // rule file: the CDK paths excepted from it
	for _, r := range rules {
		if applies, err := concerns(r, present); err != nil {
			return []string{err.Error()}, 0
		} else if !applies {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(r), ".guard")
		switch i := slices.IndexFunc(exceptions, func(e exception) bool { return e.Rule == name }); {
		case i < 0 || !exceptions[i].covers(variant):
			must = append(must, r)
		case len(exceptions[i].Resources) > 0:
			scoped[r] = exceptions[i].Resources
		default:
			excepted = append(excepted, r)
		}
	}
	var problems []string
	if out, ok, err := validate(bin, dir, must); err != nil {
		problems = append(problems, err.Error())
	} else if !ok {
		problems = append(problems, "Control Tower rules fail (fix them, or list them in cfn-guard-exceptions.json with the reason):\n"+out)
	}
	for _, r := range excepted {
		if _, ok, err := validate(bin, dir, []string{r}); err != nil {
			problems = append(problems, err.Error())
		} else if ok {
			problems = append(problems, fmt.Sprintf("%s passes: remove its exception for %s from cfn-guard-exceptions.json", filepath.Base(r), variant))
		}
	}
	for _, r := range slices.Sorted(maps.Keys(scoped)) {
		problems = append(problems, checkScoped(bin, dir, variant, r, scoped[r])...)
	}
	return problems, len(must) + len(excepted) + len(scoped)
}

// checkScoped holds a rule excepted for some resources to the rest: it must
// pass on the variant's templates without those resources, and fail on
// them as they are, or the exception is stale.
func checkScoped(bin, dir, variant, rule string, paths []string) []string {
	tmp, err := os.MkdirTemp("", "cfnguard-")
	if err != nil {
		return []string{err.Error()}
	}
	defer os.RemoveAll(tmp)
	removed, err := withoutResources(dir, tmp, paths)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, p := range paths {
		if !removed[p] {
			problems = append(problems, fmt.Sprintf("%s: no resource at %s, which its exception names: update cfn-guard-exceptions.json", filepath.Base(rule), p))
		}
	}
	if out, ok, err := validate(bin, tmp, []string{rule}); err != nil {
		problems = append(problems, err.Error())
	} else if !ok {
		problems = append(problems, fmt.Sprintf("%s fails on resources its exception does not name (%s):\n%s", filepath.Base(rule), strings.Join(paths, ", "), out))
	}
	if _, ok, err := validate(bin, dir, []string{rule}); err != nil {
		problems = append(problems, err.Error())
	} else if ok {
		problems = append(problems, fmt.Sprintf("%s passes: remove its exception for %s from cfn-guard-exceptions.json", filepath.Base(rule), variant))
	}
	return problems
}

// withoutResources copies the templates of dir to out without the
// resources at the CDK paths, and says which paths it found.
func withoutResources(dir, out string, paths []string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil {
		return nil, err
	}
	removed := map[string]bool{}
	for _, f := range files {
		var tm map[string]any
		b, err := os.ReadFile(f)
		if err == nil {
			err = json.Unmarshal(b, &tm)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		resources, _ := tm["Resources"].(map[string]any)
		for id, r := range resources {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			if p, _ := meta["aws:cdk:path"].(string); slices.Contains(paths, p) {
				delete(resources, id)
				removed[p] = true
			}
		}
		if b, err = json.Marshal(tm); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(f)), b, 0o644); err != nil {
			return nil, err
		}
	}
	return removed, nil
}

var typeName = regexp.MustCompile(`AWS::[A-Za-z0-9]+::[A-Za-z0-9]+`)

// concerns reports whether a rule file names a resource type that is
// present, or names none (then it is run anyway).
func concerns(rule string, present map[string]bool) (bool, error) {
	b, err := os.ReadFile(rule)
	if err != nil {
		return false, err
	}
	types := typeName.FindAllString(string(b), -1)
	if len(types) == 0 {
		return true, nil
	}
	return slices.ContainsFunc(types, func(t string) bool { return present[t] }), nil
}

// resourceTypes lists the resource types of a variant's templates.
func resourceTypes(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no templates in %s", dir)
	}
	present := map[string]bool{}
	for _, f := range files {
		var tm struct {
			Resources map[string]struct{ Type string } `json:"Resources"`
		}
		b, err := os.ReadFile(f)
		if err == nil {
			err = json.Unmarshal(b, &tm)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, r := range tm.Resources {
			present[r.Type] = true
		}
	}
	return present, nil
}

// validate runs cfn-guard; ok is false when a rule fails (exit 19).
func validate(bin, dir string, rules []string) (string, bool, error) {
	args := []string{"validate", "-d", dir, "-S", "fail", "-o", "single-line-summary"}
	for _, r := range rules {
		args = append(args, "-r", r)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), true, nil
	case errors.As(err, &exit) && exit.ExitCode() == 19:
		return summarize(string(out)), false, nil
	default:
		return "", false, fmt.Errorf("running %s: %v\n%s", bin, err, out)
	}
}

// summarize keeps, of cfn-guard's report, which rule failed on which
// template and resource.
func summarize(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		if strings.Contains(t, "Status = FAIL") || strings.HasSuffix(t, "FAIL") && strings.Contains(t, ".guard/") ||
			strings.HasPrefix(t, "Resource = ") || strings.HasPrefix(t, "CDK-Path") || strings.HasPrefix(t, "[CT.") {
			b.WriteString("  " + t + "\n")
		}
	}
	return b.String()
}

func readExceptions(file string, rules []string) ([]exception, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Exceptions []exception `json:"exceptions"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, e := range doc.Exceptions {
		known := slices.ContainsFunc(rules, func(r string) bool { return strings.TrimSuffix(filepath.Base(r), ".guard") == e.Rule })
		switch {
		case !known:
			return nil, fmt.Errorf("%s: rule %q is not a Control Tower rule of %s", file, e.Rule, pkg)
		case len(strings.TrimSpace(e.Reason)) < 20:
			return nil, fmt.Errorf("%s: the exception for %s needs a reason that says why the control does not apply", file, e.Rule)
		case len(e.Variants) == 0:
			return nil, fmt.Errorf("%s: the exception for %s names no variants (\"*\" for all)", file, e.Rule)
		}
	}
	return doc.Exceptions, nil
}

func countFor(exceptions []exception, variant string) int {
	n := 0
	for _, e := range exceptions {
		if e.covers(variant) {
			n++
		}
	}
	return n
}

// guardBinary is the static cfn-guard the npm package ships for this
// platform.
func guardBinary() (string, error) {
	osDir := map[string]string{"linux": "ubuntu", "darwin": "macos"}[runtime.GOOS]
	archDir := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	bin := filepath.Join(pkg, "bin", osDir, archDir, "cfn-guard")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("no cfn-guard binary for %s/%s at %s: run `npm ci`", runtime.GOOS, runtime.GOARCH, bin)
	}
	return bin, nil
}
