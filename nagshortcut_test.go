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

// nagShortcutPremise checks, in aws-cdk-lib and cdk-nag as the kernel has
// them, what scripts/nag-shortcut.js rests on: every CfnX that a service
// module cdk-nag's rules require exports is defined (exported as a value by
// a module other than an index.js) under that service's lib/. It prints
// the services and classes it checked, and each one defined elsewhere.
const nagShortcutPremise = `'use strict';
const fs = require('fs'), path = require('path'), Module = require('module');
const rules = path.join(process.cwd(), 'node_modules/cdk-nag/lib/rules');
const services = new Set();
const walk = (dir) => { for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
  const p = path.join(dir, e.name);
  if (e.isDirectory()) walk(p);
  else if (p.endsWith('.js')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/require\("aws-cdk-lib\/(aws-[a-z0-9-]+)"\)/g)) services.add(m[1]);
} };
walk(rules);
let classes = 0; const elsewhere = [];
for (const svc of [...services].sort()) {
  const index = require('aws-cdk-lib/' + svc);
  for (const k of Object.keys(index).filter((k) => /^Cfn[A-Z]/.test(k))) {
    const cls = index[k];
    if (typeof cls !== 'function') continue;
    classes++;
    const defs = Object.values(Module._cache).filter((m) => !/[\\/]index\.js$/.test(m.filename) && m.exports &&
      Object.getOwnPropertyDescriptor(m.exports, k) && Object.getOwnPropertyDescriptor(m.exports, k).value === cls);
    const dir = path.sep + path.join('aws-cdk-lib', svc, 'lib') + path.sep;
    if (defs.length === 0 || defs.some((m) => !m.filename.includes(dir))) elsewhere.push(svc + '.' + k + ': ' + (defs.map((m) => m.filename).join(', ') || 'no module exports it'));
  }
}
console.log(JSON.stringify({ services: services.size, classes, elsewhere }));
`

// TestNagShortcutPremise runs nagShortcutPremise on the packages the jsii
// kernel extracted (its package cache), linked as the kernel links them.
func TestNagShortcutPremise(t *testing.T) {
	synth(t, nil) // the kernel has extracted its packages
	var roots []string
	if r := os.Getenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT"); r != "" {
		roots = append(roots, r)
	}
	if r := os.Getenv("XDG_CACHE_HOME"); r != "" {
		roots = append(roots, filepath.Join(r, "aws", "jsii", "package-cache"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".cache", "aws", "jsii", "package-cache"))
	}
	packages := map[string]string{"aws-cdk-lib": "2.276.0", "cdk-nag": "2.38.2", "constructs": "10.8.1"}
	dir := t.TempDir()
	for name, version := range packages {
		var found string
		for _, r := range roots {
			if m, _ := filepath.Glob(filepath.Join(r, name, version, "*", "package.json")); len(m) > 0 {
				found = filepath.Dir(m[0])
				break
			}
		}
		if found == "" {
			t.Fatalf("%s %s is in no jsii package cache of %v (go.mod's version?)", name, version, roots)
		}
		if err := os.MkdirAll(filepath.Join(dir, "node_modules"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(found, filepath.Join(dir, "node_modules", name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "premise.js"), []byte(nagShortcutPremise), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nodeBin(t), "--preserve-symlinks", "premise.js")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("premise.js: %v\n%s", err, out)
	}
	var got struct {
		Services, Classes int
		Elsewhere         []string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("premise.js printed %q: %v", out, err)
	}
	if got.Services < 30 || got.Classes < 200 {
		t.Errorf("checked %d services, %d classes: fewer than cdk-nag's rules test for", got.Services, got.Classes)
	}
	for _, e := range got.Elsewhere {
		t.Errorf("defined outside its service's lib/, which scripts/nag-shortcut.js assumes: %s", e)
	}
}

var nagShortcutFiles = map[string]string{
	// As aws-cdk-lib's: each class a getter that loads lib/ on first read.
	"node_modules/aws-cdk-lib/aws-foo/index.js": `
Object.defineProperty(exports, 'FooKind', { enumerable: true, configurable: true, get: () => require('./lib').FooKind });
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
const FooKind = { A: 'a', B: 'b' };
module.exports = { CfnBar, CfnBaz, FooKind };`,
	// As cdk-nag's rules: the service module required at the top.
	"node_modules/cdk-nag/lib/rules/foo/FooRule.js": `
const foo = require('aws-cdk-lib/aws-foo');
exports.isBar = (x) => x instanceof foo.CfnBar;
exports.isBaz = (x) => x instanceof foo.CfnBaz;
exports.type = () => foo.CfnBar.TYPE;
exports.make = () => new foo.CfnBar();
exports.module = foo;`,
	"node_modules/other/index.js": `module.exports = require('aws-cdk-lib/aws-foo');`,
	// aws-cdk-lib's subpaths are its "exports"; a second rule of the same
	// directory, and one of a directory with an aws-cdk-lib of its own.
	"node_modules/aws-cdk-lib/package.json": `{"name": "aws-cdk-lib", "exports": {".": "./index.js", "./aws-foo": "./aws-foo/index.js"}}`,
	"node_modules/aws-cdk-lib/index.js":     `exports.root = true;`,
	"node_modules/cdk-nag/lib/rules/foo/FooRule2.js": `
exports.module = require('aws-cdk-lib/aws-foo');
exports.root = require('aws-cdk-lib');`,
	"node_modules/cdk-nag/lib/rules/foo/Missing.js":                               `require('aws-cdk-lib/aws-none');`,
	"node_modules/cdk-nag/lib/rules/nested/NestedRule.js":                         `exports.module = require('aws-cdk-lib/aws-foo');`,
	"node_modules/cdk-nag/lib/rules/nested/node_modules/aws-cdk-lib/package.json": `{"name": "aws-cdk-lib", "exports": {"./aws-foo": "./foo.js"}}`,
	"node_modules/cdk-nag/lib/rules/nested/node_modules/aws-cdk-lib/foo.js":       `exports.nested = true;`,
	// How the rules' requires resolve, and how often Node looked aws-cdk-lib up.
	"resolve.js": `
const Module = require('module');
let finds = 0;
const findPath = Module._findPath;
Module._findPath = function (request, ...rest) {
  if (request.startsWith('aws-cdk-lib')) finds++;
  return findPath.call(this, request, ...rest);
};
const rules = './node_modules/cdk-nag/lib/rules/';
require('aws-cdk-lib/aws-foo'); // loaded first by another module, as the app's own requires do
const a = require(rules + 'foo/FooRule.js'), b = require(rules + 'foo/FooRule2.js'), n = require(rules + 'nested/NestedRule.js');
let missing = '';
try { require(rules + 'foo/Missing.js'); } catch (e) { missing = e.code; }
// The modules FooRule2 has as children, as Node records them.
const children = require.cache[require.resolve(rules + 'foo/FooRule2.js')].children.map((c) => c.filename.slice(__dirname.length + 1)).sort().join();
console.log(JSON.stringify({ same: a.module === b.module, root: b.root.root, nested: n.module.nested === true, missing, children, finds }));`,
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
case 'enum':
  // Only the L1 classes have stand-ins: an enum is the real one.
  r.kinds = Object.keys(rule.module.FooKind).join(); r.type = typeof rule.module.FooKind; r.loads = loads();
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
		{"enum", "", "", map[string]any{"kinds": "A,B", "type": "object", "loads": 1.0}},
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

	// The rules' requires of aws-cdk-lib resolve as without the shortcut,
	// each once per directory: FooRule2's aws-foo is FooRule's.
	for _, tc := range []struct {
		env   string
		finds float64
	}{{"FARGATE_NAG_SHORTCUT=on", 5}, {"FARGATE_NAG_SHORTCUT=off", 6}} {
		cmd := exec.Command(nodeBin(t), "--require", shortcut, "resolve.js")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), tc.env)
		out, err := cmd.CombinedOutput()
		var got map[string]any
		if err == nil {
			err = json.Unmarshal(out, &got)
		}
		want := map[string]any{"same": true, "root": true, "nested": true, "missing": "ERR_PACKAGE_PATH_NOT_EXPORTED",
			"children": "node_modules/aws-cdk-lib/aws-foo/index.js,node_modules/aws-cdk-lib/index.js", "finds": tc.finds}
		if err != nil || jsonOf(got) != jsonOf(want) {
			t.Errorf("%s: the rules' requires gave %s (%v), want %s", tc.env, out, err, jsonOf(want))
		}
	}
}
