package actions

import (
	"encoding/json"
	"fmt"
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

// AbortRequest is the value of the abort annotation in Kargo's format
// (AbortPromotionRequest), which the Promotion controller reads; Actor,
// when known, lets the Promotion say who aborted it.
type AbortRequest struct {
	Action string `json:"action"`
	Actor  string `json:"actor,omitempty"`
}

// AbortValue is the railyard.dev/abort annotation value that asks the
// controller to terminate a Promotion on behalf of actor ("" if unknown).
func AbortValue(actor string) (string, error) {
	value, err := json.Marshal(AbortRequest{Action: "terminate", Actor: actor})
	if err != nil {
		return "", fmt.Errorf("encoding the abort request: %w", err)
	}
	return string(value), nil
}

// ApprovalPatch is the merge patch of a Freight's status that approves it
// for stage at time now (status.approvedFor, as 'railyard approve' and
// Kargo's approve record it); send it to the status subresource.
func ApprovalPatch(stage string, now time.Time) ([]byte, error) {
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"approvedFor": map[string]any{
		stage: map[string]string{"approvedAt": now.UTC().Format(time.RFC3339)}}}})
	if err != nil {
		return nil, fmt.Errorf("encoding patch: %w", err)
	}
	return patch, nil
}
