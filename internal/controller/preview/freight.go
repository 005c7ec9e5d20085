package preview

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/freight"
)

// errUnavailable marks Freight the Stage may not receive: the preview
// fails, as a Promotion of it would.
var errUnavailable = errors.New("not available")

// The Freight choice below is the Promotion controller's
// (internal/controller/promotion/resolve.go), with one addition:
// spec.freight may be an alias, as the CLI and the UI let people name
// Freight. A preview shows what that promotion would commit, so it must
// pick the same Freight and the same collection.

// targetFreight returns the Freight spec names, or for spec.origin the
// newest of that origin available to the Stage.
func (r *Reconciler) targetFreight(ctx context.Context, p *railyard.PromotionPreview, stage *railyard.Stage) (*railyard.Freight, error) {
	now := r.Clock.Now()
	if p.Spec.Freight != "" {
		f, err := r.freightNamed(ctx, p.Namespace, p.Spec.Freight)
		if err != nil {
			return nil, err
		}
		if ok, why := freight.IsAvailable(f, stage, now); !ok {
			return nil, fmt.Errorf("%w: Freight %s is not available to Stage %s: %s", errUnavailable, f.Name, stage.Name, why)
		}
		return f, nil
	}
	origin := *p.Spec.Origin
	candidates, err := r.availableFreight(ctx, stage, origin)
	if err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%w: no Freight from %s is available to Stage %s yet (it must be verified in an upstream Stage)", errUnavailable, origin, stage.Name)
	}
	return candidates[0], nil
}

// freightNamed reads Freight by name, else by alias.
func (r *Reconciler) freightNamed(ctx context.Context, ns, name string) (*railyard.Freight, error) {
	f := &railyard.Freight{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, f)
	if err == nil {
		return f, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading Freight %s: %w", name, err)
	}
	var list railyard.FreightList
	if err := r.Client.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{railyard.LabelAlias: name}); err != nil {
		return nil, fmt.Errorf("listing Freight by alias %s: %w", name, err)
	}
	if len(list.Items) == 1 {
		return &list.Items[0], nil
	}
	return nil, fmt.Errorf("%w: no Freight is named or aliased %q in project %q", errUnavailable, name, ns)
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

// collection is what the Stage would run: its current Freight with target
// replacing that of target's origin, origins it has none of yet filled
// with the newest available.
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
