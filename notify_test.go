package main

// Every notification the app sends must reach its topic. Read from the
// templates, not from the constructs: for every CloudWatch alarm action and
// every EventBridge rule target that is an SNS topic of the app (also across
// stacks, through Fn::ImportValue), the topic's policy and its KMS key's
// policy must admit the service that publishes, with the confused-deputy
// conditions AWS documents, and no Deny may block it.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/cfneval"
)

// foreignAccount publishes in the probes that must be refused.
const foreignAccount = "444455556666"

// publisher is one service that publishes to a topic of the app.
type publisher struct {
	what      string // "alarm Service/HighCpu", for messages
	service   string // its service principal
	sourceArn string // the alarm's or rule's ARN
	topic     string // the topic's ARN
}

// topicRef is where a topic is declared.
type topicRef struct {
	st *cfneval.Stack
	id string
}

func TestNotificationsCanPublish(t *testing.T) {
	for _, v := range gateVariants {
		t.Run(v.name, func(t *testing.T) {
			a := assembly(synth(t, v.overrides))
			for _, r := range []region{{name: "us-east-1", partition: "aws"}, {name: "cn-north-1", partition: "aws-cn"}, {name: futureRegion, partition: "aws"}} {
				ev := a.In(deployEnv(r))
				pubs := publishers(t, a, ev, r)
				kinds := map[string]bool{}
				for _, p := range pubs {
					kinds[p.service] = true
					checkPublish(t, a, ev, r, p)
				}
				// Both kinds exist in every variant: the alarms, and the
				// pipeline's failure rule.
				for _, svc := range []string{"cloudwatch.amazonaws.com", "events.amazonaws.com"} {
					if !kinds[svc] {
						t.Errorf("%s: no %s publishes to a topic of the app: the check checks nothing for it", r.name, svc)
					}
				}
			}
		})
	}
}

// topics maps the ARN of every topic of the assembly to its declaration.
func topics(t *testing.T, a *cfneval.Assembly, ev *cfneval.Evaluator) map[string]topicRef {
	t.Helper()
	out := map[string]topicRef{}
	for _, st := range a.Stacks {
		for id, res := range st.Section("Resources") {
			if res.(map[string]any)["Type"] == "AWS::SNS::Topic" {
				arn, err := ev.String(st, map[string]any{"Ref": id})
				if err != nil {
					t.Fatal(err)
				}
				out[arn] = topicRef{st, id}
			}
		}
	}
	return out
}

// publishers finds every alarm action and rule target that is a topic of
// the app.
func publishers(t *testing.T, a *cfneval.Assembly, ev *cfneval.Evaluator, r region) []publisher {
	t.Helper()
	app := topics(t, a, ev)
	var out []publisher
	for _, st := range a.Stacks {
		for _, id := range sortedIDs(st.Section("Resources")) {
			res := st.Resource(id)
			typ, _ := res["Type"].(string)
			if typ != "AWS::CloudWatch::Alarm" && typ != "AWS::Events::Rule" {
				continue
			}
			if created, err := ev.Created(st, id); err != nil || !created {
				continue
			}
			val, err := ev.Value(st, res["Properties"])
			if err != nil {
				t.Errorf("%s %s/%s in %s: %v", typ, st.ID, id, r.name, err)
				continue
			}
			props := val.(map[string]any)
			src, err := ev.String(st, map[string]any{"Fn::GetAtt": []any{id, "Arn"}})
			if err != nil {
				t.Fatal(err)
			}
			if typ == "AWS::CloudWatch::Alarm" {
				for _, key := range []string{"AlarmActions", "OKActions", "InsufficientDataActions"} {
					for _, action := range asList(props[key]) {
						if arn, _ := action.(string); app[arn].st != nil {
							out = append(out, publisher{"alarm " + st.ID + "/" + id + " " + key, "cloudwatch.amazonaws.com", src, arn})
						}
					}
				}
				continue
			}
			for _, target := range asList(props["Targets"]) {
				tg := target.(map[string]any)
				arn, _ := tg["Arn"].(string)
				if app[arn].st == nil {
					continue
				}
				if tg["RoleArn"] != nil {
					// AWS: for SNS targets, EventBridge must use the topic's
					// resource policy; with a RoleArn delivery to a
					// KMS-encrypted topic fails.
					t.Errorf("rule %s/%s target %v publishes to %s through a role: EventBridge must use the topic's policy", st.ID, id, tg["Id"], arn)
				}
				out = append(out, publisher{fmt.Sprintf("rule %s/%s target %v", st.ID, id, tg["Id"]), "events.amazonaws.com", src, arn})
			}
		}
	}
	return out
}

// context is the request context of a publish as AWS documents it.
// CloudWatch sends aws:SourceAccount and aws:SourceArn (the alarm) to SNS
// and to KMS. EventBridge sends them to SNS, but AWS does not support them
// in a KMS key policy for EventBridge publishing to an encrypted topic
// (Amazon SNS Developer Guide, "Managing Amazon SNS encryption keys":
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), so a
// KMS condition on them would drop every event.
func (p publisher) context(account, sourceArn string, kms bool) map[string]string {
	ctx := map[string]string{"aws:SecureTransport": "true"}
	if kms {
		ctx["kms:EncryptionContext:aws:sns:topicArn"] = p.topic
		if p.service == "events.amazonaws.com" {
			return ctx
		}
	}
	ctx["aws:SourceAccount"] = account
	ctx["aws:SourceArn"] = sourceArn
	return ctx
}

// elsewhere is an ARN of another account (and a topic of it).
func elsewhere(arn string) string {
	return strings.Replace(arn, ":"+testAccount+":", ":"+foreignAccount+":", 1)
}

func checkPublish(t *testing.T, a *cfneval.Assembly, ev *cfneval.Evaluator, r region, p publisher) {
	t.Helper()
	ref := topics(t, a, ev)[p.topic]
	where := fmt.Sprintf("%s: %s -> topic %s/%s", r.name, p.what, ref.st.ID, ref.id)

	// The topic policy: the one AWS::SNS::TopicPolicy that names the topic.
	var docs []any
	for _, st := range a.Stacks {
		for id, res := range st.Section("Resources") {
			if res.(map[string]any)["Type"] != "AWS::SNS::TopicPolicy" {
				continue
			}
			props, err := ev.Value(st, res.(map[string]any)["Properties"])
			if err != nil {
				t.Errorf("%s: topic policy %s: %v", where, id, err)
				continue
			}
			if slices.Contains(asList(props.(map[string]any)["Topics"]), any(p.topic)) {
				docs = append(docs, props.(map[string]any)["PolicyDocument"])
			}
		}
	}
	if len(docs) != 1 {
		t.Errorf("%s: %d topic policies name the topic, want exactly 1", where, len(docs))
		return
	}
	publish := cfneval.Request{Service: p.service, Action: "sns:Publish", Resource: p.topic, Context: p.context(testAccount, p.sourceArn, false)}
	authorized(t, where+": topic policy", docs[0], publish, true, true)
	// Narrow: a publisher of another account, or of this account in
	// another region, is refused.
	foreign := publish
	foreign.Context = p.context(foreignAccount, elsewhere(p.sourceArn), false)
	authorized(t, where+": topic policy, publisher of another account", docs[0], foreign, false, false)
	other := publish
	other.Context = p.context(testAccount, strings.Replace(p.sourceArn, ":"+r.name+":", ":xx-other-1:", 1), false)
	authorized(t, where+": topic policy, publisher in another region", docs[0], other, false, false)

	// The key policy of the topic's KMS key.
	props, err := ev.Value(ref.st, ref.st.Resource(ref.id)["Properties"])
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	keyID, _ := props.(map[string]any)["KmsMasterKeyId"].(string)
	if keyID == "" {
		return // not encrypted: no key to admit the publisher
	}
	var keyStack *cfneval.Stack
	var id string
	if st, kid, _, ok := cfneval.ParseMarker(keyID); ok {
		keyStack, id = a.Stack(st), kid
	}
	for _, s := range a.Stacks {
		for kid, res := range s.Section("Resources") {
			if res.(map[string]any)["Type"] == "AWS::KMS::Key" {
				if arn, _ := ev.String(s, map[string]any{"Fn::GetAtt": []any{kid, "Arn"}}); arn == keyID {
					keyStack, id = s, kid
				}
			}
		}
	}
	var key map[string]any
	if keyStack != nil {
		key = keyStack.Resource(id)
	}
	if key == nil || key["Type"] != "AWS::KMS::Key" {
		t.Errorf("%s: the topic's key %q is no KMS key of the app (an AWS managed key admits no service publisher)", where, keyID)
		return
	}
	kp, err := ev.Value(keyStack, key["Properties"])
	if err != nil {
		t.Errorf("%s: key %s: %v", where, id, err)
		return
	}
	doc := kp.(map[string]any)["KeyPolicy"]
	where += " (key " + keyStack.ID + "/" + id + ")"
	for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
		req := cfneval.Request{Service: p.service, Action: action, Resource: keyID, Context: p.context(testAccount, p.sourceArn, true)}
		authorized(t, where+": key policy", doc, req, true, p.service == "cloudwatch.amazonaws.com")
		// Narrow: the key does not serve the same service for another
		// account's alarms, or for another account's topics.
		foreign := req
		foreign.Context = p.context(foreignAccount, elsewhere(p.sourceArn), true)
		foreign.Context["kms:EncryptionContext:aws:sns:topicArn"] = elsewhere(p.topic)
		authorized(t, where+": key policy, for another account", doc, foreign, false, false)
	}
}

// authorized evaluates a request against a policy; with wantSource, the
// statements that allow it must test aws:SourceAccount and aws:SourceArn.
func authorized(t *testing.T, where string, doc any, req cfneval.Request, want, wantSource bool) {
	t.Helper()
	d, err := cfneval.Authorize(doc, req)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if d.Allowed != want {
		verb := map[bool]string{true: "does not admit", false: "admits"}[want]
		t.Errorf("%s %s %s for %s (source %s, account %s); allowing statements %v, denying %v",
			where, verb, req.Service, req.Action, req.Context["aws:SourceArn"], req.Context["aws:SourceAccount"], d.Allows, d.Denies)
		return
	}
	if !wantSource {
		return
	}
	stmts := cfneval.Statements(doc)
	for _, i := range d.Allows {
		keys := cfneval.ConditionKeys(stmts[i])
		for _, k := range []string{"aws:sourceaccount", "aws:sourcearn"} {
			if !slices.Contains(keys, k) {
				t.Errorf("%s: statement %d (%v) admits %s without a condition on %s", where, i, stmts[i]["Sid"], req.Service, k)
			}
		}
	}
}
