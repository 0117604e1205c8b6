package preflight

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// identityFacts is what the identity check found.
type identityFacts struct {
	Account, Arn                string
	Region, ProfileRegion       string
	PinnedAccount, PinnedRegion string
	Profile                     string
}

// checkIdentity asks who the caller is; an error means preflight cannot run.
func checkIdentity(e *env, profileRegion string) (Result, error) {
	out, err := e.c.STS.GetCallerIdentity(e.ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Result{}, fmt.Errorf("%w (sts:GetCallerIdentity): %s", ErrIdentity, short(err))
	}
	pa, pr, err := e.a.Pinned()
	if err != nil {
		return Result{}, err
	}
	e.account = deref(out.Account)
	return identityResult(identityFacts{
		Account: e.account, Arn: deref(out.Arn), Region: e.region, ProfileRegion: profileRegion,
		PinnedAccount: pa, PinnedRegion: pr, Profile: e.profile,
	}), nil
}

// identityResult is the identity line: the caller's account and region,
// and whether they match the pinned ones.
func identityResult(f identityFacts) Result {
	r := Result{Check: "identity", Status: OK}
	where := "region " + f.Region
	switch {
	case f.PinnedRegion == "":
		where += " (the profile's; the stacks are not pinned to a region)"
	case f.ProfileRegion != "" && f.ProfileRegion != f.PinnedRegion:
		where += fmt.Sprintf(" (pinned; the profile's region %s is not used)", f.ProfileRegion)
	default:
		where += " (pinned)"
	}
	who := fmt.Sprintf("%s in account %s", f.Arn, f.Account)
	if f.PinnedAccount != "" && f.PinnedAccount != f.Account {
		r.Status = Fail
		r.Found = fmt.Sprintf("%s, but the stacks are pinned to account %s; %s", who, f.PinnedAccount, where)
		r.Fix = fmt.Sprintf("use credentials of account %s (make deploy PROFILE=<a profile of %s>), or change `account` in cdk.json", f.PinnedAccount, f.PinnedAccount)
		return r
	}
	if f.PinnedAccount != "" {
		who += " (pinned)"
	}
	r.Found = who + ", " + where
	return r
}
