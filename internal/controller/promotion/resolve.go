package promotion

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/freight"
)

// errUnavailable marks Freight a Stage may not receive; the Promotion fails.
var errUnavailable = errors.New("not available")

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
	target, err := r.targetFreight(ctx, promo, stage)
	if err != nil {
		return err
	}
	collection, err := r.collection(ctx, stage, target)
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

// targetFreight returns spec.freight, or for spec.origin the Freight to
// promote "from upstream": the newest Freight of that origin verified in an
// upstream Stage, or for a Stage fed directly, the newest available.
func (r *Reconciler) targetFreight(ctx context.Context, promo *railyard.Promotion, stage *railyard.Stage) (*railyard.Freight, error) {
	now := r.Clock.Now()
	if promo.Spec.Freight != "" {
		f := &railyard.Freight{}
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: promo.Namespace, Name: promo.Spec.Freight}, f); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("%w: Freight %q does not exist in project %q", errUnavailable, promo.Spec.Freight, promo.Namespace)
			}
			return nil, err
		}
		if ok, why := freight.IsAvailable(f, stage, now); !ok {
			return nil, fmt.Errorf("%w: Freight %s is not available to Stage %s: %s", errUnavailable, f.Name, stage.Name, why)
		}
		return f, nil
	}
	origin := *promo.Spec.Origin
	candidates, err := r.availableFreight(ctx, stage, origin)
	if err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%w: no Freight from %s is available to Stage %s yet (it must be verified in an upstream Stage)", errUnavailable, origin, stage.Name)
	}
	return candidates[0], nil
}

// availableFreight lists the Freight of origin available to stage, newest
// first.
func (r *Reconciler) availableFreight(ctx context.Context, stage *railyard.Stage, origin railyard.FreightOrigin) ([]*railyard.Freight, error) {
	var list railyard.FreightList
	if err := r.Client.List(ctx, &list, client.InNamespace(stage.Namespace), client.MatchingFields{index.FreightByOrigin: origin.String()}); err != nil {
		return nil, fmt.Errorf("listing Freight of %s: %w", origin, err)
	}
	now := r.Clock.Now()
	var out []*railyard.Freight
	for i := range list.Items {
		if ok, _ := freight.IsAvailable(&list.Items[i], stage, now); ok {
			out = append(out, &list.Items[i])
		}
	}
	freight.SortNewestFirst(out)
	return out, nil
}

// collection is what the Stage will run: its current Freight with target
// replacing the Freight of target's origin. A requested origin the Stage has
// no Freight for yet (a new Stage) is filled with the newest Freight
// available to the Stage, so a first promotion renders completely whichever
// origin's Freight arrived first.
func (r *Reconciler) collection(ctx context.Context, stage *railyard.Stage, target *railyard.Freight) (railyard.FreightCollection, error) {
	var current *railyard.FreightCollection
	if len(stage.Status.FreightHistory) > 0 {
		current = &stage.Status.FreightHistory[0]
	}
	c := freight.WithFreight(current, freight.Ref(target))
	for _, req := range stage.Spec.RequestedFreight {
		if _, ok := c.Freight[req.Origin.String()]; ok {
			continue
		}
		candidates, err := r.availableFreight(ctx, stage, req.Origin)
		if err != nil {
			return c, err
		}
		if len(candidates) > 0 {
			c = freight.WithFreight(&c, freight.Ref(candidates[0]))
		}
	}
	return c, nil
}
