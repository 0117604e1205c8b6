// Package cfnsync brings CloudFormation's record of a deployed stack onto
// the current values of the SSM parameters the stack reads, before a
// deploy, so that a deploy that fails rolls back to what runs now.
//
// The case it exists for: the Service stack's image is an SSM-typed
// parameter that only the pipeline's Release stage writes. The pipeline's
// deploy step registers task definition revisions CloudFormation
// does not know; CloudFormation still records the task definition of the
// last successful `cdk deploy` (on a fresh environment, the placeholder).
// The next deploy resolves the parameter again and replaces the task
// definition; if that update fails for any reason, CloudFormation rolls
// the service back to the revision it recorded, replacing the released
// image (aws/containers-roadmap#117). Sync updates the stack first with its
// previous template and its previous parameter values: CloudFormation
// resolves the SSM parameters again, so it then records a task definition
// with the released image, and the real deploy's rollback returns there.
//
// That update carries no change but the parameters' new values, which is
// what the pipeline already rolled out. Should it fail all the same, the
// rollback would do exactly the harm sync exists to prevent, so sync puts
// each ECS service of the stack back on the revision it ran before.
package cfnsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// CloudFormationAPI is the part of the CloudFormation client sync uses.
type CloudFormationAPI interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
	ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
	UpdateStack(context.Context, *cloudformation.UpdateStackInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
}

// SSMAPI reads a parameter's current value.
type SSMAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ECSAPI reads which revision a service runs, and puts it back after a
// failed sync.
type ECSAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// Clients are the AWS clients sync uses; the SDK's satisfy them.
type Clients struct {
	CloudFormation CloudFormationAPI
	SSM            SSMAPI
	ECS            ECSAPI
}

// Options tune a sync.
type Options struct {
	// Poll is how often the stack is read while it updates (10 s when 0).
	Poll time.Duration
	// Log receives progress lines; nil for none.
	Log io.Writer
	// Profile and Region are repeated in the commands sync prints.
	Profile, Region string
	// Token is the update's ClientRequestToken, which tells its events
	// apart (a new one per run when empty).
	Token string
}

// Outcome is what sync did to one stack.
type Outcome string

const (
	// NotDeployed: no stack to sync; the deploy creates it.
	NotDeployed Outcome = "not-deployed"
	// InStep: CloudFormation resolved every SSM parameter the stack's
	// resources read to the value it holds now: nothing to do.
	InStep Outcome = "in-step"
	// Synced: the stack was updated and now records the current values.
	Synced Outcome = "synced"
	// Failed: the update failed and CloudFormation rolled it back; sync put
	// the services back on the revisions they ran before.
	Failed Outcome = "failed"
	// Refused: the stack is in a state CloudFormation cannot update.
	Refused Outcome = "refused"
)

// Drift is an SSM parameter whose value changed since CloudFormation last
// resolved it.
type Drift struct {
	Key      string `json:"key"`      // the template parameter
	Name     string `json:"name"`     // the SSM parameter
	Recorded string `json:"recorded"` // what the last deploy resolved
	Current  string `json:"current"`  // what it holds now
}

// Result is what happened to one stack.
type Result struct {
	Stack   string  `json:"stack"`
	Outcome Outcome `json:"outcome"`
	Drifts  []Drift `json:"drifts,omitempty"`
	// Message says what was found and done, in a sentence.
	Message string `json:"message"`
	// Fix is what to do next, for Failed and Refused.
	Fix string `json:"fix,omitempty"`
	// Restored lists the services put back on their revision after a
	// failed update, as "service: revision".
	Restored []string `json:"restored,omitempty"`
}

// OK tells whether the deploy may go on.
func (r Result) OK() bool { return r.Outcome != Failed && r.Outcome != Refused }

// ssmType is the prefix of CloudFormation's SSM parameter types.
const ssmType = "AWS::SSM::Parameter::Value<"

// Sync brings one stack in step. It returns an error only when it cannot
// find out or finish what it must (an API call fails, ctx ends while the
// stack updates); a stack that cannot be updated, or an update that
// rolled back, is a Result.
func Sync(ctx context.Context, c Clients, stack string, opt Options) (Result, error) {
	res := Result{Stack: stack}
	st, err := describe(ctx, c, stack)
	if err != nil {
		return res, err
	}
	if st == nil {
		res.Outcome, res.Message = NotDeployed, "not deployed yet: the deploy creates it"
		return res, nil
	}
	switch s := string(st.StackStatus); {
	case s == string(cfntypes.StackStatusRollbackComplete) || s == string(cfntypes.StackStatusReviewInProgress):
		res.Outcome, res.Message = NotDeployed, fmt.Sprintf("is %s: its creation never completed, so there is nothing to bring in step", s)
		return res, nil
	case strings.HasSuffix(s, "_IN_PROGRESS"):
		res.Outcome = Refused
		res.Message = fmt.Sprintf("is %s: another operation is running on it", s)
		res.Fix = fmt.Sprintf("wait until it ends (aws cloudformation describe-stacks --stack-name %s%s), then deploy again", stack, opt.flags())
		return res, nil
	case s == string(cfntypes.StackStatusUpdateRollbackFailed):
		res.Outcome = Refused
		res.Message = fmt.Sprintf("is %s: CloudFormation cannot update it until its rollback is finished", s)
		res.Fix = fmt.Sprintf("aws cloudformation continue-update-rollback --stack-name %s%s (after fixing what the stack's events name), then deploy again", stack, opt.flags())
		return res, nil
	case !slices.Contains(updatable, st.StackStatus):
		res.Outcome = Refused
		res.Message = fmt.Sprintf("is %s: CloudFormation cannot update it from that state", s)
		res.Fix = fmt.Sprintf("read its events (aws cloudformation describe-stack-events --stack-name %s%s) and bring it to a *_COMPLETE state", stack, opt.flags())
		return res, nil
	}

	tpl, err := template(ctx, c, stack)
	if err != nil {
		return res, err
	}
	drifts, gone, err := findDrifts(ctx, c, st, tpl)
	if err != nil {
		return res, err
	}
	if len(gone) > 0 {
		// CloudFormation could not resolve the parameter either: the
		// deploy that recreates it (the Registry stack) must run first.
		res.Outcome = InStep
		res.Message = fmt.Sprintf("reads SSM parameter %s, which does not exist: nothing to resolve again before the deploy", strings.Join(gone, ", "))
		return res, nil
	}
	if len(drifts) == 0 {
		res.Outcome = InStep
		res.Message = inStepMessage(st, tpl)
		return res, nil
	}
	res.Drifts = drifts
	return update(ctx, c, st, tpl, res, opt)
}

// updatable are the states from which an update goes through.
var updatable = []cfntypes.StackStatus{
	cfntypes.StackStatusCreateComplete, cfntypes.StackStatusUpdateComplete, cfntypes.StackStatusUpdateRollbackComplete,
	cfntypes.StackStatusImportComplete, cfntypes.StackStatusImportRollbackComplete,
}

func (o Options) flags() string {
	var b strings.Builder
	if o.Region != "" {
		b.WriteString(" --region " + o.Region)
	}
	if o.Profile != "" {
		b.WriteString(" --profile " + o.Profile)
	}
	return b.String()
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

func describe(ctx context.Context, c Clients, stack string) (*cfntypes.Stack, error) {
	out, err := c.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		if apiCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, fmt.Errorf("reading stack %s: %w", stack, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// deployedTemplate is the part of the deployed template sync reads.
type deployedTemplate struct {
	Parameters map[string]struct {
		Type    string `json:"Type"`
		Default any    `json:"Default"`
		NoEcho  any    `json:"NoEcho"`
	} `json:"Parameters"`
	Conditions map[string]any `json:"Conditions"`
	Resources  map[string]any `json:"Resources"`
	Outputs    map[string]any `json:"Outputs"`
}

func template(ctx context.Context, c Clients, stack string) (deployedTemplate, error) {
	out, err := c.CloudFormation.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(stack), TemplateStage: cfntypes.TemplateStageOriginal})
	if err != nil {
		return deployedTemplate{}, fmt.Errorf("reading the template of %s: %w", stack, err)
	}
	var t deployedTemplate
	if err := json.Unmarshal([]byte(aws.ToString(out.TemplateBody)), &t); err != nil {
		return deployedTemplate{}, fmt.Errorf("reading the template of %s: not JSON (a template this app did not synthesize?): %w", stack, err)
	}
	return t, nil
}

// ssmParameter is a stack parameter of an SSM type: the SSM parameter's
// name and what CloudFormation resolved it to.
//
// Real CloudFormation shows the SSM parameter's name in ParameterValue and
// the value in ResolvedValue. An emulator (moto) shows the value in
// ParameterValue and no ResolvedValue; the name is then the template's
// default, which is what `cdk deploy` uses (it passes no value).
func ssmParameter(p cfntypes.Parameter, t deployedTemplate) (name, resolved string) {
	if p.ResolvedValue != nil {
		return aws.ToString(p.ParameterValue), aws.ToString(p.ResolvedValue)
	}
	def, _ := t.Parameters[aws.ToString(p.ParameterKey)].Default.(string)
	return def, aws.ToString(p.ParameterValue)
}

// findDrifts compares every SSM-typed parameter that the template's
// resources, conditions or outputs read with the parameter's value now.
// One read only by the template's rules (the CDK's BootstrapVersion)
// changes nothing deployed and is left alone. gone lists parameters that
// no longer exist.
func findDrifts(ctx context.Context, c Clients, st *cfntypes.Stack, t deployedTemplate) (drifts []Drift, gone []string, err error) {
	used := referenced(t.Resources, t.Conditions, t.Outputs)
	for _, p := range st.Parameters {
		key := aws.ToString(p.ParameterKey)
		if !strings.HasPrefix(t.Parameters[key].Type, ssmType) || !used[key] {
			continue
		}
		name, resolved := ssmParameter(p, t)
		if name == "" {
			continue
		}
		out, err := c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if apiCode(err) == "ParameterNotFound" {
			gone = append(gone, name)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading SSM parameter %s (for %s of %s): %w", name, key, aws.ToString(st.StackName), err)
		}
		if out.Parameter == nil {
			return nil, nil, fmt.Errorf("reading SSM parameter %s (for %s of %s): no parameter in the answer", name, key, aws.ToString(st.StackName))
		}
		if current := aws.ToString(out.Parameter.Value); current != resolved {
			drifts = append(drifts, Drift{Key: key, Name: name, Recorded: resolved, Current: current})
		}
	}
	return drifts, gone, nil
}

func inStepMessage(st *cfntypes.Stack, t deployedTemplate) string {
	used := referenced(t.Resources, t.Conditions, t.Outputs)
	var names []string
	for _, p := range st.Parameters {
		key := aws.ToString(p.ParameterKey)
		if strings.HasPrefix(t.Parameters[key].Type, ssmType) && used[key] {
			name, _ := ssmParameter(p, t)
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "its resources read no SSM parameter: nothing to bring in step"
	}
	return fmt.Sprintf("CloudFormation resolved %s at the last deploy to the value it holds now: nothing to do", strings.Join(names, ", "))
}

// referenced lists the template parameters that Ref or Fn::Sub names in
// the given parts of a template.
func referenced(parts ...any) map[string]bool {
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "Ref":
					if s, ok := e.(string); ok {
						out[s] = true
					}
				case "Fn::Sub":
					s, _ := e.(string)
					if l, ok := e.([]any); ok && len(l) > 0 {
						s, _ = l[0].(string)
					}
					for _, m := range strings.Split(s, "${")[1:] {
						if name, _, ok := strings.Cut(m, "}"); ok {
							out[name] = true
						}
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, p := range parts {
		walk(p)
	}
	return out
}

// previousParameters are the stack's parameters as they are, for an
// update with the previous template. SSM-typed ones pass the SSM
// parameter's name, which CloudFormation resolves again; a NoEcho one,
// whose value DescribeStacks masks, keeps its value with UsePreviousValue;
// the others pass their value. That is UsePreviousValue's meaning for all
// of them, spelled out (moto fails on UsePreviousValue for a parameter
// the deploy left at its default). A parameter the template does not
// declare is left out: moto keeps reporting one that an earlier template
// had (the endpoints mode's placeholder, after a switch back), and fails
// the update on it.
func previousParameters(st *cfntypes.Stack, t deployedTemplate) []cfntypes.Parameter {
	var out []cfntypes.Parameter
	for _, p := range st.Parameters {
		key := aws.ToString(p.ParameterKey)
		decl, declared := t.Parameters[key]
		switch {
		case !declared:
			continue
		case strings.HasPrefix(decl.Type, ssmType):
			name, _ := ssmParameter(p, t)
			out = append(out, cfntypes.Parameter{ParameterKey: aws.String(key), ParameterValue: aws.String(name)})
		case decl.NoEcho == true || decl.NoEcho == "true" || decl.NoEcho == "True":
			out = append(out, cfntypes.Parameter{ParameterKey: aws.String(key), UsePreviousValue: aws.Bool(true)})
		default:
			out = append(out, cfntypes.Parameter{ParameterKey: aws.String(key), ParameterValue: p.ParameterValue})
		}
	}
	return out
}

// update runs the previous-template update and waits for its end.
func update(ctx context.Context, c Clients, st *cfntypes.Stack, t deployedTemplate, res Result, opt Options) (Result, error) {
	stack := aws.ToString(st.StackName)
	for _, d := range res.Drifts {
		opt.logf("%s: %s now holds %s; CloudFormation last resolved it to %s, which is what a failed deploy would roll back to", stack, d.Name, d.Current, d.Recorded)
	}
	before, err := runningRevisions(ctx, c, stack)
	if err != nil {
		return res, err
	}
	token := opt.Token
	if token == "" {
		token = fmt.Sprintf("cfnsync-%d", time.Now().UnixNano())
	}
	opt.logf("%s: updating it with its previous template and parameters, so that CloudFormation resolves them again (no other change)…", stack)
	started := time.Now()
	_, err = c.CloudFormation.UpdateStack(ctx, &cloudformation.UpdateStackInput{
		StackName:           aws.String(stack),
		UsePreviousTemplate: aws.Bool(true),
		Parameters:          previousParameters(st, t),
		// The capabilities the stack was deployed with (its IAM roles).
		// No RoleARN: CloudFormation uses the role the stack already has.
		// No Tags or NotificationARNs: the stack keeps its own.
		Capabilities:       st.Capabilities,
		ClientRequestToken: aws.String(token),
	})
	if err != nil {
		if apiCode(err) == "ValidationError" && strings.Contains(err.Error(), "No updates are to be performed") {
			res.Outcome, res.Message = InStep, "CloudFormation found nothing to update: it already records the current values"
			return res, nil
		}
		return res, fmt.Errorf("updating %s with its previous template: %w", stack, err)
	}
	end, err := wait(ctx, c, stack, opt)
	if err != nil {
		return res, err
	}
	took := time.Since(started).Round(time.Second)
	if end.StackStatus == cfntypes.StackStatusUpdateComplete {
		// The update's own result: every drifted parameter resolves to the
		// value it held.
		drifts, _, err := findDrifts(ctx, c, end, t)
		if err != nil {
			return res, err
		}
		if len(drifts) > 0 {
			res.Outcome = Failed
			res.Message = fmt.Sprintf("updated in %s, but CloudFormation still resolves %s to %s, not %s", took, drifts[0].Name, drifts[0].Recorded, drifts[0].Current)
			res.Fix = "the parameter changed during the update (a pipeline release?): deploy again"
			return res, nil
		}
		res.Outcome = Synced
		res.Message = fmt.Sprintf("updated in %s: CloudFormation now records %s, so a deploy that fails rolls back to it", took, describeDrifts(res.Drifts))
		return res, nil
	}
	// Rolled back (or worse): CloudFormation put back what it had recorded,
	// which for an ECS service is the older revision. Put each service back
	// on the one it ran.
	res.Outcome = Failed
	reason := failureReason(ctx, c, stack, token)
	res.Message = fmt.Sprintf("the update ended %s after %s: %s", end.StackStatus, took, reason)
	restored, fix := restore(ctx, c, before, opt)
	res.Restored = restored
	res.Fix = "fix what the stack's events name, then deploy again (make deploy runs this sync first)"
	if fix != "" {
		res.Fix = fix + "; then " + res.Fix
	}
	return res, nil
}

func describeDrifts(ds []Drift) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Name+" = "+d.Current)
	}
	return strings.Join(parts, ", ")
}

// wait reads the stack until its update ends. ctx ending is an error that
// says the update goes on: cancelling it would roll the service back.
func wait(ctx context.Context, c Clients, stack string, opt Options) (*cfntypes.Stack, error) {
	poll := opt.Poll
	if poll <= 0 {
		poll = 10 * time.Second
	}
	for {
		st, err := describe(ctx, c, stack)
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		if err == nil && st == nil {
			return nil, fmt.Errorf("stack %s disappeared while it updated", stack)
		}
		if err == nil && !strings.HasSuffix(string(st.StackStatus), "_IN_PROGRESS") {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stack %s is still updating (%v): the update goes on in CloudFormation; follow it with aws cloudformation describe-stacks --stack-name %s%s, and do not cancel it (a cancelled update rolls the service back to the revision CloudFormation recorded)", stack, ctx.Err(), stack, opt.flags())
		case <-time.After(poll):
		}
	}
}

// failureReason is the first failure among the update's events.
func failureReason(ctx context.Context, c Clients, stack, token string) string {
	var first *cfntypes.StackEvent
	var next *string
	for page := 0; page < 10; page++ {
		out, err := c.CloudFormation.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack), NextToken: next})
		if err != nil {
			return fmt.Sprintf("(its events cannot be read: %v)", err)
		}
		for i := range out.StackEvents {
			e := &out.StackEvents[i]
			if aws.ToString(e.ClientRequestToken) != token {
				continue
			}
			if strings.HasSuffix(string(e.ResourceStatus), "_FAILED") && !strings.Contains(aws.ToString(e.ResourceStatusReason), "cancelled") {
				first = e // newest first: the last one seen is the earliest
			}
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if first == nil {
		return "the stack's events name no failed resource"
	}
	return fmt.Sprintf("%s (%s) %s: %s", aws.ToString(first.LogicalResourceId), aws.ToString(first.ResourceType), first.ResourceStatus, aws.ToString(first.ResourceStatusReason))
}

// service is an ECS service of the stack and the revision it runs.
type service struct {
	Cluster, Service, Revision string
}

// runningRevisions reads the revision each ECS service of the stack runs.
func runningRevisions(ctx context.Context, c Clients, stack string) ([]service, error) {
	var clusters, arns []string
	var next *string
	for {
		out, err := c.CloudFormation.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack), NextToken: next})
		if err != nil {
			return nil, fmt.Errorf("listing the resources of %s: %w", stack, err)
		}
		for _, r := range out.StackResourceSummaries {
			switch aws.ToString(r.ResourceType) {
			case "AWS::ECS::Cluster":
				clusters = append(clusters, aws.ToString(r.PhysicalResourceId))
			case "AWS::ECS::Service":
				arns = append(arns, aws.ToString(r.PhysicalResourceId))
			}
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	var out []service
	for _, arn := range arns {
		cluster, ok := clusterOf(arn)
		if !ok {
			if len(clusters) != 1 {
				return nil, fmt.Errorf("stack %s: cannot tell the cluster of service %s", stack, arn)
			}
			cluster = clusters[0]
		}
		d, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{arn}})
		if err != nil {
			return nil, fmt.Errorf("reading ECS service %s: %w", arn, err)
		}
		if len(d.Services) == 1 {
			out = append(out, service{Cluster: cluster, Service: arn, Revision: aws.ToString(d.Services[0].TaskDefinition)})
		}
	}
	return out, nil
}

// clusterOf reads the cluster out of a service ARN in the long format,
// arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME.
func clusterOf(serviceArn string) (string, bool) {
	_, rest, ok := strings.Cut(serviceArn, ":service/")
	if !ok {
		return "", false
	}
	cluster, _, ok := strings.Cut(rest, "/")
	return cluster, ok && cluster != ""
}

// restore puts every service whose revision changed back on the one it
// ran before the update. It returns what it restored, and the command to
// run for any it could not.
func restore(ctx context.Context, c Clients, before []service, opt Options) (restored []string, fix string) {
	var manual []string
	for _, s := range before {
		d, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: []string{s.Service}})
		if err == nil && len(d.Services) == 1 && aws.ToString(d.Services[0].TaskDefinition) == s.Revision {
			continue // the rollback left it where it was
		}
		if err == nil {
			_, err = c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(s.Cluster), Service: aws.String(s.Service), TaskDefinition: aws.String(s.Revision)})
		}
		if err != nil {
			opt.logf("%s: could not put it back on %s: %v", s.Service, s.Revision, err)
			manual = append(manual, fmt.Sprintf("aws ecs update-service --cluster %s --service %s --task-definition %s%s", s.Cluster, s.Service, s.Revision, opt.flags()))
			continue
		}
		opt.logf("%s: CloudFormation's rollback moved it off %s, the revision it ran (the released image); it is deploying that revision again", s.Service, s.Revision)
		restored = append(restored, s.Service+": "+s.Revision)
	}
	if len(manual) > 0 {
		fix = "put the service back on the revision it ran: " + strings.Join(manual, "; ")
	}
	return restored, fix
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
