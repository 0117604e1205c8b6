package main

// Checks of the in-process jsii kernel: scripts/app names scripts/jsii-kernel
// in JSII_RUNTIME, and scripts/jsii-kernel.js keeps the jsii protocol on
// stdout apart from what the kernel prints.

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowWriter takes a millisecond for each write, as a busy reader of the
// kernel's stderr would.
type slowWriter struct{ strings.Builder }

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return w.Builder.Write(p)
}

func TestScriptsAppRunsTheKernelInProcess(t *testing.T) {
	s := newScratch(t)
	if _, out, err := s.run("STUB_ID=x", "--build-only"); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(s.dir, ".build/jsii-runtime")); err != nil || string(b) != s.program()+"\n" {
		t.Fatalf(".build/jsii-runtime is %q, %v; want the module's kernel %s", b, err, s.program())
	}
	// The binary prints the JSII_RUNTIME it was given; the stamp still matches.
	fake := func() {
		s.write(".build/app", "#!/bin/sh\necho \"JSII_RUNTIME=${JSII_RUNTIME-unset}\"\n")
		if err := os.Chmod(filepath.Join(s.dir, ".build/app"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fake()
	inProcess := "JSII_RUNTIME=exec '" + s.dir + "/scripts/jsii-kernel' '" + s.program() + "'\n"
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{nil, inProcess},
		{[]string{"FARGATE_KERNEL=in-process"}, inProcess},
		{[]string{"FARGATE_KERNEL="}, inProcess},
		{[]string{"FARGATE_KERNEL=relay"}, "JSII_RUNTIME=unset\n"},
		{[]string{"JSII_RUNTIME=my-kernel"}, "JSII_RUNTIME=my-kernel\n"},
	} {
		built, out, err := s.run(tc.env...)
		if err != nil || built || out != tc.want {
			t.Errorf("env %q: built %v, printed %q, %v; want %q", tc.env, built, out, err, tc.want)
		}
	}

	// The Go runtime runs JSII_RUNTIME with $SHELL -c: the app gets /bin/sh
	// there, and the user's shell in FARGATE_USER_SHELL for the kernel.
	s.write(".build/app", "#!/bin/sh\necho \"SHELL=${SHELL-unset} FARGATE_USER_SHELL=${FARGATE_USER_SHELL-unset}\"\n")
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"SHELL=/usr/bin/zsh"}, "SHELL=/bin/sh FARGATE_USER_SHELL=/usr/bin/zsh\n"},
		{nil, "SHELL=/bin/sh FARGATE_USER_SHELL=unset\n"},
		{[]string{"SHELL=/usr/bin/zsh", "FARGATE_KERNEL=relay"}, "SHELL=/usr/bin/zsh FARGATE_USER_SHELL=unset\n"},
		{[]string{"SHELL=/usr/bin/zsh", "JSII_RUNTIME=my-kernel"}, "SHELL=/usr/bin/zsh FARGATE_USER_SHELL=unset\n"},
	} {
		built, out, err := s.run(tc.env...)
		if err != nil || built || out != tc.want {
			t.Errorf("env %q: built %v, printed %q, %v; want %q", tc.env, built, out, err, tc.want)
		}
	}

	// The kernel's digest memo: the app binary, its parent, and the memo
	// file, which FARGATE_DIGEST_MEMO moves or (empty) turns off.
	s.write(".build/app", "#!/bin/sh\necho \"FARGATE_APP_BIN=${FARGATE_APP_BIN-unset} FARGATE_DIGEST_MEMO=${FARGATE_DIGEST_MEMO-unset}\"\n")
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{nil, "FARGATE_APP_BIN=" + s.dir + "/.build/app FARGATE_DIGEST_MEMO=" + s.dir + "/.build/tarball-digests.json\n"},
		{[]string{"FARGATE_DIGEST_MEMO=/elsewhere.json"}, "FARGATE_APP_BIN=" + s.dir + "/.build/app FARGATE_DIGEST_MEMO=/elsewhere.json\n"},
		{[]string{"FARGATE_DIGEST_MEMO="}, "FARGATE_APP_BIN=" + s.dir + "/.build/app FARGATE_DIGEST_MEMO=\n"},
		{[]string{"FARGATE_KERNEL=relay"}, "FARGATE_APP_BIN=unset FARGATE_DIGEST_MEMO=unset\n"},
	} {
		built, out, err := s.run(tc.env...)
		if err != nil || built || out != tc.want {
			t.Errorf("env %q: built %v, printed %q, %v; want %q", tc.env, built, out, err, tc.want)
		}
	}
	fake()

	// A bad value is refused, naming the setting, the value and the
	// choices, before any build.
	s.edit("main.go")
	built, out, err := s.run("FARGATE_KERNEL=inprocess")
	if err == nil || built || out != "scripts/app: FARGATE_KERNEL is \"inprocess\": want in-process (the default) or relay\n" {
		t.Errorf("FARGATE_KERNEL=inprocess: built %v, printed %q, %v; want a refusal", built, out, err)
	}
	if _, out, err := s.run("--build-only"); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fake()

	// The recorded kernel gone (a cleaned module cache): the relay, with a
	// note, and no build, which would need the module cache; the next
	// build records the kernel again.
	gone := s.program()
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	built, out, err = s.run()
	if err != nil || built || out != "scripts/app: the jsii kernel "+gone+" is gone (a cleaned module cache?): the app runs with the Go runtime's relay until the next build; rm .build/app to build now\nJSII_RUNTIME=unset\n" {
		t.Errorf("with the recorded kernel gone: built %v, printed %q, %v; want the relay and the note", built, out, err)
	}
	s.moveRuntime(t.TempDir()) // the module again, now somewhere else
	s.remove(".build/app")
	if built, out, err := s.run("STUB_ID=y"); err != nil || !built || out != "app y\n" {
		t.Errorf("rm .build/app: built %v, printed %q, %v; want a build", built, out, err)
	}
	fake()
	if built, out, err := s.run(); err != nil || built || out != "JSII_RUNTIME=exec '"+s.dir+"/scripts/jsii-kernel' '"+s.program()+"'\n" {
		t.Errorf("after the rebuild: built %v, printed %q, %v; want the new kernel", built, out, err)
	}

	// A kernel whose path has a quote, which JSII_RUNTIME could not name in
	// single quotes: the relay.
	s.moveRuntime(filepath.Join(t.TempDir(), "it's"))
	s.remove(".build/app")
	if _, out, err := s.run("--build-only"); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fake()
	if built, out, err := s.run(); err != nil || built || out != "JSII_RUNTIME=unset\n" {
		t.Errorf("a kernel at %s: built %v, printed %q, %v; want the relay", s.program(), built, out, err)
	}

	// A jsii-runtime-go without the file: the relay, said once, and the
	// binary is not stale because of it.
	s.runtime = t.TempDir()
	s.remove(".build/app")
	built, out, err = s.run("STUB_ID=z")
	if err != nil || !built || !strings.Contains(out, "scripts/app: no jsii kernel at "+s.program()+": the app runs with the Go runtime's relay\n") {
		t.Errorf("a module without the kernel: built %v, printed %q, %v; want a build and the note", built, out, err)
	}
	fake()
	if built, out, err := s.run(); err != nil || built || out != "JSII_RUNTIME=unset\n" {
		t.Errorf("the next run: built %v, printed %q, %v; want the relay, no build", built, out, err)
	}
	if l := s.leftovers(); len(l) > 0 {
		t.Errorf("the builds left %v in .build", l)
	}
}

// standInServe is the request loop of the stand-in kernels: serve(answer)
// answers each request line it reads from fd 3 with answer's JSON on fd 3,
// as the kernel does, until the Go side closes its end.
const standInServe = `
function serve(answer) {
  const fs = require('fs');
  const buf = Buffer.alloc(65536);
  let pending = '';
  for (;;) {
    const n = fs.readSync(3, buf, 0, buf.length, null);
    if (n === 0) return;
    pending += buf.subarray(0, n).toString();
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      const req = JSON.parse(pending.slice(0, i));
      pending = pending.slice(i + 1);
      fs.writeSync(3, JSON.stringify(answer(req)) + '\n');
    }
  }
}
`

// mockKernel stands in for the jsii kernel: it answers each request, and
// prints on the way as aws-cdk-lib or cdk-nag might, which must not reach
// the protocol.
const mockKernel = `'use strict';
const fs = require('fs');
const tty = process.stdin.isTTY; // as a library might: that made the Go side's pipe non-blocking
` + standInServe + `
serve((req) => {
  if (req.exit !== undefined) process.exit(req.exit);
  console.log('a console.log of', req.n);
  if (req.n === 2) console.log('y'.repeat(1 << 20)); // more than a pipe holds
  process.stdout.write('raw stdout');
  console.error('a console.error');
  console.warn('a console.warn');
  fs.writeSync(1, 'node writes to its stdout\n'); // as node does for a V8 trace flag
  const f = fs.openSync(__filename, 'r'); // a file the kernel opens gets another fd than 3
  fs.closeSync(f);
  const stdin = fs.readSync(0, Buffer.alloc(16), 0, 16, null); // /dev/null: 0
  return { ok: req.n, fd: f, stdin, shell: process.env.SHELL, userShell: process.env.FARGATE_USER_SHELL || null };
});
`

func TestJsiiKernelKeepsTheProtocolApart(t *testing.T) {
	dir := t.TempDir()
	program := filepath.Join(dir, "program.js")
	if err := os.WriteFile(program, []byte(mockKernel), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel, err := filepath.Abs("scripts/jsii-kernel")
	if err != nil {
		t.Fatal(err)
	}
	// A preload that prints before jsii-kernel.js takes over the console,
	// as an agent might: node's own stdout stream, on the pipe of stderr,
	// makes that pipe non-blocking.
	preload := filepath.Join(dir, "preload.js")
	if err := os.WriteFile(preload, []byte("console.log('preload: started');\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// As the Go runtime starts JSII_RUNTIME with scripts/app's SHELL, /bin/sh:
	// $SHELL -c, pipes for the three; the user's SHELL handed over.
	// JSII_NODE names the node, as for the relay: here one that says so.
	node := filepath.Join(dir, "node")
	if err := os.WriteFile(node, []byte("#!/bin/sh\n: >'"+dir+"/JSII_NODE used'\nexec '"+nodeBin(t)+"' \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "exec '"+kernel+"' '"+program+"'")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(nodeBin(t))+":"+os.Getenv("PATH"), "SHELL=/bin/sh", "FARGATE_USER_SHELL=/usr/bin/the-users-shell",
		"NODE_OPTIONS=--require "+preload, "JSII_NODE="+node)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr slowWriter // a Go side slower than the kernel's output
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	responses := bufio.NewScanner(stdout)
	for n := 1; n <= 2; n++ {
		if _, err := stdin.Write([]byte(`{"n":` + string(rune('0'+n)) + "}\n")); err != nil {
			t.Fatal(err)
		}
		if !responses.Scan() {
			t.Fatalf("request %d: no response; stderr:\n%s", n, stderr.String())
		}
		var got struct {
			OK, FD, Stdin    int
			Shell, UserShell any
		}
		if err := json.Unmarshal(responses.Bytes(), &got); err != nil || got.OK != n || got.FD == 3 || got.FD == 4 {
			t.Errorf("request %d: stdout has %q, %v; want only the response, from a kernel whose files never get fd 3 or 4", n, responses.Text(), err)
		}
		if got.Stdin != 0 || got.Shell != "/usr/bin/the-users-shell" || got.UserShell != nil {
			t.Errorf("request %d: the kernel read %d bytes from stdin, has SHELL %v and FARGATE_USER_SHELL %v; want /dev/null, the user's shell, unset", n, got.Stdin, got.Shell, got.UserShell)
		}
	}
	stdin.Write([]byte("{\"exit\":0}\n"))
	if responses.Scan() {
		t.Errorf("stdout has more than the responses: %q", responses.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the kernel exited with %v; stderr:\n%s", err, stderr.String())
	}
	if !exists(filepath.Join(dir, "JSII_NODE used")) {
		t.Errorf("the kernel ran another node than JSII_NODE's %s", node)
	}

	// stderr: the relay's console messages, which the Go runtime decodes,
	// and node's own output, which it prints as it is.
	var printed []string
	for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		var m struct{ Stdout, Stderr []byte }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			printed = append(printed, "raw: "+line+"\n")
			continue
		}
		switch {
		case m.Stdout != nil:
			printed = append(printed, "stdout: "+string(m.Stdout))
		case m.Stderr != nil:
			printed = append(printed, "stderr: "+string(m.Stderr))
		}
	}
	var want []string
	for _, n := range []string{"1", "2"} {
		want = append(want, "stdout: a console.log of "+n+"\n")
		if n == "2" {
			want = append(want, "stdout: "+strings.Repeat("y", 1<<20)+"\n")
		}
		want = append(want, "stdout: raw stdout", "stderr: a console.error\n", "stderr: a console.warn\n", "raw: node writes to its stdout\n")
	}
	want = append([]string{"raw: preload: started\n"}, want...)
	if got := strings.Join(printed, ""); got != strings.Join(want, "") {
		short := func(s string) string { return strings.ReplaceAll(s, strings.Repeat("y", 1<<20), "<2^20 y>") }
		t.Errorf("the kernel's output reached the Go side as\n%s\nwant\n%s", short(got), short(strings.Join(want, "")))
	}

	// Started without its file descriptors as scripts/jsii-kernel sets them
	// up, it refuses to run. Each start has pipes for stdin, stdout and
	// stderr, as the Go runtime gives.
	js, err := filepath.Abs("scripts/jsii-kernel.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, redirects := range []string{
		"",                                  // none: fds 3 and 4 are node's own
		"3<&0 4>&1 1>&2",                    // stdin still the requests
		"3<&0 0</dev/null 1>&2",             // no fd 4
		"3<&0 0</dev/null 4>&1",             // stdout not stderr
		"3<&0 0</dev/null 4>&1 1>/dev/null", // fd 1 neither stderr nor the responses
		"3<&0 0</dev/null 4>&3 1>&2",        // responses on the requests' pipe
		"3<&0 0</dev/null 4>&2 1>&2",        // responses on stderr
	} {
		bad := exec.Command("/bin/sh", "-c", "exec '"+nodeBin(t)+"' '"+js+"' '"+program+"' "+redirects)
		bad.Stdin = strings.NewReader("{\"n\":1}\n")
		var out, errOut strings.Builder
		bad.Stdout, bad.Stderr = &out, &errOut
		err := bad.Run()
		if err == nil || out.Len() > 0 || !strings.Contains(errOut.String(), "start it as scripts/jsii-kernel PROGRAM does") {
			t.Errorf("jsii-kernel.js with %q: %v, stdout %q, stderr %q; want a refusal", redirects, err, out.String(), errOut.String())
		}
	}
}
