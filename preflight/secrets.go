package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// secretRef is one secret the templates read, with the variables it fills.
type secretRef struct {
	// Kind is "secretsmanager" or "ssm"; ID is the secret's ARN (without a
	// JSON key) or the parameter's ARN; Name is the parameter's name.
	Kind, ID, Name  string
	Region, Account string
	// Vars are the variables it fills: "API_KEY (demo-dev-service)".
	Vars []string
	// NotARN: the value is no ARN and is never shown (it may be the secret
	// itself, pasted by mistake).
	NotARN bool
}

// secretFacts is what the account says about one secret.
type secretFacts struct {
	Ref             secretRef
	DeployRegion    string
	DeployAccount   string
	Exists, Deleted bool
	Err             error
	Profile         string
}

// checkSecrets checks that every secret the task definitions and build
// projects read exists in the deploy's region and can be described.
func checkSecrets(e *env) []Result {
	refs := templateSecrets(e.a)
	if len(refs) == 0 {
		return []Result{{Check: "secrets", Status: OK, Found: "the templates read no secret (no secrets, no dockerHubSecretArn)"}}
	}
	var results []Result
	for _, ref := range refs {
		f := secretFacts{Ref: ref, DeployRegion: e.region, DeployAccount: e.account, Profile: e.profile}
		if !ref.NotARN && ref.Region == e.region && (ref.Account == e.account || ref.Kind == "secretsmanager") {
			f.Exists, f.Deleted, f.Err = e.describeSecret(ref)
		}
		results = append(results, secretResult(f))
	}
	return results
}

// describeSecret describes a secret or a parameter, never reading its value.
func (e *env) describeSecret(ref secretRef) (exists, deleted bool, err error) {
	switch ref.Kind {
	case "secretsmanager":
		out, err := e.c.Secrets.DescribeSecret(e.ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref.ID)})
		if apiCode(err) == "ResourceNotFoundException" {
			return false, false, nil
		}
		if err != nil {
			return false, false, err
		}
		return true, out.DeletedDate != nil, nil
	default:
		out, err := e.c.SSM.DescribeParameters(e.ctx, &ssm.DescribeParametersInput{
			ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{ref.Name}}},
		})
		if err != nil {
			return false, false, err
		}
		return len(out.Parameters) > 0, false, nil
	}
}

// templateSecrets lists the secrets of every task definition (container
// secrets, log secret options) and build project (SECRETS_MANAGER and
// PARAMETER_STORE variables), one per secret, sorted by ID.
func templateSecrets(a *Assembly) []secretRef {
	byID := map[string]*secretRef{}
	add := func(value, variable, stack string, region string) {
		ref := parseSecret(value, region)
		key := ref.Kind + " " + ref.ID
		if ref.NotARN {
			key = "not-arn " + variable + " " + stack
		}
		if byID[key] == nil {
			byID[key] = &ref
		}
		v := fmt.Sprintf("%s (%s)", variable, stack)
		if !slices.Contains(byID[key].Vars, v) {
			byID[key].Vars = append(byID[key].Vars, v)
		}
	}
	for _, s := range a.Stacks {
		for _, id := range s.Template.ofType("AWS::ECS::TaskDefinition") {
			defs, _ := s.Template.Resources[id].Properties["ContainerDefinitions"].([]any)
			for _, d := range defs {
				def, _ := d.(map[string]any)
				lists := []any{def["Secrets"]}
				if lc, ok := def["LogConfiguration"].(map[string]any); ok {
					lists = append(lists, lc["SecretOptions"])
				}
				for _, l := range lists {
					items, _ := l.([]any)
					for _, it := range items {
						m, _ := it.(map[string]any)
						name, _ := m["Name"].(string)
						if v, ok := m["ValueFrom"].(string); ok {
							add(v, name, s.Name, "")
						}
					}
				}
			}
		}
		for _, id := range s.Template.ofType("AWS::CodeBuild::Project") {
			envp, _ := s.Template.Resources[id].Properties["Environment"].(map[string]any)
			vars, _ := envp["EnvironmentVariables"].([]any)
			for _, v := range vars {
				m, _ := v.(map[string]any)
				name, _ := m["Name"].(string)
				value, ok := m["Value"].(string)
				if !ok {
					continue
				}
				switch m["Type"] {
				case "SECRETS_MANAGER":
					add(value, name, s.Name, "secretsmanager")
				case "PARAMETER_STORE":
					add(value, name, s.Name, "ssm")
				}
			}
		}
	}
	var out []secretRef
	for _, k := range sortedKeys(byID) {
		out = append(out, *byID[k])
	}
	return out
}

// parseSecret reads a secret reference: a Secrets Manager ARN, possibly
// with ":json-key:version-stage:version-id"; an SSM parameter ARN; or, in
// a build project (kind), a secret or parameter name in the deploy's
// region (Region "").
func parseSecret(value, kind string) secretRef {
	parts := strings.Split(value, ":")
	if len(parts) >= 6 && parts[0] == "arn" {
		ref := secretRef{Kind: parts[2], Region: parts[3], Account: parts[4]}
		switch {
		case ref.Kind == "secretsmanager" && len(parts) >= 7 && parts[5] == "secret":
			ref.ID = strings.Join(parts[:7], ":")
			return ref
		case ref.Kind == "ssm" && strings.HasPrefix(parts[5], "parameter/"):
			ref.ID = strings.Join(parts[:6], ":")
			ref.Name = strings.TrimPrefix(parts[5], "parameter")
			if strings.Count(ref.Name, "/") == 1 {
				ref.Name = strings.TrimPrefix(ref.Name, "/")
			}
			return ref
		}
	}
	if kind == "secretsmanager" && value != "" {
		id, _, _ := strings.Cut(value, ":")
		return secretRef{Kind: kind, ID: id}
	}
	if kind == "ssm" && value != "" {
		return secretRef{Kind: kind, ID: value, Name: value}
	}
	return secretRef{NotARN: true}
}

// secretResult is the line of one secret.
func secretResult(f secretFacts) Result {
	r := Result{Check: "secrets"}
	ref := f.Ref
	vars := strings.Join(ref.Vars, ", ")
	what := "secret " + ref.ID
	if ref.Kind == "ssm" {
		what = "SSM parameter " + ref.ID
	}
	region := ref.Region
	if region == "" {
		region = f.DeployRegion
	}
	switch {
	case ref.NotARN:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s: the value is not a Secrets Manager or SSM parameter ARN (not shown, in case it is the secret itself)", vars)
		r.Fix = "set it to the ARN of the secret (aws secretsmanager list-secrets --region " + f.DeployRegion + profileFlag(f.Profile) + ")"
	case region != f.DeployRegion:
		r.Status = Fail
		r.Found = fmt.Sprintf("%s (for %s) is in %s, but the deploy is in %s", what, vars, region, f.DeployRegion)
		if ref.Kind == "secretsmanager" {
			r.Fix = fmt.Sprintf("use a secret in %s: replicate it (aws secretsmanager replicate-secret-to-regions --secret-id %s --add-replica-regions Region=%s --region %s%s) and set the replica's ARN",
				f.DeployRegion, ref.ID, f.DeployRegion, region, profileFlag(f.Profile))
		} else {
			r.Fix = fmt.Sprintf("create the parameter in %s (aws ssm put-parameter --name %s --type SecureString --value … --region %s%s) and set its ARN", f.DeployRegion, ref.Name, f.DeployRegion, profileFlag(f.Profile))
		}
	case ref.Kind == "ssm" && ref.Account != "" && ref.Account != f.DeployAccount:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s (for %s) is in account %s: preflight cannot describe another account's parameter", what, vars, ref.Account)
		r.Fix = "make sure it is shared with account " + f.DeployAccount + " (AWS RAM) and that the execution role may read it"
	case f.Err != nil:
		r.Status = Warn
		r.Found = fmt.Sprintf("could not describe %s (for %s): %s", what, vars, short(f.Err))
		if ref.Kind == "secretsmanager" {
			r.Fix = "allow secretsmanager:DescribeSecret on it (another account's secret needs a resource policy that admits this one)"
		} else {
			r.Fix = "allow ssm:DescribeParameters"
		}
	case !f.Exists:
		r.Status = Fail
		r.Found = fmt.Sprintf("%s (for %s) does not exist in %s: tasks (or builds) would fail to start", what, vars, f.DeployRegion)
		if ref.Kind == "secretsmanager" {
			r.Fix = "create it (aws secretsmanager create-secret --name NAME --region " + f.DeployRegion + profileFlag(f.Profile) + ") and set its ARN, or correct the ARN in cdk.json"
		} else {
			r.Fix = "create it (aws ssm put-parameter --name " + ref.Name + " --type SecureString --value … --region " + f.DeployRegion + profileFlag(f.Profile) + "), or correct the ARN in cdk.json"
		}
	case f.Deleted:
		r.Status = Fail
		r.Found = fmt.Sprintf("%s (for %s) is scheduled for deletion: it cannot be read", what, vars)
		r.Fix = "restore it: aws secretsmanager restore-secret --secret-id " + ref.ID + " --region " + f.DeployRegion + profileFlag(f.Profile)
	default:
		r.Status = OK
		r.Found = fmt.Sprintf("%s (for %s) exists in %s", what, vars, f.DeployRegion)
	}
	return r
}
