package warehouse

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// The discovery after the one that created a Warehouse's Freight finds
// nothing new, so it writes nothing: the FreightCreated condition keeps
// naming the creation instead of turning into "already exists".
func TestQuietDiscoveryAfterFreightCreated(t *testing.T) {
	reg := registrytest.New(t)
	// Built at a time with nanoseconds, which the API server does not keep.
	reg.PushImage(t, "app", "v1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: time.Unix(0, 123456789)}))
	repo := gittest.NewServer(t).CreateRepo("gitops", map[string]string{"apps/app/kustomization.yaml": "resources: []\n"})
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	interval := 5 * time.Minute
	w := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app", Generation: 1},
		Spec: railyard.WarehouseSpec{
			Interval: &metav1.Duration{Duration: interval},
			Subscriptions: []railyard.RepoSubscription{
				{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}},
				{Git: &railyard.GitSubscription{RepoURL: repo.URL, Branch: "main", IncludePaths: []string{"apps/app"}}},
			},
		},
	}
	var writes atomic.Int32
	c := countingClient(t, w, &writes)
	clock := clocktesting.NewFakePassiveClock(start)
	r := New(c, c, nil, Options{Clock: clock})
	for i, want := range []string{"created the Freight", "found nothing new", "found nothing new"} {
		clock.SetTime(start.Add(time.Duration(i) * interval))
		writes.Store(0)
		reconcileSettled(t, r, client.ObjectKeyFromObject(w))
		if got := writes.Load() > 0; got != (i == 0) {
			t.Errorf("discovery %d (%s): %d status writes", i, want, writes.Load())
		}
	}
	var list railyard.FreightList
	if err := c.List(context.Background(), &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("Freight %v, %v; want the one", list.Items, err)
	}
	got := &railyard.Warehouse{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(w), got); err != nil {
		t.Fatal(err)
	}
	if cond := findCondition(got, railyard.ConditionFreightCreated); cond == nil || cond.Reason != railyard.ReasonFreightCreated {
		t.Errorf("FreightCreated = %+v, want reason %s", cond, railyard.ReasonFreightCreated)
	}
}

func findCondition(w *railyard.Warehouse, typ string) *metav1.Condition {
	for i := range w.Status.Conditions {
		if w.Status.Conditions[i].Type == typ {
			return &w.Status.Conditions[i]
		}
	}
	return nil
}

// An image's build time is recorded in whole seconds, as the API server
// keeps it, so a discovery that finds nothing new compares equal to the
// stored status field by field, without marshalling both.
func TestDiscoveredBuildTimeInWholeSeconds(t *testing.T) {
	reg := registrytest.New(t)
	reg.PushImage(t, "app", "v1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: time.Unix(1700000000, 123456789)}))
	w := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app"},
		Spec:       railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}}}},
	}
	var writes atomic.Int32
	c := countingClient(t, w, &writes)
	r := New(c, c, nil, Options{})
	var o outcome
	if err := r.discoverImage(context.Background(), w, &w.Spec.Subscriptions[0], &o, false); err != nil {
		t.Fatal(err)
	}
	if len(o.image.References) != 1 || o.image.References[0].CreatedAt == nil {
		t.Fatalf("references %+v", o.image.References)
	}
	if got := o.image.References[0].CreatedAt.Time; !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("createdAt %s, want %s", got.Format(time.RFC3339Nano), time.Unix(1700000000, 0).Format(time.RFC3339Nano))
	}
}
