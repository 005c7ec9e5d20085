package reconcilehelp

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxMessageLength is the longest condition message the API accepts
// (metav1.Condition.Message: maxLength 32768). A longer one makes the
// whole status patch fail, so SetCondition never writes one.
const MaxMessageLength = 32768

// Conditioned is an object whose status holds metav1.Conditions. The
// Railyard API types implement it (GetConditions/SetConditions).
type Conditioned interface {
	GetGeneration() int64
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

// SetCondition sets one condition for the object's current generation
// (ObservedGeneration), its message truncated to MaxMessageLength. As with
// meta.SetStatusCondition, lastTransitionTime changes only with the status.
// It reports whether the conditions changed.
func SetCondition(obj Conditioned, typ string, status metav1.ConditionStatus, reason, message string) bool {
	conds := obj.GetConditions()
	changed := meta.SetStatusCondition(&conds, metav1.Condition{
		Type:               typ,
		Status:             status,
		Reason:             reason,
		Message:            Truncate(message, MaxMessageLength),
		ObservedGeneration: obj.GetGeneration(),
	})
	obj.SetConditions(conds)
	return changed
}

// RemoveCondition removes the condition of type typ, reporting whether
// there was one.
func RemoveCondition(obj Conditioned, typ string) bool {
	conds := obj.GetConditions()
	removed := meta.RemoveStatusCondition(&conds, typ)
	obj.SetConditions(conds)
	return removed
}

// Truncate bounds message to max bytes, ending a shortened one with "..."
// and never cutting a UTF-8 sequence in half. A controller whose messages
// are read in `kubectl get` columns may bound them more tightly than the
// API does.
func Truncate(message string, max int) string {
	if len(message) <= max {
		return message
	}
	if max < 3 {
		return strings.ToValidUTF8(message[:max], "")
	}
	return strings.ToValidUTF8(message[:max-3], "") + "..."
}
