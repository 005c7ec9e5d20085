package actions

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestVerificationOf(t *testing.T) {
	tests := []struct {
		status metav1.ConditionStatus
		reason string
		want   string
	}{
		{status: metav1.ConditionTrue, reason: railyard.ReasonVerificationSucceeded, want: "verified"},
		{status: metav1.ConditionUnknown, reason: railyard.ReasonVerificationRunning, want: "verifying"},
		{status: metav1.ConditionFalse, reason: railyard.ReasonVerificationPending, want: "pending"},
		{status: metav1.ConditionFalse, reason: railyard.ReasonVerificationFailed, want: "failed"},
		{status: metav1.ConditionFalse, reason: railyard.ReasonVerificationError, want: "errored"},
		{status: metav1.ConditionFalse, reason: railyard.ReasonVerificationInconclusive, want: "inconclusive"},
		{status: metav1.ConditionFalse, reason: railyard.ReasonVerificationAborted, want: "aborted"},
		{status: metav1.ConditionFalse, reason: "SomethingNew", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			st := &railyard.Stage{Status: railyard.StageStatus{Conditions: []metav1.Condition{
				{Type: railyard.ConditionVerified, Status: tt.status, Reason: tt.reason},
			}}}
			if got := VerificationOf(st); got != tt.want {
				t.Errorf("VerificationOf = %q, want %q", got, tt.want)
			}
		})
	}
	if got := VerificationOf(&railyard.Stage{}); got != "" {
		t.Errorf("no Verified condition: %q, want empty", got)
	}
}

// A running Promotion shows the step it is at.
func TestPromotionOfStep(t *testing.T) {
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Name: "test"}}
	st.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p1"}
	promos := []railyard.Promotion{{
		ObjectMeta: metav1.ObjectMeta{Name: "p1"},
		Spec:       railyard.PromotionSpec{Stage: "test"},
		Status:     railyard.PromotionStatus{Phase: railyard.PromotionPhaseRunning, CurrentStep: 2},
	}}
	if pv := PromotionOf(st, promos); pv == nil || !pv.Running || pv.Step != 3 {
		t.Fatalf("PromotionOf = %+v, want running at step 3", pv)
	}
	promos[0].Status.Phase = railyard.PromotionPhasePending
	if pv := PromotionOf(st, promos); pv == nil || pv.Step != 0 {
		t.Fatalf("pending: PromotionOf = %+v, want no step", pv)
	}
}
