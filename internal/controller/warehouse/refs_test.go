package warehouse

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func TestRefsNotBefore(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		reason   string
		interval time.Duration
		want     time.Duration
	}{
		{reason: dueInterval, interval: 5 * time.Minute, want: -maxSharedRefsAge},
		{reason: dueInterval, interval: time.Minute, want: -6 * time.Second}, // a tenth of the interval
		{reason: dueRefresh, interval: 5 * time.Minute},
		{reason: dueFirst, interval: 5 * time.Minute},
		{reason: dueSpecChanged, interval: 5 * time.Minute},
		{reason: dueCredentials, interval: 5 * time.Minute},
		{reason: dueRetry, interval: 5 * time.Minute},
	}
	for _, tt := range tests {
		w := &railyard.Warehouse{Spec: railyard.WarehouseSpec{Interval: &metav1.Duration{Duration: tt.interval}}}
		if got := refsNotBefore(w, tt.reason, now); !got.Equal(now.Add(tt.want)) {
			t.Errorf("%s, interval %s: %s, want now%s", tt.reason, tt.interval, got.Sub(now), tt.want)
		}
	}
}

// Warehouses following paths of one GitOps repository share its ref listing
// when their periodic discoveries come close together; a refresh lists
// afresh.
func TestPeriodicDiscoveriesShareRefListing(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.CreateRepo("gitops", map[string]string{"apps/a/k.yaml": "a\n", "apps/b/k.yaml": "b\n"})
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	interval := 5 * time.Minute
	warehouse := func(name string) *railyard.Warehouse {
		return &railyard.Warehouse{
			ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, Generation: 1},
			Spec: railyard.WarehouseSpec{
				Interval: &metav1.Duration{Duration: interval},
				Subscriptions: []railyard.RepoSubscription{
					{Git: &railyard.GitSubscription{RepoURL: repo.URL, Branch: "main", IncludePaths: []string{"apps/" + name}}},
				},
			},
		}
	}
	var writes atomic.Int32
	c := countingClient(t, warehouse("a"), &writes)
	if err := c.Create(context.Background(), warehouse("b")); err != nil {
		t.Fatal(err)
	}
	clock := clocktesting.NewFakePassiveClock(start)
	r := New(c, c, nil, Options{Clock: clock})
	reconcile := func(name string) {
		t.Helper()
		if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "demo", Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	reconcile("a")
	clock.SetTime(start.Add(time.Second))
	reconcile("b")
	if st := srv.Stats(); st.RefLists < 2 {
		t.Fatalf("first discoveries made %+v, want a listing each", st)
	}

	srv.ResetStats()
	clock.SetTime(start.Add(interval + time.Second))
	reconcile("a")
	clock.SetTime(start.Add(interval + 5*time.Second))
	reconcile("b")
	if st := srv.Stats(); st.RefLists != 1 || st.Fetches != 0 {
		t.Errorf("two periodic discoveries 4 s apart made %+v, want one ref listing", st)
	}

	srv.ResetStats()
	b := &railyard.Warehouse{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "demo", Name: "b"}, b); err != nil {
		t.Fatal(err)
	}
	b.Annotations = map[string]string{railyard.AnnotationRefresh: "now"}
	if err := c.Update(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	clock.SetTime(start.Add(interval + 6*time.Second))
	reconcile("b")
	if st := srv.Stats(); st.RefLists != 1 {
		t.Errorf("a refresh right after made %+v, want a listing of its own", st)
	}
}

// Refreshes of many Warehouses of one repository, requested together,
// share a listing begun after they were all seen; a refresh seen after a
// listing began gets a listing of its own.
func TestRefreshesRequestedTogetherShareRefListing(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.CreateRepo("gitops", map[string]string{"apps/a/k.yaml": "a\n", "apps/b/k.yaml": "b\n", "apps/c/k.yaml": "c\n"})
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	warehouse := func(name string) *railyard.Warehouse {
		return &railyard.Warehouse{
			ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, Generation: 1},
			Spec: railyard.WarehouseSpec{
				Interval: &metav1.Duration{Duration: time.Hour},
				Subscriptions: []railyard.RepoSubscription{
					{Git: &railyard.GitSubscription{RepoURL: repo.URL, Branch: "main", IncludePaths: []string{"apps/" + name}}},
				},
			},
		}
	}
	var writes atomic.Int32
	c := countingClient(t, warehouse("a"), &writes)
	for _, name := range []string{"b", "c"} {
		if err := c.Create(context.Background(), warehouse(name)); err != nil {
			t.Fatal(err)
		}
	}
	clock := clocktesting.NewFakePassiveClock(start)
	r := New(c, c, nil, Options{Clock: clock})
	ctx := context.Background()
	reconcile := func(name string) {
		t.Helper()
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "demo", Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a", "b", "c"} {
		reconcile(name)
	}
	refresh := func(name, token string) {
		t.Helper()
		w := &railyard.Warehouse{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: name}, w); err != nil {
			t.Fatal(err)
		}
		w.Annotations = map[string]string{railyard.AnnotationRefresh: token}
		if err := c.Update(ctx, w); err != nil {
			t.Fatal(err)
		}
		// What the watch does when the annotation arrives.
		r.sightings.observe(w, clock.Now())
	}

	clock.SetTime(start.Add(time.Minute))
	refresh("a", "1")
	refresh("b", "1")
	srv.ResetStats()
	clock.SetTime(start.Add(time.Minute + time.Second))
	reconcile("a")
	clock.SetTime(start.Add(time.Minute + 3*time.Second))
	reconcile("b")
	if st := srv.Stats(); st.RefLists != 1 {
		t.Errorf("two refreshes requested together made %+v, want one ref listing", st)
	}

	refresh("c", "1")
	srv.ResetStats()
	clock.SetTime(start.Add(time.Minute + 4*time.Second))
	reconcile("c")
	if st := srv.Stats(); st.RefLists != 1 {
		t.Errorf("a refresh requested after the listing began made %+v, want a listing of its own", st)
	}
}

// Warehouses applied together share a ref listing begun after the watch
// showed them all, however long they queued; one seen after the listing
// began, or never seen by the watch (after a restart), lists for itself.
func TestNewWarehousesSeenTogetherShareRefListing(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.CreateRepo("gitops", map[string]string{"apps/a/k.yaml": "a\n", "apps/b/k.yaml": "b\n", "apps/c/k.yaml": "c\n", "apps/d/k.yaml": "d\n"})
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	warehouse := func(name string) *railyard.Warehouse {
		return &railyard.Warehouse{
			ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, Generation: 1},
			Spec: railyard.WarehouseSpec{
				Interval: &metav1.Duration{Duration: time.Hour},
				Subscriptions: []railyard.RepoSubscription{
					{Git: &railyard.GitSubscription{RepoURL: repo.URL, Branch: "main", IncludePaths: []string{"apps/" + name}}},
				},
			},
		}
	}
	var writes atomic.Int32
	c := countingClient(t, warehouse("a"), &writes)
	for _, name := range []string{"b", "c", "d"} {
		if err := c.Create(context.Background(), warehouse(name)); err != nil {
			t.Fatal(err)
		}
	}
	clock := clocktesting.NewFakePassiveClock(start)
	r := New(c, c, nil, Options{Clock: clock})
	ctx := context.Background()
	// What the watch does when each Warehouse is created.
	seen := func(name string) {
		t.Helper()
		w := &railyard.Warehouse{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: name}, w); err != nil {
			t.Fatal(err)
		}
		r.sightings.observe(w, clock.Now())
	}
	reconcile := func(name string) *railyard.Warehouse {
		t.Helper()
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "demo", Name: name}}); err != nil {
			t.Fatal(err)
		}
		w := &railyard.Warehouse{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "demo", Name: name}, w); err != nil {
			t.Fatal(err)
		}
		return w
	}

	seen("a")
	seen("b")
	clock.SetTime(start.Add(time.Second))
	reconcile("a")
	clock.SetTime(start.Add(3 * time.Second))
	b := reconcile("b")
	// A fetch is a ref advertisement too (its first leg): the first
	// discovery fetches the history both share.
	if st := srv.Stats(); st.RefLists-st.Fetches != 1 {
		t.Errorf("two Warehouses seen together made %+v, want one ref listing besides the fetches", st)
	}
	if b.Status.ObservedGeneration != 1 || b.Status.DiscoveredArtifacts == nil || len(b.Status.DiscoveredArtifacts.Git) != 1 || len(b.Status.DiscoveredArtifacts.Git[0].Commits) == 0 {
		t.Fatalf("b was not discovered from the shared listing: %+v", b.Status)
	}

	seen("c")
	srv.ResetStats()
	clock.SetTime(start.Add(4 * time.Second))
	reconcile("c")
	if st := srv.Stats(); st.RefLists-st.Fetches != 1 {
		t.Errorf("a Warehouse seen after the listing began made %+v, want a listing of its own", st)
	}

	srv.ResetStats()
	clock.SetTime(start.Add(5 * time.Second))
	reconcile("d")
	if st := srv.Stats(); st.RefLists-st.Fetches != 1 {
		t.Errorf("a Warehouse the watch never showed made %+v, want a listing of its own", st)
	}
}
