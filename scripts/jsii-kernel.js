'use strict';
// The jsii kernel in one node process, for the Go app: scripts/jsii-kernel
// runs this file with the kernel's program (lib/program.js of the Go module
// jsii-runtime-go, the one the binary links) as its argument, with fd 3 the
// Go side's requests (its stdin), fd 4 its responses (its stdout), stdin
// /dev/null and fd 1 a copy of stderr.
// scripts/app names that command in JSII_RUNTIME, which the Go runtime then
// starts instead of its own.
//
// Why: the Go runtime's own command is a relay. A first node process spawns
// the kernel as a second one, speaks the jsii protocol with it on fd 3 and
// pipes that to and from the Go process on stdin and stdout, so that the
// kernel's stdout (anything aws-cdk-lib or cdk-nag prints) cannot corrupt
// the protocol: the relay hands it to the Go side as {"stdout": base64}
// lines on stderr, and stderr as {"stderr": base64}. Every jsii call (about
// 760 in a synth) crossed both processes, and the relay's own start cost a
// node start. Here the kernel speaks to the Go process directly, and this
// file does what the relay did for the kernel's output:
//   - the kernel reads requests from fd 3, which is stdin itself;
//   - its writes to fd 3 go to fd 4, the Go side's stdout, which carries
//     only them;
//   - process.stdout and process.stderr (console.log, console.error,
//     warnings) become the relay's {"stdout": ...} and {"stderr": ...}
//     lines on fd 2, which the Go runtime decodes as it decodes the relay's.
// What node itself writes to fd 1 or 2 (a V8 trace flag, a crash's stack
// trace) goes to the Go side's stderr, as raw lines, which it prints as
// they are.
//
// One difference stays: a child process the kernel starts with its stderr
// (aws-cdk-lib's asset bundling does) writes to the Go side's stderr
// directly, where the relay wrapped it too. Its output still reaches the
// terminal, but a last line without a newline joins the next console line,
// and a line that is a JSON object is taken for a console message and
// dropped. This app bundles no asset (its three functions are the CDK's
// own, prebuilt); FARGATE_KERNEL=relay keeps the relay where that matters.
//
// fds 3 and 4 stay open for the whole run, so no file the kernel opens can
// get their numbers, and only the kernel's protocol uses them.
const fs = require('fs');
const path = require('path');
const { Writable } = require('stream');

const program = process.argv[2];
const stat = (fd) => {
  try {
    return fs.fstatSync(fd);
  } catch {
    return undefined;
  }
};
// same: a and b are open on the same file.
const same = (a, b) => {
  const x = stat(a), y = stat(b);
  return x !== undefined && y !== undefined && x.ino === y.ino && x.dev === y.dev;
};
// pipe: fd is a pipe or a socket (node's own descriptors, which may have
// these numbers when the shell gave none, are neither).
const pipe = (fd) => {
  const st = stat(fd);
  return st !== undefined && (st.isFIFO() || st.isSocket());
};
if (!program || !pipe(3) || !pipe(4) || same(3, 4) || same(0, 3) || !same(1, 2) || same(4, 1)) {
  fs.writeSync(2, 'jsii-kernel.js: start it as scripts/jsii-kernel PROGRAM does: node jsii-kernel.js PROGRAM 3<&0 0</dev/null 4>&1 1>&2\n');
  process.exit(2);
}

const writeSync = fs.writeSync;
fs.writeSync = function (fd, ...rest) {
  return writeSync.call(this, fd === 3 ? 4 : fd, ...rest);
};

// writeAll writes all of buf to fd, waiting out EAGAIN (a pipe something
// else made non-blocking) as the kernel's own writes do.
const pause = new Int32Array(new SharedArrayBuffer(4));
const writeAll = (fd, buf) => {
  for (let off = 0, wait = 0; off < buf.length; ) {
    try {
      off += writeSync(fd, buf, off);
      wait = 0;
    } catch (e) {
      if (e.code !== 'EAGAIN') {
        throw e;
      }
      wait = Math.min(Math.max(2 * wait, 1), 10);
      Atomics.wait(pause, 0, 0, wait);
    }
  }
};

// consoleStream writes what key names, as one {"key": base64} line on fd 2.
const consoleStream = (key) => {
  const stream = new Writable({
    decodeStrings: true,
    write(chunk, _encoding, done) {
      writeAll(2, Buffer.from(`${JSON.stringify({ [key]: chunk.toString('base64') })}\n`));
      done();
    },
  });
  stream.fd = key === 'stdout' ? 1 : 2;
  stream.isTTY = false;
  return stream;
};
const stdout = consoleStream('stdout');
const stderr = consoleStream('stderr');
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stdout });
Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stderr });
// And a console on them: the global one binds node's own streams on its
// first use, which a preload (NODE_OPTIONS=--require) may have made.
const { Console } = require('console');
const kernelConsole = new Console({ stdout, stderr, colorMode: 'auto' }); // FORCE_COLOR as under the relay
kernelConsole.Console = Console;
Object.defineProperty(globalThis, 'console', { configurable: true, enumerable: false, writable: true, value: kernelConsole });

// The tarball digests, remembered per app binary. The Go side loads each
// package (aws-cdk-lib, cdk-nag, constructs and the CDK's asset packages)
// by writing the tarball it embeds to a new temporary file, and the kernel
// finds the package's extracted copy in its package cache by the SHA-256
// of that file: 62 MB hashed on every start, about 0.1 s of the kernel's
// one thread. The bytes of a tarball are fixed in the binary that embeds
// them, so a digest computed once under a binary holds for every later run
// of the same binary file. The memo (FARGATE_DIGEST_MEMO, a JSON file that
// scripts/app keeps in .build) holds the digests computed under one binary,
// named by its device, inode, size, modification and change times; the
// digests of any other binary are dropped. It is used only when this
// process's parent, the Go side, runs the file FARGATE_APP_BIN (scripts/app's
// .build/app), so that nothing between them (a shell) is taken for the
// binary. What a wrong digest would do, if the binary's identity ever
// matched another binary's: on a package cache hit the kernel takes the
// entry of that digest without reading the tarball; on a miss it extracts
// the tarball and fails the load, as the bytes do not match (delete the
// memo). The kernel's own function is replaced in its source, which has to
// hold that definition exactly once (TestDigestMemoPatternIsInTheLinkedKernel
// pins it); if not, the kernel runs as it is.
const DIGEST_FILE = 'p.digestFile=function digestFile(e,...p){return readFileChunks(e,()=>{},...p)}';
const memoFile = process.env.FARGATE_DIGEST_MEMO || '';
const memoStats = { computed: 0, remembered: 0, off: '' };
// binaryOfParent is the identity of the app binary when this process's
// parent runs FARGATE_APP_BIN, else undefined, with why in memoStats.off.
// The identity has the change time too, which no tool can set (a copy
// can keep the modification time, and a new file can get a freed inode).
const binaryOfParent = () => {
  const statFile = (file, what) => {
    try {
      return fs.statSync(file, { bigint: true });
    } catch (e) {
      memoStats.off = `${what} (${e.code || e.message})`;
      return undefined;
    }
  };
  const exe = statFile(`/proc/${process.ppid}/exe`, "cannot see the parent process's binary in /proc");
  const app = exe && statFile(process.env.FARGATE_APP_BIN || '', 'no app binary FARGATE_APP_BIN');
  if (!app) {
    return undefined;
  }
  if (exe.dev !== app.dev || exe.ino !== app.ino) {
    memoStats.off = 'the parent process does not run FARGATE_APP_BIN';
    return undefined;
  }
  return `${exe.dev}:${exe.ino}:${exe.size}:${exe.mtimeNs}:${exe.ctimeNs}`;
};
const binary = memoFile ? binaryOfParent() : undefined;
let source;
if (binary !== undefined) {
  source = fs.readFileSync(program, 'utf8');
  if (source.split(DIGEST_FILE).length !== 2) {
    memoStats.off = "the kernel's digestFile is not the one this memo replaces";
    source = undefined;
  }
}
if (process.env.FARGATE_DIGEST_MEMO_DEBUG === '1') {
  process.once('exit', () => {
    const off = memoFile === '' ? 'FARGATE_DIGEST_MEMO is empty' : memoStats.off;
    const what = off ? `memo off: ${off}` : `${memoStats.computed} computed, ${memoStats.remembered} remembered`;
    fs.writeSync(2, `jsii-kernel: tarball digests: ${what}\n`);
  });
}
if (source === undefined) {
  require(program);
} else {
  const readMemo = () => {
    try {
      const m = JSON.parse(fs.readFileSync(memoFile, 'utf8'));
      if (m.binary === binary && m.digests !== null && typeof m.digests === 'object') {
        return m.digests;
      }
    } catch {}
    return {};
  };
  const digests = readMemo();
  globalThis[Symbol.for('fargate.digestFile')] = (file, parts, compute) => {
    let size;
    try {
      size = fs.statSync(file).size;
    } catch {
      return compute(); // the kernel reports the missing file
    }
    const key = JSON.stringify([...parts, size]);
    const hex = digests[key];
    if (typeof hex === 'string' && /^[0-9a-f]{64}$/.test(hex)) {
      memoStats.remembered++;
      return Buffer.from(hex, 'hex');
    }
    const digest = compute();
    memoStats.computed++;
    Object.assign(digests, readMemo(), { [key]: digest.toString('hex') });
    const tmp = `${memoFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify({ binary, digests }));
      fs.renameSync(tmp, memoFile);
    } catch {
      try {
        fs.rmSync(tmp, { force: true }); // a memo that cannot be written costs a digest next time
      } catch {}
    }
    removeOrphans();
    return digest;
  };
  // removeOrphans removes the temporary memo files of kernels that died
  // between their write and their rename.
  const removeOrphans = () => {
    const prefix = `${path.basename(memoFile)}.`;
    const alive = (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return e.code === 'EPERM';
      }
    };
    try {
      for (const name of fs.readdirSync(path.dirname(memoFile))) {
        const m = name.startsWith(prefix) && /^(\d+)\.tmp$/.exec(name.slice(prefix.length));
        if (m && !alive(Number(m[1]))) {
          fs.rmSync(path.join(path.dirname(memoFile), name), { force: true });
        }
      }
    } catch {}
  };
  const Module = require('module');
  const kernel = new Module(program, module);
  kernel.filename = program;
  kernel.paths = Module._nodeModulePaths(path.dirname(program));
  Module._cache[program] = kernel;
  kernel._compile(
    source.replace(
      DIGEST_FILE,
      "p.digestFile=function digestFile(e,...p){return globalThis[Symbol.for('fargate.digestFile')](e,p,()=>readFileChunks(e,()=>{},...p))}",
    ),
    program,
  );
  kernel.loaded = true;
}
