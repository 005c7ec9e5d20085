package warehouse

import (
	"context"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
)

// DefaultAnnounceAfter is how long a discovery someone waits on (see
// announce) runs before it is announced with the interim Reconciling
// status write. Most discoveries end sooner and so write status once: a
// refresh of 100 Warehouses at once made 200 Warehouse status writes, half
// of them announcing a discovery that was over 30 ms later.
const DefaultAnnounceAfter = 2 * time.Second

// lateAnnouncement writes the interim Reconciling status of a discovery
// that is still running after a delay. It patches a copy of the Warehouse
// taken before the discovery, so the discovery's own copy is never written
// to from another goroutine.
type lateAnnouncement struct {
	timer *time.Timer // nil when written at once
	// mu is held while the write is under way; stop waits for it.
	mu        sync.Mutex
	stopped   bool
	announced *railyard.Warehouse // as the server answered; nil until written
}

// announceLate schedules the Reconciling write of w with message after
// delay (at once, before it returns, when delay is not positive); p is the
// status patcher of the pass, so its base moves with the write and the
// final patch carries only what changed since.
func announceLate(ctx context.Context, w *railyard.Warehouse, p *reconcilehelp.StatusPatcher, message string, delay time.Duration) *lateAnnouncement {
	a := &lateAnnouncement{}
	announced := w.DeepCopy()
	markReconciling(announced, message)
	write := func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.stopped {
			return
		}
		if err := p.Patch(ctx, announced); err != nil {
			// Only the announcement is lost: the final write of the pass
			// follows and reports what it finds.
			log.FromContext(ctx).V(1).Info("announcing the discovery", "error", err.Error())
			return
		}
		a.announced = announced
	}
	if delay <= 0 {
		write()
		return a
	}
	a.timer = time.AfterFunc(delay, write)
	return a
}

// stop cancels the write if it has not started and waits for it if it has.
// When the announcement was written, it returns the Warehouse as the server
// answered, which the pass goes on from (its resourceVersion, Reconciling),
// as it did when it announced before discovering.
func (a *lateAnnouncement) stop() *railyard.Warehouse {
	if a.timer != nil {
		a.timer.Stop()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	return a.announced
}
