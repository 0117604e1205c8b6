// Package timing splits one run of the app into its phases, for `make
// bench`: with FARGATE_TIMING=1 the app prints each phase's duration to
// stderr. Off (the default), a Clock is nil and every method does nothing,
// so the app builds exactly the same tree either way; on, it adds two
// resource-less constructs that time the Aspects pass. Nothing here turns a
// check off.
package timing

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Env is the variable that turns the timing on.
const Env = "FARGATE_TIMING"

// Clock records the phases of one run.
type Clock struct {
	last   time.Time
	phases []Phase
	// The Aspects pass, as the two markers saw it.
	aspectsFrom, aspectsTo time.Time
}

// Phase is one phase of a run.
type Phase struct {
	Name     string
	Duration time.Duration
	What     string
}

// FromEnv returns a running Clock when FARGATE_TIMING=1, else nil. Its
// first phase is the process start (exec to main), when /proc tells it.
func FromEnv() *Clock {
	if os.Getenv(Env) != "1" {
		return nil
	}
	c := &Clock{last: time.Now()}
	if age, ok := processAge(); ok {
		c.phases = append(c.phases, Phase{"go start", age, "exec of the binary to main: Go runtime and package init"})
	}
	return c
}

// Mark ends a phase now.
func (c *Clock) Mark(name, what string) {
	if c == nil {
		return
	}
	now := time.Now()
	c.phases = append(c.phases, Phase{name, now.Sub(c.last), what})
	c.last = now
}

// BeforeStacks adds the marker that sees the Aspects pass begin. Call it
// before the stacks are built: the pass walks the tree depth first, in the
// order constructs were added, so a first child of the app is reached
// before any stack.
func (c *Clock) BeforeStacks(app constructs.Construct) {
	if c == nil {
		return
	}
	marker(app, "TimingAspectsBegin", &c.aspectsFrom)
}

// AfterStacks adds the marker that sees the Aspects pass end: the app's
// last child, reached after every stack.
func (c *Clock) AfterStacks(app constructs.Construct) {
	if c == nil {
		return
	}
	marker(app, "TimingAspectsEnd", &c.aspectsTo)
}

// Synthesized ends the synth phase, the app.Synth call, and splits the
// Aspects pass (cdk-nag's checks, which are an Aspect) out of it.
func (c *Clock) Synthesized() {
	if c == nil {
		return
	}
	start := c.last
	c.Mark("synth", "app.Synth: prepare, validate, write the templates and the assembly")
	if c.aspectsFrom.IsZero() || c.aspectsTo.IsZero() || c.aspectsFrom.Before(start) {
		return
	}
	nag := c.aspectsTo.Sub(c.aspectsFrom)
	synth := &c.phases[len(c.phases)-1]
	synth.Duration -= nag
	c.phases = append(c.phases[:len(c.phases)-1], Phase{"nag", nag, "the Aspects pass of app.Synth: cdk-nag's AwsSolutions checks"}, *synth)
}

// Phases returns the phases so far.
func (c *Clock) Phases() []Phase {
	if c == nil {
		return nil
	}
	return c.phases
}

// Print writes one line per phase, "timing: NAME SECONDS s (WHAT)".
func (c *Clock) Print(w io.Writer) {
	for _, p := range c.Phases() {
		fmt.Fprintf(w, "timing: %s %.3f s (%s)\n", p.Name, p.Duration.Seconds(), p.What)
	}
}

// marker is a construct without resources with an Aspect of its own, which
// records when the Aspects pass reaches it.
func marker(app constructs.Construct, id string, at *time.Time) {
	c := constructs.NewConstruct(app, jsii.String(id))
	awscdk.Aspects_Of(c).Add(&stamp{at}, nil)
}

type stamp struct{ at *time.Time }

// Visit is called once, on the marker itself: it has no children.
func (s *stamp) Visit(constructs.IConstruct) {
	if s.at.IsZero() {
		*s.at = time.Now()
	}
}

// processAge is how long ago this process started, from /proc (Linux; the
// kernel counts in 1/100 s).
func processAge() (time.Duration, bool) {
	stat, err1 := os.ReadFile("/proc/self/stat")
	uptime, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// Field 22 is the start time in clock ticks since boot; the fields
	// after the command name, which is in parentheses, start with field 3.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	up := strings.Fields(string(uptime))
	if len(fields) < 20 || len(up) == 0 {
		return 0, false
	}
	ticks, err1 := strconv.ParseFloat(fields[19], 64)
	now, err2 := strconv.ParseFloat(up[0], 64)
	if err1 != nil || err2 != nil || now*100 < ticks {
		return 0, false
	}
	return time.Duration((now - ticks/100) * float64(time.Second)), true
}
