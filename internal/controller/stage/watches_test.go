package stage

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/event"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/naming"
	"github.com/railyard-dev/railyard/internal/rollouts"
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

// An AnalysisRun wakes its Stage when the Stage has something to act on:
// a new phase or message, an abort. Measurements taken while it stays
// Running do not.
func TestRunChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(*unstructured.Unstructured)
		want   bool
	}{
		{name: "a measurement taken", change: func(r *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(r.Object, int64(2), "status", "runSummary", "count")
		}},
		{name: "Running to Successful", want: true, change: func(r *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(r.Object, rollouts.RunPhaseSuccessful, "status", "phase")
		}},
		{name: "Running to Failed", want: true, change: func(r *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(r.Object, rollouts.RunPhaseFailed, "status", "phase")
		}},
		{name: "a new message", want: true, change: func(r *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(r.Object, "Metric \"smoke\" assessed Error", "status", "message")
		}},
		{name: "terminated", want: true, change: func(r *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(r.Object, true, "spec", "terminate")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := rollouts.NewRun()
			_ = unstructured.SetNestedField(old.Object, rollouts.RunPhaseRunning, "status", "phase")
			cur := old.DeepCopy()
			tt.change(cur)
			if got := runChanges.Update(event.TypedUpdateEvent[*unstructured.Unstructured]{ObjectOld: old, ObjectNew: cur}); got != tt.want {
				t.Fatalf("runChanges = %v, want %v", got, tt.want)
			}
		})
	}
	if !runChanges.Create(event.TypedCreateEvent[*unstructured.Unstructured]{Object: rollouts.NewRun()}) ||
		!runChanges.Delete(event.TypedDeleteEvent[*unstructured.Unstructured]{Object: rollouts.NewRun()}) {
		t.Error("a run created or deleted does not wake its Stage")
	}
}

// Runs map to the Stage that created them, by its full name when the label
// had to be shortened; runs of others (an Argo Rollouts canary) to none.
func TestStageOfRun(t *testing.T) {
	long := strings.Repeat("s", 70)
	tests := []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		want        string
	}{
		{name: "a Stage's run", labels: map[string]string{rollouts.LabelStage: "test", rollouts.LabelFreightCollection: "c"}, want: "test"},
		{
			name:        "a long Stage name",
			labels:      map[string]string{rollouts.LabelStage: naming.LabelValue(long), rollouts.LabelFreightCollection: "c"},
			annotations: map[string]string{rollouts.AnnotationStage: long},
			want:        long,
		},
		{name: "a canary's run", labels: map[string]string{"rollouts-pod-template-hash": "abc"}},
		{name: "a Stage label without a collection", labels: map[string]string{rollouts.LabelStage: "test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := rollouts.NewRun()
			run.SetNamespace("demo")
			run.SetName("r")
			run.SetLabels(tt.labels)
			run.SetAnnotations(tt.annotations)
			reqs := stageOfRun(context.Background(), run)
			var got string
			if len(reqs) == 1 && reqs[0].Namespace == "demo" {
				got = reqs[0].Name
			}
			if len(reqs) > 1 || got != tt.want {
				t.Fatalf("stageOfRun = %v, want %q", reqs, tt.want)
			}
		})
	}
}
