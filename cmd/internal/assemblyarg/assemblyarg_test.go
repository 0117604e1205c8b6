package assemblyarg

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		dir        string
		done, help bool
		json       bool
		stderr     string
	}{
		{"default", nil, "cdk.out", false, false, false, ""},
		{"a directory", []string{"out"}, "out", false, false, false, ""},
		{"flags after the directory", []string{"out", "--json"}, "out", false, false, true, ""},
		{"flags before it", []string{"--json", "out"}, "out", false, false, true, ""},
		{"help", []string{"-h"}, "", true, true, false, ""},
		{"unknown flag", []string{"--nope"}, "", true, false, false, "flag provided but not defined: -nope"},
		{"two directories", []string{"a", "b"}, "", true, false, false, `cmd: too many arguments ["a" "b"]: name one cloud assembly directory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
			fs.SetOutput(&out)
			fs.Usage = func() { io.WriteString(&out, "usage\n") }
			asJSON := fs.Bool("json", false, "")
			dir, done, help := Parse(fs, tc.args)
			if dir != tc.dir || done != tc.done || help != tc.help || *asJSON != tc.json {
				t.Errorf("Parse(%q) = %q, done %v, help %v, json %v; want %q, %v, %v, %v", tc.args, dir, done, help, *asJSON, tc.dir, tc.done, tc.help, tc.json)
			}
			if !strings.Contains(out.String(), tc.stderr) {
				t.Errorf("output %q lacks %q", out.String(), tc.stderr)
			}
		})
	}
}
