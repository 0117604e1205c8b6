package report

import (
	"fmt"
	"slices"
	"strings"
)

// The working hours "What dev could cost" prices when the app has none:
// weekdays 08:00 to 20:00, 60 of the week's 168 hours.
const (
	exampleSchedule      = `{"days": "MON-FRI", "start": "08:00", "end": "20:00", "timeZone": "<yours>"}`
	exampleHoursPerWeek  = 5 * 12
	exampleScheduleShort = "weekdays 08:00-20:00"
)

// Lean is "What dev could cost": each of dev's lean choices, whether the
// app uses it already, and what it saves where it does not.
type Lean struct {
	Options []LeanOption `json:"options"`
	// Monthly is the app at idle with every lean choice.
	Monthly     float64  `json:"monthly_usd"`
	Assumptions []string `json:"assumptions"`
}

// LeanOption is one lean choice.
type LeanOption struct {
	Name string `json:"name"`
	// Setting is what to set, as cdk.json's dev environment has it.
	Setting string `json:"setting"`
	InUse   bool   `json:"in_use"`
	// Saving is what it takes off the idle monthly figure.
	Saving float64 `json:"saving_usd"`
	Text   string  `json:"text"`
}

// lean prices the app again with each lean choice it does not use: a NAT
// instance, Fargate Spot, ARM64, working hours and one KMS key.
func lean(costs []StackCost, total float64, e *Egress, prices Prices) *Lean {
	l := &Lean{Options: []LeanOption{}}
	h := prices.hours()
	add := func(o LeanOption) {
		o.Saving = round6(max(o.Saving, 0))
		l.Options = append(l.Options, o)
	}

	// Egress.
	if e != nil {
		var now, inst EgressMode
		for _, m := range e.Modes {
			if m.Mode == e.Current {
				now = m
			}
			if m.Mode == ModeNatInstance {
				inst = m
			}
		}
		o := LeanOption{Name: "a NAT instance", Setting: `"egress": "nat-instance"`, InUse: e.Current == ModeNatInstance}
		switch {
		case o.InUse:
			o.Text = "in use"
		case e.Current == ModeNone:
			o.Text = "the app has no egress of its own to replace"
		default:
			o.Saving = now.Fixed - inst.Fixed
			o.Text = fmt.Sprintf("%s instead of %s a month for %s, at idle; a single instance without failover", money(inst.Fixed), money(now.Fixed), e.Current)
			if e.Current == ModeEndpoints {
				o.Text += ", and the tasks reach the internet"
			}
		}
		add(o)
	}

	// The tasks, priced again: on Spot, on ARM64, in working hours.
	var onDemand, x86, taskNow, leanTasks float64
	scheduled := false
	for _, sc := range costs {
		for _, it := range sc.Items {
			u := it.task
			if u == nil {
				continue
			}
			scheduled = scheduled || u.scheduled
			taskNow += it.Monthly
			spotKey := map[[2]bool]string{{false, false}: pSpotX86VCPU, {false, true}: pSpotX86GB, {true, false}: pSpotARMVCPU, {true, true}: pSpotARMGB}
			odKey := map[[2]bool]string{{false, false}: pFargateX86VCPU, {false, true}: pFargateX86GB, {true, false}: pFargateARMVCPU, {true, true}: pFargateARMGB}
			arm := u.arch == "ARM64"
			if !u.spot {
				onDemand += it.Monthly - it.Count*prices.usd(spotKey[[2]bool{arm, u.memory}])*it.Hours
			}
			if !arm {
				key := odKey[[2]bool{true, u.memory}]
				if u.spot {
					key = spotKey[[2]bool{true, u.memory}]
				}
				x86 += it.Monthly - it.Count*prices.usd(key)*it.Hours
			}
			hours := it.Hours
			if !u.scheduled {
				hours = h * exampleHoursPerWeek / hoursPerWeek
			}
			leanTasks += it.Count * prices.usd(spotKey[[2]bool{true, u.memory}]) * hours
		}
	}
	if taskNow > 0 {
		o := LeanOption{Name: "Fargate Spot", Setting: `"capacity": "spot"`, InUse: onDemand == 0, Saving: onDemand, Text: "in use"}
		if !o.InUse {
			o.Text = fmt.Sprintf("the on-demand tasks on Spot, assumed %s below on-demand; AWS may take them back with two minutes' warning, and there is no fallback to on-demand", percent(1-prices.usd(pSpotX86VCPU)/prices.usd(pFargateX86VCPU)))
		}
		add(o)
		o = LeanOption{Name: "ARM64 (Graviton)", Setting: `"architecture": "ARM64"`, InUse: x86 == 0, Saving: x86, Text: "in use"}
		if !o.InUse {
			o.Text = "the tasks on ARM64, 20 % below X86_64; the image must be built for arm64 (the pipeline builds it on an ARM host)"
		}
		add(o)
		o = LeanOption{Name: "working hours", Setting: `"schedule": ` + exampleSchedule, InUse: scheduled, Text: "in use"}
		if !o.InUse {
			o.Saving = taskNow * (1 - float64(exampleHoursPerWeek)/hoursPerWeek)
			o.Text = fmt.Sprintf("the tasks run %s only (%d of %d hours a week) and scale to zero outside them; the load balancer answers 503 then", exampleScheduleShort, exampleHoursPerWeek, hoursPerWeek)
		}
		add(o)
	}

	// KMS keys.
	var keys float64
	for _, sc := range costs {
		for _, it := range sc.Items {
			if it.Price == pKMSKey {
				keys += it.Count
			}
		}
	}
	if keys > 0 {
		o := LeanOption{Name: "one KMS key", Setting: "the app's own design", InUse: keys <= 1, Text: "in use"}
		if !o.InUse {
			o.Saving = (keys - 1) * prices.usd(pKMSKey)
			o.Text = fmt.Sprintf("%s keys shared as one: %s a month each", num(keys), dollars(prices.usd(pKMSKey)))
		}
		add(o)
	}

	l.Monthly = total
	for _, o := range l.Options {
		if !slices.Contains([]string{"Fargate Spot", "ARM64 (Graviton)", "working hours"}, o.Name) {
			l.Monthly -= o.Saving
		}
	}
	// The task choices multiply: price the tasks once with all three.
	l.Monthly = round6(l.Monthly - (taskNow - leanTasks))
	l.Assumptions = []string{
		"Each saving is that choice alone, against the idle figure; the figure with all of them prices the tasks once with all three task choices, which multiply.",
		fmt.Sprintf("Working hours, where the app has none, are %s: %d of %d hours a week.", exampleScheduleShort, exampleHoursPerWeek, hoursPerWeek),
		fmt.Sprintf("Fargate Spot is priced from prices.json's assumption of %s below on-demand (as of %s); the real Spot price moves with spare capacity.", percent(1-prices.usd(pSpotX86VCPU)/prices.usd(pFargateX86VCPU)), prices.get(pSpotX86VCPU).AsOf),
	}
	return l
}

func writeLean(b *strings.Builder, l *Lean) {
	if l == nil || len(l.Options) == 0 {
		b.WriteString("Nothing to compare: no VPC, ECS service or KMS key in the templates.\n")
		return
	}
	b.WriteString("Each lean choice of cdk.json's dev environment, whether these templates use it, and what it saves a month at idle.\n")
	rows := [][]string{{"CHOICE", "SAVES", "SETTING"}}
	for _, o := range l.Options {
		saves := money(o.Saving)
		if o.InUse {
			saves = "in use"
		}
		rows = append(rows, []string{o.Name, saves, o.Setting})
	}
	writeTable(b, "  ", rows, []bool{false, true, false})
	for _, o := range l.Options {
		if !o.InUse {
			writeWrapped(b, "  "+o.Name+": ", "    ", o.Text+".")
		}
	}
	fmt.Fprintf(b, "  With all of them: %s a month at idle.\n", money(l.Monthly))
	b.WriteString("  Assumptions:\n")
	for _, a := range l.Assumptions {
		writeWrapped(b, "    - ", "      ", a)
	}
}
