package main

// Checks of scripts/nag-shortcut.js on stand-ins for aws-cdk-lib and
// cdk-nag laid out as they are: a lazily loaded service module and a rule
// that tests for one of its classes. TestCdkSynthWithTheCodeCache compares
// the real nag reports with and without it.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var nagShortcutFiles = map[string]string{
	// As aws-cdk-lib's: each class a getter that loads lib/ on first read.
	"node_modules/aws-cdk-lib/aws-foo/index.js": `
for (const name of ['CfnBar', 'CfnBaz']) {
  Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: () => {
    const value = require('./lib')[name];
    Object.defineProperty(exports, name, { enumerable: true, configurable: true, value });
    return value;
  } });
}`,
	"node_modules/aws-cdk-lib/aws-foo/lib/index.js": `
globalThis.fooLoads = (globalThis.fooLoads || 0) + 1;
class CfnBar { static TYPE = 'AWS::Foo::Bar'; }
class CfnBaz extends CfnBar {}
module.exports = { CfnBar, CfnBaz };`,
	// As cdk-nag's rules: the service module required at the top.
	"node_modules/cdk-nag/lib/rules/foo/FooRule.js": `
const foo = require('aws-cdk-lib/aws-foo');
exports.isBar = (x) => x instanceof foo.CfnBar;
exports.isBaz = (x) => x instanceof foo.CfnBaz;
exports.type = () => foo.CfnBar.TYPE;
exports.make = () => new foo.CfnBar();
exports.module = foo;`,
	"node_modules/other/index.js": `module.exports = require('aws-cdk-lib/aws-foo');`,
	// Each case prints what the rule answered and how often lib/ ran.
	"case.js": `
const rule = require('./node_modules/cdk-nag/lib/rules/foo/FooRule.js');
const loads = () => globalThis.fooLoads || 0;
const r = {};
switch (process.argv[2]) {
case 'unloaded':
  r.plain = rule.isBar({}); r.baz = rule.isBaz(Object.create(null)); r.loads = loads();
  break;
case 'loaded elsewhere':
  // lib/ loaded by its path, not through the module's getters.
  const lib = require('./node_modules/aws-cdk-lib/aws-foo/lib');
  r.bar = rule.isBar(new lib.CfnBar()); r.baz = rule.isBar(new lib.CfnBaz()); r.bazIsBaz = rule.isBaz(new lib.CfnBaz());
  r.plain = rule.isBar({}); r.barIsBaz = rule.isBaz(new lib.CfnBar()); r.loads = loads();
  break;
case 'static':
  r.type = rule.type(); r.made = rule.isBar(rule.make()); r.loads = loads();
  break;
case 'others':
  r.same = require('other') === require('./node_modules/aws-cdk-lib/aws-foo/index.js'); r.view = rule.module !== require('other');
  r.loads = loads();
  break;
}
console.log(JSON.stringify(r));`,
}

func TestNagShortcutAnswersAsTheRealClasses(t *testing.T) {
	dir := t.TempDir()
	for name, content := range nagShortcutFiles {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shortcut, err := filepath.Abs("scripts/nag-shortcut.js")
	if err != nil {
		t.Fatal(err)
	}
	run := func(c string, env ...string) (map[string]any, string) {
		t.Helper()
		cmd := exec.Command(nodeBin(t), "--require", shortcut, "case.js", c)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "FARGATE_NAG_SHORTCUT_DEBUG=1"), env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c, err, stderr.String())
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s printed %q: %v", c, out, err)
		}
		return got, stderr.String()
	}
	for _, tc := range []struct {
		c, env, debug string
		want          map[string]any
	}{
		// Nothing of the service loaded: false, and it stays unloaded.
		{"unloaded", "", "2 type tests answered without loading, 1 services never loaded", map[string]any{"plain": false, "baz": false, "loads": 0.0}},
		// Without the shortcut the same answers, at the price of the load.
		{"unloaded", "FARGATE_NAG_SHORTCUT=off", "", map[string]any{"plain": false, "baz": false, "loads": 1.0}},
		// Loaded another way than the getters: the real classes answer.
		{"loaded elsewhere", "", "0 type tests", map[string]any{"bar": true, "baz": true, "bazIsBaz": true, "plain": false, "barIsBaz": false, "loads": 1.0}},
		// A static member or `new` loads the real class.
		{"static", "", "0 type tests", map[string]any{"type": "AWS::Foo::Bar", "made": true, "loads": 1.0}},
		// Only the rules see the view; other modules get the module itself.
		{"others", "", "", map[string]any{"same": true, "view": true, "loads": 0.0}},
	} {
		var env []string
		if tc.env != "" {
			env = append(env, tc.env)
		}
		got, stderr := run(tc.c, env...)
		if b, w := jsonOf(got), jsonOf(tc.want); b != w {
			t.Errorf("%s %s: the rule answered %s, want %s", tc.c, tc.env, b, w)
		}
		if tc.env != "" && strings.Contains(stderr, "nag-shortcut:") || !strings.Contains(stderr, tc.debug) {
			t.Errorf("%s %s: stderr %q, want %q", tc.c, tc.env, stderr, tc.debug)
		}
	}
}
