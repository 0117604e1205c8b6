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

// TestRun: against the endpoint in AWS_ENDPOINT_URL, an account where no
// stack of the app is deployed: every stack is "not deployed", nothing is
// updated, exit 0. Only DescribeStacks is asked.
func TestRun(t *testing.T) {
	hermetic(t)
	var mu sync.Mutex
	var actions []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		actions = append(actions, string(body))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id x does not exist</Message></Error></ErrorResponse>`)
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "eu-west-1")
	var out, errOut strings.Builder
	if code := run(context.Background(), []string{dev}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d; stderr %s", code, errOut.String())
	}
	for _, stack := range []string{"Network", "Pipeline", "Registry", "Service"} {
		if !strings.Contains(out.String(), "✔ "+stack+": not deployed yet: the deploy creates it") {
			t.Errorf("stdout lacks %s:\n%s", stack, out.String())
		}
	}
	for _, a := range actions {
		if !strings.Contains(a, "Action=DescribeStacks") {
			t.Errorf("a call that is not DescribeStacks: %s", a)
		}
	}
	if len(actions) != 4 {
		t.Errorf("%d calls, want one DescribeStacks per stack: AWS_ENDPOINT_URL is not honoured?", len(actions))
	}

	out.Reset()
	if code := run(context.Background(), []string{"--json", dev}, &out, &errOut); code != 0 {
		t.Fatalf("--json: exit %d", code)
	}
	var r struct {
		Region  string
		Results []struct{ Stack, Outcome string }
	}
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil || r.Region != "eu-west-1" || len(r.Results) != 4 || r.Results[0].Outcome != "not-deployed" {
		t.Errorf("JSON %v: %s", err, out.String())
	}
}

// TestCannotRun: exit 2 with a plain sentence.
func TestCannotRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		stderr string
	}{
		{"no credentials", map[string]string{"AWS_REGION": "eu-west-1"}, []string{dev}, "cfnsync: no AWS credentials in the default credential chain (no --profile)"},
		{"no region", map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, []string{dev}, "cfnsync: no AWS region"},
		{"unknown profile", map[string]string{"AWS_REGION": "eu-west-1"}, []string{"--profile", "nosuch", dev}, `cfnsync: AWS profile "nosuch" not found`},
		{"missing assembly", nil, []string{filepath.Join(t.TempDir(), "cdk.out")}, "run `make synth` first"},
		{"two directories", nil, []string{dev, dev}, "too many arguments"},
		{"unreachable", map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, []string{dev}, "cfnsync: reading stack Network: operation error CloudFormation: DescribeStacks"},
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
		})
	}
}

// TestMakeDeploy: `make deploy` synthesizes, runs preflight, then cfnsync
// on that assembly, then deploys it; SYNC=0 skips the sync, PREFLIGHT=0
// keeps it (make -n prints the commands only).
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
	for _, tc := range []struct {
		args  []string
		steps []string
	}{
		{nil, []string{"cdk synth --quiet -c env=prod", ".build/preflight  --profile p1 cdk.out", ".build/cfnsync --profile p1 cdk.out", "cdk deploy --all --app cdk.out --profile p1"}},
		{[]string{"PREFLIGHT=0"}, []string{"cdk synth --quiet -c env=prod", ".build/cfnsync --profile p1 cdk.out", "cdk deploy --all --app cdk.out --profile p1"}},
		{[]string{"SYNC=0"}, []string{"cdk synth --quiet -c env=prod", ".build/preflight  --profile p1 cdk.out", "cdk deploy --all --app cdk.out --profile p1"}},
	} {
		out := dryRun(tc.args...)
		at := -1
		for _, step := range tc.steps {
			i := strings.Index(out, step)
			if i <= at {
				t.Errorf("make deploy %v: %q missing or out of order:\n%s", tc.args, step, out)
			}
			at = i
		}
		if strings.Contains(strings.Join(tc.args, " "), "SYNC=0") && strings.Contains(out, "cfnsync") {
			t.Errorf("SYNC=0 still syncs:\n%s", out)
		}
	}
}
