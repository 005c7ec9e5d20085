package promotion

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/controller/index"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// stageTurns passes the Stage changes a Promotion acts on: whose turn it is
// (status.currentPromotion), a spec edit (a Promotion not yet snapshotted
// copies the steps), deletion. Health and Freight bookkeeping, which the
// Stage writes often, are not.
var stageTurns = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	old, okOld := e.ObjectOld.(*railyard.Stage)
	cur, okNew := e.ObjectNew.(*railyard.Stage)
	if !okOld || !okNew {
		return true
	}
	return old.Generation != cur.Generation ||
		!old.DeletionTimestamp.Equal(cur.DeletionTimestamp) ||
		!equality.Semantic.DeepEqual(old.Status.CurrentPromotion, cur.Status.CurrentPromotion)
}}

// promotionsOfStage maps a Stage to its unfinished Promotions: the Stage
// publishes in status.currentPromotion whose turn it is.
func (r *Reconciler) promotionsOfStage(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.unfinishedOfStage(ctx, types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}, false)
}

// unfinishedOfStage lists the Stage's Promotions that have not finished,
// or only its Running ones.
func (r *Reconciler) unfinishedOfStage(ctx context.Context, stage types.NamespacedName, runningOnly bool) []reconcile.Request {
	var list railyard.PromotionList
	if err := r.Client.List(ctx, &list, client.InNamespace(stage.Namespace), client.MatchingFields{index.PromotionsByStage: stage.Name}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing Promotions of Stage", "stage", stage)
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		p := &list.Items[i]
		if p.Status.Phase.IsTerminal() || (runningOnly && p.Status.Phase != railyard.PromotionPhaseRunning) {
			continue
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(p)})
	}
	return reqs
}

// promotionsOfApplication maps an Argo CD Application to the Promotions
// that may wait on it: the one its promotion annotation names (argocd-update
// records itself there when it requests a sync), those whose step reported
// waiting on it (argocd-wait leaves no mark), and the running Promotions of
// the Stages its authorized-stage annotation names (which also covers a
// manager that restarted before the step ran again). Finished Promotions
// are left out: the annotation outlives the Promotion.
func (r *Reconciler) promotionsOfApplication(ctx context.Context, obj client.Object) []reconcile.Request {
	seen := map[types.NamespacedName]bool{}
	var reqs []reconcile.Request
	add := func(key types.NamespacedName) {
		if !seen[key] {
			seen[key] = true
			reqs = append(reqs, reconcile.Request{NamespacedName: key})
		}
	}
	if ref := obj.GetAnnotations()[argocd.InfoPromotion]; ref != "" {
		if project, name, ok := strings.Cut(ref, "/"); ok && r.unfinished(ctx, types.NamespacedName{Namespace: project, Name: name}) {
			add(types.NamespacedName{Namespace: project, Name: name})
		}
	}
	ref := engine.ObjectRef{GroupKind: argocd.ApplicationKind.GroupKind(), NamespacedName: client.ObjectKeyFromObject(obj)}
	for _, key := range r.waiters.of(ref) {
		add(key)
	}
	for _, stage := range argocd.AuthorizedStages(obj) {
		for _, req := range r.unfinishedOfStage(ctx, stage, true) {
			add(req.NamespacedName)
		}
	}
	return reqs
}

// unfinished reports whether the Promotion exists in the cache and has not
// finished.
func (r *Reconciler) unfinished(ctx context.Context, key types.NamespacedName) bool {
	p := &railyard.Promotion{}
	if err := r.Client.Get(ctx, key, p); err != nil {
		return false
	}
	return !p.Status.Phase.IsTerminal()
}

// promotionsOfFreight maps a Freight to the Promotions of its namespace that
// have not yet resolved their Freight and ask for it by name or by origin:
// they check its availability when they resolve. Resolved Promotions keep
// the Freight they recorded, so its later changes do not concern them.
func (r *Reconciler) promotionsOfFreight(ctx context.Context, obj client.Object) []reconcile.Request {
	f, ok := obj.(*railyard.Freight)
	if !ok {
		return nil
	}
	var reqs []reconcile.Request
	for _, key := range []string{index.AwaitingName(f.Name), index.AwaitingOrigin(f.Origin)} {
		var list railyard.PromotionList
		if err := r.Client.List(ctx, &list, client.InNamespace(f.Namespace), client.MatchingFields{index.PromotionsAwaitingFreight: key}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "listing Promotions for Freight", "freight", f.Name)
			return nil
		}
		for i := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}

// notOwnProgress passes every change of a Promotion but those that are
// exactly a version this controller wrote while the Promotion goes on: the
// reconcile that wrote it went on from what the server returned and
// scheduled what comes next itself (its waiters, a requeue). A Promotion
// that ended or is being deleted is still reconciled, which releases it.
func (r *Reconciler) notOwnProgress() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		p, ok := e.ObjectNew.(*railyard.Promotion)
		if !ok {
			return true
		}
		return !r.own.Own(p) || p.Status.Phase.IsTerminal() || !p.DeletionTimestamp.IsZero()
	}}
}
