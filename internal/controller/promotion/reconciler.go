// Package promotion reconciles Promotions: it takes a snapshot of the
// Stage's steps, resolves and checks the Freight, waits until the Stage
// publishes this Promotion as the one allowed to run, and drives the step
// engine, which persists progress as it goes.
package promotion

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// Reconciler runs Promotions.
type Reconciler struct {
	// Client reads from the cache and writes to the API server.
	Client client.Client
	// APIReader reads past the cache: the Promotion right before a step
	// runs, unless the copy at hand is the one this controller last wrote,
	// so a step never runs twice from a stale copy.
	APIReader client.Reader
	// Engine runs the steps.
	Engine *engine.Engine
	// Recorder emits Events; may be nil.
	Recorder events.EventRecorder
	// Clock defaults to the real clock.
	Clock clock.PassiveClock
	// MaxConcurrentReconciles is how many Promotions run at once, each of
	// a different Stage (the Stage lets one of its Promotions run at a
	// time), so a slow server holds only the Stages that use it. Defaults
	// to DefaultConcurrency.
	MaxConcurrentReconciles int
	// WatchApplications adds a watch on Argo CD Applications; set it when
	// their CRD is installed (the informer would fail without it).
	WatchApplications bool
	// Shard says which Promotions this manager runs: those labelled with
	// its shard. A Promotion whose label is not its Stage's shard is
	// relabelled and so handed to the Stage's manager.
	Shard shard.Filter
	// ArgoCD, when set, is the cluster Argo CD's Applications live in
	// (--argocd-kubeconfig); its Applications wake waiting Promotions.
	ArgoCD *argocd.Remote

	waiters waiters
	// held keeps the progress of waiting steps not yet saved (held.go).
	held held
	// own tells the events of this controller's writes of Promotions
	// (through Client, wrapped by SetupWithManager) from the others'.
	own reconcilehelp.OwnEvents
	// gone holds the UIDs of Promotions deleted (departed.go).
	gone departed
}

// DefaultConcurrency is how many Promotions run at once by default.
const DefaultConcurrency = 4

// SetupWithManager registers the reconciler. Promotions are reconciled, by
// watches rather than polling, when they change; when their Stage changes
// (it publishes whose turn it is); when Freight they are about to resolve
// changes; and, with WatchApplications, when an Argo CD Application a
// running step waits on changes. A waiting step's RetryAfter is only the
// fallback for an event missed.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.MaxConcurrentReconciles <= 0 {
		r.MaxConcurrentReconciles = DefaultConcurrency
	}
	r.Client = r.own.Client(r.Client, &railyard.Promotion{})
	b := ctrl.NewControllerManagedBy(mgr).
		For(&railyard.Promotion{}, builder.WithPredicates(r.Shard.Predicate(), r.notOwnProgress())).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles}).
		Watches(&railyard.Stage{}, handler.EnqueueRequestsFromMapFunc(r.promotionsOfStage), builder.WithPredicates(stageTurns)).
		Watches(&railyard.Freight{}, handler.EnqueueRequestsFromMapFunc(r.promotionsOfFreight)).
		Watches(&railyard.Promotion{}, r.deletions())
	if r.WatchApplications {
		b = b.Watches(&argocd.Application{}, handler.EnqueueRequestsFromMapFunc(r.promotionsOfApplication))
	}
	c, err := b.Named("promotion").Build(r)
	if err != nil {
		return err
	}
	if r.ArgoCD != nil {
		// Applications of a remote Argo CD cluster are watched once it
		// answers (docs/wakeups.md).
		r.ArgoCD.OnReady(func(remote cache.Cache) error {
			return c.Watch(source.Kind(remote, &argocd.Application{},
				handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, app *argocd.Application) []reconcile.Request {
					return r.promotionsOfApplication(ctx, app)
				})))
		})
	}
	return nil
}

// Reconcile has the shape of every Railyard reconciler (package
// reconcilehelp): get, skip what another shard owns, handle deletion (and,
// for a Promotion, the end of its run), then reconcile. A Promotion has no
// finalizer (departed.go): the work directory of one deleted goes here,
// once it is gone. Status is written by each phase as it decides, since
// the next phase (and the Stage) acts on it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	promo := &railyard.Promotion{}
	if err := r.Client.Get(ctx, req.NamespacedName, promo); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		r.forgetRun(req.NamespacedName)
		r.own.Forget(req.NamespacedName)
		return ctrl.Result{}, r.forgetDeparted(req.NamespacedName, "")
	}
	// A Promotion deleted and made again under the same name.
	if err := r.forgetDeparted(req.NamespacedName, promo.UID); err != nil {
		return ctrl.Result{}, err
	}
	// Watches of Stages, Freight and Applications map to Promotions of
	// every shard.
	if !r.Shard.Responsible(promo) {
		r.forgetRun(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	if !promo.DeletionTimestamp.IsZero() || promo.Status.Phase.IsTerminal() {
		r.forgetRun(req.NamespacedName)
		// Only a Promotion that goes on needs its own versions told apart.
		r.own.Forget(req.NamespacedName)
		// The work directory of a finished or deleted Promotion is removed,
		// then the finalizer of one made by an earlier version.
		return ctrl.Result{}, r.release(ctx, promo)
	}
	return r.reconcile(ctx, promo)
}

func (r *Reconciler) reconcile(ctx context.Context, promo *railyard.Promotion) (ctrl.Result, error) {
	// A Promotion that has not started is aborted here; a running one by
	// the engine, which marks the step in progress.
	if reason, ok := abortRequested(promo); ok && promo.Status.Phase != railyard.PromotionPhaseRunning {
		return ctrl.Result{}, r.fail(ctx, promo, railyard.PromotionPhaseAborted, "", "aborted: "+reason)
	}
	stage, err := r.stageOf(ctx, promo)
	if err != nil {
		return ctrl.Result{}, err
	}
	if stage == nil {
		return ctrl.Result{}, nil
	}
	if handed, err := r.handOff(ctx, promo, stage); handed || err != nil {
		return ctrl.Result{}, err
	}
	if wait := r.awaitTurn(promo, stage); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}

	// Each phase below goes on with the copy the previous one wrote, not
	// waiting for its own update event: a hop through the work queue per
	// phase is latency every Promotion pays.
	wrote, claimed := false, false
	if promo.Status.StepsDigest == "" || snapshotDue(promo) {
		before := promo.Status.Phase
		if ok, err := r.snapshot(ctx, promo, stage); !ok || err != nil {
			return ctrl.Result{}, err
		}
		wrote = true
		claimed = before != railyard.PromotionPhaseRunning && promo.Status.Phase == railyard.PromotionPhaseRunning
	}
	if msg, err := foreignSteps(promo); msg != "" || err != nil {
		if err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, r.fail(ctx, promo, railyard.PromotionPhaseErrored, railyard.ReasonStepsNotFromStage, msg)
	}
	if promo.Status.Freight == nil {
		if err := r.resolve(ctx, promo, stage); err != nil || promo.Status.Freight == nil || promo.Status.Phase.IsTerminal() {
			return ctrl.Result{}, err
		}
		wrote = true
	}
	if wrote {
		// The Stage publishes whose turn it is as soon as it sees the
		// resolved Freight, often while the writes above were still under
		// way; the cache may already say so, which saves a hop through the
		// work queue.
		if err := r.Client.Get(ctx, client.ObjectKeyFromObject(stage), stage); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	if cur := stage.Status.CurrentPromotion; cur == nil || cur.Name != promo.Name {
		msg := "waiting for Stage " + stage.Name + " to start it"
		if cur != nil {
			msg = "waiting for Promotion " + cur.Name + " to finish"
		}
		return ctrl.Result{}, r.setPending(ctx, promo, msg)
	}
	return r.run(ctx, promo, claimed)
}

// run drives the engine from the latest copy of the Promotion; claimed
// says this reconcile's snapshot already marked it Running.
func (r *Reconciler) run(ctx context.Context, cached *railyard.Promotion, claimed bool) (ctrl.Result, error) {
	promo := cached.DeepCopy()
	// A copy this controller's last write returned (or the cache holding
	// it) already has every step's progress; any other is read past the
	// cache, so a step never runs twice from a stale copy.
	if !r.own.Latest(cached) {
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cached), promo); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	if promo.Status.Phase.IsTerminal() {
		return ctrl.Result{}, nil
	}
	key := client.ObjectKeyFromObject(promo)
	// The saver starts from the status as written; progress held since
	// (held.go) is what its next save adds.
	s := r.newSaver(promo)
	now := r.Clock.Now()
	since := now
	// A step whose wait was saved already is not held again: a hold
	// ending runs the step once more before it saves, which for a long
	// wait (a pull request) would otherwise be one more poll every time.
	holdable := !waitSaved(&promo.Status)
	if p, ok := r.held.resume(promo); ok {
		promo.Status = *p.status.DeepCopy()
		since = p.since
	}
	if reason, ok := abortRequested(promo); ok {
		r.held.forget(key)
		if err := r.Engine.Abort(ctx, promo, reason, s.save); err != nil {
			return ctrl.Result{}, err
		}
		r.events().Warning(promo, railyard.EventPromotionAborted, reason)
		return ctrl.Result{}, nil
	}
	wasRunning := promo.Status.Phase == railyard.PromotionPhaseRunning && !claimed
	hold := holdable && now.Sub(since) < HoldFor
	outcome, err := r.Engine.RunWith(ctx, promo, s.save, engine.RunOptions{HoldWait: hold})
	if isGone(err, promo) {
		// Deleted while its steps ran: its delete event queued the
		// reconcile that removes the work directory.
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("running Promotion %s: %w", promo.Name, err)
	}
	if !wasRunning && promo.Status.StartedAt != nil {
		r.events().Normal(promo, railyard.EventPromotionStarted, "promoting Freight "+promo.Status.Freight.Name+" to Stage "+promo.Spec.Stage)
	}
	if outcome.Phase == railyard.PromotionPhaseRunning {
		r.waiters.set(key, outcome.WaitingOn)
		requeue := outcome.RequeueAfter
		if !outcome.Unsaved {
			r.held.forget(key)
			return ctrl.Result{RequeueAfter: requeue}, nil
		}
		r.held.put(key, heldProgress{uid: promo.UID, saved: s.saved(), status: *promo.Status.DeepCopy(), since: since})
		// Saved when the hold ends, unless the wait ends first.
		if left := since.Add(HoldFor).Sub(now); left < requeue {
			requeue = left
		}
		return ctrl.Result{RequeueAfter: requeue}, nil
	}
	r.forgetRun(key)
	observeFinished(promo)
	switch outcome.Phase {
	case railyard.PromotionPhaseSucceeded:
		r.events().Normal(promo, railyard.EventPromotionSucceeded, "Freight "+promo.Status.Freight.Name+" is in Stage "+promo.Spec.Stage)
	default:
		r.events().Warning(promo, railyard.PromotionEndedReason(outcome.Phase), promo.Status.Message)
	}
	return ctrl.Result{}, nil
}

// forgetRun drops what is kept in memory of a Promotion's run: what its
// step waits on (waiters.go) and the progress held (held.go).
func (r *Reconciler) forgetRun(key types.NamespacedName) {
	r.waiters.forget(key)
	r.held.forget(key)
}

// persister returns the engine's callback that saves status, with an
// optimistic lock so a concurrent writer is noticed.
func (r *Reconciler) persister(promo *railyard.Promotion) engine.PersistFunc {
	return r.newSaver(promo).save
}

// saver saves a Promotion's status for the engine.
type saver struct {
	promo *railyard.Promotion
	p     *reconcilehelp.StatusPatcher
	// last is the Promotion as last written (or read).
	last *railyard.Promotion
}

func (r *Reconciler) newSaver(promo *railyard.Promotion) *saver {
	return &saver{promo: promo, p: reconcilehelp.NewStatusPatcher(r.Client, promo, reconcilehelp.WithOptimisticLock()), last: promo.DeepCopy()}
}

func (s *saver) save(ctx context.Context, st *railyard.PromotionStatus) error {
	// Patch a copy: the server's answer must not be decoded into the
	// status the engine is working on (it holds pointers into it).
	obj := s.last.DeepCopy()
	obj.Status = *st.DeepCopy()
	// A step polled again without news (woken by a change that was not
	// the one it waits for) has nothing to save: Patch sends nothing then.
	if err := s.p.Patch(ctx, obj); err != nil {
		return fmt.Errorf("saving the progress of Promotion %s: %w", s.promo.Name, err)
	}
	s.promo.ResourceVersion = obj.ResourceVersion
	s.last = obj
	return nil
}

// saved is the status as last written.
func (s *saver) saved() railyard.PromotionStatus {
	return *s.last.Status.DeepCopy()
}

func abortRequested(promo *railyard.Promotion) (string, bool) {
	v, ok := railyard.KeyValue(promo.Annotations, railyard.AnnotationAbort, railyard.AnnotationKargoAbort)
	if !ok {
		return "", false
	}
	return abortReason(v), true
}

func (r *Reconciler) setPending(ctx context.Context, promo *railyard.Promotion, msg string) error {
	if promo.Status.Phase == railyard.PromotionPhasePending && promo.Status.Message == msg {
		return nil
	}
	p := reconcilehelp.NewStatusPatcher(r.Client, promo)
	promo.Status.Phase = railyard.PromotionPhasePending
	promo.Status.Message = msg
	return p.Patch(ctx, promo)
}

// fail ends a Promotion that cannot run, before any step started. reason
// is the Event's reason when it is more specific than the phase.
func (r *Reconciler) fail(ctx context.Context, promo *railyard.Promotion, phase railyard.PromotionPhase, reason, msg string) error {
	p := reconcilehelp.NewStatusPatcher(r.Client, promo)
	now := r.now()
	promo.Status.Phase = phase
	promo.Status.Message = msg
	promo.Status.FinishedAt = &now
	if err := p.Patch(ctx, promo); err != nil {
		return err
	}
	observeFinished(promo)
	r.events().Warning(promo, endedReason(phase, reason), msg)
	return nil
}

// endedReason is the Event reason of a Promotion that ended in phase:
// reason when it is more specific than the phase, else the phase's.
func endedReason(phase railyard.PromotionPhase, reason string) string {
	if reason == "" || reason == string(phase) {
		return railyard.PromotionEndedReason(phase)
	}
	return reason
}

// events emits the Promotion's Events; their reasons are the constants of
// api/v1alpha1.
func (r *Reconciler) events() reconcilehelp.Events {
	return reconcilehelp.Events{Recorder: r.Recorder, Action: "Promote"}
}
