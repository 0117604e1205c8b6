// Command cfnsync brings CloudFormation's record of each deployed stack of
// the assembly onto the current values of the SSM parameters it reads
// (the released image), before a deploy, so that a deploy that fails rolls
// back to what the service runs now and not to an older image. `make
// deploy` runs it after preflight (SYNC=0 skips it).
//
//	go run ./cmd/cfnsync [--json] [--profile NAME] [--timeout 1h] [cdk.out]
//
// A stack whose resources read no SSM parameter, or read values that have
// not changed since its last deploy, is left alone: no update. It uses the
// AWS SDK's standard credential chain (with --profile, that profile) and
// honours AWS_ENDPOINT_URL.
//
// Exit status: 0 when every stack is in step (or was brought in step), 1
// when one could not be (its update rolled back, or its state refuses an
// update), 2 when cfnsync could not run.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cdkdemo/fargate/awsprofile"
	"github.com/cdkdemo/fargate/cfnsync"
	"github.com/cdkdemo/fargate/cmd/internal/assemblyarg"
	"github.com/cdkdemo/fargate/preflight"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitCannot = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cfnsync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the results as JSON")
	profile := fs.String("profile", "", "AWS CLI profile `NAME` (default: the standard credential chain, AWS_PROFILE included)")
	timeout := fs.Duration("timeout", time.Hour, "how long to wait for a stack update (it goes on after that; it is never cancelled)")
	poll := fs.Duration("poll", 10*time.Second, "how often to read a stack while it updates")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: cfnsync [--json] [--profile NAME] [--timeout 1h] [cdk.out]\n\n"+
			"Before a deploy, updates each deployed stack of the assembly whose SSM parameters\n"+
			"changed since its last deploy (the released image) with its previous template, so\n"+
			"that CloudFormation records what runs now and a failed deploy rolls back to it.\n\n")
		fs.PrintDefaults()
	}
	dir, done, help := assemblyarg.Parse(fs, args)
	if done {
		if help {
			return exitOK
		}
		return exitCannot
	}
	a, err := preflight.ReadAssembly(dir)
	if err != nil {
		fmt.Fprintf(stderr, "cfnsync: %v\n", err)
		return exitCannot
	}
	_, pinnedRegion, err := a.Pinned()
	if err != nil {
		fmt.Fprintf(stderr, "cfnsync: %v\n", err)
		return exitCannot
	}
	cfg, err := awsprofile.Resolve(ctx, *profile, pinnedRegion)
	if err != nil {
		fmt.Fprintf(stderr, "cfnsync: %v\n", err)
		return exitCannot
	}
	clients := cfnsync.Clients{
		CloudFormation: cloudformation.NewFromConfig(cfg.Config),
		SSM:            ssm.NewFromConfig(cfg.Config),
		ECS:            ecs.NewFromConfig(cfg.Config),
	}
	opt := cfnsync.Options{Poll: *poll, Profile: *profile, Region: cfg.Region}
	if !*asJSON {
		opt.Log = stdout
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var results []cfnsync.Result
	code := exitOK
	for _, s := range a.Stacks {
		res, err := cfnsync.Sync(ctx, clients, s.Name, opt)
		if err != nil {
			fmt.Fprintf(stderr, "cfnsync: %v\n", err)
			return exitCannot
		}
		results = append(results, res)
		if !*asJSON {
			writeText(stdout, res)
		}
		if !res.OK() {
			// The next stacks depend on this one: stop here.
			code = exitFailed
			break
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"assembly": dir, "region": cfg.Region, "results": results}); err != nil {
			fmt.Fprintf(stderr, "cfnsync: %v\n", err)
			return exitCannot
		}
	}
	if code != exitOK {
		fmt.Fprintf(stderr, "cfnsync: a stack could not be brought in step: the deploy stops here (SYNC=0 skips this step in make deploy, at the risk it prevents)\n")
	}
	return code
}

func writeText(w io.Writer, r cfnsync.Result) {
	mark := map[cfnsync.Outcome]string{cfnsync.NotDeployed: "✔", cfnsync.InStep: "✔", cfnsync.Synced: "✔", cfnsync.Failed: "✘", cfnsync.Refused: "✘"}[r.Outcome]
	fmt.Fprintf(w, "%s %s: %s\n", mark, r.Stack, r.Message)
	if r.Fix != "" {
		fmt.Fprintf(w, "  fix: %s\n", r.Fix)
	}
}
