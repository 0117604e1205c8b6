package config

import (
	"strings"
	"testing"
)

// accepted loads an app and environment name that validation must accept.
func accepted(t *testing.T, app, env string) Config {
	t.Helper()
	c, err := Load(map[string]any{
		"appName": app, "env": env,
		"environments": map[string]any{env: map[string]any{"sourceRepository": "o/r"}},
	})
	if err != nil {
		t.Fatalf("appName %q, env %q: %v", app, env, err)
	}
	return c
}

// TestDerivedNamesFitAWS: every name derived from appName and the
// environment stays within its AWS limits for the longest names validation
// accepts, and for names of every length and shape in between.
func TestDerivedNamesFitAWS(t *testing.T) {
	apps := []string{"ab", "demo", "a1-b2-c3", "fargate-demo", "abcdefghij-klmnopq-z", "a-b-c-d-e-f-g-h-i-j1", "abcdefghijklmnopqrs9", "abcdefghi--jklmnopq9"}
	envs := []string{"d", "dev", "staging", "abcdefghijkl", "prod", "e2e9"}
	for n := 2; n <= 20; n++ { // every length, with a hyphen where a shortened name cuts
		app := strings.Repeat("a", n)
		if n > 3 {
			app = app[:n-3] + "-" + app[n-2:]
		}
		apps = append(apps, app)
	}
	for n := 1; n <= 12; n++ {
		envs = append(envs, strings.Repeat("e", n))
	}
	longest := 0
	for _, app := range apps {
		for _, env := range envs {
			c := accepted(t, app, env)
			for _, d := range c.DerivedNames() {
				if len(d.Value) > d.Max {
					t.Errorf("%s-%s: %s %q has %d characters, AWS allows %d", app, env, d.Resource, d.Value, len(d.Value), d.Max)
				}
				if !d.Pattern.MatchString(d.Value) {
					t.Errorf("%s-%s: %s %q does not match %s", app, env, d.Resource, d.Value, d.Pattern)
				}
			}
			longest = max(longest, len(c.ResourcePrefix()))
		}
	}
	if longest != 33 {
		t.Errorf("the longest <appName>-<env> tried has %d characters, want 33 (20 + 1 + 12)", longest)
	}
}

func TestShortenedNames(t *testing.T) {
	dev := accepted(t, "demo", "dev")
	if got := dev.PullThroughPrefix(); got != "demo-dev-ecr-public" {
		t.Errorf("a name that fits changed: %q", got)
	}
	if got := dev.ConnectionName(); got != "demo-dev" {
		t.Errorf("a name that fits changed: %q", got)
	}
	// fargate-demo-staging-ecr-public is 31 characters: one too many.
	staging := accepted(t, "fargate-demo", "staging")
	if got := staging.PullThroughPrefix(); got != "fargate-de-4c74b316-ecr-public" { // the README's example
		t.Errorf("fargate-demo/staging: pull-through prefix %q", got)
	}
	if again := accepted(t, "fargate-demo", "staging").PullThroughPrefix(); again != staging.PullThroughPrefix() {
		t.Errorf("shortened names differ between synths: %q, %q", again, staging.PullThroughPrefix())
	}
	// Names that share their head stay apart.
	a, b := accepted(t, "abcdefghij-klmnopq-z", "abcdefghijkl"), accepted(t, "abcdefghij-klmnopq-z", "abcdefghijkm")
	if a.PullThroughPrefix() == b.PullThroughPrefix() || a.ConnectionName() == b.ConnectionName() {
		t.Errorf("two environments share a name: %q %q, %q %q", a.PullThroughPrefix(), b.PullThroughPrefix(), a.ConnectionName(), b.ConnectionName())
	}
}
