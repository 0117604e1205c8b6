package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cdkdemo/fargate/rollout"
)

// WriteJSON writes the report for machines: the same figures as the text,
// unrounded, with every price key.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as tables a person reads before deploying.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	asOf := r.Prices.NewestAsOf
	if r.Prices.OldestAsOf != r.Prices.NewestAsOf {
		asOf = r.Prices.OldestAsOf + " to " + r.Prices.NewestAsOf
	}
	fmt.Fprintf(&b, "Cost and rollout-time report of %s\n", r.Assembly)
	fmt.Fprintf(&b, "Prices: %s list prices in %s from report/prices.json (as of %s), %s hours a month, free tiers not subtracted.\n\n",
		r.Prices.Region, r.Prices.Currency, asOf, num(r.Prices.HoursPerMonth))

	b.WriteString("1. MONTHLY COST AT IDLE\n")
	for _, sc := range r.Stacks {
		writeStack(&b, sc)
	}
	fmt.Fprintf(&b, "\nTotal at idle: %s a month, usage-based charges on top.\n", money(r.Monthly))
	for _, sc := range r.Stacks {
		for _, sch := range sc.Schedules {
			fmt.Fprintf(&b, "Working hours of %s: tasks run %s h of the month's %s (%s); their cost %s, always on %s.\n",
				sch.Service, num(round2(sch.RunningHoursPerMonth)), num(r.Prices.HoursPerMonth), strings.Join(sch.Actions, "; "), money(sch.Monthly), money(sch.AlwaysOnMonthly))
		}
	}
	if r.AlwaysOnMonthly != r.Monthly {
		fmt.Fprintf(&b, "Total at idle without the working hours (always on): %s a month.\n", money(r.AlwaysOnMonthly))
	}
	writeDeployCosts(&b, r.Rollouts)
	if r.NotPriced > 0 {
		fmt.Fprintf(&b, "%d resource(s) not priced (listed above): the estimate may be low.\n", r.NotPriced)
	}

	b.WriteString("\n2. EGRESS CHOICES, SIDE BY SIDE\n")
	writeEgress(&b, r.Egress)

	b.WriteString("\n3. ROLLOUT-TIME BOUND\n")
	writeRollouts(&b, r.Rollouts)

	b.WriteString("\n4. WHAT DEV COULD COST\n")
	writeLean(&b, r.Lean)

	b.WriteString("\n5. GIT PUSH → RUNNING\n")
	writePushes(&b, r.Pushes, r.PushAssumptions)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStack(b *strings.Builder, sc StackCost) {
	name := sc.Stack
	if sc.StackName != "" {
		name += " (" + sc.StackName + ")"
	}
	fmt.Fprintf(b, "\n%s\n", name)
	rows := [][]string{{"RESOURCE", "COUNT", "UNIT PRICE", "HOURS", "MONTHLY", "DETAIL"}}
	for _, it := range sc.Items {
		hours := "-"
		if it.Hours > 0 {
			hours = num(round2(it.Hours))
		}
		rows = append(rows, []string{it.Resource, num(it.Count), dollars(it.UnitPrice) + "/" + it.Unit, hours, money(it.Monthly), it.Detail})
	}
	rows = append(rows, []string{"Stack at idle", "", "", "", money(sc.Monthly), ""})
	writeTable(b, "  ", rows, []bool{false, true, false, true, true, false})

	if len(sc.Usage) > 0 {
		b.WriteString("  Usage-based, not in the idle figure:\n")
		rows := [][]string{}
		for _, u := range sc.Usage {
			res := u.Resource
			if u.Resources > 1 {
				res += fmt.Sprintf(" (%d resources)", u.Resources)
			}
			rows = append(rows, []string{res, dollars(u.UnitPrice) + "/" + u.Unit,
				fmt.Sprintf("per %s %s: %s", num(u.Example), u.Of, money(u.ExampleCost))})
		}
		writeTable(b, "    ", rows, []bool{false, false, false})
		for _, u := range sc.Usage {
			if u.Assumption != "" {
				writeWrapped(b, "    ", "    ", u.Resource+": "+u.Assumption+".")
			}
		}
	}
	if len(sc.Free) > 0 {
		parts := make([]string, 0, len(sc.Free))
		total := 0
		for _, f := range sc.Free {
			parts = append(parts, fmt.Sprintf("%s×%d", f.Type, f.Count))
			total += f.Count
		}
		fmt.Fprintf(b, "  Free at idle (%d resources; the reasons are in --json):\n", total)
		writeWrapped(b, "    ", "    ", strings.Join(parts, ", "))
	}
	if len(sc.NotPriced) == 0 {
		b.WriteString("  Not priced: none\n")
	}
	for _, np := range sc.NotPriced {
		fmt.Fprintf(b, "  NOT PRICED: %s %s: %s\n", np.Type, np.Path, np.Reason)
	}
}

func writeEgress(b *strings.Builder, e *Egress) {
	if e == nil {
		b.WriteString("No VPC in the templates: there is no egress to compare.\n")
		return
	}
	fmt.Fprintf(b, "The same app with each egress mode; only the NAT gateways or NAT instance, their public IPv4 addresses and the interface endpoints change. Now: %s.\n", e.Current)
	head := []string{"MODE", "NAT", "NAT-INSTANCE", "ENDPOINT-AZS", "IPV4", "EGRESS/MONTH", "PER GB"}
	for _, t := range e.Modes[0].AtTraffic {
		head = append(head, "APP AT "+num(t.GB)+" GB")
	}
	rows := [][]string{head}
	for _, m := range e.Modes {
		name := m.Mode
		if m.Mode == e.Current {
			name += " (now)"
		}
		row := []string{name, strconv.Itoa(m.NATGateways), strconv.Itoa(m.NATInstances), strconv.Itoa(m.EndpointAZs), strconv.Itoa(m.PublicIPv4), money(m.Fixed), dollars(m.PerGB)}
		for _, t := range m.AtTraffic {
			row = append(row, money(t.Monthly))
		}
		rows = append(rows, row)
	}
	align := []bool{false, true, true, true, true, true, true}
	for range e.Modes[0].AtTraffic {
		align = append(align, true)
	}
	writeTable(b, "  ", rows, align)
	fmt.Fprintf(b, "  The endpoints mode has interface endpoints %s, each in %d AZs.\n", strings.Join(e.EndpointServices, ", "), e.AZs)
	b.WriteString("  Break-even:\n")
	for _, be := range e.BreakEven {
		fmt.Fprintf(b, "    %s\n", be.Text)
	}
	b.WriteString("  Assumptions:\n")
	for _, a := range e.Assumptions {
		writeWrapped(b, "    - ", "      ", a)
	}
}

// writeDeployCosts lists what one deployment costs on top of the idle
// figure: the extra tasks it runs beside the service's own.
func writeDeployCosts(b *strings.Builder, rs []Rollout) {
	for _, ro := range rs {
		if ro.ExtraCost == 0 {
			continue
		}
		what := "a second fleet: all new tasks start at once and the old ones stay through the bake"
		if !ro.Strategy.Shifts() {
			what = "a wave's new tasks run beside the old ones until those have drained"
		}
		writeWrapped(b, "", "  ", fmt.Sprintf("Per deploy, not in the idle figure: %s (%s) runs %d extra task(s) for %s, %s: %s a deploy.",
			ro.Service, strategyName(ro.Strategy), ro.ExtraTasks, duration(ro.ExtraTaskSeconds), what, dollars(ro.ExtraCost)))
	}
}

// strategyName is the strategy as the settings name it.
func strategyName(s rollout.Strategy) string {
	switch s {
	case rollout.BlueGreen:
		return "blue-green"
	case rollout.Canary:
		return "canary"
	case rollout.Linear:
		return "linear"
	}
	return "rolling"
}

func writeRollouts(b *strings.Builder, rs []Rollout) {
	if len(rs) == 0 {
		b.WriteString("No ECS service in the templates: there is no deploy to bound.\n")
		return
	}
	b.WriteString("From the deploy starting to the deployment being done, as the pipeline's deploy step waits for it.\n")
	for _, ro := range rs {
		fmt.Fprintf(b, "\n%s: %s", ro.Service, strategyName(ro.Strategy))
		if ro.Strategy.Shifts() {
			fmt.Fprintf(b, ", %d task(s) started at once in the alternate target group\n", ro.Desired)
		} else {
			fmt.Fprintf(b, ", desired %d, minimum healthy %d %%, maximum %d %%: %d task(s) per wave, %d wave(s)\n",
				ro.Desired, ro.MinPct, ro.MaxPct, ro.PerWave, ro.Waves)
		}
		rows := [][]string{{"TERM", "SECONDS", "TIMES", "TOTAL", "FROM"}}
		for _, t := range ro.Terms {
			rows = append(rows, []string{t.Name, strconv.Itoa(t.Seconds), strconv.Itoa(t.Times), strconv.Itoa(t.Total()), t.From})
		}
		writeTable(b, "  ", rows, []bool{false, true, true, true, false})
		fmt.Fprintf(b, "  Bound: %s; dominant term: %s.\n", duration(ro.Seconds), ro.Dominant)
		writeWrapped(b, "  ", "    ", exposureText(ro.Figure))
		d := ro.WithDefaults
		fmt.Fprintf(b, "  With the ELB and ECS defaults (deregistration delay %d s, health check every %d s × %d): %s; dominant term: %s.\n",
			elbDefaultDeregistration, elbDefaultIntervalSeconds, elbDefaultHealthyCount, duration(d.Seconds), d.Dominant)
		for _, n := range ro.Notes {
			writeWrapped(b, "  Note: ", "    ", n)
		}
	}
}

// exposureText says what a bad image reaches and how it goes away.
func exposureText(f Figure) string {
	if f.DetectSeconds == 0 {
		return fmt.Sprintf("A bad image that starts and passes its health check: no deployment alarm watches the deployment, so it reaches %s %% of the users and stays there; only the circuit breaker (tasks that fail to start or to turn healthy) rolls back.", pct(f.FirstShiftPercent))
	}
	back := "ECS shifts production traffic back to the old tasks, which still run, within seconds"
	if !f.Strategy.Shifts() {
		back = fmt.Sprintf("a rolling deployment back restores the old image in %s", duration(f.RestoreSeconds))
	}
	return fmt.Sprintf("A bad image that starts and passes its health check: it first gets %s %% of the production traffic; the rollback alarms fire within %s, with %s %% of the users on it; then %s.",
		pct(f.FirstShiftPercent), duration(f.DetectSeconds), pct(f.ExposurePercent), back)
}

func pct(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// writeTable pads columns to their widest cell; right[i] right-aligns
// column i. Empty trailing cells leave no trailing blanks.
func writeTable(b *strings.Builder, indent string, rows [][]string, right []bool) {
	widths := make([]int, len(right))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		line.WriteString(indent)
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// writeWrapped writes prefix and s, wrapped at 100 columns, each further
// line starting with indent.
func writeWrapped(b *strings.Builder, prefix, indent, s string) {
	const width = 100
	line := prefix
	for i, word := range strings.Fields(s) {
		if i > 0 && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			b.WriteString(line + "\n")
			line = indent + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}

// money formats a monthly amount in cents: $1,234.56.
func money(x float64) string {
	cents := int64(math.Round(x * 100))
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("%s$%s.%02d", sign, whole, cents%100)
}

// dollars formats a unit price in full: $0.004445, and $0.50 rather than $0.5.
func dollars(x float64) string {
	s := strconv.FormatFloat(round6(x), 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i < 0 {
		s += ".00"
	} else if len(s)-i == 2 {
		s += "0"
	}
	return "$" + s
}

// duration formats seconds as "150 s (2 min 30 s)".
func duration(s int) string {
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	m, sec := s/60, s%60
	if sec == 0 {
		return fmt.Sprintf("%d s (%d min)", s, m)
	}
	return fmt.Sprintf("%d s (%d min %d s)", s, m, sec)
}

// round2 keeps two decimals, for hours shown: 260.71.
func round2(x float64) float64 { return math.Round(x*100) / 100 }
