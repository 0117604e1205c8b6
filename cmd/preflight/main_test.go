package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var _ = flag.Bool("update", false, "accepted for `go test ./... -update`; this package has no golden files")

// dev is a golden variant: templates without a manifest, which the
// assembly reader accepts.
var dev = filepath.Join("..", "..", "testdata", "golden", "dev")

// hermetic gives the process an AWS environment of its own: no profile,
// no config or credentials file, no instance metadata, one attempt per call.
func hermetic(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
}

// fakeEndpoint answers as a bare account would, at AWS_ENDPOINT_URL: STS
// knows the caller, the bootstrap parameter is missing, and every other
// call is denied. It records the operations it was asked.
func fakeEndpoint(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var ops []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		op := r.Header.Get("X-Amz-Target")
		if op == "" {
			op = r.Method + " " + r.URL.Path + " " + string(body)
		}
		mu.Lock()
		ops = append(ops, op)
		mu.Unlock()
		switch {
		case strings.Contains(string(body), "Action=GetCallerIdentity"):
			w.Header().Set("Content-Type", "text/xml")
			_, _ = io.WriteString(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/ci</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>`)
		case op == "AmazonSSM.GetParameter":
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":"Parameter not found."}`)
		default:
			w.WriteHeader(403)
			_, _ = io.WriteString(w, `{"__type":"AccessDeniedException","message":"denied"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), ops...) }
}

// TestRun: against the endpoint in AWS_ENDPOINT_URL (the SDK reads it
// itself), the bare account fails the bootstrap check: exit 1, the fix
// printed; the denied calls are warnings.
func TestRun(t *testing.T) {
	hermetic(t)
	srv, ops := fakeEndpoint(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "eu-west-1")
	var out, errOut strings.Builder
	code := run(context.Background(), []string{dev}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s\n%s", code, errOut.String(), out.String())
	}
	for _, want := range []string{
		"✔ identity", "arn:aws:iam::123456789012:user/ci in account 123456789012, region eu-west-1",
		"✘ bootstrap", "fix: npx cdk bootstrap aws://123456789012/eu-west-1",
		"! leftovers", "AccessDenied",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "check(s) failed: fix them before deploying (PREFLIGHT=0 skips") {
		t.Errorf("stderr: %s", errOut.String())
	}
	if len(ops()) < 5 {
		t.Errorf("the endpoint saw %d requests: AWS_ENDPOINT_URL is not honoured", len(ops()))
	}

	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"--json", dev, "--profile", ""}, &out, &errOut); code != 1 {
		t.Fatalf("--json: exit %d; %s", code, errOut.String())
	}
	var r struct {
		Account string
		Failed  int
		Results []struct{ Check, Status, Found, Fix string }
		Calls   []string
	}
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out.String())
	}
	if r.Account != "123456789012" || r.Failed < 1 || len(r.Results) < 9 || len(r.Calls) < 5 {
		t.Errorf("JSON report: %+v", r)
	}
	for _, c := range r.Calls {
		op := c[strings.Index(c, ":")+1:]
		if !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "List") {
			t.Errorf("a call that is not a read: %s", c)
		}
	}
}

// TestCannotRun: exit 2 with a plain sentence when preflight cannot run.
func TestCannotRun(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "cdk.out")
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		stderr string
	}{
		{"no credentials", map[string]string{"AWS_REGION": "eu-west-1"}, []string{dev},
			"preflight: no AWS credentials in the default credential chain (no --profile): configure them with `aws configure`"},
		{"no region", map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, []string{dev},
			"preflight: no AWS region: the stacks are not pinned to one"},
		{"unknown profile", map[string]string{"AWS_REGION": "eu-west-1"}, []string{"--profile", "nosuch", dev},
			`preflight: AWS profile "nosuch" not found in ~/.aws/config or ~/.aws/credentials: create it with ` + "`aws configure --profile nosuch`"},
		{"missing assembly", nil, []string{missing}, "no such directory: run `make synth` first"},
		{"two directories", nil, []string{dev, dev}, "too many arguments"},
		{"unknown flag", nil, []string{"--fast", dev}, "flag provided but not defined: -fast"},
		{"identity unreadable", map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, []string{dev},
			"preflight: cannot read the caller identity (sts:GetCallerIdentity)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hermetic(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errOut strings.Builder
			if code := run(context.Background(), tc.args, &out, &errOut); code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tc.stderr)
			}
			if out.Len() > 0 {
				t.Errorf("stdout should be empty:\n%s", out.String())
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(context.Background(), []string{"-h"}, &out, &errOut); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(errOut.String(), "usage: preflight [--json] [--profile NAME] [cdk.out]") {
		t.Errorf("usage: %s", errOut.String())
	}
}

// TestMakeDeploy: `make deploy` runs preflight on the assembly it then
// deploys, and PREFLIGHT=0 skips it (make -n prints the commands only).
// cmd/cfnsync's TestMakeDeploy checks the sync between the two.
func TestMakeDeploy(t *testing.T) {
	makePath, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not found")
	}
	dryRun := func(args ...string) string {
		cmd := exec.Command(makePath, append([]string{"-n", "--no-print-directory", "-C", filepath.Join("..", ".."), "deploy", "PROFILE=p1", "ENV=prod"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n deploy %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := dryRun()
	synth := strings.Index(out, "cdk synth --quiet -c env=prod")
	check := strings.Index(out, ".build/preflight  --profile p1 cdk.out")
	deploy := strings.Index(out, "cdk deploy --all --app cdk.out --profile p1")
	if synth < 0 || check < synth || deploy < check {
		t.Errorf("make deploy does not synthesize, preflight, then deploy that assembly:\n%s", out)
	}
	out = dryRun("PREFLIGHT=0")
	if strings.Contains(out, "preflight") || !strings.Contains(out, "cdk synth --quiet -c env=prod") || !strings.Contains(out, "cdk deploy --all --app cdk.out --profile p1") {
		t.Errorf("PREFLIGHT=0 still runs preflight, or does not synthesize and deploy:\n%s", out)
	}
}
