package main

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

var _ = flag.Bool("update", false, "accepted for `go test ./... -update`; this package has no golden files")

// dev is the report package's crafted dev app: $96.9651 a month at idle.
var dev = filepath.Join("..", "..", "report", "testdata", "dev")

func TestRun(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "cdk.out")
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   string // a substring, "" for no check
		stderr   string
		emptyOut bool
	}{
		{name: "text", args: []string{dev}, code: 0, stdout: "Total at idle: $96.97 a month"},
		{name: "flags after the directory", args: []string{dev, "--budget", "100"}, code: 0, stdout: "within --budget $100.00"},
		{name: "within budget", args: []string{"--budget", "96.97", dev}, code: 0, stdout: "is within --budget $96.97"},
		{name: "over budget", args: []string{"--budget", "50", dev}, code: 1, stdout: "Total at idle", stderr: "over budget: the idle estimate of $96.97 a month exceeds --budget $50.00"},
		{name: "over budget by a cent", args: []string{"--budget=$96.96", dev}, code: 1, stderr: "exceeds --budget $96.96"},
		{name: "missing directory", args: []string{missing}, code: 2, stderr: "no such directory: run `make synth` first", emptyOut: true},
		{name: "bad budget", args: []string{"--budget", "lots", dev}, code: 2, stderr: `--budget "lots": not an amount`, emptyOut: true},
		{name: "negative budget", args: []string{"--budget", "-5", dev}, code: 2, stderr: "not an amount", emptyOut: true},
		{name: "two directories", args: []string{dev, dev}, code: 2, stderr: "too many arguments", emptyOut: true},
		{name: "unknown flag", args: []string{"--cheap", dev}, code: 2, stderr: "flag provided but not defined: -cheap", emptyOut: true},
		{name: "help", args: []string{"-h"}, code: 0, stderr: "usage: report [--json] [--budget USD] [cdk.out]", emptyOut: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tc.args, &out, &errOut)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errOut.String())
			}
			if !strings.Contains(out.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out.String())
			}
			if !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tc.stderr)
			}
			if tc.emptyOut && out.Len() > 0 {
				t.Errorf("stdout should be empty:\n%s", out.String())
			}
		})
	}
}

// TestRunJSON: --json prints JSON only, over budget or not, so a pipe to jq
// works; the budget verdict goes to stderr and the exit code.
func TestRunJSON(t *testing.T) {
	var out, errOut strings.Builder
	code := run([]string{"--json", "--budget", "10", dev}, &out, &errOut)
	if code != 1 {
		t.Errorf("exit %d, want 1 (over a $10 budget)", code)
	}
	var r struct {
		Monthly float64 `json:"monthly_usd"`
	}
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
	}
	// NAT $32.85 + EIP $3.65 + ALB $16.425 + ALB IPs $7.30 + Fargate $29.5504 + $6.4897 + alarms $0.70
	if r.Monthly != 96.9651 {
		t.Errorf("monthly_usd = %v, want 96.9651", r.Monthly)
	}
}
