//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// Responder answers the custom resources of stacks being created in moto.
//
// moto invokes a custom resource's Lambda function in Docker, which these
// machines do not have, so nothing would ever answer and the stack would
// stay CREATE_IN_PROGRESS. The Responder stands in for the function: for
// each custom resource type it knows, it does against moto's API what the
// CDK's handler does against AWS, then sends the response to the URL moto
// waits on. A type it does not know is an error, never a blind SUCCESS:
// that would hide the work the function exists to do.
//
// moto waits for custom resources on stack creation only (an update or a
// delete completes at once), so only creations are answered.
type Responder struct {
	CFN      *cloudformation.Client
	EC2      *ec2.Client
	ECR      *ecr.Client
	SSM      *ssm.Client
	Endpoint string
	// Log receives one line per answered resource.
	Log      io.Writer
	answered map[string]bool
}

// standIn does a custom resource's work and returns its response Data.
type standIn func(ctx context.Context, r *Responder, stack cfntypes.Stack, props map[string]any) (map[string]any, error)

// standIns are the custom resource types the stacks under test create.
var standIns = map[string]standIn{
	"Custom::VpcRestrictDefaultSG":  restrictDefaultSecurityGroup,
	"Custom::PlaceholderImageCache": fillPlaceholderCache,
	"Custom::CreateOnlyParameter":   awsSdkCreate,
}

// physicalIDKey is the key of a stand-in's Data that carries the physical
// ID the handler would answer with; it is not sent as Data.
const physicalIDKey = "\x00PhysicalResourceId"

// Poll answers every custom resource of every stack now in
// CREATE_IN_PROGRESS that it has not answered yet.
func (r *Responder) Poll(ctx context.Context) error {
	if r.answered == nil {
		r.answered = map[string]bool{}
	}
	var stacks []cfntypes.Stack
	p := cloudformation.NewDescribeStacksPaginator(r.CFN, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the stacks: %w", err)
		}
		stacks = append(stacks, page.Stacks...)
	}
	for _, stack := range stacks {
		if stack.StackStatus != cfntypes.StackStatusCreateInProgress {
			continue
		}
		out, err := r.CFN.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: stack.StackId})
		if err != nil {
			return fmt.Errorf("stack %s: reading its template: %w", aws.ToString(stack.StackName), err)
		}
		tmpl, err := ParseTemplate([]byte(aws.ToString(out.TemplateBody)))
		if err != nil {
			return fmt.Errorf("stack %s: %w", aws.ToString(stack.StackName), err)
		}
		var ids []string
		for id, res := range tmpl.Resources {
			if IsCustomResource(res.Type) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			key := aws.ToString(stack.StackId) + "/" + id
			if r.answered[key] {
				continue
			}
			res := tmpl.Resources[id]
			do, ok := standIns[res.Type]
			if !ok {
				return fmt.Errorf("stack %s: custom resource %s is of type %s, which the e2e harness has no stand-in for: moto cannot run its Lambda function (no Docker), and answering SUCCESS without its work would hide what it does; add a stand-in to e2e/customresources.go", aws.ToString(stack.StackName), id, res.Type)
			}
			data, err := do(ctx, r, stack, res.Properties)
			if err != nil {
				return fmt.Errorf("stack %s: custom resource %s (%s): %w", aws.ToString(stack.StackName), id, res.Type, err)
			}
			physical := "e2e-" + id
			if p, ok := data[physicalIDKey].(string); ok {
				physical = p
				delete(data, physicalIDKey)
			}
			if err := r.finishDependents(ctx, stack, tmpl, id, data); err != nil {
				return fmt.Errorf("stack %s: custom resource %s (%s): %w", aws.ToString(stack.StackName), id, res.Type, err)
			}
			if err := r.respond(ctx, stack, id, physical, data); err != nil {
				return fmt.Errorf("stack %s: custom resource %s (%s): %w", aws.ToString(stack.StackName), id, res.Type, err)
			}
			r.answered[key] = true
			if r.Log != nil {
				fmt.Fprintf(r.Log, "cfn-responder: %s: answered %s (%s) after doing its handler's work\n", aws.ToString(stack.StackName), id, res.Type)
			}
		}
	}
	return nil
}

// finishDependents gives the resources that read the custom resource's
// attributes the values CloudFormation would have: CloudFormation creates
// them after the resource answered, moto creates them at once, with the
// attribute missing (seen: the placeholder parameter held
// "…/nginx/nginx@None"). The one such resource the stacks have is the
// NetworkStack's placeholder parameter (an AWS::SSM::Parameter whose Value
// joins the cache fill's ImageDigest): it is written again with the
// answered value, before the answer lets the stack complete. Any other
// resource that reads an attribute is an error: the harness would hide a
// wrong value.
func (r *Responder) finishDependents(ctx context.Context, stack cfntypes.Stack, tmpl Template, id string, data map[string]any) error {
	ids := make([]string, 0, len(tmpl.Resources))
	for other := range tmpl.Resources {
		ids = append(ids, other)
	}
	slices.Sort(ids)
	for _, other := range ids {
		res := tmpl.Resources[other]
		body, _ := json.Marshal(res.Properties)
		if !strings.Contains(string(body), `{"Fn::GetAtt":["`+id+`",`) {
			continue
		}
		if res.Type != "AWS::SSM::Parameter" {
			return fmt.Errorf("%s (%s) reads its attributes, and the stand-in can finish only an AWS::SSM::Parameter", other, res.Type)
		}
		value, err := r.resolve(stack, res.Properties["Value"], id, data)
		if err != nil {
			return fmt.Errorf("resolving the value of %s: %w", other, err)
		}
		name, _ := res.Properties["Name"].(string)
		if _, err := r.SSM.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
			return fmt.Errorf("writing %s (%s) with the answered value: %w", name, other, err)
		}
		if r.Log != nil {
			fmt.Fprintf(r.Log, "cfn-responder: %s: wrote %s = %s, as CloudFormation would create %s after %s answered\n", aws.ToString(stack.StackName), name, value, other, id)
		}
	}
	return nil
}

// resolve evaluates a template string of Fn::Join, the pseudo parameters
// and Fn::GetAtt of the answered custom resource.
func (r *Responder) resolve(stack cfntypes.Stack, v any, id string, data map[string]any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			switch ref {
			case "AWS::AccountId":
				return AccountOfStack(aws.ToString(stack.StackId))
			case "AWS::Region":
				return Region, nil
			case "AWS::URLSuffix":
				return "amazonaws.com", nil
			case "AWS::Partition":
				return "aws", nil
			}
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 && ga[0] == id {
			if s, ok := data[fmt.Sprint(ga[1])].(string); ok {
				return s, nil
			}
			return "", fmt.Errorf("the answer has no attribute %v", ga[1])
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			parts, _ := j[1].([]any)
			var out []string
			for _, p := range parts {
				s, err := r.resolve(stack, p, id, data)
				if err != nil {
					return "", err
				}
				out = append(out, s)
			}
			sep, _ := j[0].(string)
			return strings.Join(out, sep), nil
		}
	}
	return "", fmt.Errorf("cannot resolve %v", v)
}

// respond sends SUCCESS to the URL moto gives the function as ResponseURL,
// with the body the CDK's provider framework sends.
func (r *Responder) respond(ctx context.Context, stack cfntypes.Stack, logicalID, physicalID string, data map[string]any) error {
	body, err := json.Marshal(map[string]any{
		"Status":             "SUCCESS",
		"Reason":             "done by the e2e harness's stand-in for the Lambda function",
		"StackId":            aws.ToString(stack.StackId),
		"RequestId":          "e2e-" + logicalID,
		"LogicalResourceId":  logicalID,
		"PhysicalResourceId": physicalID,
		"Data":               data,
	})
	if err != nil {
		return err
	}
	u := fmt.Sprintf("%s/cloudformation_%s/cfnresponse?stack=%s", r.Endpoint, Region, url.QueryEscape(aws.ToString(stack.StackId)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "")
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sending the response to moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("sending the response to moto: HTTP %d: %s", resp.StatusCode, msg)
	}
	return nil
}

// restrictDefaultSecurityGroup does what the CDK's handler for
// Custom::VpcRestrictDefaultSG does on Create (aws-cdk-lib,
// restrict-default-security-group-handler): revoke the default security
// group's egress to 0.0.0.0/0 and its ingress from itself. A rule that is
// not there is no error, as in the handler (moto's default group has no
// self-referencing ingress to begin with).
func restrictDefaultSecurityGroup(ctx context.Context, r *Responder, stack cfntypes.Stack, props map[string]any) (map[string]any, error) {
	groupID, err := r.defaultSecurityGroup(ctx, stack, props["DefaultSecurityGroupId"])
	if err != nil {
		return nil, err
	}
	account, err := AccountOfStack(aws.ToString(stack.StackId))
	if err != nil {
		return nil, err
	}
	if ref, ok := props["Account"].(map[string]any); !ok || ref["Ref"] != "AWS::AccountId" {
		return nil, fmt.Errorf("property Account is %v, not {Ref: AWS::AccountId}: the stand-in resolves only that", props["Account"])
	}
	_, err = r.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
		GroupId: aws.String(groupID),
		IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("-1"),
			IpRanges:   []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
		}},
	})
	if err := ignoreNotFound(err); err != nil {
		return nil, fmt.Errorf("revoking the egress of %s: %w", groupID, err)
	}
	_, err = r.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(groupID),
		IpPermissions: []ec2types.IpPermission{{
			IpProtocol:       aws.String("-1"),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(groupID), UserId: aws.String(account)}},
		}},
	})
	if err := ignoreNotFound(err); err != nil {
		return nil, fmt.Errorf("revoking the ingress of %s: %w", groupID, err)
	}
	return map[string]any{}, nil
}

// fillPlaceholderCache stands in for Custom::PlaceholderImageCache
// (constructs/placeholdercache): on AWS its function pulls the placeholder
// through the stack's pull-through cache rule, which creates the repository
// and stores the image, then waits until ECR holds it. moto has neither the
// rule nor an upstream registry, so the stand-in leaves the account as that
// pull does, the repository holding the tag with an image manifest for the
// platform, and then checks, as the function does, that ECR has it. What
// the function does against a real registry is tested by
// constructs/placeholdercache/index.test.js.
func fillPlaceholderCache(ctx context.Context, r *Responder, stack cfntypes.Stack, props map[string]any) (map[string]any, error) {
	repo, _ := props["RepositoryName"].(string)
	tag, _ := props["Tag"].(string)
	platform, _ := props["Platform"].(string)
	osName, arch, ok := strings.Cut(platform, "/")
	if repo == "" || tag == "" || !ok {
		return nil, fmt.Errorf("properties RepositoryName %q, Tag %q, Platform %q: want a repository, a tag and os/arch", repo, tag, platform)
	}
	_, err := r.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)})
	if err != nil && apiCode(err) != "RepositoryAlreadyExistsException" {
		return nil, fmt.Errorf("creating %s, as the cache does on the first pull: %w", repo, err)
	}
	config := fmt.Sprintf(`{"architecture":%q,"os":%q}`, arch, osName)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%x","size":%d},"layers":[]}`, sha256.Sum256([]byte(config)), len(config))
	_, err = r.ECR.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag), ImageManifest: aws.String(manifest)})
	if err != nil && apiCode(err) != "ImageAlreadyExistsException" {
		return nil, fmt.Errorf("storing %s:%s, as the cache does on the first pull: %w", repo, tag, err)
	}
	out, err := r.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
	if err != nil || len(out.ImageDetails) != 1 {
		return nil, fmt.Errorf("%s:%s is not in ECR after the fill: %v", repo, tag, err)
	}
	digest := aws.ToString(out.ImageDetails[0].ImageDigest)
	return map[string]any{"ImageDigest": digest, "PlatformDigest": digest, "Layers": "0"}, nil
}

// awsSdkCreate stands in for the CDK's AwsCustomResource handler on Create
// (aws-cdk-lib, custom-resources/aws-custom-resource): it makes the SDK call
// of the Create property against moto, ignores an error whose code matches
// ignoreErrorCodesMatching, as the handler does, and answers with the
// call's physicalResourceId. It knows the calls the stacks make, SSM
// PutParameter (constructs.CreateOnlyParameter), and refuses any other.
func awsSdkCreate(ctx context.Context, r *Responder, stack cfntypes.Stack, props map[string]any) (map[string]any, error) {
	text, _ := props["Create"].(string)
	var call struct {
		Service, Action          string
		Parameters               map[string]any
		PhysicalResourceID       struct{ ID string } `json:"physicalResourceId"`
		IgnoreErrorCodesMatching string
	}
	if err := json.Unmarshal([]byte(text), &call); err != nil {
		return nil, fmt.Errorf("property Create %q: %w", text, err)
	}
	service := strings.TrimPrefix(strings.ToLower(call.Service), "@aws-sdk/client-")
	if service != "ssm" || !strings.EqualFold(call.Action, "PutParameter") {
		return nil, fmt.Errorf("the stand-in makes SSM PutParameter calls only, not %s %s", call.Service, call.Action)
	}
	str := func(k string) *string {
		if v, ok := call.Parameters[k].(string); ok {
			return aws.String(v)
		}
		return nil
	}
	overwrite, _ := call.Parameters["Overwrite"].(bool)
	_, err := r.SSM.PutParameter(ctx, &ssm.PutParameterInput{
		Name: str("Name"), Value: str("Value"), Type: ssmtypes.ParameterType(aws.ToString(str("Type"))),
		Description: str("Description"), Overwrite: aws.Bool(overwrite),
	})
	if err != nil {
		ignore, rerr := regexp.Compile(call.IgnoreErrorCodesMatching)
		if call.IgnoreErrorCodesMatching == "" || rerr != nil || !ignore.MatchString(apiCode(err)) {
			return nil, fmt.Errorf("SSM PutParameter %s: %w", aws.ToString(str("Name")), err)
		}
	}
	physical := call.PhysicalResourceID.ID
	if physical == "" {
		return nil, fmt.Errorf("property Create names no physicalResourceId.id: %s", text)
	}
	return map[string]any{physicalIDKey: physical}, nil
}

// apiCode is the error code of an AWS API error, or "".
func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// defaultSecurityGroup resolves {Fn::GetAtt: [VPC, DefaultSecurityGroup]}
// to the VPC's default security group, as CloudFormation does.
func (r *Responder) defaultSecurityGroup(ctx context.Context, stack cfntypes.Stack, v any) (string, error) {
	m, _ := v.(map[string]any)
	getAtt, _ := m["Fn::GetAtt"].([]any)
	if len(getAtt) != 2 || getAtt[1] != "DefaultSecurityGroup" {
		return "", fmt.Errorf("property DefaultSecurityGroupId is %v, not {Fn::GetAtt: [VPC, DefaultSecurityGroup]}: the stand-in resolves only that", v)
	}
	logicalID, _ := getAtt[0].(string)
	res, err := r.CFN.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{
		StackName: stack.StackId, LogicalResourceId: aws.String(logicalID),
	})
	if err != nil {
		return "", fmt.Errorf("resolving the VPC %s: %w", logicalID, err)
	}
	vpcID := aws.ToString(res.StackResourceDetail.PhysicalResourceId)
	out, err := r.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil {
		return "", fmt.Errorf("finding the default security group of %s: %w", vpcID, err)
	}
	if len(out.SecurityGroups) != 1 {
		return "", fmt.Errorf("VPC %s has %d security groups named default, want 1", vpcID, len(out.SecurityGroups))
	}
	return aws.ToString(out.SecurityGroups[0].GroupId), nil
}

// ignoreNotFound drops the one error the CDK's handler ignores.
func ignoreNotFound(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidPermission.NotFound" {
		return nil
	}
	return err
}
