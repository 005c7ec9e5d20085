package stage

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/policy"
)

// SetupWithManager registers the reconciler with watches, not polling: new
// Freight and Freight verified upstream, Promotions changing phase,
// ProjectConfig edits and Argo CD Applications each reach the affected
// Stages at once, and so do AnalysisRuns once Argo Rollouts is installed.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.MaxConcurrentReconciles <= 0 {
		r.MaxConcurrentReconciles = DefaultConcurrency
	}
	b := ctrl.NewControllerManagedBy(mgr).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles}).
		For(&railyard.Stage{}, builder.WithPredicates(r.Shard.Predicate(), predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&railyard.Promotion{}, handler.EnqueueRequestsFromMapFunc(stageOfPromotion), builder.WithPredicates(promotionMilestones)).
		Watches(&railyard.Freight{}, handler.EnqueueRequestsFromMapFunc(r.stagesOfFreight)).
		Watches(&railyard.ProjectConfig{}, handler.EnqueueRequestsFromMapFunc(policy.StagesOfProjectConfig(mgr.GetClient())))
	if r.WatchApplications {
		b = b.Watches(&argocd.Application{}, handler.EnqueueRequestsFromMapFunc(stagesOfApplication))
	}
	c, err := b.Named("stage").Build(r)
	if err != nil {
		return err
	}
	if r.ArgoCD != nil {
		// Applications of a remote Argo CD cluster are watched once it
		// answers (docs/wakeups.md).
		r.ArgoCD.OnReady(func(remote cache.Cache) error {
			return c.Watch(source.Kind(remote, &argocd.Application{},
				handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, app *argocd.Application) []reconcile.Request {
					return stagesOfApplication(ctx, app)
				})))
		})
	}
	if r.RESTMapper == nil {
		r.RESTMapper = mgr.GetRESTMapper()
	}
	r.rollouts.controller, r.rollouts.cache = c, mgr.GetCache()
	// AnalysisRuns are watched from the start when Argo Rollouts is
	// installed; otherwise the first Stage that needs them registers the
	// watch once they are served.
	if _, err := r.rolloutsReady(); err != nil {
		ctrl.Log.WithName("setup").Error(err, "checking for Argo Rollouts' AnalysisRun CRD")
	}
	return nil
}

// promotionMilestones passes the Promotion changes a Stage acts on: a new
// phase, the Freight resolved, a spec edit, deletion. The status a running
// Promotion saves after every step is not one: each would cost a Stage
// reconcile (and its Application reads) while the Promotion runs.
var promotionMilestones = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	old, okOld := e.ObjectOld.(*railyard.Promotion)
	cur, okNew := e.ObjectNew.(*railyard.Promotion)
	if !okOld || !okNew {
		return true
	}
	return old.Status.Phase != cur.Status.Phase ||
		old.Generation != cur.Generation ||
		!equality.Semantic.DeepEqual(old.Status.Freight, cur.Status.Freight) ||
		!old.DeletionTimestamp.Equal(cur.DeletionTimestamp)
}}

func stageOfPromotion(_ context.Context, obj client.Object) []reconcile.Request {
	p := obj.(*railyard.Promotion)
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: p.Namespace, Name: p.Spec.Stage}}}
}

// stagesOfFreight maps Freight to the Stages that request its origin: a new
// Freight may be auto-promoted, and Freight verified upstream may become
// available downstream.
func (r *Reconciler) stagesOfFreight(ctx context.Context, obj client.Object) []reconcile.Request {
	f := obj.(*railyard.Freight)
	var stages railyard.StageList
	if err := r.Client.List(ctx, &stages, client.InNamespace(f.Namespace),
		client.MatchingFields{index.StagesByRequestedOrigin: f.Origin.String()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing Stages for Freight", "freight", f.Name)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(stages.Items))
	for i := range stages.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&stages.Items[i])})
	}
	return reqs
}

// stagesOfApplication maps an Argo CD Application to the Stages its
// authorized-stage annotation names.
func stagesOfApplication(_ context.Context, obj client.Object) []reconcile.Request {
	var reqs []reconcile.Request
	for _, key := range argocd.AuthorizedStages(obj) {
		reqs = append(reqs, reconcile.Request{NamespacedName: key})
	}
	return reqs
}
