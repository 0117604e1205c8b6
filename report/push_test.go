package report

import (
	"encoding/json"
	"strings"
	"testing"
)

// onePush is the estimate of the assembly's one pipeline.
func onePush(t *testing.T, r *Report) Push {
	t.Helper()
	if len(r.Pushes) != 1 {
		t.Fatalf("%d push estimates, want 1: %s", len(r.Pushes), jsonOf(r.Pushes))
	}
	return r.Pushes[0]
}

// checkTerms compares the terms, in the pipeline's order, with the
// expected stage/action: name and seconds with and without the cache.
func checkTerms(t *testing.T, p Push, want []PushTerm) {
	t.Helper()
	if len(p.Terms) != len(want) {
		t.Errorf("%d terms, want %d: %s", len(p.Terms), len(want), jsonOf(p.Terms))
	}
	for i := range min(len(p.Terms), len(want)) {
		g, w := p.Terms[i], want[i]
		if g.label() != w.label() || g.Seconds != w.Seconds || g.WithoutCache != w.WithoutCache || g.Assumed != w.Assumed {
			t.Errorf("term %d: %s %d/%d s assumed %v, want %s %d/%d s assumed %v", i, g.label(), g.Seconds, g.WithoutCache, g.Assumed, w.label(), w.Seconds, w.WithoutCache, w.Assumed)
		}
	}
}

// term builds an expected term; cached and uncached differ for the build only.
func term(stage, action, name string, cached, uncached int, assumed bool) PushTerm {
	return PushTerm{Stage: stage, Action: action, Name: name, Seconds: cached, WithoutCache: uncached, Assumed: assumed}
}

// TestPushRegistryCache: the app's dev pipeline with the speed branch's
// registry cache of every stage, a manual approval, other smoke settings
// and the release record on Lambda compute (testdata/push-registry-cache,
// CASE.md there), against figures worked out by hand from the template and
// timings.json.
func TestPushRegistryCache(t *testing.T) {
	r := build(t, "testdata/push-registry-cache")
	p := onePush(t, r)
	if p.Cache.Kind != CacheRegistry {
		t.Errorf("build cache %+v, want %s: the buildspec has --cache-to type=registry,…,mode=max and --cache-from type=registry", p.Cache, CacheRegistry)
	}
	if len(r.Rollouts) != 1 || r.Rollouts[0].Seconds != 420 {
		t.Fatalf("section 3's bound %s, want the dev service's 420 s", jsonOf(r.Rollouts))
	}
	const yes, no = true, false
	checkTerms(t, p, []PushTerm{
		term("Source", "Source", PushTrigger, 30, 30, yes),
		term("Source", "Source", PushClone, 20, 20, yes),
		term("Build", "BuildImage", PushHandoff, 5, 5, yes),
		term("Build", "BuildImage", PushProvisioning, 60, 60, yes), // ARM_CONTAINER: the container figure
		term("Build", "BuildImage", PushBuild, 90, 240, yes),
		term("Deploy", "Deploy", PushHandoff, 5, 5, yes),
		term("Deploy", "Deploy", PushProvisioning, 60, 60, yes),
		term("Deploy", "Deploy", PushCommands, 15, 15, yes),
		term("Deploy", "Deploy", PushRollout, 420, 420, no), // section 3's bound, as it is
		term("Deploy", "Deploy", PushPoll, 15, 15, no),      // sleep 15 in the deploy step
		term("Release", "SmokeTest", PushHandoff, 5, 5, yes),
		term("Release", "SmokeTest", PushProvisioning, 60, 60, yes),
		term("Release", "SmokeTest", PushCommands, 15, 15, yes),
		term("Release", "SmokeTest", PushRequests, 3*2*5, 3*2*5, no), // 3 paths × 2 tries × 5 s
		term("Release", "RecordImage", PushHandoff, 5, 5, yes),
		term("Release", "RecordImage", PushProvisioning, 5, 5, yes), // ARM_LAMBDA_CONTAINER: the Lambda figure
		term("Release", "RecordImage", PushCommands, 15, 15, yes),
	})
	// source 30 + 20; build 5 + 60 + 90; deploy 5 + 60 + 15 + 420 + 15;
	// smoke 5 + 60 + 15 + 30; release 5 + 5 + 15
	withCache := 30 + 20 + 5 + 60 + 90 + 5 + 60 + 15 + 420 + 15 + 5 + 60 + 15 + 30 + 5 + 5 + 15 // = 855 s
	if p.WithCache != withCache || p.WithoutCache != withCache-90+240 {
		t.Errorf("totals %d s with the cache, %d s without; want %d s and %d s", p.WithCache, p.WithoutCache, withCache, withCache-90+240)
	}
	if p.Expected != p.WithCache {
		t.Errorf("expected %d s, want the with-cache total %d s: the registry cache holds every stage", p.Expected, p.WithCache)
	}
	if p.Dominant != "Deploy/Deploy: rollout bound" || p.DominantSeconds != 420 {
		t.Errorf("dominant term %q (%d s), want Deploy/Deploy: rollout bound (420 s)", p.Dominant, p.DominantSeconds)
	}
	// The approval is named where it stands (after the build's five
	// terms) and adds nothing.
	if len(p.Waits) != 1 || p.Waits[0].Action != "Approve" || p.Waits[0].After != 5 || !strings.Contains(p.Waits[0].What, "waits for a person") {
		t.Errorf("waits %s, want the Approve action after the build's 5 terms", jsonOf(p.Waits))
	}

	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	section := out[strings.Index(out, "5. GIT PUSH → RUNNING"):]
	for _, want := range []string{
		"Approval  Approve      waits for a person",
		"Total                                                     855     1005",
		"every stage's layers come from the cache, so a push after the first takes the with-cache figure: 855 s (14 min 15 s)",
		"Dominant term: Deploy/Deploy: rollout bound, 420 s (7 min) of 855 s (14 min 15 s).",
		"Not counted: 1 manual approval(s)",
		"image_build_with_cache = 90 s (as of 2026-12-01)",
	} {
		if !strings.Contains(strings.Join(strings.Fields(section), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("section 5 lacks %q:\n%s", want, section)
		}
	}
	// Every assumed term names its timings.json key; none derived does.
	for _, tm := range p.Terms {
		if tm.Assumed != (tm.Key != "") || tm.Assumed && !strings.HasPrefix(tm.From, "assumption") {
			t.Errorf("%s: assumed %v, key %q, from %q", tm.label(), tm.Assumed, tm.Key, tm.From)
		}
	}
}

// TestPushInlineCacheECSAction: the app's dev as an older synth wrote it
// (testdata/lean-dev): the inline cache, and the ECS deploy action, which
// runs no CodeBuild project.
func TestPushInlineCacheECSAction(t *testing.T) {
	r := build(t, "testdata/lean-dev")
	p := onePush(t, r)
	if p.Cache.Kind != CacheFinalStage {
		t.Errorf("build cache %+v, want %s: BUILDKIT_INLINE_CACHE=1 with --cache-from", p.Cache, CacheFinalStage)
	}
	bound := r.Rollouts[0].Seconds
	checkTerms(t, p, []PushTerm{
		term("Source", "Source", PushTrigger, 30, 30, true),
		term("Source", "Source", PushClone, 20, 20, true),
		term("Build", "BuildImage", PushHandoff, 5, 5, true),
		term("Build", "BuildImage", PushProvisioning, 60, 60, true),
		term("Build", "BuildImage", PushBuild, 90, 240, true),
		term("Deploy", "Deploy", PushHandoff, 5, 5, true),
		term("Deploy", "Deploy", PushRollout, bound, bound, false), // no provisioning: no project
		term("Release", "RecordImage", PushHandoff, 5, 5, true),
		term("Release", "RecordImage", PushProvisioning, 60, 60, true),
		term("Release", "RecordImage", PushCommands, 15, 15, true),
	})
	if p.Expected != p.WithoutCache {
		t.Errorf("expected %d s, want the without-cache total %d s: the inline cache holds the final stage only", p.Expected, p.WithoutCache)
	}
	// Section 3 bounds this service at 240 s, as long as the uncached
	// build: the first of equal terms is the dominant one.
	if bound != 240 || p.DominantWithCache != "Deploy/Deploy: rollout bound" || p.DominantWithoutCache != "Build/BuildImage: image build" || p.Dominant != p.DominantWithoutCache {
		t.Errorf("bound %d s; dominant terms %q with the cache, %q without, %q expected", bound, p.DominantWithCache, p.DominantWithoutCache, p.Dominant)
	}
	if len(p.Waits) != 0 {
		t.Errorf("waits %s, want none", jsonOf(p.Waits))
	}
}

// TestPushNoPipeline: an assembly without a pipeline says so.
func TestPushNoPipeline(t *testing.T) {
	r := build(t, "testdata/endpoints")
	if len(r.Pushes) != 0 {
		t.Errorf("push estimates %s for an assembly without a pipeline", jsonOf(r.Pushes))
	}
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "5. GIT PUSH → RUNNING\nNo pipeline in the templates") {
		t.Errorf("section 5 of an assembly without a pipeline:\n%s", b.String())
	}
}

// TestBuildCacheOf reads the cache from buildspec commands: main's inline
// cache, the speed branch's registry cache, and the shapes in between.
func TestBuildCacheOf(t *testing.T) {
	for _, tc := range []struct {
		name, commands string
		inTemplate     bool
		want           string
	}{
		{"main's inline cache", `CACHE_FROM="--cache-from $PREVIOUS"` + "\n" +
			`if [ "$EXISTS" = 0 ]; then DOCKER_BUILDKIT=1 docker build --build-arg BUILDKIT_INLINE_CACHE=1 $CACHE_FROM -f "$DOCKERFILE" -t "$IMAGE_URI" "$BUILD_CONTEXT"; fi`, true, CacheFinalStage},
		{"speed's registry cache", `docker buildx build --builder cache --provenance=false --push --cache-from "type=registry,ref=$CACHE_REF" --cache-to "type=registry,ref=$CACHE_REF,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true" -f "$DOCKERFILE" .`, true, CacheRegistry},
		{"unquoted, with =", `docker buildx build --cache-from=type=registry,ref=r:c --cache-to=type=registry,ref=r:c,mode=max .`, true, CacheRegistry},
		{"registry in mode=min", `docker buildx build --cache-from type=registry,ref=r:c --cache-to type=registry,ref=r:c .`, true, CacheFinalStage},
		{"exported, never imported", `docker buildx build --cache-to type=registry,ref=r:c,mode=max .`, true, CacheNone},
		{"inline, never imported", `docker build --build-arg BUILDKIT_INLINE_CACHE=1 .`, true, CacheNone},
		{"--cache-to type=inline", `docker buildx build --cache-to type=inline --cache-from type=registry,ref=r:latest .`, true, CacheFinalStage},
		{"no cache", `docker build -t "$IMAGE_URI" .`, true, CacheNone},
		{"buildspec in the repository", "", false, CacheUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildCacheOf(tc.commands, tc.inTemplate); got.Kind != tc.want {
				t.Errorf("buildCacheOf = %+v, want %s", got, tc.want)
			}
		})
	}
}

// TestTimingsFile: every duration the estimate assumes is in timings.json
// with what it times, a date, a source page and a note that says it is an
// assumption; the figures are the ones the docs and the hand calculations
// use.
func TestTimingsFile(t *testing.T) {
	tm, err := DefaultTimings()
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{
		tSourceTrigger: 30, tSourceClone: 20, tProvisionContainer: 60, tProvisionLambda: 5,
		tBuildWithCache: 90, tBuildWithoutCache: 240, tStepCommands: 15, tHandoff: 5,
	} {
		if got := tm.seconds(key); got != want {
			t.Errorf("timings.json %s = %d s, want %d s", key, got, want)
		}
	}
	if tm.seconds(tBuildWithCache) >= tm.seconds(tBuildWithoutCache) {
		t.Errorf("a build with the layer cache (%d s) must be shorter than without (%d s)", tm.seconds(tBuildWithCache), tm.seconds(tBuildWithoutCache))
	}

	valid := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal(timingsJSON, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	entry := func(m map[string]any, key string) map[string]any {
		return m["timings"].(map[string]any)[key].(map[string]any)
	}
	for _, tc := range []struct {
		name, want string
		edit       func(m map[string]any)
	}{
		{"missing", "timings.source_trigger: missing", func(m map[string]any) { delete(m["timings"].(map[string]any), tSourceTrigger) }},
		{"unused", "timings.coffee_break: not used", func(m map[string]any) { m["timings"].(map[string]any)["coffee_break"] = entry(m, tHandoff) }},
		{"no source", `timings.pipeline_action_handoff: source "" is not a https:// URL`, func(m map[string]any) { delete(entry(m, tHandoff), "source") }},
		{"bad date", `as_of "December" is not a date`, func(m map[string]any) { entry(m, tHandoff)["as_of"] = "December" }},
		{"negative", "seconds -5 is negative", func(m map[string]any) { entry(m, tHandoff)["seconds"] = -5 }},
		{"not an assumption", `does not start "Assumption"`, func(m map[string]any) { entry(m, tHandoff)["note"] = "Measured." }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := valid()
			tc.edit(m)
			b, _ := json.Marshal(m)
			if _, err := ParseTimings(b); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseTimings: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
