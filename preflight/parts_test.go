package preflight

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestReadOnlyGuard: the real SDK clients preflight builds refuse a write
// before anything leaves the process, and let a read through, recorded.
func TestReadOnlyGuard(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/x</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	defer srv.Close()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   srv.Client(),
	}
	calls := &Calls{}
	c := NewClients(cfg, calls)
	ctx := context.Background()
	writes := map[string]func() error{
		"ecr:CreateRepository": func() error {
			_, err := c.ECR.(*ecr.Client).CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("x")})
			return err
		},
		"cloudformation:DeleteStack": func() error {
			_, err := c.CloudFormation.(*cloudformation.Client).DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("x")})
			return err
		},
		"elasticloadbalancing:ModifyRule": func() error {
			_, err := c.ELB.(*elbv2.Client).ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String("x")})
			return err
		},
		"iam:CreateServiceLinkedRole": func() error {
			_, err := c.IAM.(*iam.Client).CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
			return err
		},
	}
	for name, call := range writes {
		err := call()
		if err == nil || !strings.Contains(err.Error(), "preflight refused "+name+": it makes read-only calls only") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d write request(s) reached the server", n)
	}
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) != "123456789012" {
		t.Fatalf("GetCallerIdentity: %v %v", out, err)
	}
	if requests.Load() != 1 {
		t.Errorf("the read did not reach the server")
	}
	if got := calls.List(); !slices.Equal(got, []string{"sts:GetCallerIdentity"}) {
		t.Errorf("calls %v", got)
	}
}

func TestReadOnly(t *testing.T) {
	for op, want := range map[string]bool{
		"GetCallerIdentity": true, "DescribeStacks": true, "ListImports": true, "GetTemplate": true,
		"BatchGetImage": true, "BatchDeleteImage": false, "BatchGet": false,
		"CreateRepository": false, "DeleteStack": false, "PutParameter": false, "UpdateStack": false,
		"Get": false, "List": false, "": false, "ExecuteChangeSet": false, "CreateServiceLinkedRole": false,
	} {
		if ReadOnly(op) != want {
			t.Errorf("ReadOnly(%q) = %v", op, !want)
		}
	}
	if iamPrefix("Service Quotas") != "servicequotas" || iamPrefix("CodeStar connections") != "codestar-connections" || iamPrefix("Route 53") != "route53" {
		t.Error("IAM prefixes")
	}
}

// goldenTypes lists the resource types of every golden template.
func goldenTypes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", "*.template.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden templates: %v", err)
	}
	var types []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := ParseTemplate(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tmpl.Resources {
			if !strings.HasPrefix(r.Type, "Custom::") && !slices.Contains(types, r.Type) {
				types = append(types, r.Type)
			}
		}
	}
	slices.Sort(types)
	return types
}

// schemaCreateOnly reads, for the types, the top-level
// createOnlyProperties of the CloudFormation resource schemas cfn-lint
// ships (us-east-1): its providers/us_east_1.py maps each type to a schema
// file. ok is false when python3 has no cfn-lint.
func schemaCreateOnly(t *testing.T, types []string) (table createOnlyTable, ok bool) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		return table, false
	}
	out, err := exec.Command(py, "-c", `import importlib.util, importlib.metadata as md
s = importlib.util.find_spec("cfnlint")
print(s.submodule_search_locations[0]); print(md.version("cfn-lint"))`).Output()
	if err != nil {
		return table, false
	}
	lines := strings.Fields(string(out))
	dir, version := filepath.Join(lines[0], "data", "schemas"), lines[1]
	index, err := os.ReadFile(filepath.Join(dir, "providers", "us_east_1.py"))
	if err != nil {
		t.Fatalf("cfn-lint %s: %v", version, err)
	}
	hashes := map[string]string{}
	for _, m := range regexp.MustCompile(`"((?:AWS|Alexa)::[^"]+)": "([0-9a-f]+)"`).FindAllStringSubmatch(string(index), -1) {
		hashes[m[1]] = m[2]
	}
	table = createOnlyTable{
		Source: "createOnlyProperties of the CloudFormation resource schemas cfn-lint " + version + " ships (us-east-1), top-level names",
		Types:  map[string][]string{},
	}
	for _, typ := range types {
		h, found := hashes[typ]
		if !found {
			t.Fatalf("cfn-lint %s has no schema for %s", version, typ)
		}
		b, err := os.ReadFile(filepath.Join(dir, "resources", h+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var schema struct {
			CreateOnly []string `json:"createOnlyProperties"`
		}
		if err := json.Unmarshal(b, &schema); err != nil {
			t.Fatalf("schema of %s: %v", typ, err)
		}
		props := []string{}
		for _, p := range schema.CreateOnly {
			if top := strings.Split(p, "/")[2]; !slices.Contains(props, top) {
				props = append(props, top)
			}
		}
		table.Types[typ] = props
	}
	return table, true
}

// TestCreateOnlyTable: createonly.json knows every resource type of the
// app's templates (a new type fails here until the table is regenerated),
// and, where cfn-lint is installed (make test installs it), says what its
// schemas say. `go test ./preflight -update` regenerates it.
func TestCreateOnlyTable(t *testing.T) {
	types := goldenTypes(t)
	want, haveSchemas := schemaCreateOnly(t, types)
	if *update {
		if !haveSchemas {
			t.Fatal("-update needs python3 with cfn-lint (make tools)")
		}
		b, err := json.MarshalIndent(want, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("createonly.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var table createOnlyTable
	if err := json.Unmarshal(createOnlyJSON, &table); err != nil {
		t.Fatal(err)
	}
	for _, typ := range types {
		if _, ok := table.Types[typ]; !ok {
			t.Errorf("createonly.json lacks %s, which a golden template uses: run go test ./preflight -update", typ)
		}
	}
	if !haveSchemas {
		t.Log("python3 with cfn-lint not found: createonly.json not compared with the schemas (make test installs cfn-lint)")
		return
	}
	if !reflect.DeepEqual(table.Types, want.Types) {
		t.Errorf("createonly.json differs from cfn-lint's schemas (%s): run go test ./preflight -update", want.Source)
	}
}

// TestReplacements: what the update replaces, from the dev templates.
func TestReplacements(t *testing.T) {
	old := golden(t, "dev-nat", "dev").stack(t, "Network").Template
	edit := func(f func(*Template)) Template {
		c := clone(t, &Assembly{Stacks: []Stack{{Template: old}}})
		f(&c.Stacks[0].Template)
		return c.Stacks[0].Template
	}
	for _, tc := range []struct {
		name     string
		new      Template
		replaced map[string]string // logical ID → why (substring)
	}{
		{"same", old, map[string]string{}},
		{"VPC CIDR", edit(func(t *Template) { t.Resources["Vpc8378EB38"].Properties["CidrBlock"] = "10.1.0.0/16" }), map[string]string{
			"Vpc8378EB38":                           "CidrBlock changes from 10.0.0.0/16 to 10.1.0.0/16",
			"VpcPrivateSubnet1Subnet536B997A":       "VpcId refers to Vpc8378EB38, which is replaced",
			"VpcPublicSubnet1NATGateway4D7517AA":    "SubnetId refers to VpcPublicSubnet1Subnet5C2D37C4, which is replaced",
			"VpcPublicSubnet1RouteTable6C95E38E":    "VpcId refers to Vpc8378EB38",
			"VpcPrivateSubnet1DefaultRouteBE02A9ED": "RouteTableId refers to",
		}},
		{"a tag", edit(func(t *Template) {
			t.Resources["Vpc8378EB38"].Properties["Tags"] = []any{map[string]any{"Key": "k", "Value": "v"}}
		}), map[string]string{}},
		{"a subnet's zone", edit(func(t *Template) {
			t.Resources["VpcPublicSubnet1Subnet5C2D37C4"].Properties["AvailabilityZone"] = "us-east-1c"
		}), map[string]string{"VpcPublicSubnet1Subnet5C2D37C4": "AvailabilityZone changes"}},
		{"another type", edit(func(t *Template) {
			r := t.Resources["Vpc8378EB38"]
			r.Type = "AWS::EC2::VPCNew"
			t.Resources["Vpc8378EB38"] = r
		}), map[string]string{"Vpc8378EB38": "its type changes from AWS::EC2::VPC to AWS::EC2::VPCNew"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := replacements(old, tc.new)
			for id, why := range tc.replaced {
				r, ok := got[id]
				if !ok || !r.Replaced || !strings.Contains(r.Why, why) {
					t.Errorf("%s: %+v, want replaced: %s", id, r, why)
				}
			}
			if len(tc.replaced) == 0 && len(got) != 0 {
				t.Errorf("nothing is replaced, got %+v", got)
			}
			if _, ok := got["VpcIGWD7BA715C"]; ok {
				t.Errorf("the internet gateway has no create-only property: %+v", got["VpcIGWD7BA715C"])
			}
		})
	}
	if got := propertyChange("ContainerDefinitions", "a", "b"); got != "ContainerDefinitions changes" {
		t.Errorf("a container definition's value is never shown: %q", got)
	}
}

func TestReferences(t *testing.T) {
	v := map[string]any{"a": []any{map[string]any{"Ref": "X"}, map[string]any{"Ref": "AWS::Region"}},
		"b": map[string]any{"Fn::GetAtt": []any{"Y", "Arn"}}, "c": map[string]any{"Fn::GetAtt": "Z.Name"},
		"d": map[string]any{"Fn::Sub": "${W}-${AWS::StackName}-${V.Arn}"}}
	if got := references(v); !slices.Equal(got, []string{"V", "W", "X", "Y", "Z"}) {
		t.Errorf("references %v", got)
	}
}

func TestGeneratedBucketName(t *testing.T) {
	for _, tc := range []struct {
		bucket, stack, id string
		want              bool
	}{
		{"demo-dev-service-accesslogsbucketcd784a59-1x2y3z4w5v6u", "demo-dev-service", "AccessLogsBucketCD784A59", true},
		{"demo-dev-servi-accesslogsserveraccesslogs077357a8-abcdef", "demo-dev-service", "AccessLogsServerAccessLogs077357A8", true}, // moto cuts the stack name
		{"demo-dev-service-accesslogsserverac-abcdef", "demo-dev-service", "AccessLogsServerAccessLogs077357A8", true},               // AWS may cut the logical ID
		{"demo-prod-service-accesslogsbucketcd784a59-1x2y3z", "demo-dev-service", "AccessLogsBucketCD784A59", false},
		{"demo-endpoints-dev-service-accesslogsbucketcd784a59-1x", "demo-dev-service", "AccessLogsBucketCD784A59", false},
		{"demo-dev-service2-accesslogsbucketcd784a59-1x", "demo-dev-service", "AccessLogsBucketCD784A59", false},
		{"demo-dev-servi-accesslogs-abcdef", "demo-dev-service", "AccessLogsBucketCD784A59", false}, // both cut
		{"demo-dev-service-accesslogsbucketcd784a59", "demo-dev-service", "AccessLogsBucketCD784A59", false},
		{"cdk-hnb659fds-assets-123456789012-us-east-1", "demo-dev-service", "AccessLogsBucketCD784A59", false},
	} {
		if got := generatedBucketName(tc.bucket, tc.stack, tc.id); got != tc.want {
			t.Errorf("generatedBucketName(%q, %q, %q) = %v", tc.bucket, tc.stack, tc.id, got)
		}
	}
}

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct {
		value, kind string
		want        secretRef
	}{
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", "", secretRef{Kind: "secretsmanager", ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", Region: "eu-west-1", Account: "123456789012"}},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub:password::", "secretsmanager", secretRef{Kind: "secretsmanager", ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub", Region: "eu-west-1", Account: "123456789012"}},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/app/api-key", "", secretRef{Kind: "ssm", ID: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/api-key", Name: "/app/api-key", Region: "eu-west-1", Account: "123456789012"}},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/flat", "", secretRef{Kind: "ssm", ID: "arn:aws:ssm:eu-west-1:123456789012:parameter/flat", Name: "flat", Region: "eu-west-1", Account: "123456789012"}},
		{"dockerhub:password", "secretsmanager", secretRef{Kind: "secretsmanager", ID: "dockerhub"}},
		{"/build/token", "ssm", secretRef{Kind: "ssm", ID: "/build/token", Name: "/build/token"}},
		{"hunter2", "", secretRef{NotARN: true}},
	} {
		if got := parseSecret(tc.value, tc.kind); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseSecret(%q) = %+v, want %+v", tc.value, got, tc.want)
		}
	}
}

func TestBootstrapRule(t *testing.T) {
	rule := map[string]any{"Assertions": []any{map[string]any{"Assert": map[string]any{"Fn::Not": []any{map[string]any{
		"Fn::Contains": []any{[]any{"1", "2", "3", "4", "5"}, map[string]any{"Ref": "BootstrapVersion"}}}}}}}}
	if got := requiredBootstrapVersion(rule); got != 6 {
		t.Errorf("required %d, want 6", got)
	}
	if got := requiredBootstrapVersion(nil); got != 0 {
		t.Errorf("no rule: %d", got)
	}
}

func TestTemplateImports(t *testing.T) {
	yaml := "Resources:\n  X:\n    Properties:\n      VpcId: !ImportValue demo-dev-network:Vpc\n      B:\n        Fn::ImportValue: 'other:Export'\n"
	if got := templateImports(yaml); !slices.Equal(got, []string{"demo-dev-network:Vpc", "other:Export"}) {
		t.Errorf("YAML imports %v", got)
	}
	js := `{"Resources":{"X":{"Properties":{"A":{"Fn::ImportValue":"n:E"},"B":{"Fn::ImportValue":"n:E"}}}}}`
	if got := templateImports(js); !slices.Equal(got, []string{"n:E"}) {
		t.Errorf("JSON imports %v", got)
	}
}

func TestStackNameOfID(t *testing.T) {
	if got := stackNameOfID("arn:aws:cloudformation:us-east-1:123456789012:stack/demo-dev-service/0f00"); got != "demo-dev-service" {
		t.Errorf("stack name %q", got)
	}
}

// TestPermissionsDocumented: docs/preflight.md lists, as IAM actions, every
// operation of every client interface preflight has, and no other: the
// list a read-only policy for it is written from.
func TestPermissionsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "preflight.md"))
	if err != nil {
		t.Fatal(err)
	}
	prefix := map[string]string{
		"STS": "sts", "CloudFormation": "cloudformation", "SSM": "ssm", "ECR": "ecr", "S3": "s3", "IAM": "iam", "EC2": "ec2",
		"ELB": "elasticloadbalancing", "Quotas": "servicequotas", "Route53": "route53", "Secrets": "secretsmanager", "Connections": "codestar-connections",
	}
	// The IAM action of an API operation, where the two differ.
	action := map[string]string{"s3:ListBuckets": "s3:ListAllMyBuckets"}
	var want []string
	ct := reflect.TypeOf(Clients{})
	for i := range ct.NumField() {
		f := ct.Field(i)
		if f.Name == "Blobs" {
			continue // a download of a presigned URL, no API call
		}
		p, ok := prefix[f.Name]
		if !ok {
			t.Fatalf("Clients.%s: no IAM prefix known for it in this test", f.Name)
		}
		for j := range f.Type.NumMethod() {
			a := p + ":" + f.Type.Method(j).Name
			if b, ok := action[a]; ok {
				a = b
			}
			want = append(want, a)
		}
	}
	_, list, _ := strings.Cut(string(doc), "The IAM permissions it needs are")
	list, _, _ = strings.Cut(list, "\n\n## ")
	listed := regexp.MustCompile("`([a-z0-9-]+:[A-Za-z]+)`").FindAllStringSubmatch(list, -1)
	var got []string
	for _, m := range listed {
		if m[1] != "secretsmanager:GetSecretValue" && !slices.Contains(got, m[1]) {
			got = append(got, m[1])
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("docs/preflight.md lists the permissions\n%v\nthe clients make\n%v", got, want)
	}
}
