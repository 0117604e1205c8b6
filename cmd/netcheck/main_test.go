package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The suite runs as `go test ./... -update`; the command has no golden files.
var _ = flag.Bool("update", false, "rewrite golden files (the command has none)")

func td(name string) string { return filepath.Join("..", "..", "netcheck", "testdata", name) }

// TestRun checks exit codes and what the command prints: 0 when the
// required paths hold, 1 when one breaks (saying which and why), 2 with a
// clear message for a usage error, never a panic.
func TestRun(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "cdk.out")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"good templates", []string{td("nat")}, 0,
			[]string{"from \\ to        Alb16C2F182  ServiceD69D759B  ecr.api  ecr.dkr  s3       logs     internet", "internet         allowed      denied", "all 8 required paths hold"}, nil},
		{"a broken path", []string{td("sg-missing-alb")}, 1,
			[]string{"DENIED!", "FAIL Alb16C2F182 -> ServiceD69D759B tcp 80: denied (must be allowed)", "1 of 8 required paths broken", "ServiceSG3DD30CA4 ingress: no rule admits tcp 80 from Alb16C2F182"},
			[]string{"netcheck: 1 required network path(s) broken in"}},
		{"quiet", []string{"-q", td("igw-detached")}, 1,
			[]string{"internet         DENIED!", "5 of 8 required paths broken:\n  the internet -> Alb16C2F182 tcp 80 must be allowed, is denied:\n    subnet VpcPublicSubnet1Subnet5C2D37C4 route 0.0.0.0/0 -> VpcIGWD7BA715C: blackhole, VpcIGWD7BA715C is not attached to Vpc8378EB38"}, nil},
		{"egress mode given", []string{"--egress", "nat", td("endpoints")}, 1,
			[]string{"egress mode nat (given: nat)", "FAIL ServiceD69D759B -> the internet tcp 443: denied (must be allowed)"}, nil},
		{"query allowed", []string{"--from", "ServiceD69D759B", "--to", "ecr.dkr", "--port", "443", td("nat")}, 0,
			[]string{"ServiceD69D759B -> ecr.dkr tcp 443: allowed", "legs:"}, nil},
		{"query denied", []string{"--from", "internet", "--to", "ServiceD69D759B", "--port", "80", td("nat")}, 1,
			[]string{"the internet -> ServiceD69D759B tcp 80: denied", "AssignPublicIp DISABLED"}, nil},
		{"model", []string{"--model", td("nacl-ok")}, 0,
			[]string{"NACL PrivateNacl8F92192C", "ingress rule 90 deny tcp 22 from 0.0.0.0/0"}, nil},
		{"missing directory", []string{missing}, 2, nil, []string{"netcheck: reading cloud assembly " + missing + ": no such file or directory (run `make synth` first)"}},
		{"unknown resource", []string{"--from", "Nope", "--to", "internet", "--port", "80", td("nat")}, 2, nil, []string{"netcheck: --from Nope: no such resource"}},
		{"from without to", []string{"--from", "internet", td("nat")}, 2, nil, []string{"--from and --to go together"}},
		{"bad egress", []string{"--egress", "nat-gw", td("nat")}, 2, nil, []string{`--egress "nat-gw": must be nat, nat-per-az or endpoints`}},
		{"two directories", []string{td("nat"), td("endpoints")}, 2, nil, []string{"one cloud assembly directory at most"}},
		{"bad flag", []string{"--frm", "x"}, 2, nil, []string{"flag provided but not defined: -frm", "usage: netcheck"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if strings.Contains(tc.name, "quiet") && strings.Contains(stdout.String(), "ok   ") {
				t.Errorf("-q prints the paths that hold:\n%s", stdout.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}

// TestJSON checks that --json carries the same verdicts, for machines.
func TestJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--json", td("nacl-deny-first")}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr.String())
	}
	var rep struct {
		OK     bool
		Egress string
		Checks []struct {
			From, To, Verdict, Want, Reason, Why string
			OK                                   bool
			Legs                                 []struct {
				Hops []struct{ Layer, Verdict, Text string }
			}
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	if rep.OK || rep.Egress != "nat" || len(rep.Checks) != 8 {
		t.Fatalf("ok %v, egress %s, %d checks; want false, nat, 8", rep.OK, rep.Egress, len(rep.Checks))
	}
	var failed int
	for _, c := range rep.Checks {
		if c.OK {
			continue
		}
		failed++
		if c.From != "Alb16C2F182" || c.Verdict != "denied" || c.Want != "allowed" || !strings.Contains(c.Reason, "rule 90 deny tcp 0-1023 from 0.0.0.0/0 (evaluated before rule 100 allow)") {
			t.Errorf("broken check %+v, want Alb16C2F182 denied by rule 90", c)
		}
		if len(c.Legs) != 4 || len(c.Legs[0].Hops) == 0 {
			t.Errorf("want 4 legs (2 ALB subnets x 2 task subnets) with hops, got %d", len(c.Legs))
		}
	}
	if failed != 1 {
		t.Errorf("%d broken checks, want 1", failed)
	}
}

// TestSVG checks --svg: it writes a well-formed picture with one arrow per
// required path, for a broken network too (with exit 1, the picture shows
// where it breaks), and a bad path or flag is a usage error that leaves no
// file behind.
func TestSVG(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		arrows int // 0: no picture written
		stderr string
	}{
		{"good templates", []string{"-q", "--svg", "nat.svg", td("nat")}, 0, 8, "netcheck: wrote "},
		{"broken templates", []string{"--svg", "no-egress.svg", td("no-egress")}, 1, 8, "5 required network path(s) broken"},
		{"no such directory", []string{"--svg", filepath.Join("missing", "x.svg"), td("nat")}, 2, 0, "x.svg: no such file or directory"},
		{"with --from", []string{"--svg", "q.svg", "--from", "internet", "--to", "Alb16C2F182", "--port", "80", td("nat")}, 2, 0, "--svg draws the required paths"},
		{"with --model", []string{"--svg", "m.svg", "--model", td("nat")}, 2, 0, "--svg draws the required paths"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := slices.Clone(tc.args)
			i := slices.Index(args, "--svg") + 1
			args[i] = filepath.Join(dir, args[i])
			var stdout, stderr bytes.Buffer
			if code := run(args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
			b, err := os.ReadFile(args[i])
			if tc.arrows == 0 {
				if err == nil {
					t.Errorf("%s written on a usage error", args[i])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			arrows := 0
			dec := xml.NewDecoder(bytes.NewReader(b))
			for {
				tok, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s is not well-formed XML: %v", args[i], err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					for _, a := range se.Attr {
						if a.Name.Local == "data-path" {
							arrows++
						}
					}
				}
			}
			if arrows != tc.arrows {
				t.Errorf("%d arrows in the picture, want %d", arrows, tc.arrows)
			}
		})
	}
}
