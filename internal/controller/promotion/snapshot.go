package promotion

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// snapshotSteps copies the Stage's variables and steps, with tasks inlined,
// into a Promotion created without them, so that editing the Stage or a task
// later does not change a Promotion already queued. The API lets empty steps
// and vars be filled in exactly once.
func (r *Reconciler) snapshotSteps(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage) (ctrl.Result, error) {
	vars, steps := StageSteps(stage)
	if len(steps) == 0 {
		return ctrl.Result{}, r.fail(ctx, promo, railyard.PromotionPhaseErrored,
			fmt.Sprintf("Stage %q has no promotion steps (spec.promotionTemplate.spec.steps)", stage.Name))
	}
	inflated, err := engine.InflateSteps(ctx, r.APIReader, promo.Namespace, vars, steps)
	if err != nil {
		if engine.IsTerminal(err) {
			return ctrl.Result{}, r.fail(ctx, promo, railyard.PromotionPhaseErrored, err.Error())
		}
		return ctrl.Result{}, fmt.Errorf("inlining the tasks of Stage %s: %w", stage.Name, err)
	}
	promo.Spec.Vars = vars
	promo.Spec.Steps = inflated
	// The update event brings the Promotion back for its next phase.
	return ctrl.Result{}, r.Client.Update(ctx, promo)
}

// StageSteps returns the variables (Stage vars, then template vars) and the
// template steps that Promotions to stage run.
func StageSteps(stage *railyard.Stage) ([]railyard.ExpressionVariable, []railyard.PromotionStep) {
	vars := append([]railyard.ExpressionVariable(nil), stage.Spec.Vars...)
	var steps []railyard.PromotionStep
	if t := stage.Spec.PromotionTemplate; t != nil {
		vars = append(vars, t.Spec.Vars...)
		steps = t.Spec.Steps
	}
	return vars, steps
}

func (r *Reconciler) now() metav1.Time {
	return metav1.NewTime(r.Clock.Now())
}
