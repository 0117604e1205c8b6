package preflight

import (
	"errors"
	"strings"
	"testing"
)

// msg is one case of a message table: the result a check's facts give.
type msg struct {
	name   string
	got    Result
	status Status
	found  []string // substrings of Found
	fix    []string // substrings of Fix; nil: no fix
	not    []string // substrings neither may contain
}

func checkMessages(t *testing.T, check string, cases []msg) {
	t.Helper()
	for _, tc := range cases {
		t.Run(check+"/"+tc.name, func(t *testing.T) {
			r := tc.got
			if r.Check != check {
				t.Errorf("check %q, want %q", r.Check, check)
			}
			if r.Status != tc.status {
				t.Errorf("status %s, want %s: %s", r.Status, tc.status, r.Found)
			}
			mustContain(t, "found", r.Found, tc.found...)
			if tc.fix == nil && r.Fix != "" {
				t.Errorf("a fix where none is due: %s", r.Fix)
			}
			if tc.fix != nil && r.Fix == "" {
				t.Errorf("no fix for %s", r.Status)
			}
			mustContain(t, "fix", r.Fix, tc.fix...)
			for _, n := range tc.not {
				if strings.Contains(r.Found+r.Fix, n) {
					t.Errorf("the message contains %q:\n%s\n%s", n, r.Found, r.Fix)
				}
			}
			if (r.Status == Fail || r.Status == Warn) && r.Fix == "" {
				t.Errorf("%s without a fix", r.Status)
			}
		})
	}
}

var errDenied = apiErr("AccessDenied", "User is not authorized")

func TestIdentityMessages(t *testing.T) {
	base := identityFacts{Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/me", Region: "eu-west-1", ProfileRegion: "eu-west-1"}
	with := func(f func(*identityFacts)) identityFacts { c := base; f(&c); return c }
	checkMessages(t, "identity", []msg{
		{"not pinned", identityResult(base), OK, []string{"arn:aws:iam::123456789012:user/me in account 123456789012", "region eu-west-1 (the profile's; the stacks are not pinned to a region)"}, nil, nil},
		{"pinned, matching", identityResult(with(func(f *identityFacts) { f.PinnedAccount, f.PinnedRegion = "123456789012", "eu-west-1" })), OK,
			[]string{"account 123456789012 (pinned)", "region eu-west-1 (pinned)"}, nil, nil},
		{"pinned region, another profile region", identityResult(with(func(f *identityFacts) { f.PinnedRegion, f.ProfileRegion = "eu-west-1", "us-east-1" })), OK,
			[]string{"region eu-west-1 (pinned; the profile's region us-east-1 is not used)"}, nil, nil},
		{"another account", identityResult(with(func(f *identityFacts) { f.PinnedAccount = "999999999999" })), Fail,
			[]string{"but the stacks are pinned to account 999999999999"}, []string{"use credentials of account 999999999999", "PROFILE="}, nil},
	})
}

func TestBootstrapMessages(t *testing.T) {
	base := bootstrapFacts{Parameter: "/cdk-bootstrap/hnb659fds/version", Required: 6, Account: "123456789012", Region: "eu-west-1", Profile: "cdkdemo", Toolkit: "UPDATE_COMPLETE"}
	with := func(f func(*bootstrapFacts)) bootstrapFacts { c := base; f(&c); return c }
	checkMessages(t, "bootstrap", []msg{
		{"current", bootstrapResult(with(func(f *bootstrapFacts) { f.Version = "30" })), OK,
			[]string{"bootstrapped with version 30 (CDKToolkit UPDATE_COMPLETE); the templates need version 6 or later"}, nil, nil},
		{"exactly the version", bootstrapResult(with(func(f *bootstrapFacts) { f.Version = "6" })), OK, []string{"version 6 ("}, nil, nil},
		{"old", bootstrapResult(with(func(f *bootstrapFacts) { f.Version = "5" })), Fail,
			[]string{"bootstrapped with version 5", "the templates need version 6 or later", "CheckBootstrapVersion"},
			[]string{"npx cdk bootstrap aws://123456789012/eu-west-1 --profile cdkdemo", "upgrades"}, nil},
		{"missing", bootstrapResult(with(func(f *bootstrapFacts) { f.Missing, f.Toolkit = true, "" })), Fail,
			[]string{"account 123456789012 is not bootstrapped in eu-west-1", "no SSM parameter /cdk-bootstrap/hnb659fds/version", "no CDKToolkit stack"},
			[]string{"npx cdk bootstrap aws://123456789012/eu-west-1 --profile cdkdemo"}, nil},
		{"not a number", bootstrapResult(with(func(f *bootstrapFacts) { f.Version = "x" })), Warn, []string{`holds "x", not a version number`}, []string{"npx cdk bootstrap"}, nil},
		{"denied", bootstrapResult(with(func(f *bootstrapFacts) { f.Err = errDenied })), Warn,
			[]string{"could not read /cdk-bootstrap/hnb659fds/version: AccessDenied"}, []string{"aws ssm get-parameter --name /cdk-bootstrap/hnb659fds/version --region eu-west-1 --profile cdkdemo"}, nil},
	})
}

func TestExportsMessages(t *testing.T) {
	changes := []exportChange{
		{Export: "net:ExportsOutputRefVpc", Why: "Vpc (AWS::EC2::VPC) is replaced: CidrBlock changes from 10.0.0.0/16 to 10.1.0.0/16"},
		{Export: "net:ExportsOutputRefSubnet", Why: "its value changes from Ref A to Ref B"},
	}
	checkMessages(t, "exports", []msg{
		{"changed", exportConflictResult(exportConflict{Exporter: "demo-dev-network", Importer: "demo-dev-service", Changes: changes, Destroy: []string{"demo-dev-service"}}, "eu-west-1", "cdkdemo"), Fail,
			[]string{"demo-dev-service imports 2 export(s) of demo-dev-network that this deploy changes", "cannot be updated as it is in use by demo-dev-service",
				"net:ExportsOutputRefVpc (Vpc (AWS::EC2::VPC) is replaced: CidrBlock changes from 10.0.0.0/16 to 10.1.0.0/16); net:ExportsOutputRefSubnet (its value changes from Ref A to Ref B)"},
			[]string{"deploy in two steps: first a deploy in which demo-dev-service no longer imports them while demo-dev-network still exports them",
				"or destroy the importing stack demo-dev-service first, then deploy",
				"aws cloudformation delete-stack --stack-name demo-dev-service --region eu-west-1 --profile cdkdemo && aws cloudformation wait stack-delete-complete --stack-name demo-dev-service --region eu-west-1 --profile cdkdemo"}, nil},
		{"importers of the importer go first", exportConflictResult(exportConflict{Exporter: "n", Importer: "s", Changes: changes[:1], Destroy: []string{"p", "s"}}, "eu-west-1", ""), Fail,
			[]string{"s imports 1 export(s) of n"},
			[]string{"destroy the importing stack s (after p, which import from it) first", "--stack-name p --region eu-west-1 && aws cloudformation wait stack-delete-complete --stack-name p --region eu-west-1 && aws cloudformation delete-stack --stack-name s"},
			[]string{"--profile"}},
		{"maybe", exportConflictResult(exportConflict{Exporter: "n", Importer: "s", Changes: []exportChange{{Export: "n:E", Maybe: true, Why: "X may be replaced"}}, Destroy: []string{"s"}}, "eu-west-1", ""), Warn,
			[]string{"that this deploy may change", "n:E (X may be replaced)"}, []string{"deploy in two steps"}, nil},
		{"nothing deployed", exportsOKResult(nil, nil, 0, nil), OK, []string{"no stack of the app is deployed yet"}, nil, nil},
		{"no import", exportsOKResult([]string{"a", "b"}, nil, 0, nil), OK, []string{"no export of a, b is imported by another stack"}, nil, nil},
		{"kept", exportsOKResult([]string{"a", "b", "c"}, []string{"a", "b"}, 7, []string{"b", "c"}), OK, []string{"7 export(s) of a, b are imported by b, c; the new templates keep every one of them unchanged"}, nil, nil},
	})
}

func TestLeftoverMessages(t *testing.T) {
	repo := repositoryFacts{Name: "demo-dev", Stack: "demo-dev-service", Assembly: "cdk.out", Region: "eu-west-1", Profile: "cdkdemo"}
	with := func(f func(*repositoryFacts)) repositoryFacts { c := repo; f(&c); return c }
	checkMessages(t, "leftovers", []msg{
		{"no repository", repositoryResult(repo), OK, []string{"ECR repository demo-dev does not exist yet: the deploy of demo-dev-service creates it"}, nil, nil},
		{"the stack's", repositoryResult(with(func(f *repositoryFacts) { f.Exists, f.Images, f.OwnedBy = true, 1, "demo-dev-service" })), OK,
			[]string{"ECR repository demo-dev (1 image) belongs to the deployed stack demo-dev-service: the deploy keeps it"}, nil, nil},
		{"left over", repositoryResult(with(func(f *repositoryFacts) { f.Exists, f.Images = true, 12 })), Fail,
			[]string{"ECR repository demo-dev (12 images) is left from an earlier destroy", "belongs to no deployed stack", "the deploy of demo-dev-service would fail with RepositoryAlreadyExistsException"},
			[]string{"npx cdk deploy --all --app cdk.out --import-existing-resources --profile cdkdemo", "aws ecr delete-repository --repository-name demo-dev --force --region eu-west-1 --profile cdkdemo", "12 images"}, nil},
		{"left over, empty", repositoryResult(with(func(f *repositoryFacts) { f.Exists = true })), Fail, []string{"(0 images)"}, []string{"delete-repository"}, nil},
		{"denied", repositoryResult(with(func(f *repositoryFacts) { f.Err = errDenied })), Warn,
			[]string{"could not read ECR repository demo-dev: AccessDenied"}, []string{"aws ecr describe-repositories --repository-names demo-dev --region eu-west-1 --profile cdkdemo"}, nil},
	})
	b := bucketFacts{Stack: "demo-dev-service", Assembly: "cdk.out", Profile: "cdkdemo"}
	withB := func(f func(*bucketFacts)) bucketFacts { c := b; f(&c); return c }
	checkMessages(t, "leftovers", []msg{
		{"no bucket", bucketsResult(b), OK, []string{"no retained bucket of an earlier deploy of demo-dev-service is left"}, nil, nil},
		{"two left", bucketsResult(withB(func(f *bucketFacts) { f.Leftover = []string{"x-1", "y-2"} })), Warn,
			[]string{"2 retained bucket(s) of an earlier deploy of demo-dev-service belong to no deployed stack: x-1, y-2", "the deploy does not reuse them, it creates new ones"},
			[]string{"aws s3 rb s3://x-1 --force --profile cdkdemo && aws s3 rb s3://y-2 --force --profile cdkdemo"}, nil},
		{"fixed name taken", bucketsResult(withB(func(f *bucketFacts) { f.Fixed = []string{"logs"} })), Fail,
			[]string{"bucket(s) logs of demo-dev-service exist already", "the deploy would fail"}, []string{"npx cdk deploy --all --app cdk.out --import-existing-resources --profile cdkdemo"}, nil},
		{"denied", bucketsResult(withB(func(f *bucketFacts) { f.Err = errDenied })), Warn, []string{"could not list the buckets", "AccessDenied"}, []string{"s3:ListAllMyBuckets"}, nil},
	})
}

func TestConnectionMessages(t *testing.T) {
	const arn = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/abc"
	base := connectionFacts{Stack: "demo-dev-pipeline", ARN: arn, Name: "demo-dev", Provider: "GitHub", Region: "eu-west-1", Profile: "cdkdemo"}
	with := func(f func(*connectionFacts)) connectionFacts { c := base; f(&c); return c }
	console := "https://eu-west-1.console.aws.amazon.com/codesuite/settings/connections?region=eu-west-1"
	checkMessages(t, "connection", []msg{
		{"available", connectionResult(with(func(f *connectionFacts) { f.Status = "AVAILABLE" })), OK, []string{"connection demo-dev (GitHub, " + arn + ") is AVAILABLE"}, nil, nil},
		{"pending", connectionResult(with(func(f *connectionFacts) { f.Status = "PENDING" })), Warn,
			[]string{"is PENDING: nobody has approved it yet"},
			[]string{console, "Developer Tools > Settings > Connections > demo-dev > Update pending connection", "a pipeline created before the approval may need to be saved again"}, nil},
		{"error", connectionResult(with(func(f *connectionFacts) { f.Status = "ERROR" })), Warn, []string{"is ERROR, not AVAILABLE"}, []string{console, "saved again"}, nil},
		{"to be created", connectionResult(with(func(f *connectionFacts) { f.Created, f.ARN = true, "" })), Warn,
			[]string{"the deploy of demo-dev-pipeline creates connection demo-dev (GitHub); it starts PENDING"},
			[]string{"after the deploy, complete the handshake", console, "saved again"}, nil},
		{"missing", connectionResult(with(func(f *connectionFacts) { f.NotFound, f.Name = true, "" })), Fail,
			[]string{"connection " + arn + " does not exist in this account and region"},
			[]string{"set connectionArn", "aws codestar-connections list-connections --region eu-west-1 --profile cdkdemo"}, nil},
		{"denied", connectionResult(with(func(f *connectionFacts) { f.Err = errDenied })), Warn, []string{"could not read connection demo-dev", "AccessDenied"}, []string{"codestar-connections:GetConnection"}, nil},
	})
}

func TestZoneMessages(t *testing.T) {
	base := zoneFacts{ID: "Z1", Expected: "example.com", Names: []string{"app.example.com"}, Actual: "example.com", Account: "123456789012", Profile: "cdkdemo"}
	with := func(f func(*zoneFacts)) zoneFacts { c := base; f(&c); return c }
	lookup := "aws route53 list-hosted-zones-by-name --dns-name example.com --profile cdkdemo"
	checkMessages(t, "https", []msg{
		{"right zone", zoneResult(base), OK, []string{"hosted zone Z1 is the public zone example.com, and app.example.com is inside it"}, nil, nil},
		{"apex", zoneResult(with(func(f *zoneFacts) { f.Names = []string{"example.com"} })), OK, []string{"and example.com is inside it"}, nil, nil},
		{"no zone", zoneResult(with(func(f *zoneFacts) { f.NotFound, f.Actual = true, "" })), Fail,
			[]string{"hosted zone Z1 (hostedZoneId) does not exist in account 123456789012"}, []string{"set hostedZoneId to the ID of the public zone example.com", lookup}, nil},
		{"another domain", zoneResult(with(func(f *zoneFacts) { f.Actual = "other.org" })), Fail,
			[]string{"hosted zone Z1 is other.org, and app.example.com is not inside it"}, []string{"set hostedZoneId to the zone of example.com", lookup}, nil},
		{"look-alike", zoneResult(with(func(f *zoneFacts) { f.Actual = "ample.com" })), Fail, []string{"is not inside it"}, []string{lookup}, nil},
		{"private", zoneResult(with(func(f *zoneFacts) { f.Private = true })), Fail, []string{"is private: ACM cannot validate"}, []string{lookup}, nil},
		{"other name, domain inside", zoneResult(with(func(f *zoneFacts) { f.Actual = "app.example.com" })), Warn,
			[]string{"is app.example.com, not example.com (hostedZoneName)", "so the deploy works"}, []string{"set hostedZoneName to app.example.com"}, nil},
		{"denied", zoneResult(with(func(f *zoneFacts) { f.Err, f.Actual = errDenied, "" })), Warn, []string{"could not read hosted zone Z1: AccessDenied"}, []string{"aws route53 get-hosted-zone --id Z1 --profile cdkdemo"}, nil},
	})
}

func TestSecretMessages(t *testing.T) {
	sm := secretRef{Kind: "secretsmanager", ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", Region: "eu-west-1", Account: "123456789012", Vars: []string{"DB (svc)"}}
	param := secretRef{Kind: "ssm", ID: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/key", Name: "/app/key", Region: "eu-west-1", Account: "123456789012", Vars: []string{"KEY (svc)"}}
	f := func(ref secretRef, mod func(*secretFacts)) Result {
		sf := secretFacts{Ref: ref, DeployRegion: "eu-west-1", DeployAccount: "123456789012", Exists: true, Profile: "cdkdemo"}
		if mod != nil {
			mod(&sf)
		}
		return secretResult(sf)
	}
	other := sm
	other.Region, other.ID = "us-east-1", strings.Replace(sm.ID, "eu-west-1", "us-east-1", 1)
	otherParam := param
	otherParam.Region = "us-east-1"
	foreign := param
	foreign.Account = "999999999999"
	checkMessages(t, "secrets", []msg{
		{"exists", f(sm, nil), OK, []string{"secret " + sm.ID + " (for DB (svc)) exists in eu-west-1"}, nil, nil},
		{"parameter exists", f(param, nil), OK, []string{"SSM parameter " + param.ID + " (for KEY (svc)) exists in eu-west-1"}, nil, nil},
		{"missing", f(sm, func(s *secretFacts) { s.Exists = false }), Fail,
			[]string{"does not exist in eu-west-1"}, []string{"aws secretsmanager create-secret --name NAME --region eu-west-1 --profile cdkdemo"}, nil},
		{"parameter missing", f(param, func(s *secretFacts) { s.Exists = false }), Fail,
			[]string{"SSM parameter", "does not exist"}, []string{"aws ssm put-parameter --name /app/key --type SecureString"}, nil},
		{"deleted", f(sm, func(s *secretFacts) { s.Deleted = true }), Fail,
			[]string{"is scheduled for deletion"}, []string{"aws secretsmanager restore-secret --secret-id " + sm.ID + " --region eu-west-1 --profile cdkdemo"}, nil},
		{"another region", f(other, nil), Fail,
			[]string{"is in us-east-1, but the deploy is in eu-west-1"},
			[]string{"aws secretsmanager replicate-secret-to-regions --secret-id " + other.ID + " --add-replica-regions Region=eu-west-1 --region us-east-1 --profile cdkdemo"}, nil},
		{"parameter in another region", f(otherParam, nil), Fail, []string{"is in us-east-1, but the deploy is in eu-west-1"}, []string{"create the parameter in eu-west-1"}, nil},
		{"another account's parameter", f(foreign, nil), Warn, []string{"is in account 999999999999"}, []string{"shared with account 123456789012"}, nil},
		{"denied", f(sm, func(s *secretFacts) { s.Err = errDenied }), Warn, []string{"could not describe secret", "AccessDenied"}, []string{"secretsmanager:DescribeSecret"}, nil},
		{"not an ARN: the value is never shown", f(secretRef{NotARN: true, Vars: []string{"TOKEN (svc)"}}, nil), Warn,
			[]string{"TOKEN (svc): the value is not a Secrets Manager or SSM parameter ARN (not shown"}, []string{"aws secretsmanager list-secrets"}, nil},
	})
}

func TestRoleMessages(t *testing.T) {
	ecs := roleFacts{linkedRole: linkedRoles[0], Profile: "cdkdemo"}
	elb := roleFacts{linkedRole: linkedRoles[2]}
	found := ecs
	found.Found = "AWSServiceRoleForECS"
	denied := ecs
	denied.Err = errDenied
	elbFound := elb
	elbFound.Found = "AWSServiceRoleForElasticLoadBalancing"
	checkMessages(t, "service-linked roles", []msg{
		{"present", roleResult(found), OK, []string{"AWSServiceRoleForECS exists (ecs.amazonaws.com, for the ECS cluster and service)"}, nil, nil},
		{"missing, racing", roleResult(ecs), Fail, []string{"AWSServiceRoleForECS is missing", "race the first deploy"},
			[]string{"aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com --profile cdkdemo"}, nil},
		{"missing, created by the first load balancer", roleResult(elb), Warn, []string{"AWSServiceRoleForElasticLoadBalancing is missing", "with the first load balancer"},
			[]string{"aws iam create-service-linked-role --aws-service-name elasticloadbalancing.amazonaws.com"}, []string{"--profile"}},
		{"elb present", roleResult(elbFound), OK, []string{"AWSServiceRoleForElasticLoadBalancing exists"}, nil, nil},
		{"denied", roleResult(denied), Warn, []string{"could not list the roles of ecs.amazonaws.com: AccessDenied"}, []string{"aws iam get-role --role-name AWSServiceRoleForECS --profile cdkdemo"}, nil},
	})
	if linkedRoles[1].Role != "AWSServiceRoleForApplicationAutoScaling_ECSService" || linkedRoles[1].Service != "ecs.application-autoscaling.amazonaws.com" || !linkedRoles[1].Race {
		t.Errorf("the autoscaling role: %+v", linkedRoles[1])
	}
}

func TestQuotaMessages(t *testing.T) {
	base := quotaFacts{quota: eipQuota, InUse: 3, New: 1, NAT: 1, Limit: 5, Source: "applied", Region: "eu-west-1", Profile: "cdkdemo"}
	with := func(f func(*quotaFacts)) quotaFacts { c := base; f(&c); return c }
	checkMessages(t, "quotas", []msg{
		{"room", quotaResult(base), OK,
			[]string{"Elastic IPs in eu-west-1: 3 in use + 1 new for the NAT gateways (1 in the templates) = 4 of 5 (L-0263D0A3, the account's quota from Service Quotas)"}, nil, nil},
		{"exactly full", quotaResult(with(func(f *quotaFacts) { f.InUse = 4 })), OK, []string{"= 5 of 5"}, nil, nil},
		{"over", quotaResult(with(func(f *quotaFacts) { f.InUse, f.New, f.NAT = 4, 2, 2 })), Fail,
			[]string{"4 in use + 2 new", "= 6 of 5", "the deploy would fail creating them"},
			[]string{"aws ec2 describe-addresses --query 'Addresses[?AssociationId==null]' --region eu-west-1 --profile cdkdemo",
				"aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-0263D0A3 --desired-value 6 --region eu-west-1 --profile cdkdemo",
				"Service Quotas > Amazon Elastic Compute Cloud (Amazon EC2) > EC2-VPC Elastic IPs"}, nil},
		{"AWS default", quotaResult(with(func(f *quotaFacts) { f.Source, f.Why = "aws-default", "GetServiceQuota: NoSuchResourceException" })), OK,
			[]string{"AWS's default from Service Quotas"}, nil, nil},
		{"documented default", quotaResult(with(func(f *quotaFacts) {
			f.Source, f.Why = "documented", "GetServiceQuota: NoSuchResourceException; GetAWSDefaultServiceQuota: HTTP 500"
		})), OK, []string{"AWS's documented default; Service Quotas did not answer (GetServiceQuota: NoSuchResourceException; GetAWSDefaultServiceQuota: HTTP 500)"}, nil, nil},
		{"VPCs over", quotaResult(quotaFacts{quota: vpcQuota, InUse: 5, New: 1, Limit: 5, Source: "applied", Region: "eu-west-1"}), Fail,
			[]string{"VPCs in eu-west-1: 5 in use + 1 new for the app's VPC = 6 of 5 (L-F678F1CE"},
			[]string{"delete an unused VPC", "--service-code vpc --quota-code L-F678F1CE --desired-value 6", "VPCs per Region"}, []string{"describe-addresses"}},
		{"cannot count", quotaResult(with(func(f *quotaFacts) { f.Err = errors.New("boom") })), Warn, []string{"could not count the Elastic IPs in eu-west-1: boom"}, []string{"ec2:DescribeAddresses"}, nil},
	})
	if eipQuota.Default != 5 || vpcQuota.Default != 5 || eipQuota.Code != "L-0263D0A3" || vpcQuota.Code != "L-F678F1CE" {
		t.Errorf("quota codes or documented defaults changed: %+v %+v", eipQuota, vpcQuota)
	}
}

func TestWeightsMessages(t *testing.T) {
	tmpl := []groupWeight{{ID: "Primary", Arn: "arn:tg/p", Weight: 100}, {ID: "Alternate", Arn: "arn:tg/a", Weight: 0}}
	base := weightedRule{Stack: "demo-prod-service", ID: "ProdRule", Arn: "arn:rule/1", Role: "production", Template: tmpl,
		Change: "its Priority property changes", Cluster: "demo-prod", Service: "demo-prod", Region: "eu-west-1", Profile: "cdkdemo"}
	with := func(f func(*weightedRule)) weightedRule { c := base; f(&c); return c }
	flipped := []groupWeight{{ID: "Primary", Arn: "arn:tg/p", Weight: 0}, {ID: "Alternate", Arn: "arn:tg/a", Weight: 100}}
	fix := []string{"run a deployment of the running revision first, so that ECS moves the traffic back to Primary (the template's 100/0 (Primary 100, Alternate 0))",
		"aws ecs update-service --cluster demo-prod --service demo-prod --force-new-deployment --region eu-west-1 --profile cdkdemo",
		"make preflight again, which passes once the rule's live weights are 100/0, then deploy"}
	checkMessages(t, "weights", []msg{
		{"untouched", weightsResult(with(func(w *weightedRule) { w.Change, w.Live = "", flipped })), OK,
			[]string{"the production rule ProdRule of demo-prod-service forwards by weight, and this deploy does not change it"}, nil, nil},
		{"changed, template weights", weightsResult(with(func(w *weightedRule) { w.Live = tmpl })), OK,
			[]string{"changes in this deploy (its Priority property changes), and its live weights are the deployed template's, 100/0 (Primary 100, Alternate 0): the rewrite moves no traffic"}, nil, nil},
		{"the same shares", weightsResult(with(func(w *weightedRule) {
			w.Live = []groupWeight{{Arn: "arn:tg/p", Weight: 1}, {Arn: "arn:tg/a", Weight: 0}}
		})), OK, []string{"the rewrite moves no traffic"}, nil, nil},
		{"flipped", weightsResult(with(func(w *weightedRule) { w.Live = flipped })), Fail,
			[]string{"forwards 0/100 live (Primary 0, Alternate 100: ECS's last deployment left the traffic on Alternate)", "the deployed template says 100/0",
				"this deploy modifies it (its Priority property changes)", "aws/aws-cdk#36649", "production requests would go to the group without the tasks, and answer 503"}, fix, nil},
		{"replaced", weightsResult(with(func(w *weightedRule) {
			w.Live, w.Replaced, w.Change = flipped, true, "it is replaced: ListenerArn changes"
		})), Fail,
			[]string{"this deploy replaces it with a new rule (it is replaced: ListenerArn changes)"}, fix, nil},
		{"mid-shift", weightsResult(with(func(w *weightedRule) {
			w.Live = []groupWeight{{Arn: "arn:tg/p", Weight: 90}, {Arn: "arn:tg/a", Weight: 10}}
		})), Fail, []string{"forwards 90/10 live", "a deployment is shifting the traffic now (or was stopped mid-way)"}, []string{"wait for a deployment in progress to end first"}, nil},
		{"test rule", weightsResult(with(func(w *weightedRule) { w.Role, w.ID, w.Live = "test", "TestRule", flipped })), Warn,
			[]string{"the test rule TestRule", "the test listener would send its requests (the pre-traffic checks) to the group without the tasks"}, fix, []string{"503"}},
		{"gone", weightsResult(with(func(w *weightedRule) {
			w.Role, w.Gone, w.Change = "test", true, "the new template removes it, with no test rule in its place"
		})), OK, []string{"the new template removes it, with no test rule in its place; no traffic goes through it after the deploy"}, nil, nil},
		{"denied", weightsResult(with(func(w *weightedRule) { w.ReadErr = errDenied })), Warn,
			[]string{"cannot read the weights ECS set on it: AccessDenied"}, []string{"allow elasticloadbalancing:DescribeRules", "aws elbv2 describe-rules --rule-arns arn:rule/1 --region eu-west-1 --profile cdkdemo"}, nil},
		{"deleted out of band", weightsResult(with(func(w *weightedRule) { w.NotFound = true })), Warn,
			[]string{"the load balancer has no rule arn:rule/1"}, []string{"aws elbv2 describe-rules"}, nil},
	})
}

func TestNatInstanceMessages(t *testing.T) {
	base := natInstanceFacts{Stack: "demo-dev-network", ID: "VpcPublicSubnet1NatInstance1", Type: "t4g.nano", AZ: "eu-west-1a", How: "the first AZ of eu-west-1, which Fn::GetAZs gives the instance", Region: "eu-west-1"}
	with := func(f func(*natInstanceFacts)) natInstanceFacts { c := base; f(&c); return c }
	checkMessages(t, "nat instance", []msg{
		{"offered", natInstanceResult(with(func(f *natInstanceFacts) { f.Offered = []string{"eu-west-1a", "eu-west-1b"} })), OK,
			[]string{"the NAT instance VpcPublicSubnet1NatInstance1 of demo-dev-network (natInstanceType t4g.nano) is launched in eu-west-1a (the first AZ of eu-west-1, which Fn::GetAZs gives the instance), which offers it"}, nil, nil},
		{"not offered", natInstanceResult(with(func(f *natInstanceFacts) {
			f.Offered, f.Alt, f.AltOffered = []string{"eu-west-1b", "eu-west-1c"}, "t3.nano", []string{"eu-west-1a"}
		})), Fail,
			[]string{"is launched in eu-west-1a", "which does not offer t4g.nano: its creation would fail and the network stack roll back; t4g.nano is offered in eu-west-1b, eu-west-1c"},
			[]string{"set natInstanceType to a type eu-west-1a offers, e.g. t3.nano, which eu-west-1a offers", "aws ec2 describe-instance-type-offerings --location-type availability-zone --filters Name=location,Values=eu-west-1a --region eu-west-1", "or egress to nat"}, nil},
		{"nowhere", natInstanceResult(base), Fail, []string{"is offered in no Availability Zone of eu-west-1"}, []string{"set natInstanceType"}, nil},
		{"unresolved", natInstanceResult(with(func(f *natInstanceFacts) {
			f.AZ, f.How, f.Unresolved, f.Offered = "", "", "the template names its Availability Zone in a way preflight does not resolve", []string{"eu-west-1b"}
		})), Warn, []string{"does not resolve; t4g.nano is offered in eu-west-1b"}, []string{"check that the instance's AZ is one of them", "--location-type region --region eu-west-1"}, nil},
		{"denied", natInstanceResult(with(func(f *natInstanceFacts) { f.Err = errDenied })), Warn,
			[]string{"cannot tell whether the NAT instance", "AccessDenied"}, []string{"allow ec2:DescribeInstanceTypeOfferings and ec2:DescribeAvailabilityZones"}, nil},
	})
}
