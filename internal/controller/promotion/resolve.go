package promotion

import (
	"context"
	"errors"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/freight"
)

// errUnavailable marks Freight a Stage may not receive; the Promotion fails.
var errUnavailable = freight.ErrUnavailable

// resolve finds the Freight the Promotion moves, checks that the Stage may
// receive it, and records it with the collection the Stage will run.
func (r *Reconciler) resolve(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage) error {
	p := reconcilehelp.NewStatusPatcher(r.Client, promo)
	err := r.resolveInto(ctx, promo, stage)
	if errors.Is(err, errUnavailable) {
		return r.fail(ctx, promo, railyard.PromotionPhaseFailed, "", err.Error())
	}
	if err != nil {
		return err
	}
	return p.Patch(ctx, promo)
}

// resolveInto sets in promo's status what resolve records, without
// writing it: the snapshot writes it with the steps digest, one status
// write less per Promotion. Freight the Stage may not receive is an
// errUnavailable error, and promo is left as it was.
func (r *Reconciler) resolveInto(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage) error {
	now := r.Clock.Now()
	target, err := r.chooser().Target(ctx, stage, promo.Spec.Freight, promo.Spec.Origin, now)
	if err != nil {
		return err
	}
	collection, err := r.chooser().Collection(ctx, stage, target, now)
	if err != nil {
		return err
	}
	ref := freight.Ref(target)
	promo.Status.Phase = railyard.PromotionPhasePending
	promo.Status.Message = "waiting for Stage " + stage.Name + " to start it"
	promo.Status.Freight = &ref
	promo.Status.FreightCollection = &collection
	return nil
}

// chooser picks Freight by the rule previews share.
func (r *Reconciler) chooser() freight.Chooser {
	return freight.Chooser{Cache: r.Client, OriginIndex: index.FreightByOrigin, APIReader: r.APIReader}
}
