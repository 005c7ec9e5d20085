package promotion

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/controller/shard"
)

// stageOf returns the Promotion's Stage, or nil when the Promotion cannot
// go on: its Stage does not exist yet (the Promotion waits, Stalled, and the
// Stage watch brings it back), or the Stage it was made for was deleted or
// replaced by a new Stage of the same name (the Promotion is aborted, so it
// never resumes against a Stage it was not checked for).
func (r *Reconciler) stageOf(ctx context.Context, promo *railyard.Promotion) (*railyard.Stage, error) {
	stage := &railyard.Stage{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: promo.Namespace, Name: promo.Spec.Stage}, stage)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	owner := stageOwner(promo)
	switch {
	case err != nil && owner == "":
		return nil, r.waitForStage(ctx, promo)
	case err != nil, owner != "" && owner != stage.UID, !stage.DeletionTimestamp.IsZero():
		return nil, r.abortForDeletedStage(ctx, promo)
	}
	if meta.FindStatusCondition(promo.Status.Conditions, railyard.ConditionStalled) != nil {
		p := reconcilehelp.NewStatusPatcher(r.Client, promo)
		reconcilehelp.RemoveCondition(promo, railyard.ConditionStalled)
		if err := p.Patch(ctx, promo); err != nil {
			return nil, fmt.Errorf("clearing the Stalled condition: %w", err)
		}
	}
	return stage, nil
}

// stageOwner is the UID of the Stage the Promotion was snapshotted for.
func stageOwner(promo *railyard.Promotion) types.UID {
	for _, ref := range promo.OwnerReferences {
		if ref.Kind == "Stage" && ref.Name == promo.Spec.Stage {
			return ref.UID
		}
	}
	return ""
}

// waitForStage marks a Promotion whose Stage does not exist Pending and
// Stalled, with an Event the first time.
func (r *Reconciler) waitForStage(ctx context.Context, promo *railyard.Promotion) error {
	msg := fmt.Sprintf("Stage %q does not exist in project %q; the Promotion waits for it", promo.Spec.Stage, promo.Namespace)
	if c := meta.FindStatusCondition(promo.Status.Conditions, railyard.ConditionStalled); c != nil && c.Message == msg {
		return nil
	}
	p := reconcilehelp.NewStatusPatcher(r.Client, promo)
	promo.Status.Phase = railyard.PromotionPhasePending
	promo.Status.Message = msg
	reconcilehelp.SetCondition(promo, railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonStageNotFound, msg)
	if err := p.Patch(ctx, promo); err != nil {
		return fmt.Errorf("marking Promotion %s Stalled: %w", promo.Name, err)
	}
	r.events().Warning(promo, railyard.ReasonStageNotFound, msg)
	return nil
}

// abortForDeletedStage ends a Promotion whose Stage is gone: a running one
// through the engine, which marks the step in progress, any other directly.
func (r *Reconciler) abortForDeletedStage(ctx context.Context, promo *railyard.Promotion) error {
	msg := fmt.Sprintf("Stage %q was deleted", promo.Spec.Stage)
	if promo.Status.Phase != railyard.PromotionPhaseRunning {
		return r.fail(ctx, promo, railyard.PromotionPhaseAborted, railyard.ReasonStageDeleted, msg)
	}
	latest := &railyard.Promotion{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(promo), latest); err != nil {
		return client.IgnoreNotFound(err)
	}
	persist := r.persister(latest)
	// The step in progress is the one held progress (held.go) names.
	if p, ok := r.held.resume(latest); ok {
		latest.Status = *p.status.DeepCopy()
	}
	r.held.forget(client.ObjectKeyFromObject(promo))
	if err := r.Engine.Abort(ctx, latest, msg, persist); err != nil {
		return err
	}
	observeFinished(latest)
	r.events().Warning(latest, railyard.ReasonStageDeleted, msg)
	return nil
}

// release removes the work directory of a finished or deleted Promotion,
// then the finalizer that Promotions made by an earlier Railyard carry (no
// Promotion gets one now; departed.go).
func (r *Reconciler) release(ctx context.Context, promo *railyard.Promotion) error {
	if err := r.Engine.Cleanup(promo); err != nil {
		return err
	}
	_, err := reconcilehelp.RemoveFinalizer(ctx, r.Client, promo, railyard.FinalizerName)
	return err
}

// handOff labels a Promotion with its Stage's shard, as Kargo's webhook
// does when a Promotion is written; Railyard has no mutating webhook, so
// the manager that sees it first (the default one for a Promotion made
// without the label) does it. It reports whether the Promotion now belongs
// to another manager, which its label change wakes.
func (r *Reconciler) handOff(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage) (bool, error) {
	base := promo.DeepCopy()
	if !shard.LabelPromotion(promo, stage) {
		return false, nil
	}
	if err := r.Client.Patch(ctx, promo, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return false, fmt.Errorf("labelling Promotion %s with the shard of Stage %s: %w", promo.Name, stage.Name, err)
	}
	if r.Shard.Responsible(promo) {
		return false, nil
	}
	ctrl.LoggerFrom(ctx).V(1).Info("handed the Promotion to the Stage's shard", "shard", shard.Of(promo))
	r.forgetRun(client.ObjectKeyFromObject(promo))
	return true, nil
}
