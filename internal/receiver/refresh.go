package receiver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Refresher asks Warehouses to re-discover by setting their refresh
// annotation, as `railyard refresh` and Kargo's receivers do, so any replica
// can serve deliveries while the leader discovers.
//
// Deliveries for one Warehouse coalesce: at most one annotation patch per
// Warehouse is in flight, and every caller waits for a patch that started
// after it arrived. A burst of N deliveries thus costs about two patches,
// and none is lost: the last patch postdates the last delivery, and the
// Warehouse controller discovers once more after any refresh that arrives
// while it discovers.
type Refresher struct {
	Client client.Client
	// Now makes the refresh token; defaults to time.Now.
	Now func() time.Time

	mu    sync.Mutex
	state map[types.NamespacedName]*refreshState
	// patches counts annotation patches, for tests and benchmarks.
	patches int
}

type refreshState struct {
	// next is the batch the next patch will serve; nil when no caller is
	// waiting for one.
	next *batch
	// running is true while a worker patches this Warehouse.
	running bool
}

type batch struct {
	done chan struct{}
	err  error
}

// Refresh implements webhook.Handler.Refresh: it returns once every
// Warehouse was annotated after the call began, or with the errors of
// those that could not be.
func (r *Refresher) Refresh(ctx context.Context, warehouses []types.NamespacedName) error {
	batches := make([]*batch, len(warehouses))
	for i, key := range warehouses {
		batches[i] = r.join(key)
	}
	var errs []error
	for i, b := range batches {
		select {
		case <-b.done:
			if b.err != nil {
				errs = append(errs, fmt.Errorf("warehouse %s: %w", warehouses[i], b.err))
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// Patches returns how many annotation patches were sent.
func (r *Refresher) Patches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.patches
}

// join adds a caller to the Warehouse's next batch, starting a worker when
// none runs.
func (r *Refresher) join(key types.NamespacedName) *batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		r.state = map[types.NamespacedName]*refreshState{}
	}
	st := r.state[key]
	if st == nil {
		st = &refreshState{}
		r.state[key] = st
	}
	if st.next == nil {
		st.next = &batch{done: make(chan struct{})}
	}
	b := st.next
	if !st.running {
		st.running = true
		go r.work(key, st)
	}
	return b
}

// work patches the Warehouse once per batch until no caller waits. It is
// detached from any request: a sender that hangs up must not cancel a
// refresh other deliveries joined.
func (r *Refresher) work(key types.NamespacedName, st *refreshState) {
	for {
		r.mu.Lock()
		b := st.next
		if b == nil {
			st.running = false
			delete(r.state, key)
			r.mu.Unlock()
			return
		}
		st.next = nil
		r.patches++
		r.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b.err = r.patch(ctx, key)
		cancel()
		close(b.done)
	}
}

func (r *Refresher) patch(ctx context.Context, key types.NamespacedName) error {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	w := &railyard.Warehouse{}
	w.Namespace, w.Name = key.Namespace, key.Name
	return annotateRefresh(ctx, r.Client, w, now())
}

// annotateRefresh sets obj's refresh annotation to a token made from now,
// which makes its controller reconcile it at once. A deleted object needs
// nothing.
func annotateRefresh(ctx context.Context, c client.Client, obj client.Object, now time.Time) error {
	body := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, railyard.AnnotationRefresh, now.UTC().Format(time.RFC3339Nano))
	if err := c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(body))); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("setting the refresh annotation: %w", err)
	}
	return nil
}
