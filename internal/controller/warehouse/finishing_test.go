package warehouse

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// A refresh that finds a new tag creates its Freight as soon as the tag
// list and the new tag's manifest are read; the rest of the discovery (the
// known tag's confirmation, the new image's build time) goes on in the
// background, and the Warehouse status is written once, when it is in.
// Passes in between wait instead of discovering again.
func TestFreightBeforeTheRestOfTheDiscovery(t *testing.T) {
	reg := registrytest.New(t)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg.PushImage(t, "app", "v1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: base, Labels: map[string]string{"v": "1.0.0"}}))
	w := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app", Generation: 1},
		Spec:       railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}}}},
	}
	var writes atomic.Int32
	c := countingClient(t, w, &writes)
	r := New(c, c, nil, Options{})
	key := client.ObjectKeyFromObject(w)
	ctx := context.Background()
	reconcileSettled(t, r, key) // first discovery: v1.0.0

	reg.PushImage(t, "app", "v1.1.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: base.Add(time.Hour), Labels: map[string]string{"v": "1.1.0"}}))
	held := make(chan struct{})
	var heldRequests atomic.Int32
	reg.OnRequest(func(req *http.Request) {
		// Blob GETs are config reads: only the rest of the discovery needs them.
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
			heldRequests.Add(1)
			<-held
		}
	})
	refreshed := &railyard.Warehouse{}
	if err := c.Get(ctx, key, refreshed); err != nil {
		t.Fatal(err)
	}
	refreshed.Annotations = map[string]string{railyard.AnnotationRefresh: "1"}
	if err := c.Update(ctx, refreshed); err != nil {
		t.Fatal(err)
	}

	writes.Store(0)
	reg.ResetCounts()
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	var list railyard.FreightList
	if err := c.List(ctx, &list); err != nil {
		t.Fatal(err)
	}
	newest := false
	for _, f := range list.Items {
		newest = newest || (len(f.Images) == 1 && f.Images[0].Tag == "v1.1.0")
	}
	if !newest {
		t.Fatalf("no Freight for v1.1.0 before the rest of the discovery: %d Freight", len(list.Items))
	}
	if n := writes.Load(); n != 0 {
		t.Errorf("%d status writes before the rest of the discovery is in, want 0", n)
	}
	got := reg.Counts()
	if got.TagsList != 1 || got.ManifestGet != 1 {
		t.Errorf("requests before the Freight: %+v, want the tag list and the new tag's manifest", got)
	}

	// A pass while the rest is held neither discovers nor writes.
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	if again := reg.Counts(); again.TagsList != 1 || writes.Load() != 0 {
		t.Errorf("a pass while the rest goes on listed tags %d times and wrote %d statuses", again.TagsList, writes.Load())
	}

	close(held)
	waitFinished(t, r)
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	if n := writes.Load(); n != 1 {
		t.Errorf("%d status writes for the refresh, want 1", n)
	}
	if heldRequests.Load() == 0 {
		t.Error("the rest of the discovery read no config")
	}
	st := &railyard.Warehouse{}
	if err := c.Get(ctx, key, st); err != nil {
		t.Fatal(err)
	}
	if st.Status.LastHandledRefresh != "1" {
		t.Errorf("lastHandledRefresh = %q, want 1", st.Status.LastHandledRefresh)
	}
	refs := st.Status.DiscoveredArtifacts.Images[0].References
	if len(refs) != 2 || refs[0].Tag != "v1.1.0" || refs[1].Tag != "v1.0.0" {
		t.Fatalf("discovered %+v, want v1.1.0 and v1.0.0", refs)
	}
	if refs[0].CreatedAt == nil || !refs[0].CreatedAt.Time.Equal(base.Add(time.Hour)) {
		t.Errorf("v1.1.0 createdAt = %v, want %s", refs[0].CreatedAt, base.Add(time.Hour))
	}
	if cond := findCondition(st, railyard.ConditionFreightCreated); cond == nil || cond.Reason != railyard.ReasonFreightCreated || !strings.Contains(cond.Message, "v1.1.0") {
		t.Errorf("FreightCreated = %+v, want the creation of v1.1.0's Freight", cond)
	}
	if cond := findCondition(st, railyard.ConditionReady); cond == nil || cond.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v, want True", cond)
	}
}

// A spec change while the rest of a discovery goes on starts a new
// discovery; the old rest is dropped.
func TestFinishingIsForOneSpecAndRefresh(t *testing.T) {
	f := newFinishings()
	w := &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app", Generation: 2,
		Annotations: map[string]string{railyard.AnnotationRefresh: "a"}}}
	fin := &finishing{generation: 2, token: "a"}
	f.byKey[client.ObjectKeyFromObject(w)] = fin
	if got := f.lookup(w); got != fin {
		t.Fatal("the finishing of the same spec and refresh is not found")
	}
	w.Annotations[railyard.AnnotationRefresh] = "b"
	if got := f.lookup(w); got != nil {
		t.Fatal("a finishing of another refresh was returned")
	}
	w.Annotations[railyard.AnnotationRefresh] = "a"
	if got := f.lookup(w); got != nil {
		t.Fatal("a superseded finishing was kept")
	}
}

// reconcileSettled reconciles key and, when the discovery left its rest to
// the background, waits for it and reconciles again.
func reconcileSettled(t *testing.T, r *Reconciler, key client.ObjectKey) {
	t.Helper()
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	r.finishing.mu.Lock()
	_, pending := r.finishing.byKey[key]
	r.finishing.mu.Unlock()
	if !pending {
		return
	}
	waitFinished(t, r)
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
}

func waitFinished(t *testing.T, r *Reconciler) {
	t.Helper()
	select {
	case <-r.finishing.events:
	case <-time.After(30 * time.Second):
		t.Fatal("the rest of the discovery never finished")
	}
}

// The next discovery is due an interval after the discovery, not after
// the pass that wrote it once the rest came in.
func TestNextDiscoveryCountsFromTheDiscovery(t *testing.T) {
	reg := registrytest.New(t)
	reg.PushImage(t, "app", "v1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: time.Unix(1700000000, 0)}))
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app", Generation: 1},
		Spec: railyard.WarehouseSpec{
			Interval:      &metav1.Duration{Duration: time.Minute},
			Subscriptions: []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}}},
		},
	}
	var writes atomic.Int32
	c := countingClient(t, w, &writes)
	clock := clocktesting.NewFakePassiveClock(start)
	r := New(c, c, nil, Options{Clock: clock})
	key := client.ObjectKeyFromObject(w)
	if res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil || res.RequeueAfter != 0 {
		t.Fatalf("the pass that created the Freight: %+v, %v; want no requeue (the rest enqueues it)", res, err)
	}
	waitFinished(t, r)
	clock.SetTime(start.Add(20 * time.Second)) // the rest took 20 s
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
	if err != nil {
		t.Fatal(err)
	}
	if want := 40 * time.Second; res.RequeueAfter != want {
		t.Errorf("next discovery in %s, want %s (an interval after the discovery)", res.RequeueAfter, want)
	}
}
