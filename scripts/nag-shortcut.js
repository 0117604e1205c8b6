'use strict';
// A shortcut for cdk-nag's type tests, in the jsii kernel's node process:
// scripts/app preloads this file there (NODE_OPTIONS=--require) unless
// FARGATE_NAG_SHORTCUT=off.
//
// Why: each cdk-nag rule starts with `node instanceof CfnX`, with CfnX from
// `require('aws-cdk-lib/aws-<service>')`. aws-cdk-lib loads a service's
// classes lazily, on the first property read, and for about 35 services
// the app has no resource of, that first read (on the first resource the
// rules visit) loaded megabytes of generated L1 code only to answer false:
// about half of cdk-nag's time in a synth.
//
// How: a class exists only once the file that defines it has run, and
// every L1 class (CfnX) of aws-cdk-lib/aws-<service> is defined under
// aws-cdk-lib/aws-<service>/lib/ (TestNagShortcutPremise checks that for
// every service module cdk-nag's rules require). So while no file under
// that directory has been loaded, no object can be an instance of any of
// them, and `x instanceof CfnX` is false without loading it. This file
// hands cdk-nag's rules (the modules under cdk-nag/lib/rules/) a view of
// each service module whose CfnX answer instanceof that way until the
// service is loaded, by anyone, and from then on are the real classes.
// Anything else a rule does with a CfnX (a static member, a call, `new`)
// loads the real class first; every other export (an enum, an L2 class) is
// the real one. Nothing else sees the view, and no rule's result changes:
// TestCdkSynthWithTheCodeCache compares every nag report with a synth
// without this file. It also resolves the rules' requires of aws-cdk-lib
// once per directory (below).
//
// FARGATE_NAG_SHORTCUT_DEBUG=1 prints, on stderr at exit, how many type
// tests it answered without loading, for how many services.
if (process.env.FARGATE_NAG_SHORTCUT !== 'off') {
  const Module = require('module');

  // loaded: the aws-cdk-lib directories with a file under lib/ loaded, or
  // being loaded (a file's classes exist only after this, never before).
  const loaded = new Set();
  const service = /[\\/]aws-cdk-lib[\\/]([^\\/]+)[\\/]lib[\\/]/;
  const load = Module.prototype.load;
  Module.prototype.load = function (filename, ...rest) {
    if (filename.includes('aws-cdk-lib')) {
      const m = service.exec(filename);
      if (m) {
        loaded.add(m[1]);
      }
    }
    return load.call(this, filename, ...rest);
  };

  // The debug line's counts: the services answered for, and how often.
  const answered = new Set();
  let shortcuts = 0;
  if (process.env.FARGATE_NAG_SHORTCUT_DEBUG === '1') {
    process.once('exit', () => {
      const never = [...answered].filter((dir) => !loaded.has(dir)).length;
      require('fs').writeSync(2, `nag-shortcut: ${shortcuts} type tests answered without loading, ${never} services never loaded\n`);
    });
  }

  const rule = /[\\/]cdk-nag[\\/]lib[\\/]rules[\\/]/;
  const l1 = /^Cfn[A-Z]/;
  const request = /^aws-cdk-lib\/(aws-[a-z0-9-]+)$/;
  const views = new WeakMap(); // service module -> the view rules get
  // The rules' requires of aws-cdk-lib, resolved once per directory. Node
  // resolves each through aws-cdk-lib's "exports" (about 400 entries, parsed
  // again on every call), and remembers a directory's request only when it
  // loaded the module for the first time; the app loads most services
  // before cdk-nag, so each rule of a directory resolved them again (145 of
  // the 251 resolutions of the rules' requires of aws-cdk-lib repeated one).
  // The same request from the same directory finds the same file while no
  // package comes or goes, and loading that file by its path is what Node
  // does next. A resolve hook (module.registerHooks, from a user's
  // NODE_OPTIONS) does not see these requests; the kernel has none.
  const resolved = new Map(); // directory \0 request -> file
  const moduleLoad = Module._load;
  Module._load = function (id, parent, ...rest) {
    // Every require passes here: the cheap test first.
    const fromRule = typeof id === 'string' && id.startsWith('aws-cdk-lib') && parent && rule.test(parent.filename || '');
    let target = id;
    if (fromRule) {
      const key = `${parent.path}\0${id}`;
      target = resolved.get(key);
      if (target === undefined) {
        target = Module._resolveFilename(id, parent, false);
        resolved.set(key, target);
      }
    }
    const exports = moduleLoad.call(this, target, parent, ...rest);
    const m = fromRule && request.exec(id);
    if (!m || exports === null || typeof exports !== 'object') {
      return exports;
    }
    if (!views.has(exports)) {
      views.set(exports, view(exports, m[1]));
    }
    return views.get(exports);
  };

  // view is the service module as the rules see it: a CfnX the module has
  // not resolved yet, while the service is not loaded, is a stand-in.
  const view = (exports, dir) => {
    const standIns = new Map();
    return new Proxy(exports, {
      get(target, key, receiver) {
        const d = typeof key === 'string' && l1.test(key) ? Object.getOwnPropertyDescriptor(target, key) : undefined;
        if (!d || !d.get || loaded.has(dir)) {
          return Reflect.get(target, key, receiver);
        }
        if (!standIns.has(key)) {
          standIns.set(key, standIn(() => target[key], dir));
        }
        return standIns.get(key);
      },
    });
  };

  // standIn answers instanceof with false while dir is not loaded, and is
  // the real class, real() loads it, for everything else.
  const standIn = (real, dir) =>
    new Proxy(function () {}, {
      get(_, key) {
        if (key === Symbol.hasInstance && !loaded.has(dir)) {
          shortcuts++;
          answered.add(dir);
          return () => false;
        }
        const r = real();
        const v = Reflect.get(r, key, r);
        return key === Symbol.hasInstance && typeof v === 'function' ? v.bind(r) : v;
      },
      has: (_, key) => Reflect.has(real(), key),
      apply: (_, self, args) => Reflect.apply(real(), self, args),
      construct: (_, args) => Reflect.construct(real(), args),
      getPrototypeOf: () => Reflect.getPrototypeOf(real()),
    });
}
