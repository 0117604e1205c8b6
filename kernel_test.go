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
)

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
	inProcess := "JSII_RUNTIME='" + s.dir + "/scripts/jsii-kernel' '" + s.program() + "'\n"
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

	// A bad value is refused, naming the setting, the value and the choices.
	built, out, err := s.run("FARGATE_KERNEL=inprocess")
	if err == nil || built || out != "scripts/app: FARGATE_KERNEL is \"inprocess\": want in-process (the default) or relay\n" {
		t.Errorf("FARGATE_KERNEL=inprocess: built %v, printed %q, %v; want a refusal", built, out, err)
	}

	// The recorded kernel gone (a cleaned module cache): the binary is stale.
	if err := os.Remove(s.program()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(s.program()), "elsewhere.js"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.runtime = t.TempDir() // the module again, now somewhere else
	if err := os.MkdirAll(filepath.Dir(s.program()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.program(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	built, out, err = s.run("STUB_ID=y")
	if err != nil || !built || out != "app y\n" {
		t.Errorf("with the recorded kernel gone: built %v, printed %q, %v; want a build", built, out, err)
	}
	fake()
	if built, out, err := s.run(); err != nil || built || out != "JSII_RUNTIME='"+s.dir+"/scripts/jsii-kernel' '"+s.program()+"'\n" {
		t.Errorf("after the rebuild: built %v, printed %q, %v; want the new kernel", built, out, err)
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

// mockKernel stands in for the jsii kernel: it answers each request line it
// reads from fd 3 on fd 3, as the kernel does, and prints on the way as
// aws-cdk-lib or cdk-nag might, which must not reach the protocol.
const mockKernel = `'use strict';
const fs = require('fs');
const buf = Buffer.alloc(65536);
let pending = '';
for (;;) {
  const n = fs.readSync(3, buf, 0, buf.length, null);
  if (n === 0) break;
  pending += buf.subarray(0, n).toString();
  let i;
  while ((i = pending.indexOf('\n')) >= 0) {
    const req = JSON.parse(pending.slice(0, i));
    pending = pending.slice(i + 1);
    if (req.exit !== undefined) process.exit(req.exit);
    console.log('a console.log of', req.n);
    process.stdout.write('raw stdout');
    console.error('a console.error');
    console.warn('a console.warn');
    fs.writeSync(1, 'node writes to its stdout\n'); // as node does for a V8 trace flag
    const f = fs.openSync(__filename, 'r'); // a file the kernel opens gets another fd than 3
    fs.closeSync(f);
    fs.writeSync(3, JSON.stringify({ ok: req.n, fd: f }) + '\n');
  }
}
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
	// As the Go runtime starts JSII_RUNTIME: $SHELL -c, pipes for the three.
	cmd := exec.Command("/bin/sh", "-c", "'"+kernel+"' '"+program+"'")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(nodeBin(t))+":"+os.Getenv("PATH"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
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
		var got struct{ OK, FD int }
		if err := json.Unmarshal(responses.Bytes(), &got); err != nil || got.OK != n || got.FD == 3 || got.FD == 4 {
			t.Errorf("request %d: stdout has %q, %v; want only the response, from a kernel whose files never get fd 3 or 4", n, responses.Text(), err)
		}
	}
	stdin.Write([]byte("{\"exit\":0}\n"))
	if responses.Scan() {
		t.Errorf("stdout has more than the responses: %q", responses.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the kernel exited with %v; stderr:\n%s", err, stderr.String())
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
		want = append(want, "stdout: a console.log of "+n+"\n", "stdout: raw stdout", "stderr: a console.error\n", "stderr: a console.warn\n", "raw: node writes to its stdout\n")
	}
	if got := strings.Join(printed, ""); got != strings.Join(want, "") {
		t.Errorf("the kernel's output reached the Go side as\n%s\nwant\n%s", got, strings.Join(want, ""))
	}

	// Started without its file descriptors, it refuses to run.
	bad := exec.Command(nodeBin(t), "scripts/jsii-kernel.js", program)
	out, err := bad.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "start it as scripts/jsii-kernel PROGRAM does") {
		t.Errorf("jsii-kernel.js without fd 3: %v, %q; want a refusal", err, out)
	}
}
