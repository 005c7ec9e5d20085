package crd

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// TestDeployManifests applies what `make deploy` applies and checks that the
// admission policy lets only users with the verb "promote" on a Stage create
// Promotions for it.
func TestDeployManifests(t *testing.T) {
	ctx := context.Background()
	out, err := env.Kubectl(ctx, nil, "kustomize", filepath.Join(env.Root, "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl(ctx, strings.NewReader(out), "apply", "--server-side", "--force-conflicts", "-f", "-"); err != nil {
		t.Fatalf("applying config/default: %v", err)
	}

	const project = "rbac-demo"
	createNamespace(t, project)
	// alice may promote to test but not to prod.
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-promoter", Namespace: project},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "promote-test"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "alice"}},
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "promote-test", Namespace: project},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"stages"}, ResourceNames: []string{"test"}, Verbs: []string{"promote"}},
			{APIGroups: []string{railyard.GroupVersion.Group}, Resources: []string{"promotions"}, Verbs: []string{"create", "get"}},
		},
	}
	for _, obj := range []client.Object{role, binding} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	_, aliceConfig, err := env.AddUser("alice")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := client.New(aliceConfig, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	promotion := func(name, stage string) *railyard.Promotion {
		return &railyard.Promotion{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: project},
			Spec:       railyard.PromotionSpec{Stage: stage, Freight: "f"},
		}
	}

	// The policy takes a moment to be loaded by the API server; retry until
	// it denies, within a bound.
	var denyErr error
	for i := 0; i < 100; i++ {
		denyErr = alice.Create(ctx, promotion("to-prod-"+strconv.Itoa(i), "prod"))
		if denyErr != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if denyErr == nil {
		t.Fatal("alice created a Promotion to prod without the promote verb")
	}
	if want := "user alice may not promote to Stage prod"; !strings.Contains(denyErr.Error(), want) {
		t.Fatalf("error %q does not contain %q", denyErr, want)
	}
	if err := alice.Create(ctx, promotion("to-test", "test")); err != nil {
		t.Fatalf("alice may promote to test: %v", err)
	}
}
