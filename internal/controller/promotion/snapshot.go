package promotion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// A Promotion runs the steps and vars of its Stage, copied by this
// controller, and nothing else: whoever may promote to a Stage chooses the
// Freight, never the steps. Two guards keep it so. The admission policy
// (config/admission) refuses spec.steps and spec.vars from anyone who may
// not write Promotion status. And this controller records a digest of what
// it copied in status.stepsDigest before writing the spec (status is a
// subresource promoters cannot write), then runs a Promotion only when its
// spec matches the digest, so steps a creator wrote are refused even on a
// cluster without the policy.

// snapshot copies the Stage's variables and steps, with tasks inlined, into
// the Promotion, so that editing the Stage or a task later does not change a
// Promotion already queued. It also takes the Promotion's finalizer and an
// owner reference to the Stage, whose UID later tells a recreated Stage of
// the same name from the one the Promotion was made for. It reports whether
// the Promotion may go on (false when it ended it as Errored); promo then
// holds what the server returned, so the caller goes on with it rather than
// wait for the update event.
func (r *Reconciler) snapshot(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage) (bool, error) {
	vars, steps := StageSteps(stage)
	if len(steps) == 0 {
		return false, r.fail(ctx, promo, railyard.PromotionPhaseErrored, railyard.ReasonInvalidSteps,
			fmt.Sprintf("Stage %q has no promotion steps (spec.promotionTemplate.spec.steps)", stage.Name))
	}
	inflated, err := engine.InflateSteps(ctx, r.APIReader, promo.Namespace, vars, steps)
	if err == nil {
		err = r.Engine.Registry.Check(vars, inflated)
	}
	if err != nil {
		if engine.IsTerminal(err) {
			return false, r.fail(ctx, promo, railyard.PromotionPhaseErrored, railyard.ReasonInvalidSteps, err.Error())
		}
		return false, fmt.Errorf("inlining the tasks of Stage %s: %w", stage.Name, err)
	}
	digest, err := StepsDigest(vars, inflated)
	if err != nil {
		return false, err
	}
	// The digest goes first: a crash between the two writes leaves a digest
	// and empty steps, which the next reconcile simply snapshots again. The
	// resolved Freight goes with it when it is known; Freight the Stage may
	// not receive is left for resolve, which fails the Promotion after the
	// snapshot as before. Nothing is written when neither is new.
	p := reconcilehelp.NewStatusPatcher(r.Client, promo, reconcilehelp.WithOptimisticLock())
	if promo.Status.Freight == nil {
		if err := r.resolveInto(ctx, promo, stage); err != nil && !errors.Is(err, errUnavailable) {
			return false, err
		}
	}
	r.claim(promo, stage)
	promo.Status.StepsDigest = digest
	if err := p.Patch(ctx, promo); err != nil {
		return false, fmt.Errorf("recording the steps digest: %w", err)
	}
	promo.Spec.Vars = vars
	promo.Spec.Steps = inflated
	controllerutil.AddFinalizer(promo, railyard.FinalizerName)
	if err := controllerutil.SetOwnerReference(stage, promo, r.Client.Scheme()); err != nil {
		return false, fmt.Errorf("setting the owner reference: %w", err)
	}
	// The resource version in promo makes a concurrent writer fail this
	// update.
	if err := r.Client.Update(ctx, promo); err != nil {
		return false, err
	}
	return true, nil
}

// StepsDigest is the SHA-256 of vars and steps in a canonical JSON form
// (configurations decoded and encoded again), so the digest computed before
// writing equals the one computed from what the API server returns.
func StepsDigest(vars []railyard.ExpressionVariable, steps []railyard.PromotionStep) (string, error) {
	raw, err := json.Marshal(struct {
		Vars  []railyard.ExpressionVariable `json:"vars"`
		Steps []railyard.PromotionStep      `json:"steps"`
	}{vars, steps})
	if err != nil {
		return "", fmt.Errorf("encoding steps: %w", err)
	}
	var canonical any
	if err := json.Unmarshal(raw, &canonical); err != nil {
		return "", fmt.Errorf("decoding steps: %w", err)
	}
	if raw, err = json.Marshal(canonical); err != nil {
		return "", fmt.Errorf("encoding steps: %w", err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// foreignSteps explains why the Promotion's steps and vars are not the ones
// the controller copied, or returns "" when they are.
func foreignSteps(promo *railyard.Promotion) (string, error) {
	if promo.Status.StepsDigest == "" {
		return "spec.steps and spec.vars are copied from Stage " + promo.Spec.Stage +
			" by Railyard and may not be set by the creator of a Promotion; create it with only stage and freight (or origin)", nil
	}
	digest, err := StepsDigest(promo.Spec.Vars, promo.Spec.Steps)
	if err != nil {
		return "", err
	}
	if digest != promo.Status.StepsDigest {
		return "spec.steps or spec.vars differ from what Railyard copied from Stage " + promo.Spec.Stage + "; steps a creator writes never run", nil
	}
	return "", nil
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

// claim marks a resolved Promotion Running when its Stage already
// published that it is its turn, as the engine would when it starts: the
// Stage publishes an auto-created Promotion's turn when it creates it, so
// the snapshot's status write carries the start too, one write less per
// Promotion. The engine then finds it Running and goes on.
func (r *Reconciler) claim(promo *railyard.Promotion, stage *railyard.Stage) {
	cur := stage.Status.CurrentPromotion
	if promo.Status.Freight == nil || cur == nil || cur.Name != promo.Name {
		return
	}
	if ph := promo.Status.Phase; ph != "" && ph != railyard.PromotionPhasePending {
		return
	}
	now := metav1.NewTime(r.Clock.Now())
	promo.Status.Phase = railyard.PromotionPhaseRunning
	promo.Status.StartedAt = &now
	promo.Status.Message = ""
}
