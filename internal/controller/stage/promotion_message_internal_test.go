package stage

import (
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestLastPromotionMessage(t *testing.T) {
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"}
	ref := func(name string) *railyard.FreightReference {
		return &railyard.FreightReference{Name: name, Origin: origin}
	}
	stage := func(phase railyard.PromotionPhase, msg string, freight *railyard.FreightReference, health *railyard.Health, current string) *railyard.Stage {
		st := &railyard.Stage{}
		st.Name = "staging"
		st.Status.Health = health
		st.Status.LastPromotion = &railyard.PromotionReference{Name: "p1", Freight: freight, Status: &railyard.PromotionStatus{Phase: phase, Message: msg}}
		if current != "" {
			st.Status.FreightHistory = []railyard.FreightCollection{{Freight: map[string]railyard.FreightReference{origin.String(): *ref(current)}}}
		}
		return st
	}
	unhealthy := &railyard.Health{Status: railyard.HealthStateUnhealthy, Issues: []string{"synced to revision abc, not the promoted def"}}
	tests := []struct {
		name  string
		stage *railyard.Stage
		want  string
	}{
		{"abort does not stutter, and says how to recover", stage(railyard.PromotionPhaseAborted, "aborted: by request", ref("new"), unhealthy, "old"),
			"Promotion p1 Aborted: by request; the Stage is Unhealthy (synced to revision abc, not the promoted def); to recover, promote Freight new again (railyard promote --stage staging --freight new) or go back to old (--freight old)"},
		{"failure keeps its message", stage(railyard.PromotionPhaseFailed, "step 2 (push) failed: rejected", ref("new"), nil, "new"),
			"Promotion p1 Failed: step 2 (push) failed: rejected; to recover, promote Freight new again (railyard promote --stage staging --freight new)"},
		{"phase alone", stage(railyard.PromotionPhaseAborted, "Aborted", ref("new"), nil, ""),
			"Promotion p1 Aborted; to recover, promote Freight new again (railyard promote --stage staging --freight new)"},
		{"no Freight known", stage(railyard.PromotionPhaseErrored, "no steps", nil, nil, ""),
			"Promotion p1 Errored: no steps; to recover, promote Freight to the Stage again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lastPromotionMessage(tt.stage); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
