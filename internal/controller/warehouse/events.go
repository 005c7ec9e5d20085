package warehouse

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// notifyTransitions (Events are emitted on transitions only, never per
// reconcile, so a Warehouse failing for a day does not flood the
// namespace) compares the conditions before and after a pass and
// emits an Event for each that changed state in a way people care about.
func (r *Reconciler) notifyTransitions(w *railyard.Warehouse, before []metav1.Condition) {
	was := meta.FindStatusCondition(before, railyard.ConditionHealthy)
	now := meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionHealthy)
	if now != nil {
		switch {
		case now.Status == metav1.ConditionFalse && (was == nil || was.Status != metav1.ConditionFalse):
			r.recorder.Emit(w, nil, corev1.EventTypeWarning, railyard.ReasonDiscoveryFailed, "Discover", now.Message)
		case now.Status == metav1.ConditionTrue && was != nil && was.Status == metav1.ConditionFalse:
			r.recorder.Emit(w, nil, corev1.EventTypeNormal, railyard.EventDiscoveryRecovered, "Discover", now.Message)
		}
	}
	wasC := meta.FindStatusCondition(before, railyard.ConditionFreightCreationCriteriaSatisfied)
	nowC := meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionFreightCreationCriteriaSatisfied)
	if nowC != nil && nowC.Reason == railyard.ReasonCriteriaInvalid && (wasC == nil || wasC.Reason != railyard.ReasonCriteriaInvalid) {
		r.recorder.Emit(w, nil, corev1.EventTypeWarning, railyard.ReasonCriteriaInvalid, "EvaluateCriteria", nowC.Message)
	}
}
