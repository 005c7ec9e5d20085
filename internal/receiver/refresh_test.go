package receiver

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/scheme"
)

// slowClient is a fake API server whose patches take a while, so that
// deliveries pile up behind one, and which counts patches in flight.
func slowClient(t *testing.T, delay time.Duration, inFlightMax *atomic.Int32, fail error) client.Client {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	var inFlight atomic.Int32
	wh := &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "app"}}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(wh).WithInterceptorFuncs(interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := inFlightMax.Load()
				if n <= m || inFlightMax.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(delay)
			if fail != nil {
				return fail
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
	}).Build()
}

func TestRefreshCoalescesABurst(t *testing.T) {
	var maxInFlight atomic.Int32
	r := &Refresher{Client: slowClient(t, 20*time.Millisecond, &maxInFlight, nil)}
	key := types.NamespacedName{Namespace: "demo", Name: "app"}

	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for range 500 {
		wg.Go(func() { errs <- r.Refresh(context.Background(), []types.NamespacedName{key}) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
	}
	if got := maxInFlight.Load(); got != 1 {
		t.Errorf("%d patches of one Warehouse in flight at once, want 1", got)
	}
	// Every delivery waited for a patch that started after it arrived, and
	// those arriving during a patch share the next one.
	if p := r.Patches(); p < 1 || p > 250 {
		t.Errorf("%d patches for 500 deliveries: not coalesced", p)
	}
	var wh railyard.Warehouse
	if err := r.Client.Get(context.Background(), key, &wh); err != nil {
		t.Fatal(err)
	}
	if wh.Annotations[railyard.AnnotationRefresh] == "" {
		t.Error("refresh annotation not set")
	}
}

func TestRefreshAfterABurstPatchesAgain(t *testing.T) {
	var maxInFlight atomic.Int32
	r := &Refresher{Client: slowClient(t, 0, &maxInFlight, nil)}
	key := types.NamespacedName{Namespace: "demo", Name: "app"}
	for i := range 3 {
		if err := r.Refresh(context.Background(), []types.NamespacedName{key}); err != nil {
			t.Fatal(err)
		}
		if got := r.Patches(); got != i+1 {
			t.Fatalf("after %d sequential deliveries, %d patches; each must patch", i+1, got)
		}
	}
}

func TestRefreshReportsFailures(t *testing.T) {
	var maxInFlight atomic.Int32
	boom := errors.New("apiserver unavailable")
	r := &Refresher{Client: slowClient(t, 0, &maxInFlight, boom)}
	err := r.Refresh(context.Background(), []types.NamespacedName{{Namespace: "demo", Name: "app"}})
	if !errors.Is(err, boom) {
		t.Fatalf("Refresh error = %v, want it to wrap %v", err, boom)
	}
}

func TestRefreshIgnoresDeletedWarehouse(t *testing.T) {
	var maxInFlight atomic.Int32
	r := &Refresher{Client: slowClient(t, 0, &maxInFlight, nil)}
	if err := r.Refresh(context.Background(), []types.NamespacedName{{Namespace: "demo", Name: "gone"}}); err != nil {
		t.Fatalf("refreshing a deleted Warehouse: %v", err)
	}
}
