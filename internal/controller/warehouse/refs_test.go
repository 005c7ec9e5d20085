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

// oneRepo is Warehouses, in a fake client, each following apps/<name> of
// one repository on a real git server (hourly), and a reconciler on a fake
// clock.
type oneRepo struct {
	srv   *gittest.Server
	c     client.Client
	r     *Reconciler
	clock *clocktesting.FakePassiveClock
}

func newOneRepo(t *testing.T, start time.Time, names ...string) *oneRepo {
	t.Helper()
	files := map[string]string{}
	for _, name := range names {
		files["apps/"+name+"/k.yaml"] = name + "\n"
	}
	srv := gittest.NewServer(t)
	repo := srv.CreateRepo("gitops", files)
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
	c := countingClient(t, warehouse(names[0]), &writes)
	for _, name := range names[1:] {
		if err := c.Create(context.Background(), warehouse(name)); err != nil {
			t.Fatal(err)
		}
	}
	clock := clocktesting.NewFakePassiveClock(start)
	return &oneRepo{srv: srv, c: c, r: New(c, c, nil, Options{Clock: clock}), clock: clock}
}

func (o *oneRepo) get(t *testing.T, name string) *railyard.Warehouse {
	t.Helper()
	w := &railyard.Warehouse{}
	if err := o.c.Get(context.Background(), client.ObjectKey{Namespace: "demo", Name: name}, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// reconcile runs one pass at at and returns the Warehouse after it.
func (o *oneRepo) reconcile(t *testing.T, name string, at time.Time) *railyard.Warehouse {
	t.Helper()
	o.clock.SetTime(at)
	if _, err := o.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "demo", Name: name}}); err != nil {
		t.Fatal(err)
	}
	return o.get(t, name)
}

// listings are the ref listings the git server answered since its stats
// were reset; a fetch's first leg is a ref advertisement too and does not
// count.
func (o *oneRepo) listings() int {
	st := o.srv.Stats()
	return st.RefLists - st.Fetches
}

// Refreshes of many Warehouses of one repository, requested together,
// share a listing begun after they were all seen; a refresh seen after a
// listing began gets a listing of its own.
func TestRefreshesRequestedTogetherShareRefListing(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	o := newOneRepo(t, start, "a", "b", "c")
	for _, name := range []string{"a", "b", "c"} {
		o.reconcile(t, name, start)
	}
	refresh := func(name, token string) {
		t.Helper()
		w := o.get(t, name)
		w.Annotations = map[string]string{railyard.AnnotationRefresh: token}
		if err := o.c.Update(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		// What the watch does when the annotation arrives.
		o.r.sightings.observe(w, o.clock.Now())
	}

	o.clock.SetTime(start.Add(time.Minute))
	refresh("a", "1")
	refresh("b", "1")
	o.srv.ResetStats()
	o.reconcile(t, "a", start.Add(time.Minute+time.Second))
	o.reconcile(t, "b", start.Add(time.Minute+3*time.Second))
	if n := o.listings(); n != 1 {
		t.Errorf("two refreshes requested together made %d ref listings (%+v), want one", n, o.srv.Stats())
	}

	refresh("c", "1")
	o.srv.ResetStats()
	o.reconcile(t, "c", start.Add(time.Minute+4*time.Second))
	if n := o.listings(); n != 1 {
		t.Errorf("a refresh requested after the listing began made %d ref listings (%+v), want one of its own", n, o.srv.Stats())
	}
}

// Warehouses applied together share a ref listing begun after the watch
// showed them all, however long they queued; one seen after the listing
// began, or never seen by the watch (after a restart), lists for itself.
func TestNewWarehousesSeenTogetherShareRefListing(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	o := newOneRepo(t, start, "a", "b", "c", "d")
	// What the watch does when each Warehouse is created.
	seen := func(name string) { o.r.sightings.observe(o.get(t, name), o.clock.Now()) }

	seen("a")
	seen("b")
	o.reconcile(t, "a", start.Add(time.Second))
	b := o.reconcile(t, "b", start.Add(3*time.Second))
	// The first discovery also fetches the history both share.
	if n := o.listings(); n != 1 {
		t.Errorf("two Warehouses seen together made %d ref listings (%+v), want one", n, o.srv.Stats())
	}
	if b.Status.ObservedGeneration != 1 || b.Status.DiscoveredArtifacts == nil || len(b.Status.DiscoveredArtifacts.Git) != 1 || len(b.Status.DiscoveredArtifacts.Git[0].Commits) == 0 {
		t.Fatalf("b was not discovered from the shared listing: %+v", b.Status)
	}

	seen("c")
	o.srv.ResetStats()
	o.reconcile(t, "c", start.Add(4*time.Second))
	if n := o.listings(); n != 1 {
		t.Errorf("a Warehouse seen after the listing began made %d ref listings (%+v), want one of its own", n, o.srv.Stats())
	}

	o.srv.ResetStats()
	o.reconcile(t, "d", start.Add(5*time.Second))
	if n := o.listings(); n != 1 {
		t.Errorf("a Warehouse the watch never showed made %d ref listings (%+v), want one of its own", n, o.srv.Stats())
	}
}
