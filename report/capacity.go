package report

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The Fargate capacity providers a service's strategy names.
const (
	providerOnDemand = "FARGATE"
	providerSpot     = "FARGATE_SPOT"
)

// split places n tasks as ECS does by a capacity provider strategy: first
// the base of the one provider that has one, then the rest by weight. A
// share of a task that the weights leave over counts on-demand (the dearer
// one), so the figure is never low. No strategy: all on-demand.
func split(n int, strategy []any) (onDemand, spot int, problem string) {
	if len(strategy) == 0 {
		return n, 0, ""
	}
	base, baseOn := 0, ""
	weights := map[string]float64{}
	for _, s := range strategy {
		m := object(s)
		name := text(m["CapacityProvider"])
		if name != providerOnDemand && name != providerSpot {
			return 0, 0, fmt.Sprintf("capacity provider %q: only Fargate and Fargate Spot are in prices.json", name)
		}
		w, _ := number(m["Weight"])
		weights[name] += w
		if b, ok := integer(m["Base"]); ok && b > 0 {
			base, baseOn = b, name
		}
	}
	fromBase := min(base, n)
	rest := n - fromBase
	total := weights[providerOnDemand] + weights[providerSpot]
	if rest > 0 && total == 0 {
		return 0, 0, "capacity provider strategy: every weight is 0 and tasks are left over beyond the base"
	}
	if rest > 0 {
		spot = int(math.Floor(float64(rest) * weights[providerSpot] / total))
	}
	onDemand = rest - spot
	if baseOn == providerSpot {
		spot += fromBase
	} else {
		onDemand += fromBase
	}
	return onDemand, spot, ""
}

// weekMinutes is one week in minutes: the schedule repeats weekly.
const weekMinutes = 7 * 24 * 60

// hoursPerWeek is the week the schedule's share of a month is taken of.
const hoursPerWeek = 7 * 24

// Schedule is a service's working hours, read from its scalable target's
// scheduled actions: how many hours a week it keeps each task count.
type Schedule struct {
	Service string `json:"service"`
	// Actions are the scheduled actions as the template has them.
	Actions []string `json:"actions"`
	// HoursPerWeek maps a task count (the actions' minimum capacity, what an
	// idle service runs) to the hours a week it holds.
	HoursPerWeek map[int]float64 `json:"hours_per_week"`
	// RunningHoursPerMonth are the hours a month it runs any task.
	RunningHoursPerMonth float64 `json:"running_hours_per_month"`
	// Monthly and AlwaysOnMonthly are its tasks' cost with the schedule
	// and without it.
	Monthly         float64 `json:"tasks_monthly_usd"`
	AlwaysOnMonthly float64 `json:"tasks_always_on_monthly_usd"`
}

var cronRe = regexp.MustCompile(`^cron\(([0-9]{1,2}) ([0-9]{1,2}) ([?*]) (\*) ([A-Z0-9,*?-]+) (\*)\)$`)

// cronDays reads a cron day-of-week field: names, 1 (SUN) to 7 (SAT),
// ranges and lists, or * and ? for every day. Days are 0 (SUN) to 6.
func cronDays(field string) ([]int, bool) {
	if field == "*" || field == "?" {
		return []int{0, 1, 2, 3, 4, 5, 6}, true
	}
	names := []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	day := func(s string) int {
		if i := slices.Index(names, s); i >= 0 {
			return i
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= 7 {
			return n - 1
		}
		return -1
	}
	var out []int
	for _, part := range strings.Split(field, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, to := day(a), day(a)
		if isRange {
			to = day(b)
		}
		if from < 0 || to < from {
			return nil, false
		}
		for d := from; d <= to; d++ {
			out = append(out, d)
		}
	}
	return out, true
}

// scheduleOf reads the scheduled actions of the scalable target that
// manages the service, and how many hours a week each task count holds.
// nil when there are none; problem when an action cannot be read, and the
// service is then priced as always on.
func scheduleOf(tm Template, serviceID string) (s *Schedule, problem string) {
	for _, r := range tm.Resources {
		if r.Type != "AWS::ApplicationAutoScaling::ScalableTarget" || text(r.Properties["ScalableDimension"]) != "ecs:service:DesiredCount" || !mentions(r.Properties["ResourceId"], serviceID) {
			continue
		}
		actions, _ := list(r.Properties["ScheduledActions"])
		if len(actions) == 0 {
			return nil, ""
		}
		type event struct {
			at, tasks int
		}
		var events []event
		s = &Schedule{Service: serviceID, HoursPerWeek: map[int]float64{}}
		for _, a := range actions {
			m := object(a)
			expr, zone := text(m["Schedule"]), text(m["Timezone"])
			g := cronRe.FindStringSubmatch(expr)
			tasks, okMin := integer(object(m["ScalableTargetAction"])["MinCapacity"])
			most, okMax := integer(object(m["ScalableTargetAction"])["MaxCapacity"])
			days, okDays := []int(nil), false
			if g != nil {
				days, okDays = cronDays(g[5])
			}
			minute, _ := strconv.Atoi(valueAt(g, 1))
			hour, _ := strconv.Atoi(valueAt(g, 2))
			if g == nil || !okDays || !okMin || minute > 59 || hour > 23 {
				return nil, fmt.Sprintf("scheduled action %s (%s): only cron(M H ? * DAYS *) with a MinCapacity is read; priced as always on", text(m["ScheduledActionName"]), expr)
			}
			count := fmt.Sprintf("%d tasks", tasks)
			if okMax && most != tasks {
				count = fmt.Sprintf("%d to %d tasks", tasks, most)
			}
			s.Actions = append(s.Actions, fmt.Sprintf("%s %s %s: %s", text(m["ScheduledActionName"]), expr, cmpOr(zone, "UTC"), count))
			for _, d := range days {
				events = append(events, event{d*24*60 + hour*60 + minute, tasks})
			}
		}
		slices.SortStableFunc(events, func(a, b event) int { return a.at - b.at })
		// From each event to the next the count holds; the week wraps.
		for i, e := range events {
			next := weekMinutes + events[0].at
			if i+1 < len(events) {
				next = events[i+1].at
			}
			s.HoursPerWeek[e.tasks] += float64(next-e.at) / 60
		}
		return s, ""
	}
	return nil, ""
}

func valueAt(g []string, i int) string {
	if i < len(g) {
		return g[i]
	}
	return ""
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
