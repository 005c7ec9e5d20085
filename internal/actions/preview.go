package actions

import (
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/naming"
)

// NewPreview returns a PromotionPreview of promoting f to stage, named
// like the Promotion it previews would be, so the two read alike. The
// CLI (promote --dry-run) and the web UI create it as the user.
func NewPreview(stage *railyard.Stage, f *railyard.Freight, now time.Time) *railyard.PromotionPreview {
	p := &railyard.PromotionPreview{Spec: railyard.PromotionPreviewSpec{Stage: stage.Name, Freight: f.Name}}
	p.Namespace = stage.Namespace
	p.Name = naming.PromotionName(stage.Name, f.Name, now)
	p.Labels = map[string]string{railyard.LabelStage: naming.LabelValue(stage.Name)}
	return p
}
