package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Top-level keys that are not settings of an environment.
const (
	keyEnv          = "env"
	keyAppName      = "appName"
	keyEnvironments = "environments"
)

// ownKey matches the keys this app owns. Everything else in the context
// (feature flags like "@aws-cdk/…", "aws:cdk:…", "acknowledged-issue-numbers",
// lookup results) belongs to the CDK and is left alone.
var ownKey = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// Load reads the CDK context into the Config of the chosen environment.
//
// Settings are read from environments.NAME in cdk.json; a setting at the top
// level (normally from `-c key=value`) overrides it for the chosen
// environment. Every environment is checked, so `cdk synth` for dev also
// catches a typo in prod. The error joins every problem found.
func Load(ctx map[string]any) (Config, error) {
	var errs []error
	fail := func(path string, err error) { errs = append(errs, fmt.Errorf("%s: %w", path, err)) }

	appName := DefaultAppName
	if v, ok := ctx[keyAppName]; ok {
		if s, ok := v.(string); ok {
			appName = s
		} else {
			fail(keyAppName, typeError{"a string", v})
		}
	}
	envName := DefaultEnvironment
	if v, ok := ctx[keyEnv]; ok {
		if s, ok := v.(string); ok {
			envName = s
		} else {
			fail(keyEnv, typeError{"a string", v})
		}
	}

	// Top-level settings: overrides for the chosen environment.
	overrides := map[string]any{}
	for _, k := range sortedKeys(ctx) {
		switch {
		case !ownKey.MatchString(k), k == keyEnv, k == keyAppName, k == keyEnvironments:
		case settingByKey(k) != nil, removedSettings[k] != "":
			overrides[k] = ctx[k]
		default:
			fail(k, unknownKey(k))
		}
	}

	envs := map[string]map[string]any{}
	switch v := ctx[keyEnvironments].(type) {
	case nil:
	case map[string]any:
		for name, body := range v {
			obj, ok := body.(map[string]any)
			if !ok {
				fail(keyEnvironments+"."+name, typeError{"an object of settings", body})
				continue
			}
			envs[name] = obj
		}
	default:
		fail(keyEnvironments, typeError{"an object of environments", v})
	}
	if _, ok := envs[envName]; !ok {
		known := sortedKeys(envs)
		if len(known) == 0 {
			fail(keyEnv, fmt.Errorf("%s is not a configured environment: cdk.json's context has no environments", show(envName)))
		} else {
			fail(keyEnv, fmt.Errorf("%s is not a configured environment; configured: %s", show(envName), strings.Join(known, ", ")))
		}
	}

	var chosen Config
	for _, name := range sortedKeys(envs) {
		c, err := build(appName, name, envs[name], overridesFor(name == envName, overrides))
		if err != nil {
			errs = append(errs, err)
		}
		if name == envName {
			chosen = c
		}
	}
	return chosen, errors.Join(errs...)
}

func overridesFor(chosen bool, overrides map[string]any) map[string]any {
	if chosen {
		return overrides
	}
	return nil
}

// build resolves one environment: defaults, then its own settings, then the
// command-line overrides, then validation.
func build(appName, env string, own, overrides map[string]any) (Config, error) {
	c := defaults(appName, env)
	c.origin = map[string]string{}
	var errs []error
	apply := func(path, key string, v any) {
		s := settingByKey(key)
		switch {
		case removedSettings[key] != "":
			errs = append(errs, fmt.Errorf("%s: %s", path, removedSettings[key]))
		case s != nil:
			c.origin[key] = path
			if err := s.set(&c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", path, err))
			}
		case key == keyEnv || key == keyAppName || key == keyEnvironments:
			errs = append(errs, fmt.Errorf("%s: %s is set at the top level of the context, not per environment", path, key))
		default:
			errs = append(errs, fmt.Errorf("%s: %w", path, unknownKey(key)))
		}
	}
	for _, k := range sortedKeys(own) {
		apply(keyEnvironments+"."+env+"."+k, k, own[k])
	}
	for _, k := range sortedKeys(overrides) {
		apply(k, k, overrides[k])
	}
	c.deriveSubnets()
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// unknownKey explains a key the app does not know, suggesting the closest
// known one: a typo must never fall back to a default silently.
func unknownKey(key string) error {
	best, bestDist := "", 4
	for _, s := range settings {
		if d := distance(strings.ToLower(key), strings.ToLower(s.key)); d < bestDist {
			best, bestDist = s.key, d
		}
	}
	if best != "" {
		return fmt.Errorf("unknown setting (did you mean %q?)", best)
	}
	return errors.New("unknown setting; docs/configuration.md lists them all")
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
