//go:build e2e

// Command cfnresponder answers the custom resources of the stacks a `cdk
// deploy` creates in moto, while that deploy runs (see e2e.Responder).
//
//	cfnresponder -pid DEPLOY_PID [-timeout 150s]
//
// It exits 0 when the deploy process has ended, and 1 when it cannot do a
// custom resource's work or the deploy outlives the timeout: the caller then
// stops the deploy, which would otherwise wait forever.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cdkdemo/fargate/e2e"
)

func main() {
	pid := flag.Int("pid", 0, "PID of the cdk deploy to serve; the responder stops when it ends")
	timeout := flag.Duration("timeout", 150*time.Second, "longest the deploy may run")
	interval := flag.Duration("interval", 200*time.Millisecond, "how often to look for stacks waiting on a custom resource")
	flag.Parse()
	if *pid <= 0 {
		fmt.Fprintln(os.Stderr, "cfnresponder: -pid is required: the PID of the cdk deploy to serve")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *pid, *timeout, *interval); err != nil {
		fmt.Fprintf(os.Stderr, "cfnresponder: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, pid int, timeout, interval time.Duration) error {
	cfg, err := e2e.AWSConfig(ctx)
	if err != nil {
		return err
	}
	endpoint, err := e2e.Endpoint()
	if err != nil {
		return err
	}
	r := &e2e.Responder{CFN: cloudformation.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), ECR: ecr.NewFromConfig(cfg), SSM: ssm.NewFromConfig(cfg), Endpoint: endpoint, Log: os.Stdout}
	deadline := time.Now().Add(timeout)
	for {
		// Poll once more after the deploy ended: nothing is left unanswered.
		running := alive(pid)
		if err := r.Poll(ctx); err != nil {
			return err
		}
		if !running {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the deploy (pid %d) is still running after %v: a stack is waiting on something the emulator never finishes", pid, timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped while the deploy (pid %d) was running: %w", pid, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// alive tells whether the process runs. A process that ended but was not
// yet reaped by its parent (the script, in `wait`) is a zombie: ended.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}
