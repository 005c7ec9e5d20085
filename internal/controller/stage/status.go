package stage

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/freight"
)

// summarize writes freightSummary, the "Current Freight" column.
func (r *Reconciler) summarize(ctx context.Context, sc *scope) error {
	st := sc.stage
	var current *railyard.FreightCollection
	if len(st.Status.FreightHistory) > 0 {
		current = &st.Status.FreightHistory[0]
	}
	aliases := map[string]string{}
	if current != nil {
		for _, ref := range current.Freight {
			f := &railyard.Freight{}
			if err := r.Client.Get(ctx, client.ObjectKey{Namespace: st.Namespace, Name: ref.Name}, f); err == nil {
				aliases[f.Name] = f.Alias
			}
		}
	}
	st.Status.FreightSummary = freight.Summary(len(st.Spec.RequestedFreight), current, aliases)
	return nil
}

// setConditions derives Promoting, Healthy, Verified and Ready from status.
func setConditions(sc *scope) {
	st := sc.stage
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		reconcilehelp.SetCondition(st, t, s, reason, msg)
	}

	if cur := st.Status.CurrentPromotion; cur != nil {
		set(railyard.ConditionPromoting, metav1.ConditionTrue, railyard.ReasonPromotionRunning, "Promotion "+cur.Name+" is running or next")
	} else if next := NextPromotion(sc.promotions); next != nil && verifying(st) {
		set(railyard.ConditionPromoting, metav1.ConditionFalse, railyard.ReasonVerificationRunning,
			"Promotion "+next.Name+" waits until the verification of the current Freight finishes (or is aborted)")
	} else {
		set(railyard.ConditionPromoting, metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running")
	}

	health := st.Status.Health
	switch {
	case sc.argoCDUnreachable != "":
		set(railyard.ConditionHealthy, metav1.ConditionUnknown, railyard.ReasonArgoCDUnreachable, sc.argoCDUnreachable)
	case len(st.Status.FreightHistory) == 0:
		set(railyard.ConditionHealthy, metav1.ConditionUnknown, railyard.ReasonNoFreight, "the Stage has no Freight yet")
	case health == nil || health.Status == railyard.HealthStateUnknown:
		set(railyard.ConditionHealthy, metav1.ConditionUnknown, railyard.ReasonHealthUnknown, issues(health))
	case health.Status == railyard.HealthStateHealthy:
		set(railyard.ConditionHealthy, metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy")
	case health.Status == railyard.HealthStateProgressing:
		set(railyard.ConditionHealthy, metav1.ConditionFalse, railyard.ReasonHealthProgressing, issues(health))
	default:
		set(railyard.ConditionHealthy, metav1.ConditionFalse, railyard.ReasonUnhealthy, issues(health))
	}

	verified := len(st.Status.FreightHistory) > 0 && isVerified(&st.Status.FreightHistory[0])
	var lastVI *railyard.VerificationInfo
	if len(st.Status.FreightHistory) > 0 {
		lastVI = currentVerification(&st.Status.FreightHistory[0])
	}
	switch {
	case verified:
		set(railyard.ConditionVerified, metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified")
	case sc.verificationBlocked != "":
		set(railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonRolloutsNotInstalled, sc.verificationBlocked)
	case hasAnalysis(st) && lastVI != nil:
		setVerificationCondition(set, lastVI)
	case hasAnalysis(st):
		set(railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationPending, "waiting for the Stage to be healthy after its promotion to start the analysis")
	default:
		set(railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationPending, "waiting for the Stage to be healthy after its promotion")
	}

	if sc.autoPromotionError != "" {
		set(railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonAutoPromotionFailed, sc.autoPromotionError)
	} else {
		reconcilehelp.RemoveCondition(st, railyard.ConditionStalled)
	}

	last := st.Status.LastPromotion
	switch {
	case last != nil && last.Status != nil && last.Status.Phase != railyard.PromotionPhaseSucceeded && st.Status.CurrentPromotion == nil:
		set(railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonLastPromotionFailed, lastPromotionMessage(st))
	case len(st.Status.FreightHistory) == 0:
		set(railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonNoFreight, "the Stage has no Freight yet")
	case st.Status.CurrentPromotion != nil:
		set(railyard.ConditionReady, metav1.ConditionFalse, railyard.ReasonProgressing, "promoting: Promotion "+st.Status.CurrentPromotion.Name)
	case meta.IsStatusConditionFalse(st.Status.Conditions, railyard.ConditionHealthy) || meta.IsStatusConditionPresentAndEqual(st.Status.Conditions, railyard.ConditionHealthy, metav1.ConditionUnknown):
		c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionHealthy)
		set(railyard.ConditionReady, metav1.ConditionFalse, c.Reason, c.Message)
	case !verified:
		c := meta.FindStatusCondition(st.Status.Conditions, railyard.ConditionVerified)
		set(railyard.ConditionReady, metav1.ConditionFalse, c.Reason, "the current Freight is not verified yet: "+c.Message)
	default:
		set(railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonSucceeded, "Freight "+st.Status.FreightSummary+" is healthy and verified")
	}
}

// setVerificationCondition reports the newest verification of a Freight
// that is not verified yet.
func setVerificationCondition(set func(string, metav1.ConditionStatus, string, string), vi *railyard.VerificationInfo) {
	switch vi.Phase {
	case railyard.VerificationPhasePending, railyard.VerificationPhaseRunning:
		msg := "verification " + vi.ID + " is " + strings.ToLower(string(vi.Phase))
		if vi.AnalysisRun != nil {
			msg = "AnalysisRun " + vi.AnalysisRun.Name + " is " + strings.ToLower(string(vi.Phase))
		}
		if vi.Message != "" {
			msg += ": " + vi.Message
		}
		set(railyard.ConditionVerified, metav1.ConditionUnknown, railyard.ReasonVerificationRunning, msg)
	case railyard.VerificationPhaseFailed:
		set(railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationFailed, verificationMessage(vi))
	case railyard.VerificationPhaseInconclusive:
		set(railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationInconclusive, verificationMessage(vi))
	case railyard.VerificationPhaseAborted:
		set(railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationAborted, verificationMessage(vi))
	default:
		set(railyard.ConditionVerified, metav1.ConditionFalse, railyard.ReasonVerificationError, verificationMessage(vi))
	}
}

func issues(h *railyard.Health) string {
	if h == nil || len(h.Issues) == 0 {
		return "health is not known yet"
	}
	msg := h.Issues[0]
	for _, i := range h.Issues[1:] {
		msg += "; " + i
	}
	return msg
}
