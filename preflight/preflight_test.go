package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cstypes "github.com/aws/aws-sdk-go-v2/service/codestarconnections/types"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

var update = flag.Bool("update", false, "rewrite createonly.json from the schemas cfn-lint ships")

// statuses maps each result to "check status" for compact comparisons.
func statuses(r *Report) []string {
	var out []string
	for _, res := range r.Results {
		out = append(out, res.Check+" "+string(res.Status))
	}
	return out
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// assertReadOnly fails when the fake saw a call that is not a read.
func assertReadOnly(t *testing.T, f *fakeAWS) {
	t.Helper()
	if len(f.calls) == 0 {
		t.Fatal("no call recorded: the fake is not in the way")
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "GET https://") {
			continue // the download of a presigned URL ECR gave: a read
		}
		_, op, _ := strings.Cut(c, ":")
		if !ReadOnly(op) {
			t.Errorf("preflight called %s, which is not a read", c)
		}
	}
}

// TestBareAccount: nothing deployed, not bootstrapped, no service-linked
// role: bootstrap and the two racing roles fail, each with its command.
func TestBareAccount(t *testing.T) {
	f := newFake()
	r := run(t, golden(t, "dev-nat", "dev"), f)
	want := []string{
		"identity ok", "bootstrap fail", "exports ok", "leftovers ok", "leftovers ok", "leftovers ok", "connection warn", "https ok", "secrets ok",
		"service-linked roles fail", "service-linked roles fail", "service-linked roles warn", "quotas ok", "quotas ok", "nat instance ok", "architecture ok", "weights ok",
	}
	if got := statuses(r); !slices.Equal(got, want) {
		t.Errorf("statuses:\n got %v\nwant %v", got, want)
	}
	if r.Failed != 3 || r.Warnings != 2 {
		t.Errorf("failed %d, warnings %d; want 3 and 2", r.Failed, r.Warnings)
	}
	b := r.results("bootstrap")[0]
	mustContain(t, "bootstrap", b.Found, "not bootstrapped", "/cdk-bootstrap/hnb659fds/version", "version 6 or later")
	if b.Fix != "npx cdk bootstrap aws://123456789012/us-east-1" {
		t.Errorf("bootstrap fix %q", b.Fix)
	}
	var fixes []string
	for _, res := range r.results("service-linked roles") {
		fixes = append(fixes, res.Fix)
	}
	if want := []string{
		"aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com",
		"aws iam create-service-linked-role --aws-service-name ecs.application-autoscaling.amazonaws.com",
		"aws iam create-service-linked-role --aws-service-name elasticloadbalancing.amazonaws.com",
	}; !slices.Equal(fixes, want) {
		t.Errorf("role fixes:\n got %q\nwant %q", fixes, want)
	}
	mustContain(t, "quotas", r.results("quotas")[0].Found, "0 in use + 1 new", "of 5", "documented default")
	assertReadOnly(t, f)
}

// TestNatInstanceQuotas: cdk.json's dev has a NAT instance, whose public
// address is its own, not an Elastic IP: only the VPC quota is checked.
// (The other tests take dev-nat, dev with a NAT gateway and its Elastic IP.)
func TestNatInstanceQuotas(t *testing.T) {
	r := run(t, golden(t, "dev", "dev"), newFake())
	q := r.results("quotas")
	if len(q) != 1 || !strings.HasPrefix(q[0].Found, "VPCs in us-east-1: 1 in use + 1 new") {
		t.Errorf("quotas %+v, want the VPCs only", q)
	}
}

// deployedDev is the dev app deployed into a bootstrapped account with the
// service-linked roles, the connection approved.
func deployedDev(t *testing.T) (*Assembly, *fakeAWS) {
	t.Helper()
	a := golden(t, "dev-nat", "dev")
	f := newFake()
	f.bootstrap("30")
	f.linkedRoles()
	for _, s := range a.Stacks {
		f.deploy(s)
	}
	for arn := range f.connections {
		f.connections[arn] = cstypes.ConnectionStatusAvailable
	}
	f.repos["demo-dev"] = 3
	f.applied["L-0263D0A3"] = 5
	f.applied["L-F678F1CE"] = 5
	return a, f
}

// TestDeployedAccount: the same templates as deployed: every check passes,
// with ListImports and with the template scan moto needs.
func TestDeployedAccount(t *testing.T) {
	for _, noListImports := range []bool{false, true} {
		a, f := deployedDev(t)
		f.noListImports = noListImports
		r := run(t, a, f)
		for _, res := range r.Results {
			if res.Status != OK {
				t.Errorf("ListImports missing %v: %s %s: %s (fix: %s)", noListImports, res.Check, res.Status, res.Found, res.Fix)
			}
		}
		mustContain(t, "exports", r.results("exports")[0].Found, "export(s) of demo-dev-network, demo-dev-registry, demo-dev-service", "imported by demo-dev-network, demo-dev-pipeline, demo-dev-service", "unchanged")
		lo := r.results("leftovers")
		mustContain(t, "leftovers", lo[0].Found+"\n"+lo[1].Found, "demo-dev (3 images) belongs to the deployed stack demo-dev-registry", "demo-dev-build-cache (0 images) belongs to the deployed stack demo-dev-registry")
		mustContain(t, "connection", r.results("connection")[0].Found, "demo-dev (GitHub, arn:aws:codestar-connections:us-east-1:123456789012:connection/connection) is AVAILABLE")
		mustContain(t, "quotas", r.results("quotas")[0].Found, "1 in use + 0 new", "the account's quota from Service Quotas")
		assertReadOnly(t, f)
	}
}

// TestExportChange: -c vpcCidr=10.1.0.0/16 on the deployed dev replaces the
// VPC and the subnets, so five exports the Service stack imports change:
// a failure naming both stacks, with both ways out. The Pipeline stack
// imports from the Service stack, so it is destroyed first.
func TestExportChange(t *testing.T) {
	for _, noListImports := range []bool{false, true} {
		a, f := deployedDev(t)
		f.noListImports = noListImports
		changed := clone(t, a)
		net := changed.stack(t, "Network").Template
		net.Resources["Vpc8378EB38"].Properties["CidrBlock"] = "10.1.0.0/16"
		for id, r := range net.Resources {
			if r.Type == "AWS::EC2::Subnet" {
				r.Properties["CidrBlock"] = strings.Replace(r.Properties["CidrBlock"].(string), "10.0.", "10.1.", 1)
				net.Resources[id] = r
			}
		}
		r := run(t, changed, f)
		ex := r.results("exports")
		if len(ex) != 1 || ex[0].Status != Fail {
			t.Fatalf("exports: %+v", ex)
		}
		mustContain(t, "found", ex[0].Found,
			"demo-dev-service imports 5 export(s) of demo-dev-network that this deploy changes",
			"demo-dev-network:ExportsOutputRefVpc8378EB38272D6E3A (Vpc8378EB38 (AWS::EC2::VPC) is replaced: CidrBlock changes from 10.0.0.0/16 to 10.1.0.0/16)",
			"demo-dev-network:ExportsOutputRefVpcPrivateSubnet1Subnet536B997AFD4CC940 (VpcPrivateSubnet1Subnet536B997A (AWS::EC2::Subnet) is replaced: VpcId refers to Vpc8378EB38, which is replaced)",
			"cannot be updated as it is in use by demo-dev-service")
		if strings.Contains(ex[0].Found, "ImageUri") {
			t.Errorf("the image parameter's export does not change: %s", ex[0].Found)
		}
		mustContain(t, "fix", ex[0].Fix, "deploy in two steps", "or destroy the importing stack demo-dev-service (after demo-dev-pipeline, which import from it) first",
			"aws cloudformation delete-stack --stack-name demo-dev-pipeline --region us-east-1 && aws cloudformation wait stack-delete-complete --stack-name demo-dev-pipeline --region us-east-1 && aws cloudformation delete-stack --stack-name demo-dev-service")
		if r.Failed != 1 {
			t.Errorf("%d failed, want 1 (the exports): %v", r.Failed, statuses(r))
		}
		mustContain(t, "vpc quota", r.results("quotas")[1].Found, "1 new for the app's VPC")
		assertReadOnly(t, f)
	}
}

// TestExportChangeKinds: what changes an export and what does not.
func TestExportChangeKinds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(net *Template)
		status Status
		found  string
	}{
		{"a tag of the VPC: updated in place", func(net *Template) {
			net.Resources["Vpc8378EB38"].Properties["Tags"] = []any{map[string]any{"Key": "Name", "Value": "other"}}
		}, OK, "unchanged"},
		{"an export removed", func(net *Template) {
			delete(net.Outputs, "ExportsOutputRefVpc8378EB38272D6E3A")
		}, Fail, "ExportsOutputRefVpc8378EB38272D6E3A (the new templates no longer export it)"},
		{"another value expression", func(net *Template) {
			o := net.Outputs["ExportsOutputRefVpc8378EB38272D6E3A"]
			o.Value = map[string]any{"Fn::GetAtt": []any{"Vpc8378EB38", "VpcId"}}
			net.Outputs["ExportsOutputRefVpc8378EB38272D6E3A"] = o
		}, Fail, "its value changes from Ref Vpc8378EB38 to Fn::GetAtt Vpc8378EB38.VpcId"},
		{"a literal value", func(net *Template) {
			o := net.Outputs["ExportsOutputRefVpc8378EB38272D6E3A"]
			o.Value = "vpc-0123"
			net.Outputs["ExportsOutputRefVpc8378EB38272D6E3A"] = o
		}, Fail, "its value changes from Vpc8378EB38-phys to vpc-0123"},
		{"the same literal value", func(net *Template) {
			o := net.Outputs["ExportsOutputRefVpc8378EB38272D6E3A"]
			o.Value = "Vpc8378EB38-phys"
			net.Outputs["ExportsOutputRefVpc8378EB38272D6E3A"] = o
		}, OK, "unchanged"},
		{"a type preflight has no schema for", func(net *Template) {
			r := net.Resources["Vpc8378EB38"]
			r.Type = "AWS::EC2::VPC"
			r.Properties["Ipv6Whatever"] = true
			net.Resources["Vpc8378EB38"] = r
			delete(createOnly, "AWS::EC2::VPC")
		}, Warn, "may change"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := createOnly["AWS::EC2::VPC"]
			defer func() { createOnly["AWS::EC2::VPC"] = saved }()
			a, f := deployedDev(t)
			changed := clone(t, a)
			tc.edit(&changed.stack(t, "Network").Template)
			r := run(t, changed, f)
			ex := r.results("exports")
			if len(ex) != 1 || ex[0].Status != tc.status {
				t.Fatalf("exports: %+v", ex)
			}
			mustContain(t, "found", ex[0].Found, tc.found)
		})
	}
}

// TestLeftovers: after `cdk destroy`, the retained repository and the log
// buckets are left; the repository fails the deploy, the buckets are not
// reused.
func TestLeftovers(t *testing.T) {
	a, f := deployedDev(t)
	for name := range f.stacks {
		if name != toolkitStack {
			delete(f.stacks, name)
		}
	}
	// The destroy deleted the repositories its templates do not retain
	// (the build cache).
	for _, s := range a.Stacks {
		for _, id := range s.Template.ofType("AWS::ECR::Repository") {
			if r := s.Template.Resources[id]; r.DeletionPolicy != "Retain" {
				delete(f.repos, r.Properties["RepositoryName"].(string))
			}
		}
	}
	// moto cuts the stack name short; AWS may cut the logical ID.
	f.buckets = []string{"demo-dev-servi-accesslogsserveraccesslogs077357a8-abc", "demo-dev-service-accesslogsbucketcd784a59-1x2y3z", "demo-prod-service-accesslogsbucketcd784a59-1x2y3z", "unrelated"}
	r := run(t, a, f)
	lo := r.results("leftovers")
	// The build cache, deleted with its stack, comes back with the deploy.
	if len(lo) != 3 || lo[0].Status != OK || !strings.Contains(lo[0].Found, "demo-dev-build-cache does not exist yet") {
		t.Fatalf("leftovers: %+v", lo)
	}
	lo = lo[1:]
	if lo[0].Status != Fail || lo[1].Status != Warn {
		t.Fatalf("leftovers: %+v", lo)
	}
	mustContain(t, "repository", lo[0].Found, "ECR repository demo-dev (3 images) is left from an earlier destroy", "RepositoryAlreadyExistsException")
	mustContain(t, "repository fix", lo[0].Fix, "--import-existing-resources", "aws ecr delete-repository --repository-name demo-dev --force --region us-east-1")
	mustContain(t, "buckets", lo[1].Found, "2 retained bucket(s)", "demo-dev-service-accesslogsbucketcd784a59-1x2y3z", "demo-dev-servi-accesslogsserveraccesslogs077357a8-abc", "does not reuse them")
	if strings.Contains(lo[1].Found, "prod") {
		t.Errorf("another environment's bucket is listed: %s", lo[1].Found)
	}
}

// TestHTTPS: the features variant's zone, as it is and as it is not.
func TestHTTPS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		zone   *r53types.HostedZone
		status Status
		found  string
	}{
		{"the zone", &r53types.HostedZone{Name: aws.String("example.com."), Config: &r53types.HostedZoneConfig{}}, OK, "hosted zone Z0123456789ABCDEFGHIJ is the public zone example.com, and app.example.com is inside it"},
		{"no zone", nil, Fail, "does not exist in account 123456789012"},
		{"another domain's zone", &r53types.HostedZone{Name: aws.String("other.org.")}, Fail, "is other.org, and app.example.com is not inside it"},
		{"private", &r53types.HostedZone{Name: aws.String("example.com."), Config: &r53types.HostedZoneConfig{PrivateZone: true}}, Fail, "is private"},
		{"a subzone", &r53types.HostedZone{Name: aws.String("app.example.com.")}, Warn, "is app.example.com, not example.com (hostedZoneName)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.zone != nil {
				f.zones["Z0123456789ABCDEFGHIJ"] = *tc.zone
			}
			r := run(t, golden(t, "features", "dev"), f)
			h := r.results("https")
			if len(h) != 1 || h[0].Status != tc.status {
				t.Fatalf("https: %+v", h)
			}
			mustContain(t, "found", h[0].Found, tc.found)
		})
	}
}

// TestSecrets: the features variant reads a secret and a parameter in the
// task, and the Docker Hub secret in the build.
func TestSecrets(t *testing.T) {
	f := newFake()
	f.secrets["arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"] = false
	f.secrets["arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub"] = true
	r := run(t, golden(t, "features", "dev"), f)
	got := r.results("secrets")
	if len(got) != 3 {
		t.Fatalf("secrets: %+v", got)
	}
	want := []struct {
		status Status
		found  string
	}{
		{OK, "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf (for DB_PASSWORD (demo-dev-service)) exists"},
		{Fail, "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub (for DOCKERHUB_PASSWORD (demo-dev-pipeline), DOCKERHUB_USERNAME (demo-dev-pipeline)) is scheduled for deletion"},
		{Fail, "SSM parameter arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key (for API_KEY (demo-dev-service)) does not exist in us-east-1"},
	}
	for i, w := range want {
		if got[i].Status != w.status || !strings.Contains(got[i].Found, w.found) {
			t.Errorf("secret %d: %s %q, want %s %q", i, got[i].Status, got[i].Found, w.status, w.found)
		}
	}
	f.params["/app/api-key"] = "not read"
	if r := run(t, golden(t, "features", "dev"), f); r.results("secrets")[2].Status != OK {
		t.Errorf("the parameter exists: %+v", r.results("secrets")[2])
	}
	assertReadOnly(t, f)
}

// TestConnectionArn: a connectionArn in the configuration is checked
// before any deploy.
func TestConnectionArn(t *testing.T) {
	const arn = "arn:aws:codeconnections:us-east-1:123456789012:connection/given"
	a := clone(t, golden(t, "dev-nat", "dev"))
	p := a.stack(t, "Pipeline").Template
	for _, id := range p.ofType("AWS::CodePipeline::Pipeline") {
		for _, st := range p.Resources[id].Properties["Stages"].([]any) {
			for _, act := range st.(map[string]any)["Actions"].([]any) {
				if cfg, ok := act.(map[string]any)["Configuration"].(map[string]any); ok && cfg["ConnectionArn"] != nil {
					cfg["ConnectionArn"] = arn
				}
			}
		}
	}
	c := run(t, a, newFake()).results("connection")
	if len(c) != 1 || c[0].Status != Fail {
		t.Fatalf("connection: %+v", c)
	}
	mustContain(t, "found", c[0].Found, arn+" does not exist in this account and region")
	mustContain(t, "fix", c[0].Fix, "aws codestar-connections list-connections --region us-east-1")
	for status, want := range map[cstypes.ConnectionStatus]Status{
		cstypes.ConnectionStatusAvailable: OK, cstypes.ConnectionStatusPending: Warn, cstypes.ConnectionStatusError: Warn,
	} {
		f := newFake()
		f.connections[arn] = status
		c := run(t, a, f).results("connection")
		if len(c) != 1 || c[0].Status != want {
			t.Errorf("%s: %+v", status, c)
		}
		if status == cstypes.ConnectionStatusPending {
			mustContain(t, "pending fix", c[0].Fix, "https://us-east-1.console.aws.amazon.com/codesuite/settings/connections?region=us-east-1", "Update pending connection", "saved again")
		}
	}
}

// TestQuotas: Elastic IPs run out with a NAT gateway per AZ on top of 4.
func TestQuotas(t *testing.T) {
	f := newFake()
	f.addresses = 4
	f.defaults["L-0263D0A3"] = 5
	r := run(t, golden(t, "prod", "prod"), f)
	q := r.results("quotas")[0]
	if q.Status != Fail {
		t.Fatalf("quotas: %+v", q)
	}
	mustContain(t, "found", q.Found, "4 in use + 2 new for the NAT gateways (2 in the templates) = 6 of 5", "AWS's default from Service Quotas")
	mustContain(t, "fix", q.Fix, "aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-0263D0A3 --desired-value 6 --region us-east-1")
	e := run(t, golden(t, "dev-endpoints", "dev"), newFake())
	if got := e.results("quotas"); len(got) != 1 || !strings.HasPrefix(got[0].Found, "VPCs") {
		t.Errorf("endpoints mode has no NAT gateway, so no Elastic IP line: %+v", got)
	}
}

// TestCannotRun: a caller identity that cannot be read stops preflight.
func TestCannotRun(t *testing.T) {
	f := newFake()
	f.fail["sts:GetCallerIdentity"] = apiErr("ExpiredToken", "The security token included in the request is expired")
	_, err := Run(context.Background(), golden(t, "dev-nat", "dev"), f.clients(), Options{Region: "us-east-1"})
	if !errors.Is(err, ErrIdentity) || !strings.Contains(err.Error(), "ExpiredToken") {
		t.Errorf("err = %v", err)
	}
}

// TestDeniedCallsWarn: a read the policy denies is a warning naming the
// permission, never a crash or a pass.
func TestDeniedCallsWarn(t *testing.T) {
	denied := apiErr("AccessDenied", "not authorized")
	for _, op := range []string{"ssm:GetParameter", "cloudformation:ListExports", "ecr:DescribeRepositories", "s3:ListBuckets", "iam:ListRoles", "ec2:DescribeAddresses"} {
		t.Run(op, func(t *testing.T) {
			a, f := deployedDev(t)
			f.fail[op] = denied
			r := run(t, a, f)
			if r.Warnings == 0 {
				t.Errorf("no warning with %s denied: %v", op, statuses(r))
			}
			for _, res := range r.Results {
				if res.Status == Warn && !strings.Contains(res.Found, "AccessDenied") {
					t.Errorf("%s: the warning does not say why: %s", op, res.Found)
				}
			}
		})
	}
}

// TestReadAssembly: a cdk.out directory, with the manifest's stack names
// and pinned environments.
func TestReadAssembly(t *testing.T) {
	dir := t.TempDir()
	manifest := map[string]any{"version": "48.0.0", "artifacts": map[string]any{}}
	arts := manifest["artifacts"].(map[string]any)
	for _, id := range []string{"Network", "Service", "Pipeline"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "dev", id+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id+".template.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		deps := map[string][]string{"Service": {"Network"}, "Pipeline": {"Network", "Service"}}[id]
		arts[id] = map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111122223333/eu-west-1", "dependencies": deps,
			"properties": map[string]any{"templateFile": id + ".template.json", "stackName": "demo-dev-" + strings.ToLower(id)}}
	}
	b, _ := json.Marshal(manifest)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := ReadAssembly(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range a.Stacks {
		names = append(names, s.Name)
	}
	if want := []string{"demo-dev-network", "demo-dev-service", "demo-dev-pipeline"}; !slices.Equal(names, want) {
		t.Errorf("stacks %v, want %v", names, want)
	}
	acc, reg, err := a.Pinned()
	if acc != "111122223333" || reg != "eu-west-1" || err != nil {
		t.Errorf("pinned %q %q %v", acc, reg, err)
	}
	boot, ok := a.Bootstrap()
	if !ok || boot.Parameter != "/cdk-bootstrap/hnb659fds/version" || boot.Required != 6 {
		t.Errorf("bootstrap %+v %v", boot, ok)
	}
	// The pinned account differs from the caller's: identity fails.
	r := run(t, a, newFake())
	if id := r.results("identity")[0]; id.Status != Fail || !strings.Contains(id.Found, "pinned to account 111122223333") {
		t.Errorf("identity: %+v", id)
	}
	if _, err := ReadAssembly(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "run `make synth` first") {
		t.Errorf("missing directory: %v", err)
	}
}

// TestWrite: the checklist has one line per check with its mark, the fix
// under ✘ and !, and the JSON has the same results.
func TestWrite(t *testing.T) {
	r := run(t, golden(t, "dev-nat", "dev"), newFake())
	r.Calls = []string{"sts:GetCallerIdentity"}
	var text bytes.Buffer
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	mustContain(t, "text", out,
		"✔ identity ", "✘ bootstrap ", "! connection ",
		"\n                       fix: npx cdk bootstrap aws://123456789012/us-east-1\n",
		"17 checks: 3 failed, 2 warning(s), 12 passed.", "Fix the ✘ lines before deploying")
	marks := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "✔ ") || strings.HasPrefix(line, "✘ ") || strings.HasPrefix(line, "! ") {
			marks++
		}
	}
	if marks != len(r.Results) {
		t.Errorf("%d marked lines for %d results", marks, len(r.Results))
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != len(r.Results) || back.Failed != 3 || back.Results[1].Fix != r.Results[1].Fix || !slices.Equal(back.Calls, r.Calls) {
		t.Errorf("JSON round trip: %+v", back)
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}
