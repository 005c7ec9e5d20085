package warehouse

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// countingClient is a fake client holding w (with the Freight content
// index) that counts status patches in *writes.
func countingClient(t *testing.T, w *railyard.Warehouse, writes *atomic.Int32) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(w).WithStatusSubresource(w, &railyard.Freight{}).
		WithIndex(&railyard.Freight{}, freight.ContentIndex, func(o client.Object) []string { return []string{freight.IDOf(o.(*railyard.Freight))} }).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
				writes.Add(1)
				return c.SubResource(sub).Patch(ctx, obj, p, opts...)
			},
		}).Build()
}

// A discovery writes status once, unless someone waits on it (a refresh,
// here) and it runs longer than AnnounceAfter: then Reconciling is written
// first, while the discovery is still running.
func TestStatusWritesPerDiscovery(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	interval := 5 * time.Minute
	refresh := map[string]string{railyard.AnnotationRefresh: "now"}

	tests := []struct {
		name        string
		annotations map[string]string
		slow        bool // the tag listing waits for the first status write
		wantWrites  int
	}{
		{name: "interval elapsed", wantWrites: 1},
		{name: "interval elapsed, slow", slow: true, wantWrites: 1},
		{name: "refresh requested", annotations: refresh, wantWrites: 1},
		{name: "refresh requested, slow", annotations: refresh, slow: true, wantWrites: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := registrytest.New(t)
			reg.PushImage(t, "app", "v1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: time.Unix(0, 0)}))
			w := &railyard.Warehouse{
				ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app", Generation: 1, Annotations: tt.annotations},
				Spec: railyard.WarehouseSpec{
					Interval:              &metav1.Duration{Duration: interval},
					FreightCreationPolicy: railyard.FreightCreationPolicyManual,
					Subscriptions:         []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}}},
				},
				Status: railyard.WarehouseStatus{
					ObservedGeneration:  1,
					DiscoveredArtifacts: &railyard.DiscoveredArtifacts{DiscoveredAt: metav1.NewTime(now.Add(-interval - time.Second))},
				},
			}
			var writes atomic.Int32
			c := countingClient(t, w, &writes)
			// A quick discovery is one that ends within a minute; a slow
			// one has its tag listing held until the announcement, due
			// after 20ms, lands (or, in the periodic case, which must not
			// announce, until 300ms have passed).
			announceAfter := time.Minute
			var midDiscovery *railyard.Warehouse
			if tt.slow {
				announceAfter = 20 * time.Millisecond
				reg.OnTagsList(func(string) {
					deadline := time.Now().Add(300 * time.Millisecond)
					for writes.Load() == 0 && time.Now().Before(deadline) {
						time.Sleep(5 * time.Millisecond)
					}
					midDiscovery = &railyard.Warehouse{}
					if err := c.Get(context.Background(), client.ObjectKeyFromObject(w), midDiscovery); err != nil {
						t.Error(err)
					}
				})
			}
			r := New(c, c, nil, Options{Clock: clocktesting.NewFakePassiveClock(now), AnnounceAfter: announceAfter})
			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(w)})
			if err != nil {
				t.Fatal(err)
			}
			if got := int(writes.Load()); got != tt.wantWrites {
				t.Errorf("status writes = %d, want %d", got, tt.wantWrites)
			}
			if res.RequeueAfter != interval {
				t.Errorf("RequeueAfter = %v, want the interval %v", res.RequeueAfter, interval)
			}
			got := &railyard.Warehouse{}
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(w), got); err != nil {
				t.Fatal(err)
			}
			if !got.Status.DiscoveredArtifacts.DiscoveredAt.Time.Equal(now) || len(got.Status.DiscoveredArtifacts.Images) != 1 {
				t.Errorf("discovery not recorded: %+v", got.Status.DiscoveredArtifacts)
			}
			if meta.FindStatusCondition(got.Status.Conditions, railyard.ConditionReconciling) != nil {
				t.Error("Reconciling left behind after the discovery")
			}
			if tt.wantWrites == 2 {
				c := meta.FindStatusCondition(midDiscovery.Status.Conditions, railyard.ConditionReconciling)
				if c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "refresh requested") {
					t.Errorf("during the slow discovery Reconciling = %+v, want True (refresh requested)", c)
				}
			}
		})
	}
}

// A periodic discovery that finds exactly what the status says writes
// nothing, and the next one is due a period after it, not after the
// status's discoveredAt; one that finds something new writes, and so does
// one whose status is maxUnwritten old.
func TestQuietDiscoveryWritesNothing(t *testing.T) {
	reg := registrytest.New(t)
	reg.PushImage(t, "app", "v1.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: time.Unix(0, 0)}))
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	interval := 5 * time.Minute
	w := &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app", Generation: 1},
		Spec: railyard.WarehouseSpec{
			Interval:              &metav1.Duration{Duration: interval},
			FreightCreationPolicy: railyard.FreightCreationPolicyManual,
			Subscriptions:         []railyard.RepoSubscription{{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}}},
		},
	}
	var writes atomic.Int32
	c := countingClient(t, w, &writes)
	clock := clocktesting.NewFakePassiveClock(start)
	r := New(c, c, nil, Options{Clock: clock})
	reconcileAt := func(at time.Time) (ctrl.Result, int, *railyard.Warehouse) {
		t.Helper()
		clock.SetTime(at)
		writes.Store(0)
		res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(w)})
		if err != nil {
			t.Fatal(err)
		}
		got := &railyard.Warehouse{}
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(w), got); err != nil {
			t.Fatal(err)
		}
		return res, int(writes.Load()), got
	}

	if _, n, _ := reconcileAt(start); n == 0 {
		t.Fatal("the first discovery wrote nothing")
	}
	at := start.Add(interval)
	res, n, got := reconcileAt(at)
	if n != 0 {
		t.Errorf("a discovery that found nothing new wrote status %d times", n)
	}
	if res.RequeueAfter != interval || !got.Status.DiscoveredArtifacts.DiscoveredAt.Time.Equal(start) {
		t.Errorf("RequeueAfter %v, discoveredAt %v; want %v and the first discovery's time", res.RequeueAfter, got.Status.DiscoveredArtifacts.DiscoveredAt, interval)
	}
	// Counted from the quiet discovery: a minute later nothing is due.
	if res, n, _ := reconcileAt(at.Add(time.Minute)); n != 0 || res.RequeueAfter != interval-time.Minute {
		t.Errorf("a minute after a quiet discovery: %d writes, RequeueAfter %v; want none and %v", n, res.RequeueAfter, interval-time.Minute)
	}

	reg.PushImage(t, "app", "v1.1.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: time.Unix(60, 0)}))
	at = at.Add(interval)
	if _, n, got := reconcileAt(at); n != 1 || got.Status.DiscoveredArtifacts.Images[0].References[0].Tag != "v1.1.0" {
		t.Errorf("a discovery that found v1.1.0: %d writes, references %+v", n, got.Status.DiscoveredArtifacts.Images[0].References)
	}
	written := at
	for at.Sub(written) < maxUnwritten-interval {
		at = at.Add(interval)
		if _, n, _ := reconcileAt(at); n != 0 {
			t.Fatalf("quiet discovery %s after the last write wrote status", at.Sub(written))
		}
	}
	at = at.Add(interval)
	if _, n, got := reconcileAt(at); n != 1 || !got.Status.DiscoveredArtifacts.DiscoveredAt.Time.Equal(at) {
		t.Errorf("a discovery %s after the last write: %d writes, discoveredAt %v", at.Sub(written), n, got.Status.DiscoveredArtifacts.DiscoveredAt)
	}
}

func TestOnlyTimesChanged(t *testing.T) {
	t0, t1 := metav1.NewTime(time.Unix(0, 0)), metav1.NewTime(time.Unix(60, 0))
	base := func() *railyard.WarehouseStatus {
		return &railyard.WarehouseStatus{
			DiscoveredArtifacts: &railyard.DiscoveredArtifacts{DiscoveredAt: t0, Images: []railyard.ImageDiscoveryResult{
				{RepoURL: "r", References: []railyard.DiscoveredImageReference{{Tag: "v1", Digest: "sha256:a", CreatedAt: &t0}}}}},
			Subscriptions: []railyard.SubscriptionStatus{{Kind: "image", LastDiscoveredAt: &t0}},
		}
	}
	tests := []struct {
		name   string
		change func(*railyard.WarehouseStatus)
		want   bool
	}{
		{"nothing", func(*railyard.WarehouseStatus) {}, true},
		{"a build time's nanoseconds, which are not stored", func(s *railyard.WarehouseStatus) {
			s.DiscoveredArtifacts.Images[0].References[0].CreatedAt = &metav1.Time{Time: t1.Add(-time.Minute + 5)}
		}, true},
		{"times", func(s *railyard.WarehouseStatus) {
			s.DiscoveredArtifacts.DiscoveredAt = t1
			s.Subscriptions[0].LastDiscoveredAt = &t1
		}, true},
		{"a digest", func(s *railyard.WarehouseStatus) { s.DiscoveredArtifacts.Images[0].References[0].Digest = "sha256:b" }, false},
		{"an error", func(s *railyard.WarehouseStatus) { s.Subscriptions[0].LastError = "boom" }, false},
		{"a Freight", func(s *railyard.WarehouseStatus) { s.LastFreightID = "abc" }, false},
		{"a condition", func(s *railyard.WarehouseStatus) {
			s.Conditions = []metav1.Condition{{Type: railyard.ConditionReady, Status: metav1.ConditionTrue}}
		}, false},
		{"no artifacts", func(s *railyard.WarehouseStatus) { s.DiscoveredArtifacts = nil }, false},
	}
	for _, tt := range tests {
		w := &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app"}, Status: *base()}
		var writes atomic.Int32
		p := reconcilehelp.NewStatusPatcher(countingClient(t, w, &writes), w)
		tt.change(&w.Status)
		discovered := w.Status.DeepCopy()
		if got := onlyTimesChanged(p, base(), w); got != tt.want {
			t.Errorf("%s: onlyTimesChanged = %v, want %v", tt.name, got, tt.want)
		}
		if !equality.Semantic.DeepEqual(discovered, &w.Status) {
			t.Errorf("%s: onlyTimesChanged changed the status it was asked about", tt.name)
		}
	}
}
