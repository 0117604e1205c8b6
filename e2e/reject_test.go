//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestRejectsBadConfig runs `cdk deploy` with bad -c options against the
// emulated account: it must fail with the configuration error, before
// anything is created: no stack, no event, no asset uploaded, and no
// template left in the assembly directory.
func TestRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string // lines of the error
	}{
		{"invalid CIDR", []string{"-c", "vpcCidr=10.0.0.0/33"},
			[]string{"invalid configuration (cdk.json context and -c options):", `vpcCidr: "10.0.0.0/33" is not an IPv4 CIDR such as "10.0.0.0/16"`}},
		{"unknown egress mode", []string{"-c", "egress=nat-gateway"},
			[]string{"invalid configuration (cdk.json context and -c options):", `egress: "nat-gateway" is not one of "nat", "nat-per-az", "nat-instance", "endpoints"`}},
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := accountState(t)
			outdir := filepath.Join(os.Getenv(EnvWork), "out", "rejected")
			args := append([]string{"deploy", "-c", "env=dev", "--method=direct", "--require-approval=never", "--no-notices", "--ci", "-o", outdir}, tc.args...)
			args = append(args, "Network", "Service")
			cmd := exec.Command("cdk", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "HOME="+filepath.Join(os.Getenv(EnvWork), "home"))
			out, err := cmd.CombinedOutput()
			t.Logf("cdk %s:\n%s", strings.Join(args, " "), out)
			if err == nil {
				t.Fatal("cdk deploy succeeded with a bad configuration")
			}
			for _, line := range tc.want {
				if !strings.Contains(string(out), line) {
					t.Errorf("the output lacks %q", line)
				}
			}
			if after := accountState(t); !slices.Equal(before, after) {
				t.Errorf("the account changed:\nbefore %v\nafter  %v", before, after)
			}
			if templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json")); len(templates) != 0 {
				t.Errorf("templates left in %s: %v", outdir, templates)
			}
		})
	}
}

// accountState lists every stack (deleted ones too), its status and event
// count, and every object in every bucket: what a deploy would change.
func accountState(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var state []string
	p := cloudformation.NewListStacksPaginator(cfnC, &cloudformation.ListStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.StackSummaries {
			ev, err := cfnC.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: s.StackId})
			if err != nil {
				t.Fatal(err)
			}
			state = append(state, aws.ToString(s.StackId)+" "+string(s.StackStatus)+" events:"+strconv.Itoa(len(ev.StackEvents)))
		}
	}
	buckets, err := s3C.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range buckets.Buckets {
		objs, err := s3C.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b.Name})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs.Contents {
			state = append(state, "s3://"+aws.ToString(b.Name)+"/"+aws.ToString(o.Key))
		}
	}
	slices.Sort(state)
	return state
}
