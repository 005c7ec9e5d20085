package kube

import (
	"context"
	"errors"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyardscheme "github.com/railyard-dev/railyard/internal/scheme"
	"github.com/railyard-dev/railyard/internal/ui/auth"
)

// TestAllowed: the review names the prefixed user and groups (plus
// system:authenticated), the Railyard group and the namespace; answers are
// reused within the TTL and asked again after it.
func TestAllowed(t *testing.T) {
	scheme, err := railyardscheme.New()
	if err != nil {
		t.Fatal(err)
	}
	var asked []authorizationv1.SubjectAccessReviewSpec
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(_ context.Context, _ client.WithWatch, obj client.Object, _ ...client.CreateOption) error {
			sar := obj.(*authorizationv1.SubjectAccessReview)
			asked = append(asked, sar.Spec)
			sar.Status.Allowed = sar.Spec.ResourceAttributes.Verb == "list"
			return nil
		},
	}).Build()
	a := newAccess(withDefaults(Config{UserPrefix: "oidc:", GroupPrefix: "oidc:", ReviewTTL: time.Minute}), c)
	now := time.Now()
	a.now = func() time.Time { return now }
	id := auth.Identity{User: "dev-admin", Groups: []string{"admin"}}

	for i := 0; i < 3; i++ {
		ok, _, err := a.Allowed(context.Background(), id, "list", "stages", "demo")
		if err != nil || !ok {
			t.Fatalf("list: %v %v", ok, err)
		}
	}
	if len(asked) != 1 {
		t.Fatalf("%d reviews for the same question within the TTL, want 1", len(asked))
	}
	spec := asked[0]
	ra := spec.ResourceAttributes
	if spec.User != "oidc:dev-admin" || len(spec.Groups) != 2 || spec.Groups[0] != "oidc:admin" || spec.Groups[1] != "system:authenticated" ||
		ra.Group != "railyard.dev" || ra.Resource != "stages" || ra.Namespace != "demo" {
		t.Errorf("review %+v %+v", spec, ra)
	}
	err = a.Check(context.Background(), id, "create", "demo", "promotions")
	var fe *ForbiddenError
	if !errors.As(err, &fe) || fe.Verb != "create" || fe.Resource != "promotions" || fe.User != "oidc:dev-admin" {
		t.Errorf("Check: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, _, err := a.Allowed(context.Background(), id, "list", "stages", "demo"); err != nil || len(asked) != 3 {
		t.Errorf("after the TTL: %v, %d reviews, want 3", err, len(asked))
	}
}

func TestExplain(t *testing.T) {
	gr := schema.GroupResource{Group: "railyard.dev", Resource: "promotions"}
	forbidden := apierrors.NewForbidden(gr, "", errors.New(`User "oidc:dev-viewer" cannot create resource "promotions"`))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "forbidden", err: forbidden,
			want: `oidc:dev-viewer may not create promotions in namespace demo: you need the verb create on promotions in namespace demo; ask a project admin for a RoleBinding (see config/rbac/user_roles.yaml) (the API server said: promotions.railyard.dev is forbidden: User "oidc:dev-viewer" cannot create resource "promotions")`},
		{name: "other", err: errors.New("connection refused"), want: "create promotions in namespace demo: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Explain(tt.err, "oidc:dev-viewer", "create", "promotions", "", "demo").Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
