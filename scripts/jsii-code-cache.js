'use strict';
// A V8 code cache for the jsii kernel: the node processes that run
// aws-cdk-lib and cdk-nag for the Go app. scripts/app preloads this file
// into them (NODE_OPTIONS=--require) and names the cache directory in
// FARGATE_CODE_CACHE; without that variable this file does nothing.
//
// Why: a synth compiles about 870 CommonJS files (26 MB of JavaScript),
// the same ones every time, and that compilation was a fifth of the
// kernel's time. Node's own compile cache (NODE_COMPILE_CACHE) cannot help
// here: it finds an entry by the file's path, and the kernel, started with
// --preserve-symlinks, links every package into a new /tmp/jsii-kernel-*
// directory on each run, so no path is ever seen twice.
//
// How: each module is compiled with the code V8 cached for the same source
// before, found by the SHA-1 of that source, so an entry can only ever be
// used for the very text it was made from (V8 itself checks no more than
// the length). A module that had no entry, or whose entry V8 rejected (an
// other Node.js or V8 flags), gets one written when the process exits,
// after the run, so it holds the functions the run compiled too. Entries
// are written to a temporary file and renamed, so racing synths never see
// half an entry. After a run that wrote entries, the entries no run has
// used for 30 days are removed. Any failure of the cache itself falls back
// to Node's own compile: the cache can make a synth slower, never different.
//
// FARGATE_CODE_CACHE_DEBUG=1 prints one line per process on stderr: the
// hits, misses and rejected entries.
const dir = process.env.FARGATE_CODE_CACHE;
if (dir) {
  const crypto = require('crypto');
  const fs = require('fs');
  const Module = require('module');
  const path = require('path');
  const vm = require('vm');

  // Entries of one Node.js build and wrapper apart from the others'.
  const WRAPPER = '(function (exports, require, module, __filename, __dirname) {\n';
  const root = path.join(dir, `${process.version}-${process.arch}-${crypto.hash('sha1', WRAPPER).slice(0, 8)}`);
  const unusedDays = 30;
  const compile = Module.prototype._compile;
  const stats = { hit: 0, miss: 0, rejected: 0 };
  const toWrite = new Map(); // entry file -> the script to write it from
  const used = new Set();

  // script compiles content as Node's CommonJS wrapper does, with the cached
  // code when there is some. The wrapper's first line takes lineOffset -1,
  // so line and column numbers in stack traces stay those of the file.
  const script = (content, filename) => {
    const entry = path.join(root, crypto.hash('sha1', content));
    let cachedData;
    try {
      cachedData = fs.readFileSync(entry);
    } catch {}
    const s = new vm.Script(WRAPPER + content + '\n});', {
      filename,
      lineOffset: -1,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    used.add(path.basename(entry));
    if (cachedData === undefined) {
      stats.miss++;
      toWrite.set(entry, s);
    } else if (s.cachedDataRejected) {
      stats.rejected++;
      toWrite.set(entry, s);
    } else {
      stats.hit++;
    }
    return s;
  };

  // requireFor is the `require` a module sees, as Node builds it.
  const requireFor = (mod) => {
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return require;
  };

  Module.prototype._compile = function (content, filename, format) {
    // Only plain CommonJS: ES modules, TypeScript and anything else take
    // Node's own way, as does a file that does not compile as CommonJS
    // (Node then tells whether it is an ES module, or reports the error).
    if ((format !== undefined && format !== 'commonjs') || !/\.c?js$/.test(filename)) {
      return compile.apply(this, arguments);
    }
    let fn;
    try {
      fn = script(content, filename).runInThisContext({ displayErrors: true });
    } catch {
      return compile.apply(this, arguments);
    }
    return fn.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };

  process.once('exit', () => {
    if (toWrite.size > 0) {
      try {
        fs.mkdirSync(root, { recursive: true });
        for (const [entry, s] of toWrite) {
          const tmp = `${entry}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, s.createCachedData());
          fs.renameSync(tmp, entry);
        }
        prune();
      } catch {}
    }
    if (process.env.FARGATE_CODE_CACHE_DEBUG === '1') {
      fs.writeSync(2, `jsii-code-cache: ${stats.hit} hits, ${stats.miss} misses, ${stats.rejected} rejected in ${root}\n`);
    }
  });

  // prune removes the entries this run did not use and no run used for
  // unusedDays (by access time, or modification time where the file
  // system keeps no access times), and leftover temporary files.
  function prune() {
    const before = Date.now() - unusedDays * 24 * 3600 * 1000;
    for (const name of fs.readdirSync(root)) {
      if (used.has(name)) {
        continue;
      }
      try {
        const st = fs.statSync(path.join(root, name));
        if (Math.max(st.atimeMs, st.mtimeMs) < before) {
          fs.rmSync(path.join(root, name), { force: true });
        }
      } catch {}
    }
  }
}
