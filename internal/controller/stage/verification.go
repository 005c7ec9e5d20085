package stage

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// verificationUnsupported explains why analysis-based verification does
// not run yet.
const verificationUnsupported = "verification with analysisTemplates (Argo Rollouts) is not supported yet; remove spec.verification to verify on health"

// verify marks the current Freight verified in the Stage once the Stage is
// healthy after its Promotion (without verification config). That is what
// makes the Freight available to downstream Stages.
func (r *Reconciler) verify(ctx context.Context, sc *scope) error {
	st := sc.stage
	if len(st.Status.FreightHistory) == 0 || promoting(sc) {
		return nil
	}
	cur := &st.Status.FreightHistory[0]
	if isVerified(cur) {
		return nil
	}
	if v := st.Spec.Verification; v != nil && len(v.AnalysisTemplates) > 0 {
		return nil
	}
	if st.Status.Health == nil || st.Status.Health.Status != railyard.HealthStateHealthy {
		return nil
	}
	now := metav1.NewTime(sc.now)
	for _, ref := range cur.Freight {
		if err := r.patchFreight(ctx, st.Namespace, ref.Name, func(f *railyard.Freight) {
			MarkVerified(f, st.Name, now)
		}); err != nil {
			return err
		}
	}
	info := railyard.VerificationInfo{
		ID:         cur.ID + "-" + fmt.Sprint(now.Unix()),
		StartTime:  &now,
		FinishTime: &now,
		Phase:      railyard.VerificationPhaseSuccessful,
		Message:    "the Stage is healthy after its promotion",
	}
	cur.VerificationHistory = append([]railyard.VerificationInfo{info}, cur.VerificationHistory...)
	if len(cur.VerificationHistory) > 10 {
		cur.VerificationHistory = cur.VerificationHistory[:10]
	}
	r.event(st, "Normal", "FreightVerified", "the Freight of collection "+cur.ID+" is verified in Stage "+st.Name)
	return nil
}

// MarkVerified records that f was verified in stage, keeping its soak.
func MarkVerified(f *railyard.Freight, stage string, at metav1.Time) {
	if f.Status.VerifiedIn == nil {
		f.Status.VerifiedIn = map[string]railyard.VerifiedStage{}
	}
	v := f.Status.VerifiedIn[stage]
	v.VerifiedAt = &at
	f.Status.VerifiedIn[stage] = v
}

func isVerified(c *railyard.FreightCollection) bool {
	return len(c.VerificationHistory) > 0 && c.VerificationHistory[0].Phase == railyard.VerificationPhaseSuccessful
}
