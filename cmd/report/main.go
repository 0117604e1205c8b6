// Command report prints what the synthesized app costs a month at idle, the
// egress choices side by side, the bound on a deploy's rollout time, what
// dev could cost, and the time from a git push to the new image running,
// from the templates in a cloud assembly, before anything is deployed.
//
//	go run ./cmd/report [--json] [--budget USD] [cdk.out]
//
// Exit status: 0 on success, 1 when the idle monthly estimate exceeds
// --budget, 2 when no report could be made (a missing directory, a bad flag).
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/cdkdemo/fargate/cmd/internal/assemblyarg"
	"github.com/cdkdemo/fargate/report"
)

// Exit codes: CI tells an estimate over budget from a broken run.
const (
	exitOK         = 0
	exitOverBudget = 1
	exitUsage      = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code, so tests call
// it directly.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON instead of tables")
	budgetArg := fs.String("budget", "", "exit 1 when the idle monthly estimate exceeds `USD`, e.g. 150 or 150.00")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: report [--json] [--budget USD] [cdk.out]\n\n"+
			"Reads the synthesized templates (run `make synth` first) and prints the monthly\n"+
			"cost at idle, the egress choices side by side, the rollout-time bound, what dev\n"+
			"could cost and the time from a git push to the new image running.\n\n")
		fs.PrintDefaults()
	}
	dir, done, help := assemblyarg.Parse(fs, args)
	if done {
		if help {
			return exitOK
		}
		return exitUsage
	}
	budget := -1.0
	if *budgetArg != "" {
		b, err := strconv.ParseFloat(strings.TrimPrefix(*budgetArg, "$"), 64)
		if err != nil || b < 0 || math.IsNaN(b) || math.IsInf(b, 0) {
			fmt.Fprintf(stderr, "report: --budget %q: not an amount of US dollars such as 150 or 150.00\n", *budgetArg)
			return exitUsage
		}
		budget = b
	}

	prices, err := report.DefaultPrices()
	if err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return exitUsage
	}
	r, err := report.Build(dir, prices)
	if err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		err = report.WriteJSON(stdout, r)
	} else {
		err = report.WriteText(stdout, r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "report: writing the report: %v\n", err)
		return exitUsage
	}
	if budget < 0 {
		return exitOK
	}
	if r.OverBudget(budget) {
		fmt.Fprintf(stderr, "report: over budget: the idle estimate of $%.2f a month exceeds --budget $%.2f\n", r.Monthly, budget)
		return exitOverBudget
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "\nBudget: the idle estimate of $%.2f a month is within --budget $%.2f.\n", r.Monthly, budget)
	}
	return exitOK
}
