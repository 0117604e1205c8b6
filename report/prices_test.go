package report

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDataFileHoldsTheListPrices checks prices.json against the us-east-1
// list prices as the brief states them, typed here by hand: an
// edit to the file that changes a figure must change this table too.
func TestDataFileHoldsTheListPrices(t *testing.T) {
	p := prices(t)
	if p.Region != "us-east-1" || p.Currency != "USD" || p.hours() != 730 {
		t.Errorf("region %q, currency %q, hours a month %v; want us-east-1, USD, 730", p.Region, p.Currency, p.hours())
	}
	for key, want := range map[string]float64{
		pNATHour:          0.045,
		pNATGB:            0.045,
		pALBHour:          0.0225,
		pALBLCUHour:       0.008,
		pIPv4Hour:         0.005,
		pFargateX86VCPU:   0.04048,
		pFargateX86GB:     0.004445,
		pFargateARMVCPU:   0.03238,
		pFargateARMGB:     0.00356,
		pEndpointAZHour:   0.01,
		pEndpointGB:       0.01,
		pLogsIngestGB:     0.50,
		pPipelineV2Minute: 0.002,
		pBuildLinuxSmall:  0.005,
		pBuildLinuxMedium: 0.01,
		pBuildLinuxLarge:  0.02,
		pBuildARMSmall:    0.0034,
		pECRStorage:       0.10,
		pAlarmMonth:       0.10,
	} {
		if got := p.usd(key); got != want {
			t.Errorf("prices.json %s = $%v, want $%v", key, got, want)
		}
	}
	for key, e := range p.Entries {
		if !strings.HasPrefix(e.Source, "https://aws.amazon.com/") {
			t.Errorf("%s: source %q is not an AWS pricing page", key, e.Source)
		}
		if e.Note == "" {
			t.Errorf("%s: no note on how sure the figure is", key)
		}
	}
}

// TestParsePricesRejects: a prices file without a price the report uses, or
// with a price nobody can check, is refused with a message naming it.
func TestParsePricesRejects(t *testing.T) {
	valid := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal(pricesJSON, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	entry := func(m map[string]any, key string) map[string]any {
		return m["prices"].(map[string]any)[key].(map[string]any)
	}
	for _, tc := range []struct {
		name, want string
		edit       func(m map[string]any)
	}{
		{"missing price", "prices.nat_gateway_hour: missing", func(m map[string]any) {
			delete(m["prices"].(map[string]any), pNATHour)
		}},
		{"unused price", "prices.dedicated_host_hour: not used by the report", func(m map[string]any) {
			m["prices"].(map[string]any)["dedicated_host_hour"] = entry(m, pNATHour)
		}},
		{"no source", `prices.alb_hour: source "" is not a https:// URL`, func(m map[string]any) {
			delete(entry(m, pALBHour), "source")
		}},
		{"no date", `prices.alb_hour: as_of "" is not a date`, func(m map[string]any) {
			delete(entry(m, pALBHour), "as_of")
		}},
		{"bad date", `as_of "June 2025" is not a date`, func(m map[string]any) {
			entry(m, pALBHour)["as_of"] = "June 2025"
		}},
		{"negative", "prices.alb_hour: usd -1 is negative", func(m map[string]any) {
			entry(m, pALBHour)["usd"] = -1
		}},
		{"no hours", "hours_per_month.value: must be positive", func(m map[string]any) {
			m["hours_per_month"].(map[string]any)["value"] = 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := valid()
			tc.edit(m)
			b, _ := json.Marshal(m)
			_, err := ParsePrices(b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParsePrices: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := ParsePrices([]byte("{")); err == nil || !strings.HasPrefix(err.Error(), "reading prices:") {
		t.Errorf("ParsePrices of broken JSON: %v", err)
	}
}
