package warehouse

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
)

// maxUnwritten bounds how long a Warehouse's discovery times may lag: a
// periodic discovery that finds exactly what the status already says is
// not written (see quietDiscoveries) unless the status's discoveredAt is at
// least this old.
const maxUnwritten = time.Hour

// quietDiscoveries remembers, per Warehouse, when a periodic discovery last
// found nothing new and so wrote nothing. At 1,000 Warehouses on a 5-minute
// interval, writing only the new discoveredAt was the largest share of the
// manager's CPU at rest: the patch, and the watch event it sends back to
// every cache. The schedule then counts from the later of the status's
// discoveredAt and this time. The memory is lost on restart, which only
// makes a discovery due sooner.
type quietDiscoveries struct {
	mu sync.Mutex
	at map[types.NamespacedName]quietDiscovery
}

// quietDiscovery is kept with the UID, so that a Warehouse deleted and
// created again under its name starts afresh.
type quietDiscovery struct {
	uid types.UID
	at  time.Time
}

func (q *quietDiscoveries) get(w *railyard.Warehouse) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	d := q.at[types.NamespacedName{Namespace: w.Namespace, Name: w.Name}]
	if d.uid != w.UID {
		return time.Time{}
	}
	return d.at
}

func (q *quietDiscoveries) set(w *railyard.Warehouse, t time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.at == nil {
		q.at = map[types.NamespacedName]quietDiscovery{}
	}
	q.at[types.NamespacedName{Namespace: w.Namespace, Name: w.Name}] = quietDiscovery{uid: w.UID, at: t}
}

func (q *quietDiscoveries) forget(key types.NamespacedName) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.at, key)
}

// onlyTimesChanged reports whether w's status differs from what p last
// wrote in nothing but discovery times (the artifacts' discoveredAt and
// each subscription's lastDiscoveredAt): the times are set back to prev's,
// the status as the last write left it, and p judges the rest as the API
// server stores it.
func onlyTimesChanged(p *reconcilehelp.StatusPatcher, prev *railyard.WarehouseStatus, w *railyard.Warehouse) bool {
	if prev.DiscoveredArtifacts == nil || w.Status.DiscoveredArtifacts == nil || len(prev.Subscriptions) != len(w.Status.Subscriptions) {
		return false
	}
	// The times are swapped in place and back (a copy of the whole
	// Warehouse was a tenth of a quiet discovery's CPU).
	at := w.Status.DiscoveredArtifacts.DiscoveredAt
	last := make([]*metav1.Time, len(w.Status.Subscriptions))
	w.Status.DiscoveredArtifacts.DiscoveredAt = prev.DiscoveredArtifacts.DiscoveredAt
	for i := range w.Status.Subscriptions {
		last[i] = w.Status.Subscriptions[i].LastDiscoveredAt
		w.Status.Subscriptions[i].LastDiscoveredAt = prev.Subscriptions[i].LastDiscoveredAt
	}
	changed, err := p.Changes(w)
	w.Status.DiscoveredArtifacts.DiscoveredAt = at
	for i := range w.Status.Subscriptions {
		w.Status.Subscriptions[i].LastDiscoveredAt = last[i]
	}
	return err == nil && !changed
}
