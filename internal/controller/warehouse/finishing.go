package warehouse

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// maxFinishing bounds the deferred discoveries finished in the background.
// Each waits mostly on a registry's rate limit; past the bound a reconcile
// finishes its own, holding its worker, which slows new discoveries down
// rather than queueing without end.
const maxFinishing = 128

// finishings are the Warehouses whose Freight a discovery has created while
// the rest of the discovery (image references other than the newest, build
// times; outcome.rest) goes on in the background at low priority. Their
// status is written once, when the rest is in: the pass that created the
// Freight keeps the status it computed here, and the pass the background
// work enqueues writes it with the finished artifacts (complete). Until
// then further passes of the same Warehouse spec and refresh token wait;
// another spec or token starts a new discovery and the old rest is dropped.
// Nothing is lost on a restart: the status was not written, so the refresh
// or spec change is still unhandled and is discovered again.
type finishings struct {
	mu     sync.Mutex
	byKey  map[types.NamespacedName]*finishing
	slots  chan struct{}
	events chan event.GenericEvent
}

type finishing struct {
	generation int64
	token      string
	// status is the Warehouse status the creating pass computed; before,
	// its conditions before that pass (for transition Events).
	status   *railyard.WarehouseStatus
	before   []metav1.Condition
	outcomes []outcome
	done     bool
}

func newFinishings() *finishings {
	return &finishings{
		byKey:  map[types.NamespacedName]*finishing{},
		slots:  make(chan struct{}, maxFinishing),
		events: make(chan event.GenericEvent, maxFinishing),
	}
}

// take reserves a background slot; false when all are in use.
func (f *finishings) take() bool {
	select {
	case f.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (f *finishings) give() { <-f.slots }

// lookup returns w's finishing if it is for w's spec and refresh token;
// one for another is dropped.
func (f *finishings) lookup(w *railyard.Warehouse) *finishing {
	key := client.ObjectKeyFromObject(w)
	f.mu.Lock()
	defer f.mu.Unlock()
	fin := f.byKey[key]
	if fin != nil && (fin.generation != w.Generation || fin.token != refreshToken(w)) {
		delete(f.byKey, key)
		return nil
	}
	return fin
}

// isDone reports whether fin's background work ended.
func (f *finishings) isDone(fin *finishing) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fin.done
}

func (f *finishings) forget(key types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.byKey, key)
}

// start finishes fin's outcomes in the background with a slot taken by
// take, then enqueues w. prev is w before the discovery; now when it ran.
func (f *finishings) start(ctx context.Context, r *Reconciler, prev *railyard.Warehouse, fin *finishing, now time.Time) {
	key := client.ObjectKeyFromObject(prev)
	f.mu.Lock()
	f.byKey[key] = fin
	f.mu.Unlock()
	go func() {
		defer f.give()
		r.finishAll(ctx, prev, fin.outcomes, now)
		f.mu.Lock()
		fin.done = true
		current := f.byKey[key] == fin
		f.mu.Unlock()
		if !current {
			return
		}
		select {
		case f.events <- event.GenericEvent{Object: prev}:
		case <-ctx.Done():
		}
	}()
}

// deferImages says whether image discoveries of w may stop at their newest
// reference: only when the newest references alone decide the Freight
// (automatic creation without criteria, which read every discovered
// artifact).
func deferImages(w *railyard.Warehouse) bool {
	c := w.Spec.FreightCreationCriteria
	return w.Spec.FreightCreationPolicy != railyard.FreightCreationPolicyManual && (c == nil || strings.TrimSpace(c.Expression) == "")
}

// settle records a discovery's outcomes in w's status and creates Freight
// from them.
func (r *Reconciler) settle(ctx context.Context, w *railyard.Warehouse, outcomes []outcome, token string, done time.Time) (summary, error) {
	w.Status.DiscoveredArtifacts, w.Status.Subscriptions = assemble(outcomes, metav1.Time{Time: done})
	w.Status.LastHandledRefresh = token
	r.sightings.handled(client.ObjectKeyFromObject(w), token)
	s := summarize(outcomes)
	setDiscoveryConditions(w, s)
	freightErr := r.produceFreight(ctx, w, outcomes, s, done)
	doneReconciling(w)
	return s, freightErr
}

// detach creates the Freight of a deferred discovery now and leaves the
// rest to the background (finishings), when that Freight is new and a
// background slot is free. True means it did: w's status is as it was
// and is written when the rest is in. before are w's conditions before
// the pass; start and done when the discovery began and ended.
func (r *Reconciler) detach(ctx context.Context, w *railyard.Warehouse, outcomes []outcome, before []metav1.Condition, start, done time.Time, token string) bool {
	if s := summarize(outcomes); !s.ok() || len(s.empty) > 0 {
		return false
	}
	f := candidate(w, outcomes, done)
	if err := r.client.Get(ctx, client.ObjectKeyFromObject(f), &railyard.Freight{}); !apierrors.IsNotFound(err) {
		// Known Freight (or no answer): nobody waits on this discovery.
		return false
	}
	if !r.finishing.take() {
		return false
	}
	prev := w.DeepCopy()
	s, freightErr := r.settle(ctx, w, outcomes, token, done)
	if freightErr != nil || !s.ok() {
		r.finishing.give()
		return false
	}
	w.Status.ObservedGeneration = w.Generation
	fin := &finishing{generation: w.Generation, token: token, status: w.Status.DeepCopy(), before: before, outcomes: outcomes}
	prev.Status.DeepCopyInto(&w.Status)
	r.finishing.start(ctx, r, prev, fin, start)
	return true
}

// complete writes the status of a discovery whose rest finished in the
// background.
func (r *Reconciler) complete(w *railyard.Warehouse, fin *finishing) (ctrl.Result, error) {
	observed := w.Status.ObservedGeneration
	fin.status.DeepCopyInto(&w.Status)
	w.Status.DiscoveredArtifacts, w.Status.Subscriptions = assemble(fin.outcomes, fin.status.DiscoveredArtifacts.DiscoveredAt)
	s := summarize(fin.outcomes)
	if !s.ok() {
		setDiscoveryConditions(w, s)
		w.Status.ObservedGeneration = observed
	}
	r.notifyTransitions(w, fin.before)
	if !s.ok() {
		// Returned so that the work queue retries with backoff.
		_, msg := s.problem()
		return ctrl.Result{}, errors.New(msg)
	}
	r.quiet.forget(client.ObjectKeyFromObject(w))
	return ctrl.Result{RequeueAfter: r.untilDue(w, fin.status.DiscoveredArtifacts.DiscoveredAt.Time)}, nil
}
