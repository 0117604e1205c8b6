package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// staleAssembly fills dir with what an earlier, good synth left there.
func staleAssembly(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"manifest.json", "tree.json", "Network.template.json", "Network.assets.json", "cdk.out"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunReportsBadConfig: run() turns every configuration problem into one
// error, and removeAssembly leaves nothing that looks like a good synth.
func TestRunReportsBadConfig(t *testing.T) {
	ctx := cdkJSONContext(t)
	ctx["vpcCidr"] = "10.0.0.0/33"
	ctx["cpu"] = "300"
	dir := t.TempDir()
	staleAssembly(t, dir)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(dir)})
	err := run(app, nil)
	if err == nil {
		t.Fatal("run accepted a bad configuration")
	}
	for _, want := range []string{"invalid configuration", `vpcCidr: "10.0.0.0/33" is not an IPv4 CIDR`, "cpu: 300 is not a Fargate CPU value"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	removeAssembly(dir)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("removeAssembly left %v", left)
	}
}

// TestSynthRejectsBadConfig runs the real `cdk synth` with bad -c values:
// a non-zero exit, every problem named, no Go panic or stack trace, and no
// template left in the output directory from an earlier synth.
func TestSynthRejectsBadConfig(t *testing.T) {
	cdk, err := filepath.Abs("node_modules/.bin/cdk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cdk); err != nil {
		t.Fatalf("the CDK CLI is not installed (run `make deps`): %v", err)
	}
	out := t.TempDir()
	staleAssembly(t, out)
	cmd := exec.Command(cdk, "synth", "--quiet", "-o", out, "-c", "vpcCidr=10.0.0.0/33", "-c", "egress=nat-gateway", "-c", "minCount=lots")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(cdk)+string(os.PathListSeparator)+os.Getenv("PATH"))
	output, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("cdk synth succeeded with a bad configuration:\n%s", output)
	}
	text := string(output)
	for _, want := range []string{
		`vpcCidr: "10.0.0.0/33" is not an IPv4 CIDR`,
		`egress: "nat-gateway" is not one of "nat", "nat-per-az", "nat-instance", "endpoints"`,
		`minCount: "lots" is not an integer`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output does not say %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"panic:", "goroutine ", ".go:"} {
		if strings.Contains(text, bad) {
			t.Errorf("output shows a Go panic or stack trace (%q):\n%s", bad, text)
		}
	}
	for _, pattern := range []string{"*.template.json", "manifest.json"} {
		if left, _ := filepath.Glob(filepath.Join(out, pattern)); len(left) != 0 {
			t.Errorf("stale %v left in the output directory", left)
		}
	}
}
