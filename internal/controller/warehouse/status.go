package warehouse

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
)

// maxMessage bounds condition messages; the API allows 32 KiB
// (reconcilehelp.MaxMessageLength), people read far less.
const maxMessage = 1024

// summary classifies the outcomes of one discovery.
type summary struct {
	total     int
	invalid   []string // need a change of spec or Secret
	failed    []string // transient; retried with backoff
	empty     []string // succeeded (or kept) but hold no artifact
	truncated []string
}

func summarize(outcomes []outcome) summary {
	s := summary{total: len(outcomes)}
	for i := range outcomes {
		o := &outcomes[i]
		switch {
		case o.err != nil && needsChange(o.err):
			s.invalid = append(s.invalid, o.describe()+": "+o.err.Error())
		case o.err != nil:
			s.failed = append(s.failed, o.describe()+": "+o.err.Error())
		}
		if o.count() == 0 {
			s.empty = append(s.empty, o.describe())
		}
		if o.truncated {
			s.truncated = append(s.truncated, o.describe())
		}
	}
	return s
}

// ok reports whether every subscription was discovered.
func (s summary) ok() bool { return len(s.invalid) == 0 && len(s.failed) == 0 }

// problem returns the reason and message of the failures, transient ones
// first: while anything is retried, the Warehouse is not stalled.
func (s summary) problem() (reason, message string) {
	all := append(append([]string(nil), s.failed...), s.invalid...)
	reason = railyard.ReasonInvalidSpec
	if len(s.failed) > 0 {
		reason = railyard.ReasonDiscoveryFailed
	}
	return reason, fmt.Sprintf("%d of %d subscriptions failed (previous artifacts kept): %s",
		len(all), s.total, strings.Join(all, "; "))
}

// setDiscoveryConditions sets Healthy, Ready and Stalled after a discovery.
// Freight creation may lower Ready afterwards.
func setDiscoveryConditions(w *railyard.Warehouse, s summary) {
	switch {
	case !s.ok():
		reason, msg := s.problem()
		setCondition(w, railyard.ConditionHealthy, metav1.ConditionFalse, reason, msg)
		setCondition(w, railyard.ConditionReady, metav1.ConditionFalse, reason, msg)
	case len(s.truncated) > 0:
		setCondition(w, railyard.ConditionHealthy, metav1.ConditionFalse, railyard.ReasonTagListTruncated,
			"more tags than the controller lists, the newest may be missed: "+strings.Join(s.truncated, ", "))
	default:
		setCondition(w, railyard.ConditionHealthy, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded,
			fmt.Sprintf("discovered %d subscriptions", s.total))
	}
	if s.ok() {
		if len(s.empty) > 0 {
			setCondition(w, railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonNoArtifacts,
				"no artifacts found for "+strings.Join(s.empty, ", "))
		} else {
			setCondition(w, railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded,
				fmt.Sprintf("discovered %d subscriptions", s.total))
		}
	}
	if len(s.invalid) > 0 && len(s.failed) == 0 {
		_, msg := s.problem()
		setCondition(w, railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonInvalidSpec, msg)
	} else {
		reconcilehelp.RemoveCondition(w, railyard.ConditionStalled)
	}
}

// markReconciling announces slow work before it starts. Ready is left as it
// was, so periodic discoveries do not flap it, except on the first one.
func markReconciling(w *railyard.Warehouse, message string) {
	setCondition(w, railyard.ConditionReconciling, metav1.ConditionTrue, railyard.ReasonDiscovering, message)
	if meta.FindStatusCondition(w.Status.Conditions, railyard.ConditionReady) == nil {
		setCondition(w, railyard.ConditionReady, metav1.ConditionUnknown, railyard.ReasonDiscovering, message)
	}
}

// doneReconciling removes Reconciling, which kstatus reads as "in progress".
func doneReconciling(w *railyard.Warehouse) {
	reconcilehelp.RemoveCondition(w, railyard.ConditionReconciling)
}

// setCondition sets one condition for the current generation, its message
// bounded by maxMessage.
func setCondition(w *railyard.Warehouse, typ string, status metav1.ConditionStatus, reason, message string) {
	reconcilehelp.SetCondition(w, typ, status, reason, reconcilehelp.Truncate(message, maxMessage))
}
