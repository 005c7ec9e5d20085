package actions

import (
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/naming"
)

// NewPromotion builds the Promotion of f to stage, named
// <stage>.<ulid>.<freight[:7]> at time now and labelled for the Stage's
// shard, ready to be created.
func NewPromotion(stage *railyard.Stage, f *railyard.Freight, now time.Time) *railyard.Promotion {
	promo := &railyard.Promotion{Spec: railyard.PromotionSpec{Stage: stage.Name, Freight: f.Name}}
	promo.Namespace = stage.Namespace
	promo.Name = naming.PromotionName(stage.Name, f.Name, now)
	promo.Labels = map[string]string{railyard.LabelStage: naming.LabelValue(stage.Name)}
	// The Stage's shard manager runs it (docs/sharding.md).
	shard.LabelPromotion(promo, stage)
	return promo
}
