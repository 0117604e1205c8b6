//go:build e2e

package e2e

import "testing"

// TestDeployedRegistry checks the registry stack after the first deploy:
// the image parameter exists, by its fixed name, and says that nothing has
// been released yet, so the service runs the placeholder.
func TestDeployedRegistry(t *testing.T) {
	forEach(t, nil, func(t *testing.T, d deployment) {
		s := d.deployed(t, "Registry")
		id := s.one(t, "AWS::SSM::Parameter")
		name := s.str(t, s.Template.Resources[id].Properties["Name"])
		if want := "/" + d.App + "/" + d.Env + "/image-uri"; name != want || s.phys(t, id) != want {
			t.Errorf("image parameter %s (physical %s), want %s", name, s.phys(t, id), want)
		}
		if got, want := parameterValue(t, name), noRelease(t, d); got != want {
			t.Errorf("image parameter %s = %q before any release, want %q", name, got, want)
		}
	})
}
