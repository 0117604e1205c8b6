package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The "git push → running" estimate: the time from a git push to the new
// image running and recorded as released, walking the pipeline's stages and
// actions in the order the AWS::CodePipeline::Pipeline lists them. What the
// templates hold (the stages, the projects' environments, the cache flags
// of the buildspec, the smoke test's requests, the rollout bound of section
// 3) is read from them; every other duration is an assumption of
// timings.json, and the term says so.

// Build caches, as the image build's buildspec uses them.
const (
	// CacheRegistry: BuildKit's registry cache in mode=max, exported and
	// imported: every stage's layers are reused.
	CacheRegistry = "registry"
	// CacheFinalStage: the inline cache (BUILDKIT_INLINE_CACHE=1 or
	// --cache-to type=inline, which only has mode=min), or a registry
	// cache without mode=max: only the final stage's layers are reused.
	CacheFinalStage = "final-stage"
	// CacheNone: no cache is both exported and imported.
	CacheNone = "none"
	// CacheUnknown: the buildspec is a file in the repository, not in the
	// template.
	CacheUnknown = "unknown"
)

// Push is the estimate for one pipeline.
type Push struct {
	Stack    string     `json:"stack"`
	Pipeline string     `json:"pipeline"`
	Cache    BuildCache `json:"build_cache"`
	Terms    []PushTerm `json:"terms"`
	// Waits are the manual approvals: a person decides how long they take,
	// so they are not in the totals.
	Waits []PushWait `json:"waits_for_a_person"`
	// WithCache and WithoutCache are the totals when the build's layer
	// cache holds every layer before the changed source, and when it holds
	// none.
	WithCache    int `json:"with_cache_seconds"`
	WithoutCache int `json:"without_cache_seconds"`
	// Expected is the total of a push after the first with this
	// buildspec's cache: WithCache with a registry cache of every stage,
	// WithoutCache otherwise (a multi-stage Dockerfile rebuilds its build
	// stages when only the final stage is cached).
	Expected int `json:"expected_seconds"`
	// Dominant names the largest term of Expected ("Deploy/Deploy: rollout
	// bound"); DominantWithCache and DominantWithoutCache those of the two
	// totals.
	Dominant             string   `json:"dominant_term"`
	DominantSeconds      int      `json:"dominant_seconds"`
	DominantWithCache    string   `json:"dominant_term_with_cache"`
	DominantWithoutCache string   `json:"dominant_term_without_cache"`
	Notes                []string `json:"notes,omitempty"`
}

// BuildCache is what the image build's buildspec does with BuildKit's
// layer cache, and the flags that say so.
type BuildCache struct {
	Kind string `json:"kind"`
	From string `json:"from"`
}

// PushTerm is one part of the estimate.
type PushTerm struct {
	Stage  string `json:"stage"`
	Action string `json:"action"`
	Name   string `json:"name"`
	// Seconds is the term with the layer cache, WithoutCache without it:
	// the two differ for the image build only.
	Seconds      int    `json:"seconds"`
	WithoutCache int    `json:"seconds_without_cache"`
	From         string `json:"from"`
	// Assumed: the figure is timings.json's (Key), not read from a template.
	Assumed bool   `json:"assumed"`
	Key     string `json:"timing_key,omitempty"`
}

// label names the term for the dominant-term line: "Deploy/Deploy: rollout bound".
func (t PushTerm) label() string { return t.Stage + "/" + t.Action + ": " + t.Name }

// PushWait is a manual approval on the way.
type PushWait struct {
	Stage  string `json:"stage"`
	Action string `json:"action"`
	What   string `json:"what"`
	// After is how many terms come before it in the pipeline's order.
	After int `json:"after_terms"`
}

// Term names of the estimate.
const (
	PushTrigger      = "trigger"
	PushClone        = "source action and clone"
	PushHandoff      = "hand-off"
	PushProvisioning = "provisioning"
	PushBuild        = "image build"
	PushCommands     = "step commands"
	PushRollout      = "rollout bound"
	PushPoll         = "status poll"
	PushRequests     = "smoke requests (worst case)"
)

// pushes estimates every pipeline of the stacks; rollouts are section 3's
// bounds, which the deploy terms take as they are.
func pushes(stacks []Stack, rollouts []Rollout, t Timings) []Push {
	out := []Push{}
	for _, st := range stacks {
		for _, id := range st.Template.idsOf("AWS::CodePipeline::Pipeline") {
			out = append(out, pushOf(st, id, stacks, rollouts, t))
		}
	}
	return out
}

// pipeline step kinds, told apart by what their project runs.
const (
	stepOther = iota
	stepImageBuild
	stepDeploy
	stepSmoke
	stepRelease
)

func pushOf(st Stack, id string, stacks []Stack, rollouts []Rollout, t Timings) Push {
	r := st.Template.Resources[id]
	p := Push{Stack: st.ID, Pipeline: r.path(id), Cache: BuildCache{Kind: CacheNone, From: "no image build in the pipeline"}, Terms: []PushTerm{}, Waits: []PushWait{}}
	assumed := func(stage, action, name, key, from string) PushTerm {
		s := t.seconds(key)
		return PushTerm{Stage: stage, Action: action, Name: name, Seconds: s, WithoutCache: s, Assumed: true, Key: key,
			From: strings.TrimSpace("assumption: " + from)}
	}
	derived := func(stage, action, name string, s int, from string) PushTerm {
		return PushTerm{Stage: stage, Action: action, Name: name, Seconds: s, WithoutCache: s, From: from}
	}
	stages, _ := list(r.Properties["Stages"])
	triggered, builds := false, 0
	for _, sv := range stages {
		stage := object(sv)
		sname := text(stage["Name"])
		actions, _ := list(stage["Actions"])
		// Actions run by RunOrder; the template lists them in it already,
		// but sort to be sure. Actions sharing one run beside each other:
		// counted one after the other, an upper bound.
		slices.SortStableFunc(actions, func(a, b any) int {
			return cmp.Compare(runOrder(object(a)), runOrder(object(b)))
		})
		for i, av := range actions {
			a := object(av)
			aname := text(a["Name"])
			if i > 0 && runOrder(a) == runOrder(object(actions[i-1])) {
				p.Notes = append(p.Notes, fmt.Sprintf("%s/%s runs beside %s: counted one after the other, an upper bound", sname, aname, text(object(actions[i-1])["Name"])))
			}
			typ := object(a["ActionTypeId"])
			category, provider := text(typ["Category"]), text(typ["Provider"])
			cfg := object(a["Configuration"])
			switch {
			case category == "Source":
				if !triggered {
					p.Terms = append(p.Terms, assumed(sname, aname, PushTrigger, tSourceTrigger, "webhook to the pipeline starting"))
					triggered = true
				}
				if provider != "CodeStarSourceConnection" {
					p.Notes = append(p.Notes, fmt.Sprintf("source provider %s: timed as a CodeConnections source", provider))
				}
				format := cmp.Or(text(cfg["OutputArtifactFormat"]), "CODE_ZIP")
				p.Terms = append(p.Terms, assumed(sname, aname, PushClone, tSourceClone, format+", a repository of a few MB"))
			case category == "Approval":
				p.Waits = append(p.Waits, PushWait{Stage: sname, Action: aname, After: len(p.Terms),
					What: "manual approval: waits for a person, not counted in the totals"})
			case provider == "CodeBuild":
				p.Terms = append(p.Terms, assumed(sname, aname, PushHandoff, tHandoff, "CodePipeline starting the action"))
				proj, projPath, ok := projectOf(st, stacks, cfg["ProjectName"])
				if !ok {
					p.Notes = append(p.Notes, fmt.Sprintf("%s/%s runs project %s, which is not in these templates: timed as a step of AWS CLI calls", sname, aname, flatten(cfg["ProjectName"])))
					p.Terms = append(p.Terms, assumed(sname, aname, PushProvisioning, tProvisionContainer, "project not in the templates"),
						assumed(sname, aname, PushCommands, tStepCommands, "AWS CLI calls"))
					continue
				}
				p.Terms = append(p.Terms, provisioning(sname, aname, proj, t, &p.Notes))
				vars := envVars(proj, a)
				commands, inTemplate := buildspecCommands(proj.Properties)
				switch kind := stepKind(proj, vars, commands, inTemplate); kind {
				case stepImageBuild:
					builds++
					p.Cache = buildCacheOf(commands, inTemplate)
					b := assumed(sname, aname, PushBuild, tBuildWithCache, "")
					b.WithoutCache = t.seconds(tBuildWithoutCache)
					b.From = fmt.Sprintf("assumption: a small web service, %d s with the layer cache, %d s without (%s, %s)", b.Seconds, b.WithoutCache, tBuildWithCache, tBuildWithoutCache)
					p.Terms = append(p.Terms, b)
					if strings.Contains(commands, "describe-images") {
						p.Notes = append(p.Notes, "a push of a commit whose image is already in the repository skips the build and the push: faster than either figure")
					}
				case stepDeploy:
					p.Terms = append(p.Terms, assumed(sname, aname, PushCommands, tStepCommands, "register the task definition, update the service"))
					p.Terms = append(p.Terms, rolloutTerm(sname, aname, st, vars["SERVICE"], rollouts, &p.Notes))
					if poll := pollSeconds(commands); poll > 0 {
						p.Terms = append(p.Terms, derived(sname, aname, PushPoll, poll,
							fmt.Sprintf("template: the step checks the deployment every %d s (sleep %d): up to %d s after ECS reports it done", poll, poll, poll)))
					}
					if wait, ok := integer(vars["WAIT_SECONDS"]); ok {
						if ro := p.Terms[len(p.Terms)-1]; ro.Name == PushRollout && ro.Seconds > wait {
							p.Notes = append(p.Notes, fmt.Sprintf("the rollout bound %d s exceeds the deploy step's WAIT_SECONDS %d s: the step gives up and rolls back first", ro.Seconds, wait))
						}
					}
				case stepSmoke:
					p.Terms = append(p.Terms, assumed(sname, aname, PushCommands, tStepCommands, "the service's desired count"))
					p.Terms = append(p.Terms, smokeTerm(sname, aname, vars, &p.Notes))
				case stepRelease:
					p.Terms = append(p.Terms, assumed(sname, aname, PushCommands, tStepCommands, "tag the image released, write the image parameter"))
				default:
					p.Terms = append(p.Terms, assumed(sname, aname, PushCommands, tStepCommands, "not modeled: timed as a step of AWS CLI calls"))
					p.Notes = append(p.Notes, fmt.Sprintf("%s/%s (project %s) is not one of the build, deploy, smoke test and release steps: timed as a step of AWS CLI calls", sname, aname, projPath))
				}
			case provider == "ECS" || provider == "CodeDeployToECS":
				p.Terms = append(p.Terms, assumed(sname, aname, PushHandoff, tHandoff, "CodePipeline starting the action"))
				p.Terms = append(p.Terms, rolloutTerm(sname, aname, st, cfg["ServiceName"], rollouts, &p.Notes))
				if provider == "CodeDeployToECS" {
					p.Notes = append(p.Notes, "the CodeDeploy blue/green action's own traffic shifting is not modeled: section 3's bound is the ECS deployment's")
				}
			default:
				p.Terms = append(p.Terms, assumed(sname, aname, PushHandoff, tHandoff, "CodePipeline starting the action"))
				p.Notes = append(p.Notes, fmt.Sprintf("%s/%s (%s %s) is not modeled: only its hand-off is counted", sname, aname, category, provider))
			}
		}
	}
	if builds > 1 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d image builds: each is timed with the same assumption; the cache shown is the last one's", builds))
	}
	for _, tm := range p.Terms {
		p.WithCache += tm.Seconds
		p.WithoutCache += tm.WithoutCache
	}
	p.Expected = p.WithoutCache
	if p.Cache.Kind == CacheRegistry {
		p.Expected = p.WithCache
	}
	p.DominantWithCache, _ = dominantPush(p.Terms, true)
	p.DominantWithoutCache, _ = dominantPush(p.Terms, false)
	p.Dominant, p.DominantSeconds = dominantPush(p.Terms, p.Cache.Kind == CacheRegistry)
	return p
}

// dominantPush is the largest term, with or without the cache.
func dominantPush(terms []PushTerm, cached bool) (string, int) {
	name, most := "", -1
	for _, t := range terms {
		s := t.WithoutCache
		if cached {
			s = t.Seconds
		}
		if s > most {
			name, most = t.label(), s
		}
	}
	return name, max(most, 0)
}

func runOrder(a map[string]any) int {
	if n, ok := integer(a["RunOrder"]); ok {
		return n
	}
	return 1 // CodePipeline's default
}

// projectOf finds a CodeBuild action's project: by Ref in the pipeline's
// stack, or by its name in any stack.
func projectOf(st Stack, stacks []Stack, name any) (Resource, string, bool) {
	if id := refID(name); id != "" {
		r, ok := st.Template.Resources[id]
		return r, r.path(id), ok && r.Type == "AWS::CodeBuild::Project"
	}
	for _, s := range stacks {
		for id, r := range s.Template.Resources {
			if r.Type == "AWS::CodeBuild::Project" && text(r.Properties["Name"]) != "" && text(r.Properties["Name"]) == text(name) {
				return r, r.path(id), true
			}
		}
	}
	return Resource{}, "", false
}

// provisioning times a project's QUEUED and PROVISIONING phases from its
// environment type: Lambda compute starts in seconds, containers take
// longer.
func provisioning(stage, action string, proj Resource, t Timings, notes *[]string) PushTerm {
	env := object(proj.Properties["Environment"])
	typ, compute, image := text(env["Type"]), text(env["ComputeType"]), flatten(env["Image"])
	key := tProvisionContainer
	switch typ {
	case "LINUX_LAMBDA_CONTAINER", "ARM_LAMBDA_CONTAINER":
		key = tProvisionLambda
	case "LINUX_CONTAINER", "ARM_CONTAINER":
	default:
		*notes = append(*notes, fmt.Sprintf("%s/%s: environment type %q is not modeled: its provisioning is timed as an on-demand container's", stage, action, typ))
	}
	if env["Fleet"] != nil {
		*notes = append(*notes, fmt.Sprintf("%s/%s runs on a reserved fleet: a warm host starts it sooner than the on-demand figure", stage, action))
	}
	if image != "" && !strings.HasPrefix(image, "aws/codebuild/") {
		*notes = append(*notes, fmt.Sprintf("%s/%s: image %s is not a CodeBuild curated image: its pull makes provisioning longer than the figure", stage, action, image))
	}
	s := t.seconds(key)
	return PushTerm{Stage: stage, Action: action, Name: PushProvisioning, Seconds: s, WithoutCache: s, Assumed: true, Key: key,
		From: fmt.Sprintf("assumption for the template's %s %s, %s", typ, compute, image)}
}

// envVars are the variables a CodeBuild action's build sees: the project's,
// overridden by the action's.
func envVars(proj Resource, action map[string]any) map[string]any {
	vars := map[string]any{}
	evs, _ := list(object(proj.Properties["Environment"])["EnvironmentVariables"])
	for _, ev := range evs {
		vars[text(object(ev)["Name"])] = object(ev)["Value"]
	}
	var overrides []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	if s := text(object(action["Configuration"])["EnvironmentVariables"]); s != "" && json.Unmarshal([]byte(s), &overrides) == nil {
		for _, o := range overrides {
			vars[o.Name] = o.Value
		}
	}
	return vars
}

// buildspecCommands returns the commands of a project's inline buildspec,
// one a line; inTemplate is false when the buildspec is a file of the
// repository (the template names it, or names none).
func buildspecCommands(props map[string]any) (string, bool) {
	bs := flatten(object(props["Source"])["BuildSpec"])
	if !strings.Contains(bs, "phases") {
		return "", false
	}
	var spec struct {
		Phases map[string]struct {
			Commands []string `json:"commands"`
		} `json:"phases"`
	}
	if json.Unmarshal([]byte(bs), &spec) != nil {
		return bs, true // YAML: read as it is
	}
	var lines []string
	for _, phase := range []string{"install", "pre_build", "build", "post_build"} {
		lines = append(lines, spec.Phases[phase].Commands...)
	}
	return strings.Join(lines, "\n"), true
}

// stepKind tells the pipeline's steps apart by what they run, not by their
// names: the image build runs docker, the deploy step registers a task
// definition and updates the service, the smoke test has its requests'
// variables, the release record writes the image parameter.
func stepKind(proj Resource, vars map[string]any, commands string, inTemplate bool) int {
	_, smoke := vars["SMOKE_PATHS"]
	switch {
	case smoke:
		return stepSmoke
	case dockerBuild.MatchString(commands):
		return stepImageBuild
	case !inTemplate && object(proj.Properties["Environment"])["PrivilegedMode"] == true:
		return stepImageBuild // docker needs privileged mode; its buildspec is in the repository
	case strings.Contains(commands, "register-task-definition") && strings.Contains(commands, "update-service"):
		return stepDeploy
	case strings.Contains(commands, "ssm put-parameter"):
		return stepRelease
	}
	return stepOther
}

var (
	dockerBuild = regexp.MustCompile(`docker\s+(buildx\s+)?build\s`)
	// The flags of BuildKit's cache, with or without quotes around their value.
	cacheFromRegistry = regexp.MustCompile(`--cache-from[\s=]+["']?type=registry`)
	cacheToRegistry   = regexp.MustCompile(`--cache-to[\s=]+["']?(type=registry[^\s"']*)`)
	cacheFromAny      = regexp.MustCompile(`--cache-from[\s=]`)
	cacheToInline     = regexp.MustCompile(`--cache-to[\s=]+["']?type=inline|BUILDKIT_INLINE_CACHE=1`)
	sleepSeconds      = regexp.MustCompile(`\bsleep\s+(\d+)\b`)
)

// buildCacheOf reads the image build's cache from its commands.
func buildCacheOf(commands string, inTemplate bool) BuildCache {
	if !inTemplate {
		return BuildCache{Kind: CacheUnknown, From: "the buildspec is a file of the repository, not in the template: its cache is not known, and a push is taken as without the cache"}
	}
	to := cacheToRegistry.FindStringSubmatch(commands)
	from := cacheFromRegistry.MatchString(commands)
	switch {
	case to != nil && from && strings.Contains(to[1], "mode=max"):
		return BuildCache{Kind: CacheRegistry, From: "--cache-to type=registry,…,mode=max and --cache-from type=registry: BuildKit's registry cache of every stage"}
	case to != nil && from:
		return BuildCache{Kind: CacheFinalStage, From: "--cache-to type=registry without mode=max, and --cache-from type=registry: a registry cache of the final stage's layers only (mode=min)"}
	case to != nil:
		return BuildCache{Kind: CacheNone, From: "--cache-to type=registry without a --cache-from: the cache is written and never read"}
	case cacheToInline.MatchString(commands) && cacheFromAny.MatchString(commands):
		return BuildCache{Kind: CacheFinalStage, From: "the inline cache (BUILDKIT_INLINE_CACHE=1 or --cache-to type=inline) with --cache-from the previous image: the inline cache holds the final stage's layers only (mode=min)"}
	case cacheToInline.MatchString(commands):
		return BuildCache{Kind: CacheNone, From: "an inline cache that no --cache-from reads"}
	}
	return BuildCache{Kind: CacheNone, From: "no --cache-from or --cache-to: every build starts cold"}
}

// rolloutTerm is section 3's bound of the service the deploy step or action
// names, found by the service's logical ID in the value (a Ref, or an
// export of the service stack); the assembly's one service otherwise.
func rolloutTerm(stage, action string, st Stack, service any, rollouts []Rollout, notes *[]string) PushTerm {
	ref, _ := json.Marshal(service)
	var found []Rollout
	for _, ro := range rollouts {
		if ro.logicalID != "" && strings.Contains(string(ref), ro.logicalID) {
			found = append(found, ro)
		}
	}
	if len(found) != 1 && len(rollouts) == 1 {
		*notes = append(*notes, fmt.Sprintf("%s/%s names the service %s, which the report could not match: the assembly's one service's bound is used", stage, action, flatten(service)))
		found = rollouts
	}
	if len(found) != 1 {
		*notes = append(*notes, fmt.Sprintf("%s/%s: the service %s is not one ECS service of these templates: its rollout is not counted", stage, action, flatten(service)))
		return PushTerm{Stage: stage, Action: action, Name: PushRollout, From: "service not in the templates"}
	}
	ro := found[0]
	return PushTerm{Stage: stage, Action: action, Name: PushRollout, Seconds: ro.Seconds, WithoutCache: ro.Seconds,
		From: fmt.Sprintf("section 3: %s, %s; its dominant term %s", ro.Service, strategyName(ro.Strategy), ro.Dominant)}
}

// pollSeconds is the deploy step's wait between status checks: the longest
// sleep in its commands.
func pollSeconds(commands string) int {
	most := 0
	for _, m := range sleepSeconds.FindAllStringSubmatch(commands, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n > most {
			most = n
		}
	}
	return most
}

// smokeTerm is the smoke test's requests at their worst that still pass:
// every path, every try, each answering just inside its time limit (one
// that takes longer fails the test at once).
func smokeTerm(stage, action string, vars map[string]any, notes *[]string) PushTerm {
	paths := strings.Fields(text(vars["SMOKE_PATHS"]))
	tries, okTries := integer(vars["SMOKE_TRIES"])
	limit, okLimit := integer(vars["SMOKE_REQUEST_SECONDS"])
	if len(paths) == 0 || !okTries || !okLimit {
		*notes = append(*notes, fmt.Sprintf("%s/%s: SMOKE_PATHS %s, SMOKE_TRIES %s, SMOKE_REQUEST_SECONDS %s are not all plain values: the requests are not counted",
			stage, action, flatten(vars["SMOKE_PATHS"]), flatten(vars["SMOKE_TRIES"]), flatten(vars["SMOKE_REQUEST_SECONDS"])))
		return PushTerm{Stage: stage, Action: action, Name: PushRequests, From: "not known"}
	}
	s := len(paths) * tries * limit
	return PushTerm{Stage: stage, Action: action, Name: PushRequests, Seconds: s, WithoutCache: s,
		From: fmt.Sprintf("template: %d path(s) (SMOKE_PATHS %q) × %d tries (SMOKE_TRIES) × %d s (SMOKE_REQUEST_SECONDS), each just inside its limit", len(paths), strings.Join(paths, " "), tries, limit)}
}

// cacheCase says which total a push takes with the buildspec's cache.
func cacheCase(p Push) string {
	switch p.Cache.Kind {
	case CacheRegistry:
		return fmt.Sprintf("every stage's layers come from the cache, so a push after the first takes the with-cache figure: %s", duration(p.WithCache))
	case CacheFinalStage:
		return fmt.Sprintf("only the final stage's layers come from the cache, so a multi-stage Dockerfile (such as app/'s) rebuilds its build stage on every push and takes the without-cache figure: %s; a single-stage one would take %s", duration(p.WithoutCache), duration(p.WithCache))
	}
	return fmt.Sprintf("nothing comes from a cache, so a push takes the without-cache figure: %s", duration(p.WithoutCache))
}

func writePushes(b *strings.Builder, ps []Push, t Timings) {
	if len(ps) == 0 {
		b.WriteString("No pipeline in the templates: there is no push to estimate.\n")
		return
	}
	b.WriteString("From a git push to the new image running and recorded as released, through the pipeline's stages in order. Seconds marked * are assumptions (report/timings.json); the rest come from the templates.\n")
	for _, p := range ps {
		fmt.Fprintf(b, "\n%s (%s stack)\n", p.Pipeline, p.Stack)
		writeWrapped(b, "  Build cache: ", "    ", p.Cache.From+".")
		rows := [][]string{{"STAGE", "ACTION", "TERM", "WITH CACHE", "WITHOUT", "FROM"}}
		mark := func(s int, assumed bool) string {
			if assumed {
				return strconv.Itoa(s) + "*"
			}
			return strconv.Itoa(s) + " "
		}
		waits := p.Waits
		for i := 0; i <= len(p.Terms); i++ {
			for len(waits) > 0 && waits[0].After == i {
				rows = append(rows, []string{waits[0].Stage, waits[0].Action, "waits for a person", "-", "-", waits[0].What})
				waits = waits[1:]
			}
			if i < len(p.Terms) {
				tm := p.Terms[i]
				rows = append(rows, []string{tm.Stage, tm.Action, tm.Name, mark(tm.Seconds, tm.Assumed), mark(tm.WithoutCache, tm.Assumed), tm.From})
			}
		}
		rows = append(rows, []string{"Total", "", "", strconv.Itoa(p.WithCache) + " ", strconv.Itoa(p.WithoutCache) + " ", ""})
		writeTable(b, "  ", rows, []bool{false, false, false, true, true, false})
		fmt.Fprintf(b, "  With the layer cache: %s; without: %s.\n", duration(p.WithCache), duration(p.WithoutCache))
		writeWrapped(b, "  ", "    ", "This buildspec: "+cacheCase(p)+".")
		fmt.Fprintf(b, "  Dominant term: %s, %s of %s.\n", p.Dominant, duration(p.DominantSeconds), duration(p.Expected))
		if len(p.Waits) > 0 {
			writeWrapped(b, "  ", "    ", fmt.Sprintf("Not counted: %d manual approval(s); the pipeline waits there for a person (up to 7 days) before it deploys.", len(p.Waits)))
		}
		for _, n := range p.Notes {
			writeWrapped(b, "  Note: ", "    ", n)
		}
	}
	b.WriteString("  Assumptions (report/timings.json):\n")
	for _, k := range timingKeys {
		e := t.get(k)
		writeWrapped(b, "    - ", "      ", fmt.Sprintf("%s = %d s (as of %s): %s. %s", k, e.Seconds, e.AsOf, e.What, e.Note))
	}
}
