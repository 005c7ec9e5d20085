// Package stage reconciles Stages. Each concern has its own file: the
// promotion queue (queue.go), Freight bookkeeping (history.go,
// freightstatus.go), health (health.go), verification (verification.go),
// auto-promotion (autopromote.go), conditions (status.go) and watches
// (watches.go).
package stage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/controller/shard"
)

// ResyncInterval bounds how long a Stage goes without a reconcile: a
// safety net for an event missed (an Application whose authorized-stage
// annotation was removed after a promotion). Soak time passing has its own
// timer (autopromote.go). Every input of a Stage is watched, so at 3,000
// Stages Kargo's 5 minutes were ten reconciles a second that found
// nothing, a fifth of the manager's CPU at rest.
const ResyncInterval = 10 * time.Minute

// rolloutsRecheck is how soon a Stage whose verification waits for Argo
// Rollouts to be installed asks again whether it is.
const rolloutsRecheck = 5 * time.Minute

// unhealthyRecheck is how soon a Stage that is not yet healthy is checked
// again when Argo CD Applications are not watched (their CRD was missing
// when the manager started).
const unhealthyRecheck = 15 * time.Second

// staleRecheck is when a Stage read from a cache that has not seen this
// controller's last write to it is looked at again, should the watch event
// of that write not queue it first.
const staleRecheck = time.Second

// DefaultConcurrency is how many Stages are reconciled at once by default:
// with one, a wave of promotions queued every Stage's health checks and
// Freight updates behind each other.
const DefaultConcurrency = 4

// Reconciler reconciles Stages.
type Reconciler struct {
	// Client reads from the cache and writes to the API server.
	Client client.Client
	// APIReader reads past the cache (Freight before a status patch, the
	// Stage before recording a Promotion).
	APIReader client.Reader
	// Recorder emits Events; may be nil.
	Recorder events.EventRecorder
	// Clock defaults to the real clock.
	Clock clock.PassiveClock
	// WatchApplications adds a watch on Argo CD Applications; set it when
	// their CRD is installed.
	WatchApplications bool
	// Shard says which Stages this manager reconciles.
	Shard shard.Filter
	// ArgoCD, when set, is the cluster Argo CD's Applications live in
	// (--argocd-kubeconfig); nil means this manager's cluster.
	ArgoCD *argocd.Remote
	// RESTMapper tells whether Argo Rollouts' AnalysisRun kind is served;
	// SetupWithManager defaults it to the manager's.
	RESTMapper meta.RESTMapper
	// MaxConcurrentReconciles is how many Stages are reconciled at once
	// (never one Stage twice at once); zero means DefaultConcurrency.
	MaxConcurrentReconciles int

	// rollouts is the AnalysisRun watch, registered when the kind is first
	// seen served (at start-up or later, see rolloutsReady).
	rollouts rolloutsWatch
	// ownWrites tells a cached Stage older than this controller's last
	// writes to it.
	ownWrites reconcilehelp.OwnWrites
}

// scope is what one reconcile of a Stage works with.
type scope struct {
	stage      *railyard.Stage
	promotions []railyard.Promotion
	now        time.Time
	// requeue is the soonest a phase asked to look again.
	requeue time.Duration
	// verificationBlocked says why verification cannot start (Argo
	// Rollouts missing); it becomes the Verified condition.
	verificationBlocked string
	// argoCDUnreachable says why the Argo CD cluster the Stage needs
	// cannot be asked; it becomes the Healthy condition.
	argoCDUnreachable string
	// autoPromotionError says why auto-promotion could not create a
	// Promotion in this reconcile; it becomes the Stalled condition.
	autoPromotionError string
	// patcher writes status against the Stage as last written.
	patcher *reconcilehelp.StatusPatcher
	// versions are the Stage's resourceVersions, as read and after each
	// write of this reconcile.
	versions reconcilehelp.Versions
	// created holds, by name, the Freight of the Promotions this reconcile
	// created, published with their turn before they resolve it.
	created map[string]railyard.FreightReference
	// freight holds the Freight status changes not yet written.
	freight freightChanges
}

func (s *scope) requeueAfter(d time.Duration) {
	if d > 0 && (s.requeue == 0 || d < s.requeue) {
		s.requeue = d
	}
}

// Reconcile has the shape of every Railyard reconciler (package
// reconcilehelp): get, handle deletion and the finalizer, reconcile with one
// status patcher, then patch the conditions derived from the outcome.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	stage := &railyard.Stage{}
	if err := r.Client.Get(ctx, req.NamespacedName, stage); err != nil {
		if apierrors.IsNotFound(err) {
			r.ownWrites.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.ownWrites.Stale(stage) {
		// The watch event of the write that replaced this copy is on its
		// way and queues the Stage again; the requeue is a safety net.
		return ctrl.Result{RequeueAfter: staleRecheck}, nil
	}
	// Watches of other kinds (Freight, Promotions, Applications) map to
	// Stages of every shard.
	if !r.Shard.Responsible(stage) {
		return ctrl.Result{}, nil
	}
	if !stage.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, stage)
	}
	if wait, err := r.firstWriteWait(ctx, stage, r.Clock.Now()); wait > 0 || err != nil {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	var versions reconcilehelp.Versions
	versions.Add(stage)
	if _, err := reconcilehelp.AddFinalizer(ctx, r.Client, stage, railyard.FinalizerName); err != nil {
		return ctrl.Result{}, err
	}
	versions.Add(stage)

	// Status is written whole at the version read (an update, not a merge
	// patch: the API server need not apply a patch to an 8 KB object). A
	// writer in between (a person's edit, set-metadata) makes it a
	// conflict, and the Stage is reconciled again from its copy.
	p := reconcilehelp.NewStatusPatcher(r.Client, stage, reconcilehelp.WithOptimisticLock())
	sc := &scope{stage: stage, now: r.Clock.Now(), patcher: p, versions: versions}
	defer func() { r.ownWrites.Record(stage, sc.versions) }()
	result, err := r.reconcile(ctx, sc)
	setConditions(sc)
	if err == nil {
		// Only a whole pass has observed this generation, as for
		// Warehouses: a failed one is retried with the conditions it set.
		stage.Status.ObservedGeneration = stage.Generation
	}
	if flushErr := r.flushFreight(ctx, sc); flushErr != nil {
		// The Stage status would record what the Freight does not.
		return ctrl.Result{}, errors.Join(err, flushErr)
	}
	if patchErr := sc.patcher.Patch(ctx, stage); patchErr != nil {
		switch {
		case apierrors.IsNotFound(patchErr):
			return ctrl.Result{}, nil
		case apierrors.IsConflict(patchErr):
			// The other write's event queues the Stage again.
			return ctrl.Result{RequeueAfter: staleRecheck}, nil
		}
		return ctrl.Result{}, patchErr
	}
	sc.versions.Add(stage)
	return result, err
}

func (r *Reconciler) reconcile(ctx context.Context, sc *scope) (ctrl.Result, error) {
	handleRefresh(sc.stage)
	if err := r.loadPromotions(ctx, sc); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.recordFinishedPromotion(ctx, sc); err != nil {
		return ctrl.Result{}, err
	}
	turn := sc.stage.Status.CurrentPromotion.DeepCopy()
	publishCurrentPromotion(sc)
	if next := sc.stage.Status.CurrentPromotion; next != nil && !equality.Semantic.DeepEqual(turn, next) {
		// The next Promotion starts when it reads its name here: publish
		// it now, not after health, verification and auto-promotion. When
		// no Promotion is next, nobody waits, and the end of this reconcile
		// writes the finished one's history with the conditions that
		// follow from it: one status write instead of two.
		if err := r.flushFreight(ctx, sc); err != nil {
			return ctrl.Result{}, err
		}
		if err := sc.patcher.Patch(ctx, sc.stage); err != nil {
			return ctrl.Result{}, fmt.Errorf("publishing the current Promotion: %w", err)
		}
		sc.versions.Add(sc.stage)
	}
	if err := r.updateHealth(ctx, sc); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.verify(ctx, sc); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.autoPromote(ctx, sc); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.summarize(ctx, sc); err != nil {
		return ctrl.Result{}, err
	}
	// A Promotion created while this reconcile ran (right after the one
	// before it finished, typically) is published with this reconcile's
	// status write, not one whole reconcile later.
	if err := r.loadPromotions(ctx, sc); err != nil {
		return ctrl.Result{}, err
	}
	publishCurrentPromotion(sc)
	if holdsHealth(sc) {
		// Published just now (auto-promotion): health waits from this
		// write on, not from the Promotion's next watch event.
		holdHealth(sc.stage)
	}
	sc.requeueAfter(ResyncInterval)
	return ctrl.Result{RequeueAfter: sc.requeue}, nil
}

func handleRefresh(stage *railyard.Stage) {
	if v, ok := railyard.RefreshValue(stage.Annotations); ok {
		stage.Status.LastHandledRefresh = v
	}
}

// events emits the Stage's Events; their reasons are the constants of
// api/v1alpha1.
func (r *Reconciler) events() reconcilehelp.Events {
	return reconcilehelp.Events{Recorder: r.Recorder, Action: "Reconcile"}
}
