package cfneval

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// regional is a template like the CDK's RegionalFact writes: a mapping of
// the regions that have a value, a condition on it, a lookup in a policy.
const regional = `{
 "Mappings": {"Acct": {"us-east-1": {"value": "127311923021"}, "eu-west-1": {"value": "none"}}},
 "Conditions": {
  "Has": {"Fn::Not": [{"Fn::Equals": [{"Fn::FindInMap": ["Acct", {"Ref": "AWS::Region"}, "value"]}, "none"]}]},
  "IsUsEast1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
  "Either": {"Fn::Or": [{"Condition": "IsUsEast1"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}]},
  "Released": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Image"}, "none"]}]}
 },
 "Parameters": {"Image": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/image"}},
 "Resources": {
  "Topic": {"Type": "AWS::SNS::Topic"},
  "Thing": {"Type": "X::Y::Z", "Properties": {
   "Lookup": {"Fn::If": ["Has", {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Fn::FindInMap": ["Acct", {"Ref": "AWS::Region"}, "value"]}, ":root"]]}, {"Ref": "AWS::AccountId"}]},
   "WithDefault": {"Fn::FindInMap": ["Acct", {"Ref": "AWS::Region"}, "value", {"DefaultValue": "none"}]},
   "List": ["a", {"Fn::If": ["IsUsEast1", "b", {"Ref": "AWS::NoValue"}]}],
   "Sub": {"Fn::Sub": "${AWS::Region}/${Topic}/${Topic.TopicName}/${!Literal}"},
   "Arn": {"Fn::GetAtt": ["Topic", "TopicArn"]},
   "Part": {"Fn::Select": [1, {"Fn::Split": [":", "a:b:c"]}]},
   "Unknown": {"Fn::Select": [1, {"Fn::Split": [":", {"Fn::GetAtt": ["Topic", "TopicArn"]}]}]}
  }}
 },
 "Outputs": {"TopicOut": {"Value": {"Ref": "Topic"}, "Export": {"Name": "net:Topic"}}}
}`

func TestCheckFindsLookupsThatFail(t *testing.T) {
	a := &Assembly{Stacks: []*Stack{{ID: "S", Name: "s", Template: parse(t, regional)}}}
	s := a.Stacks[0]
	if got := len(Lookups(s)); got != 3 {
		t.Errorf("Lookups found %d Fn::FindInMap, want 3 (condition, the Fn::If branch, the one with a default)", got)
	}
	for region, want := range map[string]int{"us-east-1": 0, "eu-west-1": 0, "eu-central-2": 3, "xx-future-1": 3} {
		errs := a.In(Env{Region: region, Partition: "aws", Account: "111111111111"}).Check(s)
		if len(errs) != want {
			t.Errorf("%s: %d failures %v, want %d (the condition Has, its lookup, and the lookup in the Fn::If branch)", region, len(errs), errs, want)
		}
		for _, err := range errs {
			var le *LookupError
			if !errors.As(err, &le) || le.Keys[0] != region {
				t.Errorf("%s: %v is not a LookupError for the region", region, err)
			}
		}
	}
}

func TestValue(t *testing.T) {
	a := &Assembly{Stacks: []*Stack{{ID: "S", Name: "s", Template: parse(t, regional)}}}
	s := a.Stacks[0]
	props := s.Resource("Thing")["Properties"]
	env := Env{Region: "us-east-1", Partition: "aws", Account: "111111111111"}
	got, err := a.In(env).Value(s, props)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Lookup":      "arn:aws:iam::127311923021:root",
		"WithDefault": "127311923021",
		"List":        []any{"a", "b"},
		"Sub":         "us-east-1/{{S/Topic}}/{{S/Topic.TopicName}}/${Literal}",
		"Arn":         "{{S/Topic.TopicArn}}",
		"Part":        "b",
		"Unknown":     "{{Fn::Select 1 of {{S/Topic.TopicArn}}}}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("us-east-1:\n got %v\nwant %v", got, want)
	}

	env.Region = "eu-west-1"
	got, err = a.In(env).Value(s, props)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	if m["Lookup"] != "111111111111" || !reflect.DeepEqual(m["List"], []any{"a"}) || m["WithDefault"] != "none" {
		t.Errorf("eu-west-1: the Fn::If branches or NoValue are wrong: %v", m)
	}
	env.Region = "xx-future-1"
	if _, err := a.In(env).Value(s, map[string]any{"Fn::FindInMap": []any{"Acct", map[string]any{"Ref": "AWS::Region"}, "value", map[string]any{"DefaultValue": "none"}}}); err != nil {
		t.Errorf("a lookup with a DefaultValue failed in an unknown region: %v", err)
	}
	var unknown *UnknownError
	if _, err := a.In(env).Condition(s, "Released"); !errors.As(err, &unknown) {
		t.Errorf("a condition on an SSM parameter's value: %v, want an UnknownError", err)
	}
	if b, err := a.In(env).Condition(s, "Either"); err != nil || b {
		t.Errorf("Either in xx-future-1 = %v, %v; want false", b, err)
	}
	env.Physical = func(_ *Stack, id, attr string) (string, bool) {
		return "arn:aws:sns:us-east-1:111111111111:" + id, id == "Topic" && attr == "TopicArn"
	}
	if v, _ := a.In(env).Value(s, map[string]any{"Fn::GetAtt": []any{"Topic", "TopicArn"}}); v != "arn:aws:sns:us-east-1:111111111111:Topic" {
		t.Errorf("Physical is not used: %v", v)
	}
	if _, err := a.In(env).Value(s, map[string]any{"Ref": "Nothing"}); err == nil {
		t.Error("a Ref to nothing evaluates")
	}
}

func TestImportValue(t *testing.T) {
	consumer := parse(t, `{"Resources": {"Rule": {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Arn": {"Fn::ImportValue": "net:Topic"}}]}}}}`)
	a := &Assembly{Stacks: []*Stack{{ID: "S", Name: "s", Template: parse(t, regional)}, {ID: "P", Name: "p", Template: consumer}}}
	got, err := a.In(Env{Region: "us-east-1", Partition: "aws", Account: "1"}).Value(a.Stacks[1], consumer["Resources"].(map[string]any)["Rule"].(map[string]any)["Properties"])
	if err != nil {
		t.Fatal(err)
	}
	arn := got.(map[string]any)["Targets"].([]any)[0].(map[string]any)["Arn"]
	if st, id, attr, ok := ParseMarker(arn.(string)); !ok || st != "S" || id != "Topic" || attr != "" {
		t.Errorf("the import resolves to %v, want the exporting stack's topic", arn)
	}
	if _, err := a.In(Env{}).Value(a.Stacks[1], map[string]any{"Fn::ImportValue": "nobody:exports"}); err == nil {
		t.Error("an import nobody exports evaluates")
	}
}

func TestAuthorize(t *testing.T) {
	doc := parse(t, `{"Statement": [
	 {"Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": "arn:aws:sns:r:1:t", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
	 {"Sid": "cw", "Effect": "Allow", "Principal": {"Service": ["cloudwatch.amazonaws.com"]}, "Action": "sns:Publish", "Resource": "arn:aws:sns:r:1:t",
	  "Condition": {"StringEquals": {"aws:SourceAccount": "1"}, "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:r:1:alarm:*"}}},
	 {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"},
	 {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
	  "Condition": {"StringNotEquals": {"aws:SourceAccount": "2"}}}
	]}`)
	cw := func(acct, sourceArn string, extra ...string) Request {
		ctx := map[string]string{"aws:SourceAccount": acct, "aws:SourceArn": sourceArn}
		for i := 0; i+1 < len(extra); i += 2 {
			ctx[extra[i]] = extra[i+1]
		}
		return Request{Service: "cloudwatch.amazonaws.com", Action: "sns:Publish", Resource: "arn:aws:sns:r:1:t", Context: ctx}
	}
	for _, c := range []struct {
		name string
		req  Request
		want bool
	}{
		{"an alarm of the account", cw("1", "arn:aws:cloudwatch:r:1:alarm:High CPU"), true},
		{"over TLS", cw("1", "arn:aws:cloudwatch:r:1:alarm:x", "aws:SecureTransport", "true"), true},
		{"without TLS", cw("1", "arn:aws:cloudwatch:r:1:alarm:x", "aws:SecureTransport", "false"), false},
		{"another account", cw("2", "arn:aws:cloudwatch:r:2:alarm:x"), false},
		{"another region", cw("1", "arn:aws:cloudwatch:r2:1:alarm:x"), false},
		{"a wildcard does not span a colon", cw("1", "arn:aws:cloudwatch:r:1:dashboard/x"), false},
		{"no source keys", Request{Service: "cloudwatch.amazonaws.com", Action: "sns:Publish", Resource: "arn:aws:sns:r:1:t"}, false},
		{"another action", Request{Service: "cloudwatch.amazonaws.com", Action: "sns:Subscribe", Resource: "arn:aws:sns:r:1:t", Context: cw("1", "arn:aws:cloudwatch:r:1:alarm:x").Context}, false},
		{"action case and wildcard", Request{Service: "events.amazonaws.com", Action: "KMS:GenerateDataKey", Resource: "arn:aws:kms:r:1:key/k"}, true},
		{"negated operator on an absent key", Request{Service: "events.amazonaws.com", Action: "kms:Decrypt", Resource: "x"}, true},
		{"negated operator on a present key", Request{Service: "events.amazonaws.com", Action: "kms:Decrypt", Resource: "x", Context: map[string]string{"aws:sourceaccount": "2"}}, false},
		{"the account", Request{Account: "1", Action: "kms:PutKeyPolicy", Resource: "*"}, true},
	} {
		d, err := Authorize(doc, c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Allowed != c.want {
			t.Errorf("%s: allowed = %v (allows %v, denies %v), want %v", c.name, d.Allowed, d.Allows, d.Denies, c.want)
		}
	}
	if keys := ConditionKeys(Statements(doc)[1]); !reflect.DeepEqual(keys, []string{"aws:sourceaccount", "aws:sourcearn"}) {
		t.Errorf("ConditionKeys = %v", keys)
	}
	_, err := Authorize(parse(t, `{"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "*", "Resource": "*"}]}`), Request{})
	if err == nil || !strings.Contains(err.Error(), "NotPrincipal") {
		t.Errorf("NotPrincipal is not refused: %v", err)
	}
	_, err = Authorize(parse(t, `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"ForAnyValue:StringLike": {"k": "v"}}}]}`), Request{})
	if err == nil {
		t.Error("a set operator is not refused")
	}
}
