package report

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestSplit places tasks by a capacity provider strategy as ECS does: the
// base first, then the rest by weight, a leftover share on-demand.
func TestSplit(t *testing.T) {
	strategy := func(s string) []any {
		var v []any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name           string
		n              int
		strategy       string
		onDemand, spot int
		problem        string
	}{
		{"no strategy: the launch type", 2, `[]`, 2, 0, ""},
		{"Spot only", 3, `[{"CapacityProvider":"FARGATE_SPOT","Weight":1}]`, 0, 3, ""},
		{"mixed, base 1 of 3", 3, `[{"CapacityProvider":"FARGATE","Base":1,"Weight":0},{"CapacityProvider":"FARGATE_SPOT","Weight":1}]`, 1, 2, ""},
		{"mixed, base above the count", 2, `[{"CapacityProvider":"FARGATE","Base":4,"Weight":0},{"CapacityProvider":"FARGATE_SPOT","Weight":1}]`, 2, 0, ""},
		{"1:1 of 3: the odd task on-demand", 3, `[{"CapacityProvider":"FARGATE","Weight":1},{"CapacityProvider":"FARGATE_SPOT","Weight":1}]`, 2, 1, ""},
		{"a base on Spot", 3, `[{"CapacityProvider":"FARGATE_SPOT","Base":2,"Weight":1},{"CapacityProvider":"FARGATE","Weight":1}]`, 1, 2, ""},
		{"no task", 0, `[{"CapacityProvider":"FARGATE_SPOT","Weight":1}]`, 0, 0, ""},
		{"an EC2 provider", 2, `[{"CapacityProvider":"my-asg","Weight":1}]`, 0, 0, `capacity provider "my-asg": only Fargate and Fargate Spot are in prices.json`},
		{"weights 0 beyond the base", 3, `[{"CapacityProvider":"FARGATE","Base":1,"Weight":0}]`, 0, 0, "every weight is 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			od, spot, problem := split(tc.n, strategy(tc.strategy))
			if od != tc.onDemand || spot != tc.spot || !strings.Contains(problem, tc.problem) || (problem == "") != (tc.problem == "") {
				t.Errorf("split(%d) = %d on-demand, %d Spot, %q; want %d, %d, %q", tc.n, od, spot, problem, tc.onDemand, tc.spot, tc.problem)
			}
		})
	}
}

// TestScheduleHours reads the working hours of a scalable target: how many
// hours a week each task count holds, the week wrapping around.
func TestScheduleHours(t *testing.T) {
	target := func(actions string) Template {
		var tm Template
		body := `{"Resources": {
			"Svc": {"Type": "AWS::ECS::Service", "Properties": {}},
			"Target": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
				"ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 2, "MaxCapacity": 4,
				"ResourceId": {"Fn::Join": ["", ["service/", {"Ref": "Cluster"}, "/", {"Fn::GetAtt": ["Svc", "Name"]}]]},
				"ScheduledActions": ` + actions + `}}}}`
		if err := json.Unmarshal([]byte(body), &tm); err != nil {
			t.Fatal(err)
		}
		return tm
	}
	action := func(name, cron string, min, max int) string {
		b, _ := json.Marshal(map[string]any{"ScheduledActionName": name, "Schedule": cron, "Timezone": "Europe/Berlin",
			"ScalableTargetAction": map[string]any{"MinCapacity": min, "MaxCapacity": max}})
		return string(b)
	}
	for _, tc := range []struct {
		name    string
		actions string
		hours   map[int]float64
		problem string
	}{
		// 5 days × 12 h = 60 h with 2 tasks; the other 108 h with none.
		{"weekdays 08:00-20:00", "[" + action("Start", "cron(0 8 ? * MON-FRI *)", 2, 4) + "," + action("End", "cron(0 20 ? * MON-FRI *)", 0, 0) + "]",
			map[int]float64{2: 60, 0: 108}, ""},
		// every day 07:30-18:45: 7 × 11.25 h = 78.75 h; the rest 89.25 h
		{"every day, minutes", "[" + action("Start", "cron(30 7 * * ? *)", 1, 3) + "," + action("End", "cron(45 18 * * ? *)", 0, 0) + "]",
			map[int]float64{1: 78.75, 0: 89.25}, ""},
		// days as numbers: 2-6 is MON-FRI
		{"numbered days", "[" + action("Start", "cron(0 9 ? * 2-6 *)", 2, 2) + "," + action("End", "cron(0 17 ? * 2-6 *)", 0, 0) + "]",
			map[int]float64{2: 40, 0: 128}, ""},
		// from FRI 20:00 to MON 08:00 it runs 1: 60 h; weekdays by day 2
		// (60 h) and at night 0 (4 nights × 12 h = 48 h).
		{"a weekend count of its own", "[" + action("Day", "cron(0 8 ? * MON-FRI *)", 2, 4) + "," + action("Night", "cron(0 20 ? * MON-THU *)", 0, 0) + "," + action("Weekend", "cron(0 20 ? * FRI *)", 1, 1) + "]",
			map[int]float64{2: 60, 0: 48, 1: 60}, ""},
		{"a rate is not read", "[" + action("Every", "rate(1 hour)", 1, 1) + "]", nil, "scheduled action Every (rate(1 hour)): only cron(M H ? * DAYS *) with a MinCapacity is read; priced as always on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, problem := scheduleOf(target(tc.actions), "Svc")
			if problem != tc.problem {
				t.Fatalf("problem %q, want %q", problem, tc.problem)
			}
			if tc.hours == nil {
				if s != nil {
					t.Errorf("schedule %+v from an action it cannot read", s)
				}
				return
			}
			if !reflect.DeepEqual(s.HoursPerWeek, tc.hours) {
				t.Errorf("hours a week %v, want %v", s.HoursPerWeek, tc.hours)
			}
			total := 0.0
			for _, h := range s.HoursPerWeek {
				total += h
			}
			if total != hoursPerWeek {
				t.Errorf("the week holds %v hours, want %d", total, hoursPerWeek)
			}
		})
	}
	if s, problem := scheduleOf(target(`[]`), "Svc"); s != nil || problem != "" {
		t.Errorf("no actions: %+v, %q; want no schedule", s, problem)
	}
}

// TestLeanDevFigures checks the app's lean dev (testdata/lean-dev)
// against figures worked out by hand: a t4g.nano NAT instance, 2 ARM64
// tasks of 0.5 vCPU and 1 GB on Spot in working hours, one key.
func TestLeanDevFigures(t *testing.T) {
	r := build(t, "testdata/lean-dev")
	checkItems(t, stackCost(t, r, "Network"), []item{
		{"Public IPv4 address", "NAT instance's, assigned at launch", 1, 3.65}, // 1 × $0.005 × 730 h
		{"NAT instance t4g.nano", "", 1, 3.066},                                // 1 × $0.0042 × 730 h
		{"EBS volume (gp3)", "NAT instance's root volume, 8 GB", 8, 0.64},      // 8 GB × $0.08
	}, 7.356)
	// Working hours: 60 of 168 hours a week, so 60 × 730 / 168 = 260.714286 h.
	const hours = 60.0 * 730 / 168
	svc := stackCost(t, r, "Service")
	checkItems(t, svc, []item{
		{"Application Load Balancer", "", 1, 16.425},
		{"Public IPv4 address", "internet-facing ALB, one per AZ (2)", 2, 7.30},
		{"Fargate Spot vCPU (ARM64)", "2 tasks × 0.5 vCPU on Spot, 260.71 h a month in working hours", 1, 1 * 0.009714 * hours}, // $2.532579
		{"Fargate Spot memory (ARM64)", "2 tasks × 1 GB on Spot, 260.71 h a month in working hours", 2, 2 * 0.001068 * hours},   // $0.556886
		{"CloudWatch alarm", "standard resolution", 8, 0.80},
		{"CloudWatch alarm", "2 per target-tracking policy, created by Application Auto Scaling", 4, 0.40},
	}, 16.425+7.30+0.009714*hours+2*0.001068*hours+0.80+0.40)
	if len(svc.Schedules) != 1 || svc.Schedules[0].HoursPerWeek[2] != 60 || !near(svc.Schedules[0].RunningHoursPerMonth, hours) {
		t.Errorf("schedules %+v", svc.Schedules)
	}
	// Always on, the tasks cost 730 h instead: (0.009714 + 2 × 0.001068) × 730 = $8.65055.
	if !near(svc.AlwaysOnMonthly-svc.Monthly, (0.009714+2*0.001068)*(730-hours)) {
		t.Errorf("always on $%v, with the schedule $%v", svc.AlwaysOnMonthly, svc.Monthly)
	}
	checkItems(t, stackCost(t, r, "Registry"), []item{{"KMS key", "", 1, 1.00}}, 1.00)
	checkItems(t, stackCost(t, r, "Pipeline"), nil, 0)
	total := 1.00 + 7.356 + 16.425 + 7.30 + 0.009714*hours + 2*0.001068*hours + 1.20 // = $36.370465
	if !near(r.Monthly, total) || total > 40 {
		t.Errorf("total $%v, want $%v (at most $40)", r.Monthly, total)
	}
	if r.Egress.Current != ModeNatInstance {
		t.Errorf("egress now %s", r.Egress.Current)
	}
	for _, o := range r.Lean.Options {
		if !o.InUse || o.Saving != 0 {
			t.Errorf("lean choice %+v: dev uses every one", o)
		}
	}
	var out strings.Builder
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Total at idle: $36.37 a month",
		"Total at idle without the working hours (always on): $41.93 a month.",
		"Working hours of ServiceD69D759B: tasks run 260.71 h of the month's 730 (WorkingHoursStart cron(0 8 ? * MON-FRI *) UTC: 2 to 4 tasks; WorkingHoursEnd cron(0 20 ? * MON-FRI *) UTC: 0 tasks); their cost $3.09, always on $8.65.",
		"nat-instance (now)    0             1             0     1         $7.36   $0.01       $36.37",
		"4. WHAT DEV COULD COST",
		"With all of them: $36.37 a month at idle.",
		"assumption of 70 % below on-demand (as of",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
}

// TestLeanSavings checks "What dev could cost" on the crafted dev app of
// before (one NAT gateway, 2 X86_64 tasks on-demand, always on) against
// figures worked out by hand.
func TestLeanSavings(t *testing.T) {
	r := build(t, "testdata/dev")
	want := map[string]float64{
		// 1 × ($0.045 + $0.005) × 730 h = $36.50 against $7.356
		"a NAT instance": 36.50 - 7.356,
		// 1 vCPU × ($0.04048 − $0.012144) × 730 h + 2 GB × ($0.004445 − $0.0013335) × 730 h
		"Fargate Spot": (0.04048-0.012144)*730 + 2*(0.004445-0.0013335)*730, // $25.22807
		// 1 vCPU × ($0.04048 − $0.03238) × 730 h + 2 GB × ($0.004445 − $0.00356) × 730 h
		"ARM64 (Graviton)": (0.04048-0.03238)*730 + 2*(0.004445-0.00356)*730, // $7.2051
		// the tasks' $36.0401 for 108 of 168 hours
		"working hours": (29.5504 + 6.4897) * 108 / 168, // $23.168636
	}
	if len(r.Lean.Options) != len(want) {
		t.Fatalf("lean choices %s, want %v (the crafted app has no KMS key)", jsonOf(r.Lean.Options), want)
	}
	for _, o := range r.Lean.Options {
		if w, ok := want[o.Name]; !ok || o.InUse || !near(o.Saving, w) {
			t.Errorf("%s: in use %v, saves $%v; want $%v", o.Name, o.InUse, o.Saving, w)
		}
	}
	// All together: $96.9651 − $29.144 for egress, and the tasks' $36.0401
	// become 1 vCPU × $0.009714 + 2 GB × $0.001068 for 260.714286 h = $3.089464.
	all := 96.9651 - 29.144 - (36.0401 - (0.009714+2*0.001068)*60*730/168)
	if !near(r.Lean.Monthly, all) {
		t.Errorf("with all of them $%v, want $%v", r.Lean.Monthly, all)
	}
}
