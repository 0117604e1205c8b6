package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	sns "github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/timing"
)

// slowAspect stands in for cdk-nag: an Aspect of the whole app that takes
// a known time on every construct of the stacks.
type slowAspect struct{ visits *atomic.Int64 }

const slowVisit = 5 * time.Millisecond

func (a *slowAspect) Visit(node constructs.IConstruct) {
	if strings.HasPrefix(*node.Node().Path(), "Stack") {
		a.visits.Add(1)
		time.Sleep(slowVisit)
	}
}

// TestTimingSplitsTheAspectsPass: with FARGATE_TIMING=1 the clock's markers
// bracket the Aspects pass, so the "nag" phase holds every visit of an
// app-wide Aspect to the stacks, and the templates are those of a run
// without the timing. Without the variable the clock is nil and adds
// nothing to the tree.
func TestTimingSplitsTheAspectsPass(t *testing.T) {
	build := func(clock *timing.Clock) (string, int64) {
		outdir := t.TempDir()
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
		clock.BeforeStacks(app)
		for _, id := range []string{"StackA", "StackB"} {
			stack := awscdk.NewStack(app, jsii.String(id), nil)
			sns.NewTopic(stack, jsii.String("Topic"), nil)
		}
		visits := &atomic.Int64{}
		awscdk.Aspects_Of(app).Add(&slowAspect{visits}, nil)
		clock.AfterStacks(app)
		clock.Mark("construct tree", "")
		app.Synth(nil)
		clock.Synthesized()
		var templates []string
		for _, id := range []string{"StackA", "StackB"} {
			b, err := os.ReadFile(filepath.Join(outdir, id+".template.json"))
			if err != nil {
				t.Fatal(err)
			}
			templates = append(templates, string(b))
		}
		files, _ := filepath.Glob(filepath.Join(outdir, "*.template.json"))
		if len(files) != 2 {
			t.Errorf("templates %v, want the two stacks' only", files)
		}
		return strings.Join(templates, "\n"), visits.Load()
	}

	t.Setenv(timing.Env, "")
	if c := timing.FromEnv(); c != nil {
		t.Fatalf("a clock without %s=1", timing.Env)
	}
	plain, _ := build(nil)

	t.Setenv(timing.Env, "1")
	clock := timing.FromEnv()
	if clock == nil {
		t.Fatalf("no clock with %s=1", timing.Env)
	}
	timed, visits := build(clock)
	if timed != plain {
		t.Errorf("the timing changed the templates")
	}
	got := map[string]time.Duration{}
	var names []string
	for _, p := range clock.Phases() {
		got[p.Name] = p.Duration
		names = append(names, p.Name)
	}
	want := "construct tree,nag,synth"
	if runtime.GOOS == "linux" {
		want = "go start," + want // from /proc
	}
	if strings.Join(names, ",") != want {
		t.Errorf("phases %v", names)
	}
	if visits < 4 {
		t.Fatalf("the aspect visited %d constructs of the stacks", visits)
	}
	if min := time.Duration(visits) * slowVisit; got["nag"] < min || got["synth"] < 0 {
		t.Errorf("nag %v for %d visits of %v each, synth %v: the markers do not bracket the Aspects pass", got["nag"], visits, slowVisit, got["synth"])
	}
	var out strings.Builder
	clock.Print(&out)
	if !strings.Contains(out.String(), "timing: nag ") || strings.Count(out.String(), "\n") != len(names) {
		t.Errorf("printed %q", out.String())
	}
}
