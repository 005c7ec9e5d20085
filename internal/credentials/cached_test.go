package credentials

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// The cached Store reads a Secret past the cache once per resourceVersion,
// lists the metadata caches again only when the watch reports a change in
// the namespace, sees a change and a deletion as soon as it does, and finds
// Secrets by either label.
func TestCachedStore(t *testing.T) {
	ctx := context.Background()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	git := secret("git", map[string]string{"repoURL": "https://git.example.com/gitops.git", "username": "u", "password": "one"})
	git.Labels = map[string]string{railyard.LabelCredType: string(Git)}
	kargo := secret("kargo", map[string]string{"repoURL": "ghcr.io/org/app", "username": "k", "password": "p"})
	kargo.Labels = map[string]string{railyard.LabelKargoCredType: string(Image)}
	base := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&git, &kargo).Build()
	reads, lists := 0, 0
	uncached := interceptor.NewClient(base, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			reads++
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, ok := list.(*corev1.SecretList); ok {
				lists++
			}
			return c.List(ctx, list, opts...)
		},
	})
	// The fake client stands in for the two metadata caches.
	metadataLists := 0
	metadata := interceptor.NewClient(base, interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			metadataLists++
			return c.List(ctx, list, opts...)
		},
	})
	s := NewCachedStore(uncached, map[string]client.Reader{railyard.LabelCredType: metadata, railyard.LabelKargoCredType: metadata})

	password := func(kind Kind, url string) string {
		t.Helper()
		c, err := s.Get(ctx, "demo", kind, url)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			return ""
		}
		return c.Password
	}
	for range 3 {
		if got := password(Git, "https://git.example.com/gitops.git"); got != "one" {
			t.Fatalf("password = %q, want one", got)
		}
	}
	if reads != 1 || lists != 0 {
		t.Errorf("three lookups read %d Secrets and listed %d times past the cache, want 1 and 0", reads, lists)
	}
	// One listing of the caches (a List per label) serves until a
	// credential Secret of the namespace changes.
	if metadataLists != 2 {
		t.Errorf("three lookups listed the metadata caches %d times, want 2 (once per label)", metadataLists)
	}
	if got := password(Image, "ghcr.io/org/app"); got != "p" {
		t.Errorf("Kargo-labelled Secret: password = %q, want p", got)
	}

	git.Data["password"] = []byte("two")
	if err := base.Update(ctx, &git); err != nil {
		t.Fatal(err)
	}
	if got := password(Git, "https://git.example.com/gitops.git"); got != "one" {
		t.Errorf("before the watch reports the update: password = %q, want the listing kept (one)", got)
	}
	s.Changed("elsewhere")
	if got := password(Git, "https://git.example.com/gitops.git"); got != "one" {
		t.Errorf("after a change in another namespace: password = %q, want one", got)
	}
	s.Changed("demo") // as the watch does
	if got := password(Git, "https://git.example.com/gitops.git"); got != "two" {
		t.Errorf("after an update: password = %q, want two", got)
	}

	if err := base.Delete(ctx, &git); err != nil {
		t.Fatal(err)
	}
	s.Forget(client.ObjectKeyFromObject(&git)) // as the watch does
	if got := password(Git, "https://git.example.com/gitops.git"); got != "" {
		t.Errorf("after a delete: password = %q, want no credentials", got)
	}
	if n := len(s.cached.byName); n != 1 {
		t.Errorf("%d Secrets held after Forget, want 1 (the Kargo-labelled one)", n)
	}
}

// A Store made without NewCachedStore reads past any cache, as before.
func TestUncachedStoreLists(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	sec := secret("git", map[string]string{"repoURL": "https://git.example.com/gitops.git", "username": "u", "password": "one"})
	sec.Labels = map[string]string{railyard.LabelCredType: string(Git)}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&sec).Build()
	got, err := Store{Reader: c}.Get(context.Background(), "demo", Git, "https://git.example.com/gitops.git")
	if err != nil || got == nil || got.SecretName != "git" {
		t.Fatalf("Get = %v, %v", got, err)
	}
}
