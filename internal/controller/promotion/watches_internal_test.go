package promotion

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestStageTurns(t *testing.T) {
	now := metav1.Now()
	tests := []struct {
		name   string
		change func(*railyard.Stage)
		want   bool
	}{
		{name: "health only", change: func(s *railyard.Stage) {
			s.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy}
		}},
		{name: "next Promotion published", want: true, change: func(s *railyard.Stage) {
			s.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p2"}
		}},
		{name: "current Promotion's Freight known", want: true, change: func(s *railyard.Stage) {
			s.Status.CurrentPromotion.Freight = &railyard.FreightReference{Name: "f"}
		}},
		{name: "spec edited", want: true, change: func(s *railyard.Stage) { s.Generation++ }},
		{name: "deleted", want: true, change: func(s *railyard.Stage) { s.DeletionTimestamp = &now }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := &railyard.Stage{}
			old.Generation = 1
			old.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p1"}
			cur := old.DeepCopy()
			tt.change(cur)
			if got := stageTurns.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur}); got != tt.want {
				t.Fatalf("stageTurns = %v, want %v", got, tt.want)
			}
		})
	}
}
