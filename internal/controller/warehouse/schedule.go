package warehouse

import (
	"hash/fnv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Why a discovery runs. The reason is shown in the Reconciling message.
const (
	dueFirst       = "first discovery"
	dueSpecChanged = "spec changed"
	dueRefresh     = "refresh requested"
	dueCredentials = "credentials changed"
	dueRetry       = "retrying after a failure"
	dueInterval    = "interval elapsed"
)

// shouldDiscover decides whether w must be discovered at now; credsChanged
// says a credentials Secret of its namespace changed since the last pass
// (new credentials may reach what the old could not), and quietAt is when a
// later discovery than the status records found nothing new (zero if
// none). It returns the reason, or "" and how long until the next discovery
// is due. It is a pure function of its arguments.
func shouldDiscover(w *railyard.Warehouse, now time.Time, credsChanged bool, quietAt time.Time) (reason string, wait time.Duration) {
	st := &w.Status
	switch {
	case st.DiscoveredArtifacts == nil || st.DiscoveredArtifacts.DiscoveredAt.IsZero():
		return dueFirst, 0
	case w.Generation != st.ObservedGeneration:
		return dueSpecChanged, 0
	case refreshToken(w) != "" && refreshToken(w) != st.LastHandledRefresh:
		return dueRefresh, 0
	case credsChanged:
		return dueCredentials, 0
	case failedTransiently(w):
		// The error was returned, so the work queue's backoff spaces these.
		return dueRetry, 0
	}
	last := st.DiscoveredArtifacts.DiscoveredAt.Time
	if quietAt.After(last) {
		last = quietAt
	}
	next := last.Add(period(w))
	if !now.Before(next) {
		return dueInterval, 0
	}
	return "", next.Sub(now)
}

// minRequeue is the least a pass waits before the next when the next
// discovery is already due.
const minRequeue = time.Second

// untilDue is how long after now the discovery that ended at done is
// followed by the next: period(w) after done, not after the pass that
// writes it, which may come later (a discovery finished in the background,
// see finishings), so the interval holds between discoveries.
func (r *Reconciler) untilDue(w *railyard.Warehouse, done time.Time) time.Duration {
	return max(done.Add(period(w)).Sub(r.clock.Now()), minRequeue)
}

// maxEarly is the largest share of its interval by which a Warehouse
// discovers before the interval is up.
const maxEarly = 0.1

// period is how long after its last discovery a Warehouse discovers again:
// its interval, less a share of up to maxEarly fixed by its UID. Warehouses
// applied together would otherwise discover together at every interval,
// queueing on the registries' shared rate limits and the work queue until
// some went past their interval; with a different period each, they drift
// apart, and the queueing comes out of the share, not on top of the
// interval.
func period(w *railyard.Warehouse) time.Duration {
	interval := w.Spec.GetInterval()
	if w.UID == "" {
		return interval
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(w.UID))
	share := maxEarly * float64(h.Sum32()%1000) / 1000
	return interval - time.Duration(share*float64(interval))
}

// announce reports whether a discovery for reason is announced with an
// interim Reconciling status write before it starts. Someone waits on a
// first discovery, a spec change, a refresh or new credentials; nobody
// waits on the periodic one, and at 1,000 Warehouses its extra write (and
// the watch event it sends every watcher) is half the status traffic at
// rest.
func announce(reason string) bool {
	return reason != dueInterval
}

// refreshToken is the value of the refresh annotation: Railyard's, or else
// Kargo's, so tools written for Kargo keep working.
func refreshToken(w *railyard.Warehouse) string {
	v, _ := railyard.RefreshValue(w.Annotations)
	return v
}

// failedTransiently reports whether the last pass ended in an error that
// was returned for a retry with backoff (as opposed to a spec problem, which
// waits for a change).
func failedTransiently(w *railyard.Warehouse) bool {
	c := meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionReady)
	return c != nil && c.Status != metav1.ConditionTrue &&
		(c.Reason == railyard.ReasonDiscoveryFailed || c.Reason == railyard.ReasonFreightCreationFailed)
}

// maxSharedRefsAge bounds how old a listing of a git remote's refs a periodic
// discovery may reuse from another Warehouse's discovery of the same remote.
const maxSharedRefsAge = 15 * time.Second

// maxSharedHistoryAge is how long a fetched branch history is kept for
// other Warehouses' discoveries after its last use: when the branch of the
// users' one repository moves, each Warehouse following a path of it finds
// out at its own interval (5 minutes by default).
const maxSharedHistoryAge = 5 * time.Minute

// maxSharedHistories bounds the histories kept, whatever their size: as
// many as discoveries run at once by default.
const maxSharedHistories = 4

// refsNotBefore is the oldest start of a git ref listing a discovery for
// reason at now may use. Only a periodic discovery shares: reusing a listing
// a few seconds old is the same as having run those seconds earlier, which the
// schedule allows anyway (period), and at most a tenth of the interval. Anyone
// waiting on a discovery (a refresh, a spec change) gets a listing begun
// after the watch showed what it waits for (sightings), or one of its own.
func refsNotBefore(w *railyard.Warehouse, reason string, now time.Time) time.Time {
	if reason != dueInterval {
		return now
	}
	return now.Add(-min(maxSharedRefsAge, time.Duration(maxEarly*float64(w.Spec.GetInterval()))))
}
