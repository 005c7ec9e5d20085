// Package index registers the field indexes the reconcilers list by, so a
// Stage finds its Promotions and the Freight of its origins without listing
// the whole namespace.
package index

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

const (
	// PromotionsByStage indexes Promotions by spec.stage.
	PromotionsByStage = "spec.stage"
	// FreightByOrigin indexes Freight by origin ("Warehouse/<name>").
	FreightByOrigin = "origin"
	// StagesByRequestedOrigin indexes Stages by the origins they request
	// Freight from, so a new Freight wakes only the Stages it concerns.
	StagesByRequestedOrigin = "spec.requestedFreight.origin"
	// PromotionsAwaitingFreight indexes the Promotions that have not yet
	// resolved their Freight by what they wait for: AwaitingName(freight)
	// or AwaitingOrigin(origin).
	PromotionsAwaitingFreight = "awaitingFreight"
)

// AwaitingName is the PromotionsAwaitingFreight value of a Promotion asking
// for a Freight by name.
func AwaitingName(freight string) string { return "name/" + freight }

// AwaitingOrigin is the PromotionsAwaitingFreight value of a Promotion
// asking for the Freight of an origin.
func AwaitingOrigin(origin railyard.FreightOrigin) string { return "origin/" + origin.String() }

// Register adds every index to the manager's cache. Call it once, before the
// reconcilers start.
func Register(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &railyard.Promotion{}, PromotionsByStage, func(o client.Object) []string {
		return []string{o.(*railyard.Promotion).Spec.Stage}
	}); err != nil {
		return fmt.Errorf("indexing Promotions by Stage: %w", err)
	}
	if err := indexer.IndexField(ctx, &railyard.Freight{}, FreightByOrigin, func(o client.Object) []string {
		return []string{o.(*railyard.Freight).Origin.String()}
	}); err != nil {
		return fmt.Errorf("indexing Freight by origin: %w", err)
	}
	if err := indexer.IndexField(ctx, &railyard.Stage{}, StagesByRequestedOrigin, func(o client.Object) []string {
		var origins []string
		for _, req := range o.(*railyard.Stage).Spec.RequestedFreight {
			origins = append(origins, req.Origin.String())
		}
		return origins
	}); err != nil {
		return fmt.Errorf("indexing Stages by requested origin: %w", err)
	}
	if err := indexer.IndexField(ctx, &railyard.Promotion{}, PromotionsAwaitingFreight, func(o client.Object) []string {
		p := o.(*railyard.Promotion)
		switch {
		case p.Status.Phase.IsTerminal() || p.Status.Freight != nil:
			return nil
		case p.Spec.Freight != "":
			return []string{AwaitingName(p.Spec.Freight)}
		case p.Spec.Origin != nil:
			return []string{AwaitingOrigin(*p.Spec.Origin)}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("indexing Promotions by the Freight they await: %w", err)
	}
	return nil
}
