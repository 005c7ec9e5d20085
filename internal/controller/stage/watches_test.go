package stage

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestPromotionMilestones(t *testing.T) {
	now := metav1.Now()
	tests := []struct {
		name   string
		change func(*railyard.Promotion)
		want   bool
	}{
		{name: "a step's progress saved", change: func(p *railyard.Promotion) {
			p.Status.CurrentStep++
			p.Status.Message = "step 2 of 7"
		}},
		{name: "phase changed", want: true, change: func(p *railyard.Promotion) {
			p.Status.Phase = railyard.PromotionPhaseSucceeded
		}},
		{name: "Freight resolved", want: true, change: func(p *railyard.Promotion) {
			p.Status.Freight = &railyard.FreightReference{Name: "f"}
		}},
		{name: "spec snapshotted", want: true, change: func(p *railyard.Promotion) { p.Generation++ }},
		{name: "deleted", want: true, change: func(p *railyard.Promotion) { p.DeletionTimestamp = &now }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := &railyard.Promotion{}
			old.Generation = 1
			old.Status.Phase = railyard.PromotionPhaseRunning
			cur := old.DeepCopy()
			tt.change(cur)
			if got := promotionMilestones.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur}); got != tt.want {
				t.Fatalf("promotionMilestones = %v, want %v", got, tt.want)
			}
		})
	}
}
