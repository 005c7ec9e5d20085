package chart

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Installed for real, the UI's ServiceAccount may read Railyard objects,
// review access and impersonate people, and write nothing itself: what it
// changes, it changes as the person, under the person's RBAC.
func TestInstalledUIRBAC(t *testing.T) {
	env := apiServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	manifests, err := Template(ctx, []string{uiValues})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl(ctx, strings.NewReader(manifests), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	const sa = "system:serviceaccount:" + Namespace + ":railyard-ui"
	for _, tc := range []struct {
		verb, resource, ns string
		want               bool
	}{
		{"impersonate", "users", "", true},
		{"impersonate", "groups", "", true},
		{"create", "subjectaccessreviews.authorization.k8s.io", "", true},
		{"list", "stages.railyard.dev", "team-a", true},
		{"watch", "promotions.railyard.dev", "team-a", true},
		{"get", "freights.railyard.dev", "team-a", true},
		{"list", "warehouses.railyard.dev", "", true},
		{"create", "promotions.railyard.dev", "team-a", false},
		{"patch", "stages.railyard.dev", "team-a", false},
		{"promote", "stages.railyard.dev", "team-a", false},
		{"update", "warehouses.railyard.dev", "team-a", false},
		{"delete", "freights.railyard.dev", "team-a", false},
		{"get", "secrets", "team-a", false},
		{"impersonate", "serviceaccounts", "team-a", false},
	} {
		args := []string{"auth", "can-i", tc.verb, tc.resource, "--as", sa}
		if tc.ns != "" {
			args = append(args, "-n", tc.ns)
		}
		out, _ := env.Kubectl(ctx, nil, args...)
		if got := strings.TrimSpace(out) == "yes"; got != tc.want {
			t.Errorf("the UI may %s %s in %q: %v, want %v", tc.verb, tc.resource, tc.ns, got, tc.want)
		}
	}
}
