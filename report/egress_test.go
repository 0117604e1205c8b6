package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEgressSideBySide checks the comparison of the crafted dev app against
// figures worked out by hand. The app without egress costs
// $96.9651 − $36.50 = $60.4651.
func TestEgressSideBySide(t *testing.T) {
	for _, dir := range []string{"testdata/dev", "testdata/prod-arm", "testdata/endpoints"} {
		t.Run(dir, func(t *testing.T) {
			r := build(t, dir)
			e := r.Egress
			if e == nil {
				t.Fatal("no egress comparison")
			}
			wantCurrent := map[string]string{"testdata/dev": ModeNat, "testdata/prod-arm": ModeNatPerAz, "testdata/endpoints": ModeEndpoints}[dir]
			if e.Current != wantCurrent || e.AZs != 2 {
				t.Errorf("current %s over %d AZs, want %s over 2", e.Current, e.AZs, wantCurrent)
			}
			if !slices.Equal(e.EndpointServices, []string{"ecr.api", "ecr.dkr", "logs"}) {
				t.Errorf("endpoint services %v", e.EndpointServices)
			}
			want := []struct {
				mode         string
				nat, epAZs   int
				fixed, perGB float64
			}{
				// 1 × ($0.045 + $0.005) × 730 h = $36.50; per GB $0.045 + ½ × 2 × $0.01 = $0.055
				{ModeNat, 1, 0, 36.50, 0.055},
				// 2 × ($0.045 + $0.005) × 730 h = $73.00; per GB $0.045
				{ModeNatPerAz, 2, 0, 73.00, 0.045},
				// 3 endpoints × 2 AZs × $0.01 × 730 h = $43.80; per GB $0.01
				{ModeEndpoints, 0, 6, 43.80, 0.01},
				// t4g.nano $0.0042 × 730 h = $3.066, its IPv4 $0.005 × 730 h =
				// $3.65, 8 GB gp3 × $0.08 = $0.64: $7.356; per GB only
				// ½ × 2 × $0.01 = $0.01 across AZs, no processing charge
				{ModeNatInstance, 0, 0, 7.356, 0.01},
			}
			base := r.Monthly - map[string]float64{ModeNat: 36.50, ModeNatPerAz: 73.00, ModeEndpoints: 43.80}[wantCurrent]
			if len(e.Modes) != len(want) {
				t.Fatalf("%d modes, want %d", len(e.Modes), len(want))
			}
			for i, w := range want {
				m := e.Modes[i]
				instances := 0
				if w.mode == ModeNatInstance {
					instances = 1
				}
				if m.Mode != w.mode || m.NATGateways != w.nat || m.NATInstances != instances || m.EndpointAZs != w.epAZs || m.PublicIPv4 != w.nat+instances ||
					!near(m.Fixed, w.fixed) || !near(m.PerGB, w.perGB) || !near(m.AppMonthly, base+w.fixed) {
					t.Errorf("mode %d = %s, want %+v on a base of $%v", i, jsonOf(m), w, base)
				}
				// At 1,000 GB: base + fixed + 1000 × per GB.
				if at := m.AtTraffic[2]; at.GB != 1000 || !near(at.Monthly, base+w.fixed+1000*w.perGB) {
					t.Errorf("%s at 1000 GB: %s, want $%v", w.mode, jsonOf(at), base+w.fixed+1000*w.perGB)
				}
			}
			// nat vs nat-per-az: 36.50 + 0.055 G = 73.00 + 0.045 G → G = 36.50 / 0.01 = 3650 GB
			// nat vs endpoints: 36.50 + 0.055 G = 43.80 + 0.01 G → G = 7.30 / 0.045 = 162.22 GB
			// nat-per-az vs endpoints: endpoints costs less fixed and less per GB: always cheaper
			// the NAT instance costs less fixed than any other and no more per GB: always cheaper
			checkBreakEven(t, e.BreakEven, []BreakEven{
				{Cheaper: ModeNatPerAz, Than: ModeNat, AboveGB: ptr(3650)},
				{Cheaper: ModeEndpoints, Than: ModeNat, AboveGB: ptr(7.30 / 0.045)},
				{Cheaper: ModeNatInstance, Than: ModeNat},
				{Cheaper: ModeEndpoints, Than: ModeNatPerAz},
				{Cheaper: ModeNatInstance, Than: ModeNatPerAz},
				{Cheaper: ModeNatInstance, Than: ModeEndpoints},
			})
		})
	}
}

func ptr(f float64) *float64 { return &f }

func checkBreakEven(t *testing.T, got, want []BreakEven) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("break-even: %s, want %d", jsonOf(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Cheaper != w.Cheaper || g.Than != w.Than || (g.AboveGB == nil) != (w.AboveGB == nil) ||
			(w.AboveGB != nil && !near(*g.AboveGB, *w.AboveGB)) {
			t.Errorf("break-even %d = %s, want %s", i, jsonOf(g), jsonOf(w))
		}
	}
}

// TestEgressEndpointsFollowTheApp: secrets in Secrets Manager and ECS Exec
// need more interface endpoints, as config.InterfaceEndpoints adds them.
func TestEgressEndpointsFollowTheApp(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/dev/Network.template.json", filepath.Join(dir, "Network.template.json"))
	svc := `{"Resources": {
		"Td": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "256", "Memory": "512",
			"ContainerDefinitions": [{"Secrets": [{"Name": "DB", "ValueFrom": "arn:aws:secretsmanager:us-east-1:111111111111:secret:db"}]}]}},
		"Svc": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Td"}, "DesiredCount": 1, "EnableExecuteCommand": true}}
	}}`
	if err := os.WriteFile(filepath.Join(dir, "Service.template.json"), []byte(svc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := build(t, dir)
	want := []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssmmessages"}
	if !slices.Equal(r.Egress.EndpointServices, want) {
		t.Errorf("endpoint services %v, want %v", r.Egress.EndpointServices, want)
	}
	// 5 endpoints × 2 AZs × $0.01 × 730 h = $73.00
	if m := r.Egress.Modes[2]; m.EndpointAZs != 10 || !near(m.Fixed, 73.00) {
		t.Errorf("endpoints mode %s, want 10 endpoint-AZs, $73.00", jsonOf(m))
	}
	// nat-per-az and endpoints now cost the same fixed; endpoints is cheaper per GB.
	if be := r.Egress.BreakEven[3]; be.Cheaper != ModeEndpoints || be.Than != ModeNatPerAz || be.AboveGB != nil {
		t.Errorf("break-even %s, want endpoints cheaper at any traffic", jsonOf(be))
	}
}

func TestNoVPCNoEgress(t *testing.T) {
	var tm Template
	if err := json.Unmarshal([]byte(`{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}`), &tm); err != nil {
		t.Fatal(err)
	}
	r := FromStacks("x", []Stack{{ID: "Only", Template: tm}}, prices(t))
	if r.Egress != nil {
		t.Errorf("egress comparison without a VPC: %s", jsonOf(r.Egress))
	}
	var out strings.Builder
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No VPC in the templates", "No ECS service in the templates"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
