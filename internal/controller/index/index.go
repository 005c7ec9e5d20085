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
)

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
	return nil
}
