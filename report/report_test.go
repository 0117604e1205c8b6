package report

import (
	"encoding/json"
	"flag"
	"math"
	"strings"
	"testing"
)

// The suite runs `go test ./... -update` for the golden files of other
// packages; this one has none but must accept the flag.
var _ = flag.Bool("update", false, "accepted for `go test ./... -update`; this package has no golden files")

func prices(t *testing.T) Prices {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatalf("embedded prices: %v", err)
	}
	return p
}

func build(t *testing.T, dir string) *Report {
	t.Helper()
	r, err := Build(dir, prices(t))
	if err != nil {
		t.Fatalf("Build(%s): %v", dir, err)
	}
	return r
}

// near compares dollar figures to a hundredth of a cent.
func near(got, want float64) bool { return math.Abs(got-want) < 0.0001 }

func stackCost(t *testing.T, r *Report, id string) StackCost {
	t.Helper()
	for _, sc := range r.Stacks {
		if sc.Stack == id {
			return sc
		}
	}
	t.Fatalf("no stack %s in the report; have %v", id, stackIDs(r))
	return StackCost{}
}

func stackIDs(r *Report) []string {
	var ids []string
	for _, sc := range r.Stacks {
		ids = append(ids, sc.Stack)
	}
	return ids
}

// item is what a test expects of one idle line.
type item struct {
	resource, detail string
	count, monthly   float64
}

func checkItems(t *testing.T, sc StackCost, want []item, wantMonthly float64) {
	t.Helper()
	if len(sc.Items) != len(want) {
		t.Errorf("%s: %d items, want %d: %s", sc.Stack, len(sc.Items), len(want), jsonOf(sc.Items))
	}
	for _, w := range want {
		found := false
		for _, it := range sc.Items {
			if it.Resource != w.resource || it.Detail != w.detail {
				continue
			}
			found = true
			if !near(it.Count, w.count) || !near(it.Monthly, w.monthly) {
				t.Errorf("%s: %s (%s) = %v × … = $%v, want %v × … = $%v", sc.Stack, w.resource, w.detail, it.Count, it.Monthly, w.count, w.monthly)
			}
		}
		if !found {
			t.Errorf("%s: no item %q (%q); have %s", sc.Stack, w.resource, w.detail, jsonOf(sc.Items))
		}
	}
	if !near(sc.Monthly, wantMonthly) {
		t.Errorf("%s: stack at idle $%v, want $%v", sc.Stack, sc.Monthly, wantMonthly)
	}
	if len(sc.NotPriced) != 0 {
		t.Errorf("%s: not priced: %s", sc.Stack, jsonOf(sc.NotPriced))
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDevFigures checks the crafted dev app (egress nat, X86_64, 2 tasks of
// 0.5 vCPU and 1 GB) against figures worked out by hand.
func TestDevFigures(t *testing.T) {
	r := build(t, "testdata/dev")
	if got := strings.Join(stackIDs(r), ","); got != "Network,Service,Pipeline" {
		t.Errorf("stacks in deploy order = %s, want Network,Service,Pipeline (the manifest lists them the other way)", got)
	}
	checkItems(t, stackCost(t, r, "Network"), []item{
		{"NAT gateway", "", 1, 32.85},                                   // 1 × $0.045 × 730 h = $32.85
		{"Public IPv4 address", "Elastic IP of a NAT gateway", 1, 3.65}, // 1 × $0.005 × 730 h = $3.65
	}, 36.50) // 32.85 + 3.65
	checkItems(t, stackCost(t, r, "Service"), []item{
		{"Application Load Balancer", "", 1, 16.425},                                                       // 1 × $0.0225 × 730 h
		{"Public IPv4 address", "internet-facing ALB, one per AZ (2)", 2, 7.30},                            // 2 × $0.005 × 730 h
		{"Fargate vCPU (X86_64)", "2 tasks × 0.5 vCPU", 1, 29.5504},                                        // 2 × 512/1024 vCPU × $0.04048 × 730 h
		{"Fargate memory (X86_64)", "2 tasks × 1 GB", 2, 6.4897},                                           // 2 × 1024/1024 GB × $0.004445 × 730 h
		{"CloudWatch alarm", "standard resolution", 3, 0.30},                                               // 3 alarms × $0.10
		{"CloudWatch alarm", "2 per target-tracking policy, created by Application Auto Scaling", 4, 0.40}, // 2 policies × 2 × $0.10
	}, 60.4651) // 16.425 + 7.30 + 29.5504 + 6.4897 + 0.30 + 0.40
	checkItems(t, stackCost(t, r, "Pipeline"), nil, 0) // CodePipeline V2, CodeBuild, S3, logs: usage only
	// 36.50 + 60.4651 + 0 = 96.9651
	if !near(r.Monthly, 96.9651) {
		t.Errorf("total at idle $%v, want $96.9651", r.Monthly)
	}

	usage := map[string]float64{}
	for _, sc := range r.Stacks {
		for _, u := range sc.Usage {
			usage[sc.Stack+"/"+u.Resource] = u.ExampleCost
		}
	}
	for key, want := range map[string]float64{
		"Network/NAT gateway data processed":       4.50, // per 100 GB × $0.045
		"Network/CloudWatch Logs ingestion":        5.00, // per 10 GB × $0.50 (flow logs)
		"Service/ALB capacity units (LCU)":         5.84, // 1 LCU × 730 h × $0.008
		"Service/ECR image storage":                0.10, // per 1 GB × $0.10
		"Pipeline/CodeBuild SMALL LINUX_CONTAINER": 0.50, // per 100 build-minutes × $0.005
		"Pipeline/CodePipeline V2 action time":     0.20, // per 100 action-minutes × $0.002
		"Pipeline/S3 storage":                      0.23, // per 10 GB × $0.023
		"Service/CloudWatch Logs storage":          0.30, // per 10 GB × $0.03
	} {
		got, ok := usage[key]
		if !ok {
			t.Errorf("no usage line %s; have %v", key, usage)
		} else if !near(got, want) {
			t.Errorf("usage %s: example $%v, want $%v", key, got, want)
		}
	}
}

// TestProdArmFigures checks the crafted prod app: a NAT gateway per AZ,
// ARM64 tasks and an ARM build.
func TestProdArmFigures(t *testing.T) {
	r := build(t, "testdata/prod-arm")
	checkItems(t, stackCost(t, r, "Network"), []item{
		{"NAT gateway", "", 2, 65.70},                                   // 2 × $0.045 × 730 h
		{"Public IPv4 address", "Elastic IP of a NAT gateway", 2, 7.30}, // 2 × $0.005 × 730 h
	}, 73.00)
	checkItems(t, stackCost(t, r, "Service"), []item{
		{"Application Load Balancer", "", 1, 16.425},                            // 1 × $0.0225 × 730 h
		{"Public IPv4 address", "internet-facing ALB, one per AZ (2)", 2, 7.30}, // 2 × $0.005 × 730 h
		{"Fargate vCPU (ARM64)", "2 tasks × 0.5 vCPU", 1, 23.6374},              // 1 vCPU × $0.03238 × 730 h
		{"Fargate memory (ARM64)", "2 tasks × 1 GB", 2, 5.1976},                 // 2 GB × $0.00356 × 730 h
		{"CloudWatch alarm", "standard resolution", 3, 0.30},
		{"CloudWatch alarm", "2 per target-tracking policy, created by Application Auto Scaling", 4, 0.40},
	}, 53.2600) // 16.425 + 7.30 + 23.6374 + 5.1976 + 0.30 + 0.40
	// 73.00 + 53.26 = 126.26
	if !near(r.Monthly, 126.26) {
		t.Errorf("total at idle $%v, want $126.26", r.Monthly)
	}
	var codeBuild, pipeline Usage
	for _, u := range stackCost(t, r, "Pipeline").Usage {
		switch {
		case strings.HasPrefix(u.Resource, "CodeBuild"):
			codeBuild = u
		case strings.HasPrefix(u.Resource, "CodePipeline"):
			pipeline = u
		}
	}
	if codeBuild.Price != pBuildARMSmall || !near(codeBuild.ExampleCost, 0.34) { // 100 min × $0.0034
		t.Errorf("ARM build: price %q, per 100 minutes $%v; want %q, $0.34", codeBuild.Price, codeBuild.ExampleCost, pBuildARMSmall)
	}
	if !strings.HasPrefix(pipeline.Assumption, "4 actions in 4 stages") { // Source, Build, Approval, Deploy
		t.Errorf("the V2 pipeline with an approval stage: assumption %q, want 4 actions in 4 stages", pipeline.Assumption)
	}
}

// TestEndpointsFigures checks the endpoints egress mode: no NAT, three
// interface endpoints in two AZs each, the S3 gateway endpoint free.
func TestEndpointsFigures(t *testing.T) {
	r := build(t, "testdata/endpoints")
	checkItems(t, stackCost(t, r, "Network"), []item{
		{"Interface endpoint ecr.api", "2 AZs", 2, 14.60}, // 2 AZs × $0.01 × 730 h
		{"Interface endpoint ecr.dkr", "2 AZs", 2, 14.60},
		{"Interface endpoint logs", "2 AZs", 2, 14.60},
	}, 43.80) // 3 × 14.60
	free := map[string]int{}
	for _, f := range stackCost(t, r, "Network").Free {
		free[f.Type] = f.Count
	}
	if free["AWS::EC2::VPCEndpoint"] != 1 {
		t.Errorf("the S3 gateway endpoint should be listed free once; free types: %v", free)
	}
}

// TestUnknownTypesAreListed: a type the report does not know, or a value it
// cannot read, is listed as not priced, never left out.
func TestUnknownTypesAreListed(t *testing.T) {
	tmpl := `{"Resources": {
		"Dash": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}, "Metadata": {"aws:cdk:path": "Service/Dash/Resource"}},
		"Thing": {"Type": "AWS::Foo::Bar"},
		"Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "network", "Subnets": ["a", "b"]}},
		"Td": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": {"Ref": "CpuParam"}, "Memory": "1024"}},
		"Svc": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Td"}, "DesiredCount": 2}},
		"Build": {"Type": "AWS::CodeBuild::Project", "Properties": {"Environment": {"Type": "WINDOWS_SERVER_2019_CONTAINER", "ComputeType": "BUILD_GENERAL1_MEDIUM"}}},
		"Role": {"Type": "AWS::IAM::Role"}
	}}`
	var tm Template
	if err := json.Unmarshal([]byte(tmpl), &tm); err != nil {
		t.Fatal(err)
	}
	r := FromStacks("crafted", []Stack{{ID: "Service", Template: tm}}, prices(t))
	sc := r.Stacks[0]
	want := map[string]string{
		"Dash":  "not classified",
		"Thing": "not classified",
		"Nlb":   "network load balancer",
		"Svc":   "Cpu and Memory are not numbers",
		"Build": "WINDOWS_SERVER_2019_CONTAINER",
	}
	got := map[string]NotPriced{}
	for _, np := range sc.NotPriced {
		got[np.LogicalID] = np
	}
	for id, reason := range want {
		np, ok := got[id]
		if !ok {
			t.Errorf("%s is not listed as not priced: %s", id, jsonOf(sc.NotPriced))
			continue
		}
		if !strings.Contains(np.Reason, reason) {
			t.Errorf("%s: reason %q, want it to mention %q", id, np.Reason, reason)
		}
	}
	if len(sc.NotPriced) != len(want) || r.NotPriced != len(want) {
		t.Errorf("not priced: %d in the stack, %d in the report, want %d: %s", len(sc.NotPriced), r.NotPriced, len(want), jsonOf(sc.NotPriced))
	}
	if got["Dash"].Path != "Service/Dash/Resource" {
		t.Errorf("not-priced path = %q, want the construct path", got["Dash"].Path)
	}
	var out strings.Builder
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"NOT PRICED: AWS::CloudWatch::Dashboard Service/Dash/Resource", "NOT PRICED: AWS::Foo::Bar Thing", "5 resource(s) not priced"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("text output lacks %q:\n%s", line, out.String())
		}
	}
}

// TestEveryTypeOfTheTemplatesIsClassified: the crafted and synthesized
// templates hold only types classify.go knows, each either free or priced.
func TestEveryTypeOfTheTemplatesIsClassified(t *testing.T) {
	for _, dir := range []string{"testdata/dev", "testdata/prod-arm", "testdata/endpoints"} {
		stacks, err := ReadAssembly(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range stacks {
			for id, r := range st.Template.Resources {
				if _, ok := classify(r.Type); !ok {
					t.Errorf("%s/%s: %s %s is not classified", dir, st.ID, r.Type, id)
				}
			}
		}
	}
	for typ, c := range resourceTypes {
		if (c.free == "") == (c.price == nil) {
			t.Errorf("%s: must be either free with a reason or priced with a function", typ)
		}
	}
}

// TestPricesComeFromTheDataFile: with every price of the file scaled, every
// figure scales the same, and every line names its price in the file. A
// figure typed into the code would not scale.
func TestPricesComeFromTheDataFile(t *testing.T) {
	base := prices(t)
	for _, dir := range []string{"testdata/dev", "testdata/prod-arm", "testdata/endpoints"} {
		stacks, err := ReadAssembly(dir)
		if err != nil {
			t.Fatal(err)
		}
		const k = 3.0
		scaled := base
		scaled.Entries = map[string]Price{}
		for key, p := range base.Entries {
			p.USD *= k
			scaled.Entries[key] = p
		}
		a, b := FromStacks(dir, stacks, base), FromStacks(dir, stacks, scaled)
		if a.Monthly == 0 || !near(b.Monthly, k*a.Monthly) {
			t.Errorf("%s: total $%v with prices ×%v, want %v × $%v", dir, b.Monthly, k, k, a.Monthly)
		}
		for i, sc := range a.Stacks {
			for j, it := range sc.Items {
				if it.UnitPrice != base.Entries[it.Price].USD {
					t.Errorf("%s: %s unit price $%v is not prices.json's %s ($%v)", dir, it.Resource, it.UnitPrice, it.Price, base.Entries[it.Price].USD)
				}
				if got := b.Stacks[i].Items[j].Monthly; !near(got, k*it.Monthly) {
					t.Errorf("%s: %s $%v with prices ×%v, want $%v", dir, it.Resource, got, k, k*it.Monthly)
				}
			}
			for j, u := range sc.Usage {
				if u.UnitPrice != base.Entries[u.Price].USD {
					t.Errorf("%s: %s unit price $%v is not prices.json's %s", dir, u.Resource, u.UnitPrice, u.Price)
				}
				if got := b.Stacks[i].Usage[j].ExampleCost; !near(got, k*u.ExampleCost) {
					t.Errorf("%s: usage %s $%v with prices ×%v, want $%v", dir, u.Resource, got, k, k*u.ExampleCost)
				}
			}
		}
		for i, m := range a.Egress.Modes {
			bm := b.Egress.Modes[i]
			if !near(bm.Fixed, k*m.Fixed) || !near(bm.PerGB, k*m.PerGB) || !near(bm.AppMonthly, k*m.AppMonthly) {
				t.Errorf("%s: egress %s does not scale with the prices: %s vs %s", dir, m.Mode, jsonOf(m), jsonOf(bm))
			}
		}
	}

	// The hours in a month come from the file too.
	stacks, _ := ReadAssembly("testdata/dev")
	h := base
	h.HoursPerMonth.Value = 720
	a, b := FromStacks("", stacks, base), FromStacks("", stacks, h)
	for j, it := range a.Stacks[0].Items {
		if got := b.Stacks[0].Items[j].Monthly; !near(got, it.Monthly*720/730) || b.Stacks[0].Items[j].Hours != 720 {
			t.Errorf("%s with 720 hours a month: $%v, want $%v", it.Resource, got, it.Monthly*720/730)
		}
	}
}

func TestOverBudget(t *testing.T) {
	r := &Report{Monthly: 96.9651}
	for _, tc := range []struct {
		budget float64
		over   bool
	}{
		{96.97, false}, // the estimate rounds to $96.97
		{96.96, true},
		{100, false},
		{0, true},
	} {
		if got := r.OverBudget(tc.budget); got != tc.over {
			t.Errorf("OverBudget(%v) with $96.9651 = %v, want %v", tc.budget, got, tc.over)
		}
	}
}

func TestJSONMatchesTheFigures(t *testing.T) {
	r := build(t, "testdata/dev")
	var out strings.Builder
	if err := WriteJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Monthly float64 `json:"monthly_usd"`
		Stacks  []struct {
			Stack   string  `json:"stack"`
			Monthly float64 `json:"monthly_usd"`
			Items   []struct {
				Price string `json:"price"`
			} `json:"items"`
		} `json:"stacks"`
		Egress struct {
			Current string `json:"current"`
		} `json:"egress"`
		Rollout []struct {
			Bound int `json:"bound_seconds"`
		} `json:"rollout"`
	}
	if err := json.Unmarshal([]byte(out.String()), &back); err != nil {
		t.Fatalf("--json output is not JSON: %v", err)
	}
	if back.Monthly != 96.9651 || len(back.Stacks) != 3 || back.Stacks[0].Items[0].Price != pNATHour ||
		back.Egress.Current != ModeNat || len(back.Rollout) != 1 || back.Rollout[0].Bound != 150 {
		t.Errorf("JSON does not carry the figures: %s", out.String())
	}
}

func TestTextShowsTheFigures(t *testing.T) {
	r := build(t, "testdata/dev")
	var out strings.Builder
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"1. MONTHLY COST AT IDLE", "2. EGRESS CHOICES, SIDE BY SIDE", "3. ROLLOUT-TIME BOUND",
		"  NAT gateway              1  $0.045/hour    730   $32.85",
		"per 100 GB through the NAT: $4.50",
		"Total at idle: $96.97 a month",
		"endpoints is cheaper than nat above 162.2 GB a month",
		"Bound: 150 s (2 min 30 s); dominant term: task start.",
		"health check every 30 s × 5): 540 s (9 min); dominant term: deregistration delay.",
		// 2 tasks × 120 s × (0.5 vCPU × $0.04048 + 1 GB × $0.004445) an hour
		"runs 2 extra task(s) for 120 s",
		"$0.001646 a deploy.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{money(32.85), "$32.85"},
		{money(16.425), "$16.43"},
		{money(1234.5), "$1,234.50"},
		{money(0), "$0.00"},
		{dollars(0.004445), "$0.004445"},
		{dollars(0.5), "$0.50"},
		{dollars(1), "$1.00"},
		{dollars(0.045), "$0.045"},
		{duration(45), "45 s"},
		{duration(150), "150 s (2 min 30 s)"},
		{duration(540), "540 s (9 min)"},
		{num(0.5), "0.5"},
		{num(2), "2"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
