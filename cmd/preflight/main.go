// Command preflight checks the AWS account before a deploy, against the
// synthesized templates, and says exactly what to fix: bootstrap, the
// connection, the hosted zone, secrets, leftovers of an earlier destroy,
// service-linked roles, quotas and exports in use.
//
//	go run ./cmd/preflight [--json] [--profile NAME] [cdk.out]
//
// It uses the AWS SDK's standard credential chain (with --profile, that
// profile) and honours AWS_ENDPOINT_URL. It only reads.
//
// Exit status: 0 when no check failed (warnings included), 1 when one
// failed, 2 when preflight could not run: no assembly, no region, no
// credentials, or a caller identity it cannot read.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cdkdemo/fargate/awsprofile"
	"github.com/cdkdemo/fargate/cmd/internal/assemblyarg"
	"github.com/cdkdemo/fargate/preflight"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitCannot = 2
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("preflight", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the checklist as JSON")
	profile := fs.String("profile", "", "AWS CLI profile `NAME` (default: the standard credential chain, AWS_PROFILE included)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: preflight [--json] [--profile NAME] [cdk.out]\n\n"+
			"Checks the AWS account against the synthesized templates (run `make synth` first)\n"+
			"before a deploy, with read-only calls, and prints a checklist with the fixes.\n\n")
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
		fmt.Fprintf(stderr, "preflight: %v\n", err)
		return exitCannot
	}
	_, pinnedRegion, err := a.Pinned()
	if err != nil {
		fmt.Fprintf(stderr, "preflight: %v\n", err)
		return exitCannot
	}
	cfg, err := awsprofile.Resolve(ctx, *profile, pinnedRegion)
	if err != nil {
		fmt.Fprintf(stderr, "preflight: %v\n", err)
		return exitCannot
	}
	calls := &preflight.Calls{}
	r, err := preflight.Run(ctx, a, preflight.NewClients(cfg.Config, calls), preflight.Options{
		Profile: *profile, Region: cfg.Region, ProfileRegion: cfg.ProfileRegion, Calls: calls,
	})
	if err != nil {
		fmt.Fprintf(stderr, "preflight: %v: check the credentials of %s (aws sts get-caller-identity%s)\n", err, awsprofile.Name(*profile), awsprofile.Flag(*profile))
		return exitCannot
	}
	if *asJSON {
		err = preflight.WriteJSON(stdout, r)
	} else {
		err = preflight.WriteText(stdout, r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "preflight: writing the checklist: %v\n", err)
		return exitCannot
	}
	if r.Failed > 0 {
		fmt.Fprintf(stderr, "preflight: %d check(s) failed: fix them before deploying (PREFLIGHT=0 skips this check in make deploy)\n", r.Failed)
		return exitFailed
	}
	return exitOK
}
