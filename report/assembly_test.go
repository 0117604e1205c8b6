package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadAssemblyErrors(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(t.TempDir(), "file")
	badTemplate := t.TempDir()
	badManifest := t.TempDir()
	for path, content := range map[string]string{
		file: "x",
		filepath.Join(badTemplate, "A.template.json"): "{not json",
		filepath.Join(badManifest, "manifest.json"):   "[]",
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, dir string
		want      []string
	}{
		{"missing directory", filepath.Join(empty, "cdk.out"), []string{"no such directory", "make synth"}},
		{"a file", file, []string{"not a directory"}},
		{"no templates", empty, []string{"no stack templates", "make synth"}},
		{"broken template", badTemplate, []string{"A.template.json: not a CloudFormation template"}},
		{"broken manifest", badManifest, []string{"manifest.json: not a cloud assembly manifest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadAssembly(tc.dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestReadAssemblyWithoutManifest: a directory of templates alone is read,
// by file name.
func TestReadAssemblyWithoutManifest(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/dev/Service.template.json", filepath.Join(dir, "Service.template.json"))
	copyFile(t, "testdata/dev/Network.template.json", filepath.Join(dir, "Network.template.json"))
	stacks, err := ReadAssembly(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) != 2 || stacks[0].ID != "Network" || stacks[1].ID != "Service" || stacks[0].Name != "" {
		t.Errorf("stacks %+v", stacks)
	}
	if len(stacks[1].Template.Resources) == 0 {
		t.Error("Service template has no resources")
	}
}

// TestReadAssemblyDeployOrder: the manifest of testdata/dev lists Pipeline,
// Service, Network; dependencies put them the other way round.
func TestReadAssemblyDeployOrder(t *testing.T) {
	stacks, err := ReadAssembly("testdata/dev")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range stacks {
		got = append(got, s.ID+"="+s.Name)
	}
	if strings.Join(got, " ") != "Network=demo-dev-network Service=demo-dev-service Pipeline=demo-dev-pipeline" {
		t.Errorf("stacks %v", got)
	}
}
