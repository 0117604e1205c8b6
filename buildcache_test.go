package main

import (
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cdkdemo/fargate/constructs"
	"github.com/cdkdemo/fargate/dockerfile"
)

// TestBuildCache: the build's BuildKit registry cache has a repository of
// its own in the RegistryStack, which only the build may use, and the
// buildspec exports every stage's layers there and imports them again.
// buildspec_test.go runs the buildspec's commands themselves.
func TestBuildCache(t *testing.T) {
	s := synth(t, nil)
	reg, pipe := s.templates["Registry"], s.templates["Pipeline"]
	cacheID, cache := reg.At(t, "Registry/BuildCache/Resource")
	_, project, spec := parseBuildSpec(t, pipe)
	vars := map[string]any{}
	for _, v := range project["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		m := v.(map[string]any)
		vars[m["Name"].(string)] = m["Value"]
	}

	t.Run("cache repository: mutable tags, replaced caches expire, scanned, deleted with its stack, emptied first", func(t *testing.T) {
		if cache["ImageTagMutability"] != "MUTABLE" || jsonOf(cache["ImageScanningConfiguration"]) != `{"ScanOnPush":true}` || cache["RepositoryName"] != "demo-dev-build-cache" || cache["EmptyOnDelete"] != true {
			t.Errorf("cache repository %s", jsonOf(cache))
		}
		if r := reg["Resources"].(map[string]any)[cacheID].(map[string]any); r["DeletionPolicy"] != "Delete" {
			t.Errorf("cache repository DeletionPolicy %v: a retained cache would block the next deploy of its fixed name", r["DeletionPolicy"])
		}
		if cache["RepositoryPolicyText"] != nil {
			t.Errorf("the cache repository has a resource policy: %s", jsonOf(cache["RepositoryPolicyText"]))
		}
		var policy struct {
			Rules []struct {
				Selection struct {
					TagStatus   string
					CountType   string
					CountNumber int
					CountUnit   string
				}
				Action struct{ Type string }
			}
		}
		if err := json.Unmarshal([]byte(cache["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(string)), &policy); err != nil {
			t.Fatal(err)
		}
		if len(policy.Rules) != 1 {
			t.Fatalf("lifecycle rules %+v", policy.Rules)
		}
		if r := policy.Rules[0]; r.Selection.TagStatus != "untagged" || r.Selection.CountType != "sinceImagePushed" || r.Selection.CountNumber != 1 || r.Selection.CountUnit != "days" || r.Action.Type != "expire" {
			t.Errorf("lifecycle rule %+v, want untagged (replaced) caches to expire after a day", r)
		}
		// The images keep their immutable tags.
		if _, repo := reg.At(t, "Registry/Repository/Resource"); repo["ImageTagMutability"] != "IMMUTABLE" {
			t.Errorf("image repository tags %v", repo["ImageTagMutability"])
		}
	})

	t.Run("buildspec: registry cache of every stage in the cache repository, in the form ECR stores", func(t *testing.T) {
		for _, id := range importedIDs(s, vars["CACHE_REPOSITORY_URI"]) {
			if id != cacheID {
				t.Errorf("CACHE_REPOSITORY_URI %s names %s, want the cache repository %s", jsonOf(vars["CACHE_REPOSITORY_URI"]), id, cacheID)
			}
		}
		if len(importedIDs(s, vars["CACHE_REPOSITORY_URI"])) == 0 {
			t.Errorf("CACHE_REPOSITORY_URI %s imports nothing from the RegistryStack", jsonOf(vars["CACHE_REPOSITORY_URI"]))
		}
		if got := command(t, spec, "pre_build", "CACHE_REF="); got != `CACHE_REF="$CACHE_REPOSITORY_URI:`+constructs.CacheTag+`"` {
			t.Errorf("cache ref %q", got)
		}
		build := command(t, spec, "build", "buildx build")
		for flag, want := range map[string][]string{
			"--cache-from": {"type=registry", "ref=$CACHE_REF"},
			"--cache-to":   {"type=registry", "ref=$CACHE_REF", "mode=max", "image-manifest=true", "oci-mediatypes=true"},
		} {
			m := regexp.MustCompile(regexp.QuoteMeta(flag)+` "([^"]*)"`).FindAllStringSubmatch(build, -1)
			if len(m) != 1 {
				t.Errorf("%s given %d times in %q", flag, len(m), build)
				continue
			}
			attrs := strings.Split(m[0][1], ",")
			for _, w := range want {
				if !slices.Contains(attrs, w) {
					t.Errorf("%s %q lacks %s", flag, m[0][1], w)
				}
			}
		}
		all := jsonOf(spec)
		for _, gone := range []string{"BUILDKIT_INLINE_CACHE", "docker pull", "type=inline", "ssm get-parameter"} {
			if strings.Contains(all, gone) {
				t.Errorf("the buildspec still has %s: the inline cache covers only the final stage", gone)
			}
		}
	})

	t.Run("the builder's BuildKit comes from ECR Public, not Docker Hub", func(t *testing.T) {
		image, _ := vars["BUILDKIT_IMAGE"].(string)
		if host, _ := dockerfile.Registry(image); image == "" || dockerfile.IsDockerHub(host) || host != "public.ecr.aws" {
			t.Errorf("BUILDKIT_IMAGE %q, want an image on public.ecr.aws", image)
		}
		if create := command(t, spec, "build", "buildx create"); !strings.Contains(create, `--driver docker-container`) || !strings.Contains(create, `--driver-opt image="$BUILDKIT_IMAGE"`) {
			t.Errorf("builder %q", create)
		}
	})

	for name, overrides := range map[string]map[string]any{"dev": nil, "prod": {"env": "prod"}} {
		t.Run("only the build may use the cache repository ("+name+")", func(t *testing.T) {
			s := synth(t, overrides)
			cacheID, cache := s.templates["Registry"].At(t, "Registry/BuildCache/Resource")
			buildProject, _ := codeBuildProject(t, s.templates["Pipeline"], "ImageBuild")
			buildRole := ref(s.templates["Pipeline"].Props(buildProject)["ServiceRole"])
			cacheName := cache["RepositoryName"].(string)
			var granted []string
			for stack, tm := range s.templates {
				for id, r := range tm["Resources"].(map[string]any) {
					res := r.(map[string]any)
					if res["Type"] != "AWS::IAM::Policy" {
						continue
					}
					props := res["Properties"].(map[string]any)
					for _, st := range asList(props["PolicyDocument"].(map[string]any)["Statement"]) {
						st := st.(map[string]any)
						if !namesCache(s, stack, st["Resource"], cacheID, cacheName) {
							continue
						}
						roles := refs(props["Roles"])
						if stack != "Pipeline" || !slices.Equal(roles, []string{buildRole}) {
							t.Errorf("%s/%s grants %v on the build cache to %v: only the build's role %s may use it", stack, id, strs(st["Action"]), roles, buildRole)
						}
						granted = append(granted, strs(st["Action"])...)
					}
				}
				for id := range tm.Resources("AWS::IAM::Role") {
					for _, p := range asList(tm.Props(id)["Policies"]) {
						for _, st := range asList(p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
							if namesCache(s, stack, st.(map[string]any)["Resource"], cacheID, cacheName) {
								t.Errorf("%s/%s has an inline policy on the build cache", stack, id)
							}
						}
					}
				}
			}
			slices.Sort(granted)
			want := []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"}
			if !slices.Equal(slices.Compact(granted), want) {
				t.Errorf("the build may %v on the cache, want pull and push: %v", granted, want)
			}
		})
	}
}

// importedIDs returns the logical IDs, in their own stacks, of every
// Fn::ImportValue in v.
func importedIDs(s *synthed, v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["Fn::ImportValue"]; ok {
				out = append(out, s.imported(x))
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// repositoryPattern is an ECR repository ARN's name part in a template.
var repositoryPattern = regexp.MustCompile(`:repository/([^"]+)"`)

// namesCache tells whether a statement's Resource covers the cache
// repository: by reference in its own stack, by import elsewhere, or by an
// ARN pattern that matches its name (or "*").
func namesCache(s *synthed, stack string, resource any, cacheID, cacheName string) bool {
	if slices.Contains(importedIDs(s, resource), cacheID) {
		return true
	}
	j := jsonOf(resource)
	if stack == "Registry" && strings.Contains(j, `"`+cacheID+`"`) {
		return true
	}
	for _, m := range repositoryPattern.FindAllStringSubmatch(j, -1) {
		if ok, _ := path.Match(m[1], cacheName); ok {
			return true
		}
	}
	return false
}
