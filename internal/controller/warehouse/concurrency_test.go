package warehouse_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/warehouse"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// inFlight counts the tag listings a registry is answering and holds each
// until want of them are in flight at once (or its caller gave up), so a
// test can tell how many discoveries run together.
type inFlight struct {
	want int

	mu      sync.Mutex
	now     int
	peak    int
	reached chan struct{}
}

func (g *inFlight) hold(req *http.Request) {
	if !strings.HasSuffix(req.URL.Path, "/tags/list") {
		return
	}
	g.mu.Lock()
	g.now++
	if g.now > g.peak {
		g.peak = g.now
	}
	if g.peak == g.want {
		close(g.reached)
	}
	g.mu.Unlock()
	select {
	case <-g.reached:
	case <-req.Context().Done():
	}
	g.mu.Lock()
	g.now--
	g.mu.Unlock()
}

func (g *inFlight) maxSeen() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}

// With the default options, DefaultConcurrency Warehouses discover at once:
// their registry sees that many tag listings in flight together. (A
// discovery mostly waits on servers; with fewer at once, Warehouses applied
// together queued behind each other's round trips.)
func TestWarehousesDiscoverTogether(t *testing.T) {
	if warehouse.DefaultConcurrency < 8 {
		t.Fatalf("DefaultConcurrency = %d; discoveries wait on servers and should run many at once", warehouse.DefaultConcurrency)
	}
	n := warehouse.DefaultConcurrency
	reg := registrytest.New(t)
	gate := &inFlight{want: n, reached: make(chan struct{})}
	reg.OnRequest(gate.hold)
	t.Cleanup(func() { reg.OnRequest(nil) })
	ns := newNamespace(t)
	for i := range n {
		repo := fmt.Sprintf("together/app-%d", i)
		reg.PushImage(t, repo, "1.0.0", registrytest.RandomImage(t))
		create(t, &railyard.Warehouse{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("app-%d", i)},
			Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
				{Image: &railyard.ImageSubscription{RepoURL: reg.Repo(repo)}},
			}},
		})
	}
	// A held discovery that times out is retried, so the peak is reached
	// once the workers have every Warehouse at once, whatever the load.
	select {
	case <-gate.reached:
	case <-time.After(2 * time.Minute):
		t.Fatalf("at most %d tag listings were in flight at once; want %d (one per Warehouse)", gate.maxSeen(), n)
	}
	for i := range n {
		waitCondition(t, ns, fmt.Sprintf("app-%d", i), railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded)
	}
}
