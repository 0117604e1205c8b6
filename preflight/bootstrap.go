package preflight

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// bootstrapFacts is what the bootstrap check found.
type bootstrapFacts struct {
	Parameter string
	Required  int
	// Version is the parameter's value; Missing when there is none.
	Version string
	Missing bool
	Err     error
	// Toolkit is the CDKToolkit stack's status ("" when not found).
	Toolkit                  string
	Account, Region, Profile string
}

// toolkitStack is the CDK's default bootstrap stack name.
const toolkitStack = "CDKToolkit"

// checkBootstrap compares the bootstrap version parameter with what the
// templates' CheckBootstrapVersion rule requires.
func checkBootstrap(e *env) []Result {
	b, ok := e.a.Bootstrap()
	if !ok {
		return []Result{{Check: "bootstrap", Status: OK, Found: "the templates do not check a bootstrap version (no BootstrapVersion parameter)"}}
	}
	f := bootstrapFacts{Parameter: b.Parameter, Required: b.Required, Account: e.account, Region: e.region, Profile: e.profile}
	out, err := e.c.SSM.GetParameter(e.ctx, &ssm.GetParameterInput{Name: aws.String(b.Parameter)})
	switch {
	case apiCode(err) == "ParameterNotFound":
		f.Missing = true
	case err != nil:
		f.Err = err
	default:
		f.Version = deref(out.Parameter.Value)
	}
	if st, err := e.describeStack(toolkitStack); err == nil && st != nil {
		f.Toolkit = string(st.StackStatus)
	}
	return []Result{bootstrapResult(f)}
}

// bootstrapResult is the bootstrap line.
func bootstrapResult(f bootstrapFacts) Result {
	r := Result{Check: "bootstrap"}
	fix := fmt.Sprintf("npx cdk bootstrap aws://%s/%s%s", f.Account, f.Region, profileFlag(f.Profile))
	need := fmt.Sprintf("the templates need version %d or later", f.Required)
	toolkit := "no " + toolkitStack + " stack"
	if f.Toolkit != "" {
		toolkit = toolkitStack + " " + f.Toolkit
	}
	switch {
	case f.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("could not read %s: %s; %s", f.Parameter, short(f.Err), need)
		r.Fix = "allow ssm:GetParameter on it, or check with: aws ssm get-parameter --name " + f.Parameter + " --region " + f.Region + profileFlag(f.Profile)
	case f.Missing:
		r.Status = Fail
		r.Found = fmt.Sprintf("account %s is not bootstrapped in %s: no SSM parameter %s (%s); %s", f.Account, f.Region, f.Parameter, toolkit, need)
		r.Fix = fix
	default:
		v, err := strconv.Atoi(strings.TrimSpace(f.Version))
		switch {
		case err != nil:
			r.Status = Warn
			r.Found = fmt.Sprintf("%s holds %q, not a version number; %s", f.Parameter, f.Version, need)
			r.Fix = fix
		case v < f.Required:
			r.Status = Fail
			r.Found = fmt.Sprintf("bootstrapped with version %d (%s), but %s: the deploy would fail on the CheckBootstrapVersion rule", v, toolkit, need)
			r.Fix = fix + " (upgrades the bootstrap stack in place)"
		default:
			r.Status = OK
			r.Found = fmt.Sprintf("bootstrapped with version %d (%s); %s", v, toolkit, need)
		}
	}
	return r
}
