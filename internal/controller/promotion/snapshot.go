package promotion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
// Promotion already queued; the copy auto-promotion makes when it creates a
// Promotion is adopted when it is the same. It also sets an owner reference
// to the Stage, whose UID later tells a recreated Stage of the same name
// from the one the Promotion was made for. It reports whether
// the Promotion may go on (false when it ended it as Errored); promo then
// holds what the server returned, so the caller goes on with it rather than
// wait for the update event.
func (r *Reconciler) snapshot(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage) (bool, error) {
	copied := !snapshotDue(promo)
	if copied && promo.Annotations[railyard.AnnotationCreateActor] != railyard.ActorAutoPromotion {
		return true, nil // steps a creator wrote: foreignSteps refuses them
	}
	vars, steps := StageSteps(stage)
	if len(steps) == 0 {
		return false, r.fail(ctx, promo, railyard.PromotionPhaseErrored, railyard.ReasonInvalidSteps,
			fmt.Sprintf("Stage %q has no promotion steps (spec.promotionTemplate.spec.steps)", stage.Name))
	}
	// Tasks come from the cache, as the Stage's auto-promotion read them
	// for its copy: both take the same version, and a task is not read
	// from the API server twice per promotion.
	inflated, err := engine.InflateSteps(ctx, r.Client, promo.Namespace, vars, steps)
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
	// Auto-promotion copies the snapshot into the Promotion it creates;
	// that copy is adopted as it is. One of a Stage edited since is
	// replaced first, so a crash before the digest is written leaves a
	// spec the next reconcile adopts.
	if copied {
		have, err := StepsDigest(promo.Spec.Vars, promo.Spec.Steps)
		if err != nil {
			return false, err
		}
		if have != digest {
			if err := r.writeSpec(ctx, promo, stage, vars, inflated); err != nil {
				return false, err
			}
		}
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
	if copied && stageOwner(promo) == stage.UID {
		return true, nil
	}
	return true, r.writeSpec(ctx, promo, stage, vars, inflated)
}

// writeSpec writes the snapshot into the Promotion's spec with its owner
// reference.
func (r *Reconciler) writeSpec(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage, vars []railyard.ExpressionVariable, steps []railyard.PromotionStep) error {
	promo.Spec.Vars = vars
	promo.Spec.Steps = steps
	if err := controllerutil.SetOwnerReference(stage, promo, r.Client.Scheme()); err != nil {
		return fmt.Errorf("setting the owner reference: %w", err)
	}
	// The resource version in promo makes a concurrent writer fail this
	// update.
	return r.Client.Update(ctx, promo)
}

// snapshotDue says whether the Promotion's spec has no steps or vars yet:
// it was created without them, or a crash came between recording the
// digest and writing the spec.
func snapshotDue(promo *railyard.Promotion) bool {
	return len(promo.Spec.Steps) == 0 && len(promo.Spec.Vars) == 0
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

// turnWait bounds how long a Promotion auto-promotion created waits for
// its Stage to publish its turn before the snapshot (awaitTurn).
const turnWait = 2 * time.Second

// awaitTurn says how long to wait before the snapshot of a Promotion that
// auto-promotion has just created, while its Stage, running nothing, has
// not yet published that it is its turn. The Stage publishes it in the
// status write that follows the creation, and this reconcile often comes
// first: its snapshot then wrote the digest and the Freight, and the next
// one the start. Waited for, the snapshot carries the start too (claim),
// one status write less per Promotion; the Stage's publish queues the
// Promotion at once. 0 means go on now.
func (r *Reconciler) awaitTurn(promo *railyard.Promotion, stage *railyard.Stage) time.Duration {
	if promo.Annotations[railyard.AnnotationCreateActor] != railyard.ActorAutoPromotion ||
		promo.Status.StepsDigest != "" || stage.Status.CurrentPromotion != nil {
		return 0
	}
	if ph := promo.Status.Phase; ph != "" && ph != railyard.PromotionPhasePending {
		return 0
	}
	age := max(r.Clock.Now().Sub(promo.CreationTimestamp.Time), 0)
	if age >= turnWait {
		return 0
	}
	return turnWait - age
}
