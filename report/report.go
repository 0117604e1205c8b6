// Package report estimates, from a synthesized cloud assembly (cdk.out),
// what the app costs a month at idle, how long a deploy may take and how
// long a git push takes to reach the running service, before anything is
// deployed. The CDK has no such report (aws/aws-cdk#17437).
//
// It reads the CloudFormation templates only, with the standard library, so
// it runs in a second and needs neither the CDK nor AWS credentials. Every
// price comes from prices.json, every assumed duration of a pipeline run
// from timings.json; every resource type is classified in classify.go, and
// a type that is not is listed as "not priced".
package report

import (
	"math"
)

// Report is the whole report: idle cost per stack, the egress choices side
// by side, the rollout-time bound of each ECS service, what dev could cost
// and the time from a git push to the new image running.
type Report struct {
	Assembly string      `json:"assembly"`
	Prices   PricesInfo  `json:"prices"`
	Stacks   []StackCost `json:"stacks"`
	// Monthly is the idle monthly cost of every stack; usage comes on top.
	Monthly float64 `json:"monthly_usd"`
	// NotPriced counts what the estimate leaves out: non-zero means the
	// figure may be low.
	NotPriced int `json:"not_priced_count"`
	// AlwaysOnMonthly is the idle figure without the services' working
	// hours: equal to Monthly when there are none.
	AlwaysOnMonthly float64   `json:"always_on_monthly_usd"`
	Egress          *Egress   `json:"egress"`
	Rollouts        []Rollout `json:"rollout"`
	// Lean is "What dev could cost".
	Lean *Lean `json:"lean"`
	// Pushes is "git push → running", one estimate per pipeline, with the
	// assumed durations it uses.
	Pushes          []Push  `json:"git_push_to_running"`
	PushAssumptions Timings `json:"git_push_assumptions"`
}

// PricesInfo says which prices the figures use.
type PricesInfo struct {
	Region        string  `json:"region"`
	Currency      string  `json:"currency"`
	HoursPerMonth float64 `json:"hours_per_month"`
	OldestAsOf    string  `json:"oldest_as_of"`
	NewestAsOf    string  `json:"newest_as_of"`
	About         string  `json:"about"`
}

// Build reads the cloud assembly in dir and computes the report.
func Build(dir string, prices Prices) (*Report, error) {
	stacks, err := ReadAssembly(dir)
	if err != nil {
		return nil, err
	}
	return FromStacks(dir, stacks, prices), nil
}

// FromStacks computes the report of stacks already read.
func FromStacks(assembly string, stacks []Stack, prices Prices) *Report {
	oldest, newest := prices.AsOfRange()
	r := &Report{
		Assembly: assembly,
		Prices: PricesInfo{Region: prices.Region, Currency: prices.Currency, HoursPerMonth: prices.hours(),
			OldestAsOf: oldest, NewestAsOf: newest, About: prices.About},
		Stacks: []StackCost{},
	}
	for _, st := range stacks {
		sc := costStack(st, prices)
		r.Stacks = append(r.Stacks, sc)
		r.Monthly += sc.Monthly
		r.AlwaysOnMonthly += sc.AlwaysOnMonthly
		r.NotPriced += len(sc.NotPriced)
	}
	r.Monthly = round6(r.Monthly)
	r.AlwaysOnMonthly = round6(r.AlwaysOnMonthly)
	r.Egress = compareEgress(stacks, r.Stacks, r.Monthly, prices)
	r.Rollouts = rollouts(stacks, prices)
	r.Lean = lean(r.Stacks, r.Monthly, r.Egress, prices)
	r.PushAssumptions = mustTimings()
	r.Pushes = pushes(stacks, r.Rollouts, r.PushAssumptions)
	return r
}

// OverBudget reports whether the idle monthly estimate, in whole cents,
// exceeds budget: CI fails the build on it.
func (r *Report) OverBudget(budget float64) bool {
	return math.Round(r.Monthly*100) > math.Round(budget*100)
}
