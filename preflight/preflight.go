// Package preflight checks an AWS account before a deploy, against the
// synthesized cloud assembly (cdk.out), for the traps that live in the
// account and not in the templates: a missing or old CDK bootstrap, an
// unapproved connection, a hosted zone of another domain, a secret in
// another region, a repository left from an earlier destroy, missing
// service-linked roles, no Elastic IPs left, and an export that a running
// stack imports and the new templates would change. Each comes with the
// fix, as a command or a console path.
//
// It reads the names the deploy will use from the templates (repository
// names, exports and imports, the bootstrap rule, connection, secrets,
// hosted zone, NAT gateways) and asks the account through Clients, whose
// every call is a read (ReadOnly): it changes nothing.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// Status is a check's verdict.
type Status string

const (
	OK   Status = "ok"   // ✔
	Warn Status = "warn" // !: the deploy goes on, but something needs a look
	Fail Status = "fail" // ✘: the deploy would fail, or what it deploys would not work
)

// Result is one line of the checklist.
type Result struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Found  string `json:"found"`
	// Fix is a command or a console path, for Fail and Warn.
	Fix string `json:"fix,omitempty"`
}

// Report is the whole checklist.
type Report struct {
	Assembly string   `json:"assembly"`
	Stacks   []string `json:"stacks"`
	Account  string   `json:"account"`
	Region   string   `json:"region"`
	Profile  string   `json:"profile,omitempty"`
	Results  []Result `json:"results"`
	Failed   int      `json:"failed"`
	Warnings int      `json:"warnings"`
	// Calls lists the API operations made, as IAM actions: all reads.
	Calls []string `json:"calls"`
}

// Options are what the checks need besides the assembly and the clients.
type Options struct {
	// Profile is the AWS CLI profile, repeated in the fix commands ("" for
	// the default credential chain).
	Profile string
	// Region is where the deploy goes: the stacks' pinned region, or the
	// profile's. ProfileRegion is the profile's, for the identity line.
	Region, ProfileRegion string
	// Calls, when set, is where the clients record their calls.
	Calls *Calls
}

// ErrIdentity wraps the failure to learn who the caller is: preflight then
// cannot run at all.
var ErrIdentity = errors.New("cannot read the caller identity")

// Run runs every check. It returns an error only when preflight cannot run
// (the caller identity cannot be read); a check that cannot ask the
// account what it needs is a warning in the report.
func Run(ctx context.Context, a *Assembly, c Clients, opt Options) (*Report, error) {
	e := &env{ctx: ctx, c: c, a: a, region: opt.Region, profile: opt.Profile, stacks: map[string]*deployed{}}
	r := &Report{Assembly: a.Dir, Region: opt.Region, Profile: opt.Profile}
	for _, s := range a.Stacks {
		r.Stacks = append(r.Stacks, s.Name)
	}
	id, err := checkIdentity(e, opt.ProfileRegion)
	if err != nil {
		return nil, err
	}
	r.Account = e.account
	r.Results = append(r.Results, id)
	for _, check := range []func(*env) []Result{
		checkBootstrap, checkExports, checkLeftovers, checkConnection,
		checkHTTPS, checkSecrets, checkServiceLinkedRoles, checkQuotas, checkNatInstance, checkArchitecture, checkWeights,
	} {
		r.Results = append(r.Results, check(e)...)
	}
	for _, res := range r.Results {
		switch res.Status {
		case Fail:
			r.Failed++
		case Warn:
			r.Warnings++
		}
	}
	if opt.Calls != nil {
		r.Calls = opt.Calls.List()
	}
	return r, nil
}

// env is one run: the clients, the assembly, and what was read from the
// account so far, so each check asks only once.
type env struct {
	ctx                      context.Context
	c                        Clients
	a                        *Assembly
	account, region, profile string

	stacks map[string]*deployed // by stack name

	exportsRead bool
	exports     map[string]cfntypes.Export
	exportsErr  error

	importers    map[string][]string // export name → importing stack names
	scanned      bool                // importers came from reading every deployed template
	importersErr error
}

// deployed is a stack of the assembly as the account has it; nil Stack
// when it is not deployed.
type deployed struct {
	Stack     *cfntypes.Stack
	Template  Template
	Resources map[string]string // logical ID → physical ID
	Err       error
}

// deployedStack reads a stack of the assembly from the account, once. A
// stack that does not exist, or whose creation never completed
// (REVIEW_IN_PROGRESS, ROLLBACK_COMPLETE), is not deployed.
func (e *env) deployedStack(name string) *deployed {
	if d, ok := e.stacks[name]; ok {
		return d
	}
	d := &deployed{}
	e.stacks[name] = d
	st, err := e.describeStack(name)
	if err != nil || st == nil {
		d.Err = err
		return d
	}
	switch st.StackStatus {
	case cfntypes.StackStatusReviewInProgress, cfntypes.StackStatusRollbackComplete, cfntypes.StackStatusDeleteComplete:
		return d
	}
	d.Stack = st
	out, err := e.c.CloudFormation.GetTemplate(e.ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name)})
	if err != nil {
		d.Err = fmt.Errorf("reading the template of %s: %w", name, err)
		return d
	}
	if d.Template, err = ParseTemplate([]byte(deref(out.TemplateBody))); err != nil {
		d.Err = fmt.Errorf("reading the template of %s: %w", name, err)
		return d
	}
	d.Resources = map[string]string{}
	var token *string
	for {
		page, err := e.c.CloudFormation.ListStackResources(e.ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(name), NextToken: token})
		if err != nil {
			d.Err = fmt.Errorf("listing the resources of %s: %w", name, err)
			return d
		}
		for _, r := range page.StackResourceSummaries {
			d.Resources[deref(r.LogicalResourceId)] = deref(r.PhysicalResourceId)
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	return d
}

// describeStack returns the stack, or nil when there is none by that name.
func (e *env) describeStack(name string) (*cfntypes.Stack, error) {
	out, err := e.c.CloudFormation.DescribeStacks(e.ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if apiCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, fmt.Errorf("reading stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// profileFlag is " --profile NAME" for the fix commands, or "".
func (e *env) profileFlag() string { return profileFlag(e.profile) }

func profileFlag(profile string) string {
	if profile == "" {
		return ""
	}
	return " --profile " + profile
}

// apiCode is an AWS error's code ("" for another error).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// short is an error for a message: the API's code and message when it is
// an AWS error, without the SDK's request details.
func short(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return errorCode(err)
}

// errorCode is an error's AWS code, "HTTP 500" for an answer that is not
// an AWS error, or the error's text.
func errorCode(err error) string {
	if c := apiCode(err); c != "" {
		return c
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	}
	return err.Error()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
