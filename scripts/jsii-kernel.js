'use strict';
// The jsii kernel in one node process, for the Go app: scripts/jsii-kernel
// runs this file with the kernel's program (lib/program.js of the Go module
// jsii-runtime-go, the one the binary links) as its argument, with fd 3 a
// copy of stdin, fd 4 a copy of stdout and fd 1 a copy of stderr.
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
// fds 3 and 4 stay open for the whole run, so no file the kernel opens can
// get their numbers, and only the kernel's protocol uses them.
const fs = require('fs');
const { Writable } = require('stream');

const program = process.argv[2];
const same = (a, b) => {
  try {
    const x = fs.fstatSync(a), y = fs.fstatSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
};
if (!program || !same(0, 3) || !same(1, 2) || same(4, 1)) {
  fs.writeSync(2, 'jsii-kernel.js: start it as scripts/jsii-kernel PROGRAM does: node jsii-kernel.js PROGRAM 3<&0 4>&1 1>&2\n');
  process.exit(2);
}

const writeSync = fs.writeSync;
fs.writeSync = function (fd, ...rest) {
  return writeSync.call(this, fd === 3 ? 4 : fd, ...rest);
};

// console writes what key names, as one {"key": base64} line on fd 2.
const console = (key) => {
  const stream = new Writable({
    decodeStrings: true,
    write(chunk, _encoding, done) {
      const line = Buffer.from(`${JSON.stringify({ [key]: chunk.toString('base64') })}\n`);
      for (let off = 0; off < line.length; ) {
        off += writeSync(2, line, off);
      }
      done();
    },
  });
  stream.fd = key === 'stdout' ? 1 : 2;
  stream.isTTY = false;
  return stream;
};
const stdout = console('stdout');
const stderr = console('stderr');
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stdout });
Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stderr });

require(program);
