// Package nag holds the app's cdk-nag suppressions helper (gates_test.go
// lists them in docs/quality-gates.md). Every suppression sits on the
// narrowest construct and says why the finding does not apply here.
package nag

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Finding narrows a suppression to one wildcard of an IAM5 finding, e.g.
// "Resource::*", or, with Regex, to every finding matching a pattern.
type Finding struct {
	Exact string
	Regex string
}

// Suppress records that rule does not apply to c's CloudFormation resource
// (c itself when it is one) for reason, optionally only for the given
// findings. It never spreads to children: each suppression stays on the
// one resource it was written for. cdk-nag rejects reasons shorter than 10
// characters.
func Suppress(c constructs.IConstruct, rule, reason string, findings ...Finding) {
	if child := c.Node().DefaultChild(); child != nil {
		c = child
	}
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(findings) > 0 {
		applies := make([]interface{}, 0, len(findings))
		for _, f := range findings {
			if f.Regex != "" {
				applies = append(applies, &cdknag.RegexAppliesTo{Regex: jsii.String(f.Regex)})
			} else {
				applies = append(applies, jsii.String(f.Exact))
			}
		}
		s.AppliesTo = &applies
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(false))
}

// DefaultPolicy is a role's default policy, where the CDK's grants land:
// the narrowest construct for an IAM5 suppression. Call it after the
// grants, once the policy exists.
func DefaultPolicy(role constructs.IConstruct) constructs.IConstruct {
	p := role.Node().TryFindChild(jsii.String("DefaultPolicy"))
	if p == nil {
		panic("nag.DefaultPolicy: " + *role.Node().Path() + " has no default policy yet; suppress after granting")
	}
	return p
}
