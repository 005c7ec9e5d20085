package argocdstep_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
)

// An Application whose sources the step does not rewrite is read from the
// client's typed copy, which the manager serves from its cache, so a
// promotion costs the API server no GET of it. A stale copy costs a
// conflict and one read from the API server, never a lost write or a second
// sync request.
func TestApplicationReadFromCacheWhenSourcesUnchanged(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		stale    bool
		sources  []any
		wantGets int32
	}{
		{name: "cached", wantGets: 0},
		{name: "cached-stale", stale: true, wantGets: 1},
		// The users' task: sync the source to the commit just pushed.
		{name: "desired-revision", sources: []any{map[string]any{
			"repoURL": "https://git.example.com/cfg.git", "desiredRevision": "abc",
		}}, wantGets: 0},
		// Rewriting sources writes them whole: every field must be read.
		{name: "sources-rewritten", sources: []any{map[string]any{
			"repoURL": "https://git.example.com/cfg.git", "desiredRevision": "abc", "updateTargetRevision": true,
		}}, wantGets: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: tc.name}
			createApp(t, key, authorized("demo:test"), nil, appSpec)
			cache := &snapshot{app: typedApp(t, key)}
			if tc.stale {
				// Another writer changes it after the cache's copy.
				u := fetchApp(t, key)
				u.SetLabels(map[string]string{"team": "payments"})
				if err := k8s.Update(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			var gets atomic.Int32
			cfg := rest.CopyConfig(restConfig)
			cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
				return countGets{next: rt, path: "/applications/" + key.Name, n: &gets}
			}
			c, err := client.New(cfg, client.Options{Scheme: k8s.Scheme(), Cache: &client.CacheOptions{Reader: cache}})
			if err != nil {
				t.Fatal(err)
			}
			sc := &promotion.StepContext{Project: "demo", Stage: "test", Promotion: "p1", Alias: "update",
				Config: nameConfig(key.Name, tc.sources...), Client: c, WorkDir: t.TempDir()}
			res, err := argocdstep.Step{}.Run(ctx, sc)
			mustStatus(t, res, err, railyard.StepStatusRunning)
			if got := gets.Load(); got != tc.wantGets {
				t.Errorf("the step read the Application from the API server %d times, want %d", got, tc.wantGets)
			}
			app := typedApp(t, key)
			if app.Operation == nil || app.Operation.RequestedBy() != "demo/p1" {
				t.Fatalf("no sync requested by p1: %+v", app.Operation)
			}
			if tc.stale && app.Labels["team"] != "payments" {
				t.Errorf("the other writer's change was lost: labels %v", app.Labels)
			}
			assertUnmodelledFieldsKept(t, key)
		})
	}
}

// snapshot is a cache holding one Application as it was when taken.
type snapshot struct{ app *argocd.Application }

func (s *snapshot) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	app, ok := obj.(*argocd.Application)
	if !ok || key != client.ObjectKeyFromObject(s.app) {
		return apierrors.NewNotFound(argocd.GroupVersion.WithResource("applications").GroupResource(), key.Name)
	}
	s.app.DeepCopyInto(app)
	return nil
}

func (s *snapshot) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return apierrors.NewBadRequest("the snapshot cache cannot list")
}

// countGets counts the GETs of one object's path.
type countGets struct {
	next http.RoundTripper
	path string
	n    *atomic.Int32
}

func (c countGets) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, c.path) {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}
