package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// exportChange is one export in use that the new templates change.
type exportChange struct {
	Export string
	Why    string
	// Maybe: preflight cannot tell whether the value changes.
	Maybe bool
}

// exportConflict is what one importing stack holds against one exporting
// stack's update.
type exportConflict struct {
	Exporter, Importer string
	Changes            []exportChange
	// Destroy lists the stacks to delete, in order, before the importer
	// can go: those that import from it first, then the importer.
	Destroy []string
}

// checkExports compares, for every stack of the app already deployed, the
// exports other deployed stacks import with what the new templates export.
// CloudFormation refuses to change or remove an export in use ("Export …
// cannot be updated as it is in use by …"), half-way through a deploy.
func checkExports(e *env) []Result {
	exports, err := e.listExports()
	if err != nil {
		return []Result{{Check: "exports", Status: Warn,
			Found: "could not list the account's exports: " + short(err) + ": a change to an export in use would fail the deploy",
			Fix:   "allow cloudformation:ListExports and cloudformation:ListImports, or compare by hand: aws cloudformation list-exports --region " + e.region + e.profileFlag()}}
	}
	var results []Result
	var deployedNames, exporterNames, importerNames []string
	inUse := 0
	var conflicts []exportConflict
	for _, s := range e.a.Stacks {
		d := e.deployedStack(s.Name)
		if d.Err != nil {
			results = append(results, Result{Check: "exports", Status: Warn,
				Found: "could not read deployed stack " + s.Name + ": " + short(d.Err),
				Fix:   "allow cloudformation:DescribeStacks, GetTemplate and ListStackResources on it"})
			continue
		}
		if d.Stack == nil {
			continue
		}
		deployedNames = append(deployedNames, s.Name)
		repl := replacements(d.Template, s.Template)
		byImporter := map[string][]exportChange{}
		for _, name := range sortedKeys(exports) {
			ex := exports[name]
			if deref(ex.ExportingStackId) != deref(d.Stack.StackId) {
				continue
			}
			importers, err := e.importersOf(name)
			if err != nil {
				results = append(results, Result{Check: "exports", Status: Warn,
					Found: "could not tell which stacks import " + name + ": " + short(err),
					Fix:   "allow cloudformation:ListImports (or DescribeStacks and GetTemplate on every stack)"})
				continue
			}
			importers = slices.DeleteFunc(slices.Clone(importers), func(n string) bool { return n == s.Name })
			if len(importers) == 0 {
				continue
			}
			inUse++
			if !slices.Contains(exporterNames, s.Name) {
				exporterNames = append(exporterNames, s.Name)
			}
			for _, imp := range importers {
				if !slices.Contains(importerNames, imp) {
					importerNames = append(importerNames, imp)
				}
			}
			ch, changed := exportChangeOf(name, deref(ex.Value), d.Template, s.Template, repl)
			if !changed {
				continue
			}
			for _, imp := range importers {
				byImporter[imp] = append(byImporter[imp], ch)
			}
		}
		for _, imp := range sortedKeys(byImporter) {
			conflicts = append(conflicts, exportConflict{Exporter: s.Name, Importer: imp, Changes: byImporter[imp]})
		}
	}
	for i := range conflicts {
		conflicts[i].Destroy = e.destroyOrder(conflicts[i].Importer, exports)
		results = append(results, exportConflictResult(conflicts[i], e.region, e.profile))
	}
	if len(conflicts) == 0 && !hasCheck(results, "exports") {
		slices.Sort(importerNames)
		slices.Sort(exporterNames)
		results = append(results, exportsOKResult(deployedNames, exporterNames, inUse, importerNames))
	}
	return results
}

// exportChangeOf tells whether the new templates change or remove a
// deployed export: removed, a literal value that differs, another value
// expression, or an expression that refers to a resource the update
// replaces (a new physical ID, so a new value).
func exportChangeOf(name, value string, old, new Template, repl map[string]replacement) (exportChange, bool) {
	newOut, ok := outputExporting(new, name)
	if !ok {
		return exportChange{Export: name, Why: "the new templates no longer export it"}, true
	}
	if s, ok := newOut.Value.(string); ok {
		if s != value {
			return exportChange{Export: name, Why: fmt.Sprintf("its value changes from %s to %s", value, s)}, true
		}
		return exportChange{}, false
	}
	oldOut, ok := outputExporting(old, name)
	if !ok {
		return exportChange{Export: name, Maybe: true, Why: "the deployed template does not name it, so preflight cannot compare its value"}, true
	}
	if !sameJSON(oldOut.Value, newOut.Value) {
		return exportChange{Export: name, Why: fmt.Sprintf("its value changes from %s to %s", describeValue(oldOut.Value), describeValue(newOut.Value))}, true
	}
	var maybe *exportChange
	for _, ref := range references(newOut.Value) {
		r, ok := repl[ref]
		if !ok {
			continue
		}
		what := ref
		if res, ok := new.Resources[ref]; ok {
			what = fmt.Sprintf("%s (%s)", ref, res.Type)
		}
		if r.Replaced {
			return exportChange{Export: name, Why: fmt.Sprintf("%s is replaced: %s", what, r.Why)}, true
		}
		if maybe == nil {
			maybe = &exportChange{Export: name, Maybe: true, Why: fmt.Sprintf("%s may be replaced: %s", what, r.Why)}
		}
	}
	if maybe != nil {
		return *maybe, true
	}
	return exportChange{}, false
}

// outputExporting finds the template output that exports name.
func outputExporting(t Template, name string) (Output, bool) {
	for _, o := range t.Outputs {
		if o.exportName() == name {
			return o, true
		}
	}
	return Output{}, false
}

// exportConflictResult is the line of one importing stack that blocks an
// exporting stack's update.
func exportConflictResult(c exportConflict, region, profile string) Result {
	r := Result{Check: "exports", Status: Warn}
	var parts []string
	for _, ch := range c.Changes {
		if !ch.Maybe {
			r.Status = Fail
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", ch.Export, ch.Why))
	}
	verb := "changes"
	if r.Status == Warn {
		verb = "may change"
	}
	r.Found = fmt.Sprintf("%s imports %d export(s) of %s that this deploy %s, and CloudFormation refuses to update an export in use (\"Export … cannot be updated as it is in use by %s\"): %s",
		c.Importer, len(c.Changes), c.Exporter, verb, c.Importer, strings.Join(parts, "; "))
	var cmds []string
	for _, s := range c.Destroy {
		cmds = append(cmds,
			fmt.Sprintf("aws cloudformation delete-stack --stack-name %s --region %s%s", s, region, profileFlag(profile)),
			fmt.Sprintf("aws cloudformation wait stack-delete-complete --stack-name %s --region %s%s", s, region, profileFlag(profile)))
	}
	first := c.Importer
	if len(c.Destroy) > 1 {
		first = fmt.Sprintf("%s (after %s, which import from it)", c.Importer, strings.Join(c.Destroy[:len(c.Destroy)-1], ", "))
	}
	r.Fix = fmt.Sprintf("deploy in two steps: first a deploy in which %s no longer imports them while %s still exports them (the CDK's stack.exportValue keeps an export), then this one; "+
		"or destroy the importing stack %s first, then deploy (it is down meanwhile): %s",
		c.Importer, c.Exporter, first, strings.Join(cmds, " && "))
	return r
}

// exportsOKResult is the line when no export in use changes: deployed
// lists the app's deployed stacks, exporters those of them whose exports
// other stacks import.
func exportsOKResult(deployed, exporters []string, inUse int, importers []string) Result {
	r := Result{Check: "exports", Status: OK}
	switch {
	case len(deployed) == 0:
		r.Found = "no stack of the app is deployed yet: no export is in use"
	case inUse == 0:
		r.Found = fmt.Sprintf("no export of %s is imported by another stack", strings.Join(deployed, ", "))
	default:
		r.Found = fmt.Sprintf("%d export(s) of %s are imported by %s; the new templates keep every one of them unchanged",
			inUse, strings.Join(exporters, ", "), strings.Join(importers, ", "))
	}
	return r
}

// listExports reads every export of the region, once.
func (e *env) listExports() (map[string]cfntypes.Export, error) {
	if e.exportsRead {
		return e.exports, e.exportsErr
	}
	e.exportsRead = true
	e.exports = map[string]cfntypes.Export{}
	p := cloudformation.NewListExportsPaginator(e.c.CloudFormation, &cloudformation.ListExportsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			e.exportsErr = err
			return nil, err
		}
		for _, ex := range page.Exports {
			e.exports[deref(ex.Name)] = ex
		}
	}
	return e.exports, nil
}

// importersOf lists the stacks that import an export. It asks ListImports,
// and when that fails for another reason than "not imported" (moto lacks
// it; a policy may deny it) reads every deployed template's
// Fn::ImportValue instead, once.
func (e *env) importersOf(name string) ([]string, error) {
	if e.scanned {
		return e.importers[name], e.importersErr
	}
	if e.importers == nil {
		e.importers = map[string][]string{}
	}
	if v, ok := e.importers[name]; ok {
		return v, nil
	}
	out := []string{}
	p := cloudformation.NewListImportsPaginator(e.c.CloudFormation, &cloudformation.ListImportsInput{ExportName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			if apiCode(err) == "ValidationError" && strings.Contains(err.Error(), "not imported") {
				break
			}
			e.scanImports()
			return e.importers[name], e.importersErr
		}
		out = append(out, page.Imports...)
	}
	slices.Sort(out)
	e.importers[name] = out
	return out, nil
}

// scanImports fills importers from every deployed stack's template.
func (e *env) scanImports() {
	e.scanned = true
	e.importers = map[string][]string{}
	p := cloudformation.NewDescribeStacksPaginator(e.c.CloudFormation, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			e.importersErr = err
			return
		}
		for _, st := range page.Stacks {
			if st.StackStatus == cfntypes.StackStatusDeleteComplete {
				continue
			}
			out, err := e.c.CloudFormation.GetTemplate(e.ctx, &cloudformation.GetTemplateInput{StackName: st.StackId})
			if err != nil {
				e.importersErr = fmt.Errorf("reading the template of %s: %w", deref(st.StackName), err)
				return
			}
			for _, imp := range templateImports(deref(out.TemplateBody)) {
				if !slices.Contains(e.importers[imp], deref(st.StackName)) {
					e.importers[imp] = append(e.importers[imp], deref(st.StackName))
				}
			}
		}
	}
	for k := range e.importers {
		slices.Sort(e.importers[k])
	}
}

// destroyOrder lists the stacks to delete so that stack can go: every
// stack importing one of its exports, recursively, then stack itself.
func (e *env) destroyOrder(stack string, exports map[string]cfntypes.Export) []string {
	var order []string
	seen := map[string]bool{}
	var visit func(s string)
	visit = func(s string) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, name := range sortedKeys(exports) {
			if stackNameOfID(deref(exports[name].ExportingStackId)) != s {
				continue
			}
			importers, _ := e.importersOf(name)
			for _, imp := range importers {
				if imp != s {
					visit(imp)
				}
			}
		}
		order = append(order, s)
	}
	visit(stack)
	return order
}

// stackNameOfID reads the name out of a stack ID,
// arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID.
func stackNameOfID(id string) string {
	_, rest, ok := strings.Cut(id, ":stack/")
	if !ok {
		return id
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

func hasCheck(results []Result, check string) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Check == check })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
