package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// timingsJSON holds every duration of the "git push → running" estimate
// that no template holds, each an assumption with its date and source, the
// way prices.json holds the prices: a figure measured on a real pipeline
// run replaces one line.
//
//go:embed timings.json
var timingsJSON []byte

// Timing is one assumed duration with the evidence for it.
type Timing struct {
	Seconds int    `json:"seconds"`
	What    string `json:"what"`
	AsOf    string `json:"as_of"`
	Source  string `json:"source"`
	Note    string `json:"note"`
}

// Timings is the parsed data file; code reads it through Timings.get by
// the keys below, never by a number of its own.
type Timings struct {
	About   string            `json:"about"`
	Entries map[string]Timing `json:"timings"`
}

// Timing keys. Each names an assumption, not a measurement: the figure,
// its date and the page describing the step it times are in timings.json.
const (
	// tSourceTrigger is the assumed time from a git push to the pipeline
	// execution starting (the provider's webhook, CodeConnections).
	tSourceTrigger = "source_trigger"
	// tSourceClone is the assumed time of the CodeConnections source action
	// and the clone of the commit, for a repository of a few MB.
	tSourceClone = "source_action_and_clone"
	// tProvisionContainer is the assumed QUEUED and PROVISIONING time of an
	// on-demand CodeBuild container (LINUX_CONTAINER, ARM_CONTAINER).
	tProvisionContainer = "codebuild_provisioning_container"
	// tProvisionLambda is the same on CodeBuild's Lambda compute.
	tProvisionLambda = "codebuild_provisioning_lambda"
	// tBuildWithCache is the assumed image build of a small web service
	// when the layer cache holds every layer before the changed source.
	tBuildWithCache = "image_build_with_cache"
	// tBuildWithoutCache is the assumed image build of the same service
	// with no layer cached.
	tBuildWithoutCache = "image_build_without_cache"
	// tStepCommands is the assumed run of a step of AWS CLI calls only
	// (deploy step, smoke test, release record) besides what it waits for.
	tStepCommands = "codebuild_step_commands"
	// tHandoff is the assumed time CodePipeline takes to start the next
	// action.
	tHandoff = "pipeline_action_handoff"
)

// timingKeys lists every key above; ParseTimings checks the file against it.
var timingKeys = []string{
	tSourceTrigger, tSourceClone, tProvisionContainer, tProvisionLambda,
	tBuildWithCache, tBuildWithoutCache, tStepCommands, tHandoff,
}

// DefaultTimings returns the timings of the embedded timings.json.
func DefaultTimings() (Timings, error) {
	return ParseTimings(timingsJSON)
}

// ParseTimings reads a timings file and checks that it holds exactly the
// durations the estimate uses, each a non-negative number of seconds with
// what it times, a date, a https:// source and a note that starts
// "Assumption": a reader must be able to tell a guess from a fact.
func ParseTimings(data []byte) (Timings, error) {
	var t Timings
	if err := json.Unmarshal(data, &t); err != nil {
		return Timings{}, fmt.Errorf("reading timings: %w", err)
	}
	var problems []string
	for _, k := range timingKeys {
		e, ok := t.Entries[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("timings.%s: missing: the estimate uses it", k))
		case e.Seconds < 0:
			problems = append(problems, fmt.Sprintf("timings.%s: seconds %d is negative", k, e.Seconds))
		case e.What == "":
			problems = append(problems, fmt.Sprintf("timings.%s: needs what", k))
		case !asOfPattern.MatchString(e.AsOf):
			problems = append(problems, fmt.Sprintf("timings.%s: as_of %q is not a date such as 2026-12 or 2026-12-01", k, e.AsOf))
		case !strings.HasPrefix(e.Source, "https://"):
			problems = append(problems, fmt.Sprintf("timings.%s: source %q is not a https:// URL of the page describing the step", k, e.Source))
		case !strings.HasPrefix(e.Note, "Assumption"):
			problems = append(problems, fmt.Sprintf("timings.%s: note %q does not start \"Assumption\": no template holds this figure", k, e.Note))
		}
	}
	for k := range t.Entries {
		if !slices.Contains(timingKeys, k) {
			problems = append(problems, fmt.Sprintf("timings.%s: not used by the estimate: remove it or use it", k))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return Timings{}, fmt.Errorf("invalid timings file:\n%s", strings.Join(problems, "\n"))
	}
	return t, nil
}

// get returns a timing by key. Keys are constants checked by ParseTimings,
// so a missing one is a programming error.
func (t Timings) get(key string) Timing {
	e, ok := t.Entries[key]
	if !ok {
		panic(fmt.Sprintf("report: timing %q is not in the timings file", key))
	}
	return e
}

// seconds returns a timing's figure by key.
func (t Timings) seconds(key string) int { return t.get(key).Seconds }

// mustTimings is the embedded file; TestTimingsFile proves it parses, so a
// failure here is a broken build, not a user's error.
func mustTimings() Timings {
	t, err := DefaultTimings()
	if err != nil {
		panic("report: the embedded timings.json: " + err.Error())
	}
	return t
}
