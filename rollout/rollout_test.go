package rollout

import "testing"

// app is the service's per-task terms with the defaults: a 60 s start, 30 s
// to turn healthy, 30 s drain, 30 s stop.
func app(s Strategy) Params {
	return Params{Strategy: s, Waves: 1, Tasks: 2,
		Start: Term{Name: TermStart, Seconds: 60}, Healthy: Term{Name: TermHealthy, Seconds: 30},
		Drain: Term{Name: TermDrain, Seconds: 30}, Stop: Term{Name: TermStop, Seconds: 30},
		BakeMinutes: 10, CanaryPercent: 10, CanaryBakeMinutes: 10, StepPercent: 25, StepBakeMinutes: 5,
		AlarmSeconds: 180}
}

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        Params
		seconds  int
		dominant string
		exposure float64
		restore  int
		extra    int // task-seconds of the second fleet, per task
	}{
		// 60 + 30 + 30 + 30, then ECS watches the alarms for their 180 s.
		{"rolling", app(Rolling), 330, TermAlarmBake, 100, 150, 120},
		{"rolling without alarms", func() Params { p := app(Rolling); p.AlarmSeconds = 0; return p }(), 150, TermStart, 100, 150, 120},
		{"rolling in three waves", func() Params { p := app(Rolling); p.Waves = 3; p.AlarmSeconds = 0; return p }(), 450, TermStart, 100, 450, 360},
		// 60 + 30 + 600 bake + 30 + 30; the old fleet runs until it drained.
		{"blue/green", app(BlueGreen), 750, TermBake, 100, 0, 720},
		// 60 + 30 + 600 canary + 600 bake + 30 + 30; the alarm (180 s)
		// fires inside the canary bake, on 10 % of the traffic.
		{"canary", app(Canary), 1350, TermCanaryBake, 10, 0, 1320},
		{"canary baked shorter than the alarm takes", func() Params { p := app(Canary); p.CanaryBakeMinutes = 2; return p }(), 870, TermBake, 100, 0, 840},
		// 25 %: four shifts, three step bakes of 300 s.
		{"linear", app(Linear), 1650, TermStepBake, 25, 0, 1620},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Compute(tc.p)
			if b.Seconds != tc.seconds || b.Dominant != tc.dominant {
				t.Errorf("bound %d s, dominant %q; want %d s, %q: %+v", b.Seconds, b.Dominant, tc.seconds, tc.dominant, b.Terms)
			}
			if b.ExposurePercent != tc.exposure || b.RestoreSeconds != tc.restore {
				t.Errorf("exposure %v %%, restore %d s; want %v %%, %d s", b.ExposurePercent, b.RestoreSeconds, tc.exposure, tc.restore)
			}
			if b.ExtraTaskSeconds != tc.extra {
				t.Errorf("second fleet %d s, want %d s", b.ExtraTaskSeconds, tc.extra)
			}
			sum := 0
			for _, term := range b.Terms {
				sum += term.Total()
			}
			if sum != b.Seconds {
				t.Errorf("the terms add up to %d s, the bound is %d s", sum, b.Seconds)
			}
		})
	}
}

func TestStepBakes(t *testing.T) {
	// AWS::ECS::Service LinearConfiguration: (100 ÷ step) − 1 when the
	// step divides 100, otherwise floor(100 ÷ step).
	for step, want := range map[float64]int{50: 1, 25: 3, 10: 9, 11: 9, 33.3: 3, 3: 33, 100: 0, 12.5: 7} {
		if got := StepBakes(step); got != want {
			t.Errorf("StepBakes(%v) = %d, want %d", step, got, want)
		}
	}
}

func TestWaves(t *testing.T) {
	for _, tc := range []struct{ n, min, max, perWave, waves int }{
		{2, 100, 200, 2, 1}, {2, 50, 100, 1, 2}, {3, 100, 150, 1, 3}, {4, 50, 200, 4, 1}, {10, 100, 120, 2, 5}, {3, 67, 100, 0, 0}, {0, 100, 200, 0, 0},
	} {
		if per, w := Waves(tc.n, tc.min, tc.max); per != tc.perWave || w != tc.waves {
			t.Errorf("Waves(%d, %d, %d) = %d, %d; want %d, %d", tc.n, tc.min, tc.max, per, w, tc.perWave, tc.waves)
		}
	}
}
