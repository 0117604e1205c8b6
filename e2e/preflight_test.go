//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The preflight tests run the command scripts/e2e.sh built
// ($E2E_WORK/preflight, from cmd/preflight) against the emulated account,
// as `make preflight` would: on the bare account (step 2p), the deployed
// dev (step 3p), dev with another vpcCidr, HTTPS and secrets (step 4p),
// prod with ECS's weights flipped and dev's NAT instance in an AZ that does
// not offer its type (step 4w, weights_test.go), and after the destroy
// (step 5p). Each run must leave the account as it
// found it.

// preflightReport is the part of `preflight --json` the tests read.
type preflightReport struct {
	Account  string
	Region   string
	Failed   int
	Warnings int
	Results  []struct{ Check, Status, Found, Fix string }
	Calls    []string
}

func (r preflightReport) only(t *testing.T, check string) []struct{ Check, Status, Found, Fix string } {
	t.Helper()
	var out []struct{ Check, Status, Found, Fix string }
	for _, res := range r.Results {
		if res.Check == check {
			out = append(out, res)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s line in the checklist", check)
	}
	return out
}

// preflight runs the command on an assembly with --json, and checks that
// the account is unchanged and every call was a read.
func preflight(t *testing.T, dir string) (preflightReport, int) {
	t.Helper()
	before := preflightState(t)
	// One attempt per call: moto answers HTTP 500 to what it lacks, and
	// the SDK's retries would only wait.
	var r preflightReport
	stderr, code := runJSON(t, &r, []string{"AWS_MAX_ATTEMPTS=1"}, "preflight", "--json", dir)
	var b strings.Builder
	for _, res := range r.Results {
		mark := map[string]string{"ok": "✔", "fail": "✘", "warn": "!"}[res.Status]
		fmt.Fprintf(&b, "%s %-20s %s\n", mark, res.Check, res.Found)
		if res.Fix != "" {
			fmt.Fprintf(&b, "  %-20s fix: %s\n", "", res.Fix)
		}
	}
	t.Logf("preflight %s: exit %d, %d failed, %d warning(s)\n%s%s", dir, code, r.Failed, r.Warnings, b.String(), stderr)
	if after := preflightState(t); !slices.Equal(before, after) {
		t.Errorf("preflight changed the account:\nbefore %v\nafter  %v", before, after)
	}
	// The Elastic IP quota is read (ec2:DescribeAddresses) only when the
	// templates create Elastic IPs: NAT gateways do, dev's NAT instance
	// has a public address of its own, no Elastic IP.
	wantCalls := 9
	if createsEIPs(t, dir) {
		wantCalls = 10
	}
	if len(r.Calls) < wantCalls {
		t.Errorf("preflight reports %d kinds of call, want %d or more: %v", len(r.Calls), wantCalls, r.Calls)
	}
	for _, c := range r.Calls {
		_, op, _ := strings.Cut(c, ":")
		if !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "BatchGet") {
			t.Errorf("preflight called %s, which is not a read", c)
		}
	}
	return r, code
}

// runJSON runs a command scripts/e2e.sh built ($E2E_WORK/NAME), with env
// added to the environment, and reads its standard output as JSON into v.
// It returns the standard error and the exit code.
func runJSON(t *testing.T, v any, env []string, name string, args ...string) (stderr string, code int) {
	t.Helper()
	cmd := exec.Command(workFile(name), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", name, err)
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("%s %v (exit %d): not JSON: %v\nstdout: %s\nstderr: %s", name, args, code, err, out.String(), errOut.String())
	}
	return errOut.String(), code
}

// preflightState is what a write would change: accountState (stacks,
// their events, every object) plus repositories and their images, roles,
// parameters and their versions, exports, addresses, VPCs, hosted zones
// and secrets.
func preflightState(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	state := accountState(t)
	add := func(format string, args ...any) { state = append(state, fmt.Sprintf(format, args...)) }
	repos, err := ecrC.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos.Repositories {
		imgs, err := ecrC.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: r.RepositoryName})
		if err != nil {
			t.Fatal(err)
		}
		add("ecr %s images:%d", aws.ToString(r.RepositoryName), len(imgs.ImageIds))
	}
	roles, err := iamC.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		add("role %s%s", aws.ToString(r.Path), aws.ToString(r.RoleName))
	}
	params, err := ssmC.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range params.Parameters {
		add("ssm %s v%d", aws.ToString(p.Name), p.Version)
	}
	exps, err := cfnC.ListExports(ctx, &cloudformation.ListExportsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exps.Exports {
		add("export %s=%s", aws.ToString(e.Name), aws.ToString(e.Value))
	}
	addrs, err := ec2C.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		t.Fatal(err)
	}
	add("addresses %d", len(addrs.Addresses))
	vpcs, err := ec2C.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vpcs.Vpcs {
		add("vpc %s %s", aws.ToString(v.VpcId), aws.ToString(v.CidrBlock))
	}
	zones, err := r53C(t).ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zones.HostedZones {
		add("zone %s %s records:%d", aws.ToString(z.Id), aws.ToString(z.Name), aws.ToInt64(z.ResourceRecordSetCount))
	}
	secrets, err := smC(t).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.SecretList {
		add("secret %s", aws.ToString(s.ARN))
	}
	slices.Sort(state)
	return state
}

func r53C(t *testing.T) *route53.Client {
	t.Helper()
	cfg, err := AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return route53.NewFromConfig(cfg)
}

func smC(t *testing.T) *secretsmanager.Client {
	t.Helper()
	cfg, err := AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return secretsmanager.NewFromConfig(cfg)
}

func devDeployment(t *testing.T) deployment {
	t.Helper()
	for _, d := range deployments(t) {
		if d.Name == "dev" {
			return d
		}
	}
	t.Fatal("no dev deployment")
	return deployment{}
}

func wantLine(t *testing.T, what string, res struct{ Check, Status, Found, Fix string }, status string, found ...string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s: %s, want %s: %s (fix: %s)", what, res.Status, status, res.Found, res.Fix)
	}
	for _, f := range found {
		if !strings.Contains(res.Found+" fix: "+res.Fix, f) {
			t.Errorf("%s lacks %q: %s (fix: %s)", what, f, res.Found, res.Fix)
		}
	}
}

// repositoryLine is the leftovers line about one ECR repository; the
// templates name two (the images, the build cache).
func repositoryLine(t *testing.T, lo []struct{ Check, Status, Found, Fix string }, name string) struct{ Check, Status, Found, Fix string } {
	t.Helper()
	for _, res := range lo {
		if strings.HasPrefix(res.Found, "ECR repository "+name+" ") {
			return res
		}
	}
	t.Fatalf("no leftovers line about the repository %s: %+v", name, lo)
	return lo[0]
}

// TestPreflightBareAccount (step 2p, before `cdk bootstrap`): bootstrap
// and the service-linked roles fail with their fixes; exit 1. Then the
// printed role commands are run as printed: TestPreflightDeployed finds
// the roles.
func TestPreflightBareAccount(t *testing.T) {
	r, code := preflight(t, devDeployment(t).Dir)
	if code != 1 || r.Failed == 0 {
		t.Errorf("exit %d with %d failed, want 1", code, r.Failed)
	}
	wantLine(t, "bootstrap", r.only(t, "bootstrap")[0], "fail", "not bootstrapped", "/cdk-bootstrap/hnb659fds/version", "fix: npx cdk bootstrap aws://"+r.Account+"/us-east-1")
	wantLine(t, "exports", r.only(t, "exports")[0], "ok", "no stack of the app is deployed yet")
	wantLine(t, "repository", repositoryLine(t, r.only(t, "leftovers"), "demo-dev"), "ok", "ECR repository demo-dev does not exist yet")
	wantLine(t, "build cache", repositoryLine(t, r.only(t, "leftovers"), "demo-dev-build-cache"), "ok", "does not exist yet")
	roles := r.only(t, "service-linked roles")
	if len(roles) != 3 {
		t.Fatalf("roles: %+v", roles)
	}
	wantLine(t, "ECS role", roles[0], "fail", "AWSServiceRoleForECS is missing", "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com")
	wantLine(t, "autoscaling role", roles[1], "fail", "aws iam create-service-linked-role --aws-service-name ecs.application-autoscaling.amazonaws.com")
	wantLine(t, "ELB role", roles[2], "warn", "aws iam create-service-linked-role --aws-service-name elasticloadbalancing.amazonaws.com")
	// At once: each is an AWS CLI start-up of a second or more.
	errs := make(chan error, len(roles))
	for _, role := range roles {
		go func() {
			out, err := exec.Command("sh", "-c", role.Fix).CombinedOutput()
			if err != nil {
				err = fmt.Errorf("the printed fix %q failed: %v\n%s", role.Fix, err, out)
			}
			errs <- err
		}()
	}
	for range roles {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestPreflightDeployed (step 3p): on the deployed dev, every check moto
// can answer passes; the connection is a warning (moto does not deploy
// the Pipeline stack, so the deploy would create it); exit 0.
func TestPreflightDeployed(t *testing.T) {
	r, code := preflight(t, devDeployment(t).Dir)
	if code != 0 || r.Failed != 0 {
		t.Errorf("exit %d with %d failed, want 0", code, r.Failed)
	}
	for _, res := range r.Results {
		if res.Status != "ok" && res.Check != "connection" {
			t.Errorf("%s: %s: %s", res.Check, res.Status, res.Found)
		}
	}
	wantLine(t, "identity", r.only(t, "identity")[0], "ok", "in account "+r.Account+", region us-east-1")
	wantLine(t, "bootstrap", r.only(t, "bootstrap")[0], "ok", "bootstrapped with version", "CDKToolkit")
	wantLine(t, "exports", r.only(t, "exports")[0], "ok", "7 export(s) of demo-dev-network, demo-dev-registry are imported by demo-dev-network, demo-dev-service;", "unchanged")
	lo := r.only(t, "leftovers")
	if len(lo) != 3 {
		t.Fatalf("leftovers: %+v", lo)
	}
	wantLine(t, "repository", repositoryLine(t, lo, "demo-dev"), "ok", "belongs to the deployed stack demo-dev-registry")
	wantLine(t, "build cache", repositoryLine(t, lo, "demo-dev-build-cache"), "ok", "belongs to the deployed stack demo-dev-registry")
	wantLine(t, "buckets", lo[2], "ok", "no retained bucket of an earlier deploy of demo-dev-service is left")
	wantLine(t, "connection", r.only(t, "connection")[0], "warn", "the deploy of demo-dev-pipeline creates connection demo-dev", "Update pending connection")
	for _, role := range r.only(t, "service-linked roles") {
		wantLine(t, "role", role, "ok", "exists")
	}
	// dev's NAT instance goes to Fn::GetAZs's first AZ, which moto (as
	// AWS) says offers t4g.nano; TestPreflightNatInstanceAZ pins it to one
	// that does not.
	wantLine(t, "NAT instance", r.only(t, "nat instance")[0], "ok", "(natInstanceType t4g.nano) is launched in us-east-1a (the first AZ of us-east-1, which Fn::GetAZs gives the instance), which offers it")
	// dev deploys rolling: no weights ECS could have moved.
	wantLine(t, "weights", r.only(t, "weights")[0], "ok", "no deployed stack of the app has a listener rule that forwards by weight (deploymentStrategy rolling)")
	q := r.only(t, "quotas")
	if !createsEIPs(t, devDeployment(t).Dir) {
		// dev's NAT instance has no Elastic IP, so no quota of them to
		// check: that check is prod's, whose NAT gateways have two.
		if len(q) != 1 || strings.Contains(q[0].Found, "Elastic IP") {
			t.Fatalf("quotas: %+v, want the VPCs only", q)
		}
		wantLine(t, "VPCs", q[0], "ok", "VPCs in us-east-1:", "+ 0 new", "of 5 (L-F678F1CE, the account's quota from Service Quotas)")
		var prod deployment
		for _, d := range deployments(t) {
			if d.Name == "prod" {
				prod = d
			}
		}
		if !createsEIPs(t, prod.Dir) {
			t.Fatalf("neither dev nor prod creates an Elastic IP: the quota of them goes unchecked")
		}
		rp, _ := preflight(t, prod.Dir)
		q = rp.only(t, "quotas")
	}
	if len(q) != 2 {
		t.Fatalf("quotas: %+v", q)
	}
	wantLine(t, "VPCs", q[1], "ok", "VPCs in us-east-1:", "+ 0 new", "of 5 (L-F678F1CE, the account's quota from Service Quotas)")
	const eipGap = "AWS's documented default; Service Quotas did not answer (GetServiceQuota: NoSuchResourceException; GetAWSDefaultServiceQuota: HTTP 500)"
	if strings.Contains(q[0].Found, eipGap) {
		recordGap(t, "servicequotas-ec2", q[0].Found)
		wantLine(t, "Elastic IPs", q[0], "ok", "Elastic IPs in us-east-1:", "+ 0 new", "of 5 (L-0263D0A3")
	} else {
		wantLine(t, "Elastic IPs", q[0], "ok", "+ 0 new", "from Service Quotas")
	}
}

// TestPreflightChangedDev (step 4p): dev synthesized with
// -c vpcCidr=10.1.0.0/16 replaces the VPC and subnets the running Service
// stack imports. moto does not enforce export locks, so this check is the
// only thing that catches it here. The same assembly has HTTPS on a zone
// and two secrets, one of which does not exist.
func TestPreflightChangedDev(t *testing.T) {
	ctx := context.Background()
	dir := workFile("out/dev-change")
	zone, err := r53C(t).CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("example.com"), CallerReference: aws.String("e2e-preflight")})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := smC(t).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("e2e-db"), SecretString: aws.String("e2e")})
	if err != nil {
		t.Fatal(err)
	}
	// The assembly was synthesized with a zone ID and a secret ARN that
	// validation accepts (moto's zone IDs need not start with Z, and its
	// secret ARNs end in a random suffix): point them at moto's.
	zoneID := strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/")
	path := filepath.Join(dir, "Service.template.json")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for old, new := range map[string]string{
		"Z0123456789ABCDEFGHIJ": zoneID,
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:e2e-db": aws.ToString(secret.ARN),
	} {
		if !bytes.Contains(body, []byte(old)) {
			t.Fatalf("%s lacks %s: scripts/e2e.sh synthesized it with other values", path, old)
		}
		body = bytes.ReplaceAll(body, []byte(old), []byte(new))
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}

	r, code := preflight(t, dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	ex := r.only(t, "exports")
	if len(ex) != 1 {
		t.Fatalf("exports: %+v", ex)
	}
	wantLine(t, "exports", ex[0], "fail",
		"demo-dev-service imports 5 export(s) of demo-dev-network that this deploy changes",
		"Vpc8378EB38 (AWS::EC2::VPC) is replaced: CidrBlock changes from 10.0.0.0/16 to 10.1.0.0/16",
		"deploy in two steps", "destroy the importing stack demo-dev-service first",
		"aws cloudformation delete-stack --stack-name demo-dev-service --region us-east-1")
	wantLine(t, "https", r.only(t, "https")[0], "ok", "hosted zone "+zoneID+" is the public zone example.com, and app.example.com is inside it")
	// The running dev is blue-green (step 4b) on HTTP; dev-change is rolling
	// on HTTPS: its production rule moves to the 443 listener (replaced),
	// the test rule goes. moto's live weights are the template's 100/0 (no
	// ECS deployment moved them): the rewrite moves no traffic.
	for _, w := range r.only(t, "weights") {
		switch {
		case strings.HasPrefix(w.Found, "the production rule "):
			wantLine(t, "production rule", w, "ok", "changes in this deploy (it is replaced: ListenerArn changes)", "its live weights are the deployed template's, 100/0", "the rewrite moves no traffic")
		case strings.HasPrefix(w.Found, "the test rule "):
			wantLine(t, "test rule", w, "ok", "the new template removes it, with no test rule in its place")
		default:
			t.Errorf("weights: %s: %s", w.Status, w.Found)
		}
	}
	secrets := r.only(t, "secrets")
	if len(secrets) != 2 {
		t.Fatalf("secrets: %+v", secrets)
	}
	wantLine(t, "secret", secrets[0], "ok", "secret "+aws.ToString(secret.ARN)+" (for DB_PASSWORD (demo-dev-service)) exists in us-east-1")
	wantLine(t, "parameter", secrets[1], "fail", "SSM parameter arn:aws:ssm:us-east-1:123456789012:parameter/e2e/missing (for API_KEY (demo-dev-service)) does not exist in us-east-1")
	// The quotas are the Elastic IPs' (with NAT gateways only) and the VPCs'.
	var vpcs []struct{ Check, Status, Found, Fix string }
	for _, q := range r.only(t, "quotas") {
		if strings.HasPrefix(q.Found, "VPCs") {
			vpcs = append(vpcs, q)
		}
	}
	if len(vpcs) != 1 {
		t.Fatalf("quotas: %+v, want one line on VPCs", r.only(t, "quotas"))
	}
	wantLine(t, "VPCs", vpcs[0], "ok", "+ 1 new for the app's VPC")
}

// TestPreflightAfterDestroy (step 5p): after `cdk destroy`, the retained
// repository and log buckets of dev are reported, and what the deploy
// will do with them.
func TestPreflightAfterDestroy(t *testing.T) {
	// The endpoints deployment's Registry stack was destroyed too (make
	// destroy-all): its repository is retained and belongs to no stack.
	var d deployment
	for _, x := range deployments(t) {
		if x.Name == "endpoints" {
			d = x
		}
	}
	if d.Name == "" {
		t.Fatal("no endpoints deployment")
	}
	r, code := preflight(t, d.Dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, "exports", r.only(t, "exports")[0], "ok", "no stack of the app is deployed yet")
	lo := r.only(t, "leftovers")
	if len(lo) != 3 {
		t.Fatalf("leftovers: %+v", lo)
	}
	repo := d.App + "-" + d.Env
	// The build cache went with its stack (DeletionPolicy Delete), unless
	// moto built it again when the deleted stack was read.
	if c := repositoryLine(t, lo, repo+"-build-cache"); c.Status == "fail" && strings.Contains(c.Found, "(0 images) is left from an earlier destroy") {
		recordGap(t, "cfn-deleted-stack-rebuilt", c.Found)
	} else {
		wantLine(t, "build cache", c, "ok", "does not exist yet")
	}
	lo = []struct{ Check, Status, Found, Fix string }{repositoryLine(t, lo, repo), lo[2]}
	wantLine(t, "repository", lo[0], "fail", "ECR repository "+repo+" (", "is left from an earlier destroy", "RepositoryAlreadyExistsException",
		"--import-existing-resources", "aws ecr delete-repository --repository-name "+repo+" --force --region us-east-1")
	wantLine(t, "buckets", lo[1], "warn", "2 retained bucket(s) of an earlier deploy of "+d.stackName("service"), "the deploy does not reuse them")
	if strings.Contains(lo[1].Found, "demo-prod") || strings.Contains(lo[1].Found, "demo-dev-") {
		t.Errorf("another environment's bucket is listed as %s's: %s", d.Name, lo[1].Found)
	}
}

// createsEIPs reports whether the assembly's templates create an Elastic IP.
func createsEIPs(t *testing.T, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := ParseTemplate(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(tmpl.OfType("AWS::EC2::EIP")) > 0 {
			return true
		}
	}
	return false
}
