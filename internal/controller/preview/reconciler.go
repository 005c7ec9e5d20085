// Package preview reconciles PromotionPreviews: it runs a Stage's
// promotion steps up to the last git-commit for a Freight, in a scratch
// directory and without anything that writes elsewhere (engine.Preview),
// records what the commits would change, and deletes the preview a while
// after it finished.
package preview

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	promotionctrl "github.com/railyard-dev/railyard/internal/controller/promotion"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/freight"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// TTL is how long a finished preview is kept before the controller
// deletes it: long enough to read it, short enough that previews, made by
// a click, do not pile up.
const TTL = time.Hour

// DefaultConcurrency is how many previews run at once: each clones
// repositories, and previews must not slow the Promotions that share the
// manager.
const DefaultConcurrency = 2

// statusDiffBudget bounds the diffs of all of one preview's commits
// together, so status stays far below etcd's object size limit however
// many git-commit steps a Stage has.
const statusDiffBudget = 256 << 10

// Reconciler runs PromotionPreviews.
type Reconciler struct {
	// Client reads from the cache and writes to the API server.
	Client client.Client
	// APIReader reads past the cache (Freight by name, tasks).
	APIReader client.Reader
	// Engine runs the steps; its WorkRoot holds the scratch directories.
	Engine *engine.Engine
	// Recorder emits Events; may be nil.
	Recorder events.EventRecorder
	// Clock defaults to the real clock.
	Clock clock.PassiveClock
	// Shard: a preview is run by the manager of its Stage's shard, which
	// holds the credentials that Stage's Promotions use.
	Shard shard.Filter
	// MaxConcurrentReconciles defaults to DefaultConcurrency.
	MaxConcurrentReconciles int
}

// +kubebuilder:rbac:groups=railyard.dev,resources=promotionpreviews,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=railyard.dev,resources=promotionpreviews/status,verbs=get;update;patch

// SetupWithManager registers the reconciler and removes scratch
// directories a previous process left (it cannot have finished them).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.MaxConcurrentReconciles <= 0 {
		r.MaxConcurrentReconciles = DefaultConcurrency
	}
	if err := removeScratch(r.Engine.WorkRoot, r.Clock.Now()); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&railyard.PromotionPreview{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles}).
		Named("promotionpreview").
		Complete(r)
}

func (r *Reconciler) events() reconcilehelp.Events {
	return reconcilehelp.Events{Recorder: r.Recorder, Action: "Preview"}
}

// Reconcile runs a preview once, then deletes it TTL after it finished.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &railyard.PromotionPreview{}
	if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !p.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	if p.Status.Phase.IsTerminal() {
		return r.expire(ctx, p)
	}
	stage := &railyard.Stage{}
	key := client.ObjectKey{Namespace: p.Namespace, Name: p.Spec.Stage}
	err := r.Client.Get(ctx, key, stage)
	if apierrors.IsNotFound(err) {
		// A Stage applied together with the preview may not be cached yet:
		// only the API server can say it does not exist.
		err = r.APIReader.Get(ctx, key, stage)
	}
	if err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		if !r.Shard.TakesUnlabelled() {
			return ctrl.Result{}, nil
		}
		return r.finish(ctx, p, railyard.ReasonStageNotFound, fmt.Sprintf("Stage %q does not exist in project %q", p.Spec.Stage, p.Namespace), nil, nil)
	}
	if !r.Shard.Responsible(stage) {
		return ctrl.Result{}, nil
	}
	// The cache may not have seen the end of a run that just finished (its
	// Running write queued this reconcile): the API server says whether
	// it is done, so a preview never runs twice.
	if err := r.APIReader.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if p.Status.Phase.IsTerminal() {
		return r.expire(ctx, p)
	}
	return r.run(ctx, p, stage)
}

// run resolves the Freight and steps as a Promotion would, and previews.
func (r *Reconciler) run(ctx context.Context, p *railyard.PromotionPreview, stage *railyard.Stage) (ctrl.Result, error) {
	vars, steps := promotionctrl.StageSteps(stage)
	inflated, err := engine.InflateSteps(ctx, r.APIReader, p.Namespace, vars, steps)
	if err == nil {
		err = r.Engine.Registry.Check(vars, inflated)
	}
	if err != nil {
		if engine.IsTerminal(err) {
			return r.finish(ctx, p, railyard.ReasonInvalidSteps, err.Error(), nil, nil)
		}
		return ctrl.Result{}, fmt.Errorf("inlining the tasks of Stage %s: %w", stage.Name, err)
	}
	target, err := r.chooser().Target(ctx, stage, p.Spec.Freight, p.Spec.Origin, r.Clock.Now())
	if err != nil {
		if errors.Is(err, errUnavailable) {
			return r.finish(ctx, p, railyard.ReasonFreightUnavailable, err.Error(), nil, nil)
		}
		return ctrl.Result{}, err
	}
	fc, err := r.chooser().Collection(ctx, stage, target, r.Clock.Now())
	if err != nil {
		return ctrl.Result{}, err
	}
	ref := freight.Ref(target)

	// Running is written first, so that whoever waits sees it started.
	patcher := reconcilehelp.NewStatusPatcher(r.Client, p)
	p.Status.Phase = railyard.PreviewPhaseRunning
	p.Status.Message = fmt.Sprintf("running the steps of Stage %s for Freight %s", stage.Name, target.Name)
	p.Status.Freight = &ref
	reconcilehelp.SetCondition(p, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonProgressing, p.Status.Message)
	if err := patcher.Patch(ctx, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	res, err := r.Engine.Preview(ctx, engine.PreviewInput{
		Namespace: p.Namespace, Name: p.Name, UID: p.UID, Stage: stage.Name,
		Vars: vars, Steps: inflated, Freight: fc, Target: ref,
	})
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("previewing: %w", err)
	}
	return r.finish(ctx, p, res.Reason, res.Message, res.Steps, boundDiffs(res.Commits, statusDiffBudget))
}

// finish records the outcome: Succeeded for ReasonPreviewed, else Failed.
func (r *Reconciler) finish(ctx context.Context, p *railyard.PromotionPreview, reason, msg string, steps []railyard.PreviewStep, commits []railyard.PreviewCommit) (ctrl.Result, error) {
	patcher := reconcilehelp.NewStatusPatcher(r.Client, p)
	now := metav1.NewTime(r.Clock.Now())
	p.Status.Steps, p.Status.Commits = steps, commits
	msg = reconcilehelp.Truncate(msg, 4096)
	p.Status.Phase = railyard.PreviewPhaseFailed
	p.Status.Message = msg
	p.Status.FinishedAt = &now
	status := metav1.ConditionFalse
	if reason == railyard.ReasonPreviewed {
		p.Status.Phase, status = railyard.PreviewPhaseSucceeded, metav1.ConditionTrue
	}
	reconcilehelp.SetCondition(p, railyard.ConditionReady, status, reason, msg)
	if err := patcher.Patch(ctx, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if status == metav1.ConditionTrue {
		r.events().Normal(p, reason, msg)
	} else {
		r.events().Warning(p, reason, msg)
	}
	return ctrl.Result{RequeueAfter: TTL}, nil
}

// expire deletes a preview TTL after it finished.
func (r *Reconciler) expire(ctx context.Context, p *railyard.PromotionPreview) (ctrl.Result, error) {
	if p.Status.FinishedAt == nil {
		return ctrl.Result{}, nil
	}
	if left := TTL - r.Clock.Since(p.Status.FinishedAt.Time); left > 0 {
		return ctrl.Result{RequeueAfter: left}, nil
	}
	if err := r.Client.Delete(ctx, p, client.Preconditions{UID: &p.UID}); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}
