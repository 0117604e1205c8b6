// Command fargate is a CDK app: it takes a containerized web application
// from a git push to a load-balanced, autoscaled Fargate service.
//
// Run it through the CDK CLI (`make synth`, `npx cdk synth`); cdk.json says
// how. Configuration comes from cdk.json's context and `-c key=value`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/cdkdemo/fargate/config"
	"github.com/cdkdemo/fargate/stacks"
	"github.com/cdkdemo/fargate/timing"
)

func main() {
	defer jsii.Close()
	clock := timing.FromEnv() // nil, doing nothing, unless FARGATE_TIMING=1 (make bench)
	app := awscdk.NewApp(&awscdk.AppProps{BuiltinCloudFormationValidation: jsii.Bool(stacks.BuiltinValidation)})
	clock.Mark("jsii start", "the first jsii call: node started, aws-cdk-lib loaded, the App created")
	defer clock.Print(os.Stderr)
	if err := run(app, clock); err != nil {
		removeAssembly(*app.Outdir())
		fmt.Fprintf(os.Stderr, "\n%v\n\n", err)
		jsii.Close()
		os.Exit(1)
	}
}

// run loads the configuration, builds the stacks and synthesizes them.
func run(app awscdk.App, clock *timing.Clock) (err error) {
	ctx, _ := plain(app.Node().GetAllContext(nil)).(map[string]any)
	cfg, err := config.Load(ctx)
	if err != nil {
		return fmt.Errorf("invalid configuration (cdk.json context and -c options):\n%w", err)
	}
	// Choices that trade robustness for cost: said on every synth, on
	// stderr, where the CDK CLI shows it; they stop nothing.
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	// A construct's validation error surfaces as a panic from jsii; it is a
	// problem with the input, not a crash, so report it like one.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth failed for environment %q:\n%v", cfg.Environment, r)
		}
	}()
	clock.BeforeStacks(app)
	stacks.Build(app, cfg)
	clock.AfterStacks(app)
	clock.Mark("construct tree", "config and stacks.Build: every construct, across the jsii bridge")
	app.Synth(nil)
	clock.Synthesized()
	return nil
}

// plain unwraps the jsii envelope {"$jsii.map": {...}} that nested maps
// given to awscdk.AppProps.Context keep on their way back from the CDK;
// context from cdk.json and -c arrives as plain JSON values.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if inner, ok := x["$jsii.map"]; ok && len(x) == 1 {
			return plain(inner)
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = plain(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = plain(val)
		}
		return out
	}
	return v
}

// removeAssembly deletes what a failed run may have left in the cloud
// assembly directory, so no stale or partial template looks good.
func removeAssembly(outdir string) {
	for _, pattern := range []string{"manifest.json", "tree.json", "cdk.out", "*.template.json", "*.assets.json", "*.metadata.json", "asset.*", "*-NagReport.csv", "validation-report.json"} {
		matches, _ := filepath.Glob(filepath.Join(outdir, pattern))
		for _, m := range matches {
			os.RemoveAll(m)
		}
	}
}
