package stage

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
)

// cond is what a test expects of one condition; the zero value means the
// condition is absent.
type cond struct {
	status metav1.ConditionStatus
	reason string
	msg    string
}

// stageWith is a Stage of generation 4 in the states the tests combine.
type stageWith struct {
	freight      bool // runs a Freight collection
	health       *railyard.Health
	verification *railyard.VerificationInfo // newest of the current collection
	analysis     bool                       // spec.verification names templates
	current      string                     // status.currentPromotion
	last         *railyard.PromotionReference
	stalled      bool // a Stalled condition left by an earlier reconcile
}

func (w stageWith) build() *railyard.Stage {
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test", Generation: 4}}
	if w.freight {
		c := railyard.FreightCollection{ID: "c1", Freight: map[string]railyard.FreightReference{
			"Warehouse/app": {Name: "f1", Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}},
		}}
		if w.verification != nil {
			c.VerificationHistory = []railyard.VerificationInfo{*w.verification}
		}
		st.Status.FreightHistory = []railyard.FreightCollection{c}
		st.Status.FreightSummary = "f1"
	}
	st.Status.Health = w.health
	if w.analysis {
		st.Spec.Verification = &railyard.Verification{AnalysisTemplates: []railyard.AnalysisTemplateReference{{Name: "smoke"}}}
	}
	if w.current != "" {
		st.Status.CurrentPromotion = &railyard.PromotionReference{Name: w.current}
	}
	st.Status.LastPromotion = w.last
	if w.stalled {
		reconcilehelp.SetCondition(st, railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonAutoPromotionFailed, "old")
	}
	return st
}

func TestSetConditions(t *testing.T) {
	healthy := &railyard.Health{Status: railyard.HealthStateHealthy}
	unhealthy := &railyard.Health{Status: railyard.HealthStateUnhealthy, Issues: []string{"app is Degraded", "app is OutOfSync"}}
	verified := &railyard.VerificationInfo{ID: "v1", Phase: railyard.VerificationPhaseSuccessful}
	running := &railyard.VerificationInfo{ID: "v1", Phase: railyard.VerificationPhaseRunning, Message: "1 of 3 measurements",
		AnalysisRun: &railyard.AnalysisRunReference{Name: "run-1"}}
	failed := &railyard.VerificationInfo{ID: "v1", Phase: railyard.VerificationPhaseFailed, Message: "error rate too high",
		AnalysisRun: &railyard.AnalysisRunReference{Name: "run-1"}}
	pending := func(name string, created int) railyard.Promotion {
		p := railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.AddDate(0, 0, created))}}
		p.Status.Phase = railyard.PromotionPhasePending
		return p
	}
	long := strings.Repeat("x", reconcilehelp.MaxMessageLength+1)

	tests := map[string]struct {
		stage      stageWith
		promotions []railyard.Promotion
		// scope's findings of this reconcile
		argoCDUnreachable, verificationBlocked, autoPromotionError string
		promoting, healthy, verified, stalled, ready               cond
	}{
		"a new Stage": {
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionUnknown, railyard.ReasonNoFreight, "the Stage has no Freight yet"},
			verified:  cond{metav1.ConditionFalse, railyard.ReasonVerificationPending, "waiting for the Stage to be healthy after its promotion"},
			ready:     cond{metav1.ConditionFalse, railyard.ReasonNoFreight, "the Stage has no Freight yet"},
		},
		"promoting": {
			stage:     stageWith{freight: true, current: "p1", health: &railyard.Health{Status: railyard.HealthStateUnknown, Issues: []string{promotionInProgress}}},
			promoting: cond{metav1.ConditionTrue, railyard.ReasonPromotionRunning, "Promotion p1 is running or next"},
			healthy:   cond{metav1.ConditionUnknown, railyard.ReasonHealthUnknown, promotionInProgress},
			verified:  cond{metav1.ConditionFalse, railyard.ReasonVerificationPending, "waiting for the Stage to be healthy after its promotion"},
			ready:     cond{metav1.ConditionFalse, railyard.ReasonProgressing, "promoting: Promotion p1"},
		},
		"healthy and verified": {
			stage:     stageWith{freight: true, health: healthy, verification: verified},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy"},
			verified:  cond{metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified"},
			ready:     cond{metav1.ConditionTrue, railyard.ReasonSucceeded, "Freight f1 is healthy and verified"},
		},
		"unhealthy: Ready repeats why": {
			stage:     stageWith{freight: true, health: unhealthy, verification: verified},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionFalse, railyard.ReasonUnhealthy, "app is Degraded; app is OutOfSync"},
			verified:  cond{metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified"},
			ready:     cond{metav1.ConditionFalse, railyard.ReasonUnhealthy, "app is Degraded; app is OutOfSync"},
		},
		"health progressing": {
			stage:     stageWith{freight: true, health: &railyard.Health{Status: railyard.HealthStateProgressing, Issues: []string{"app is Progressing"}}},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionFalse, railyard.ReasonHealthProgressing, "app is Progressing"},
			verified:  cond{metav1.ConditionFalse, railyard.ReasonVerificationPending, "waiting for the Stage to be healthy after its promotion"},
			ready:     cond{metav1.ConditionFalse, railyard.ReasonHealthProgressing, "app is Progressing"},
		},
		"health not known yet": {
			stage:     stageWith{freight: true},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionUnknown, railyard.ReasonHealthUnknown, "health is not known yet"},
			verified:  cond{metav1.ConditionFalse, railyard.ReasonVerificationPending, "waiting for the Stage to be healthy after its promotion"},
			ready:     cond{metav1.ConditionFalse, railyard.ReasonHealthUnknown, "health is not known yet"},
		},
		"Argo CD unreachable": {
			stage:             stageWith{freight: true, health: healthy, verification: verified},
			argoCDUnreachable: "argocd: cluster does not answer",
			promoting:         cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:           cond{metav1.ConditionUnknown, railyard.ReasonArgoCDUnreachable, "argocd: cluster does not answer"},
			verified:          cond{metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified"},
			ready:             cond{metav1.ConditionFalse, railyard.ReasonArgoCDUnreachable, "argocd: cluster does not answer"},
		},
		"analysis running": {
			stage:     stageWith{freight: true, health: healthy, analysis: true, verification: running},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy"},
			verified:  cond{metav1.ConditionUnknown, railyard.ReasonVerificationRunning, "AnalysisRun run-1 is running: 1 of 3 measurements"},
			ready: cond{metav1.ConditionFalse, railyard.ReasonVerificationRunning,
				"the current Freight is not verified yet: AnalysisRun run-1 is running: 1 of 3 measurements"},
		},
		"a Promotion waits for the running analysis": {
			stage:      stageWith{freight: true, health: healthy, analysis: true, verification: running},
			promotions: []railyard.Promotion{pending("p2", 1)},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonVerificationRunning,
				"Promotion p2 waits until the verification of the current Freight finishes (or is aborted)"},
			healthy:  cond{metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy"},
			verified: cond{metav1.ConditionUnknown, railyard.ReasonVerificationRunning, "AnalysisRun run-1 is running: 1 of 3 measurements"},
			ready: cond{metav1.ConditionFalse, railyard.ReasonVerificationRunning,
				"the current Freight is not verified yet: AnalysisRun run-1 is running: 1 of 3 measurements"},
		},
		"analysis failed": {
			stage:     stageWith{freight: true, health: healthy, analysis: true, verification: failed},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy"},
			verified:  cond{metav1.ConditionFalse, railyard.ReasonVerificationFailed, "AnalysisRun run-1: Failed: error rate too high"},
			ready: cond{metav1.ConditionFalse, railyard.ReasonVerificationFailed,
				"the current Freight is not verified yet: AnalysisRun run-1: Failed: error rate too high"},
		},
		"analysis not started yet": {
			stage:     stageWith{freight: true, health: &railyard.Health{Status: railyard.HealthStateProgressing, Issues: []string{"syncing"}}, analysis: true},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionFalse, railyard.ReasonHealthProgressing, "syncing"},
			verified: cond{metav1.ConditionFalse, railyard.ReasonVerificationPending,
				"waiting for the Stage to be healthy after its promotion to start the analysis"},
			ready: cond{metav1.ConditionFalse, railyard.ReasonHealthProgressing, "syncing"},
		},
		"Argo Rollouts missing": {
			stage:               stageWith{freight: true, health: healthy, analysis: true},
			verificationBlocked: "verification needs Argo Rollouts",
			promoting:           cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:             cond{metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy"},
			verified:            cond{metav1.ConditionFalse, railyard.ReasonRolloutsNotInstalled, "verification needs Argo Rollouts"},
			ready: cond{metav1.ConditionFalse, railyard.ReasonRolloutsNotInstalled,
				"the current Freight is not verified yet: verification needs Argo Rollouts"},
		},
		"auto-promotion failed: Stalled": {
			stage:              stageWith{freight: true, health: healthy, verification: verified},
			autoPromotionError: "auto-promotion of Freight f2 could not create a Promotion: forbidden",
			promoting:          cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:            cond{metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy"},
			verified:           cond{metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified"},
			stalled: cond{metav1.ConditionTrue, railyard.ReasonAutoPromotionFailed,
				"auto-promotion of Freight f2 could not create a Promotion: forbidden"},
			ready: cond{metav1.ConditionTrue, railyard.ReasonSucceeded, "Freight f1 is healthy and verified"},
		},
		"Stalled goes once auto-promotion works": {
			stage:     stageWith{freight: true, health: healthy, verification: verified, stalled: true},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionTrue, railyard.ReasonHealthy, "the Stage is healthy"},
			verified:  cond{metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified"},
			ready:     cond{metav1.ConditionTrue, railyard.ReasonSucceeded, "Freight f1 is healthy and verified"},
		},
		"last Promotion aborted: Ready says how to recover": {
			stage: stageWith{freight: true, health: unhealthy, verification: verified, last: &railyard.PromotionReference{
				Name: "p1", Freight: &railyard.FreightReference{Name: "f2"},
				Status: &railyard.PromotionStatus{Phase: railyard.PromotionPhaseAborted, Message: "aborted: by request"}}},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionFalse, railyard.ReasonUnhealthy, "app is Degraded; app is OutOfSync"},
			verified:  cond{metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified"},
			ready: cond{metav1.ConditionFalse, railyard.ReasonLastPromotionFailed,
				"Promotion p1 Aborted: by request; the Stage is Unhealthy (app is Degraded; app is OutOfSync); to recover, promote Freight f2 again (railyard promote --stage test --freight f2)"},
		},
		"a message over the API's limit is cut, not refused": {
			stage:     stageWith{freight: true, health: &railyard.Health{Status: railyard.HealthStateUnhealthy, Issues: []string{long}}, verification: verified},
			promoting: cond{metav1.ConditionFalse, railyard.ReasonNoPromotion, "no Promotion is running"},
			healthy:   cond{metav1.ConditionFalse, railyard.ReasonUnhealthy, long[:reconcilehelp.MaxMessageLength-3] + "..."},
			verified:  cond{metav1.ConditionTrue, railyard.ReasonVerificationSucceeded, "the current Freight is verified"},
			ready:     cond{metav1.ConditionFalse, railyard.ReasonUnhealthy, long[:reconcilehelp.MaxMessageLength-3] + "..."},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			sc := &scope{stage: tt.stage.build(), promotions: tt.promotions, now: t0,
				argoCDUnreachable: tt.argoCDUnreachable, verificationBlocked: tt.verificationBlocked, autoPromotionError: tt.autoPromotionError}
			setConditions(sc)
			for typ, want := range map[string]cond{
				railyard.ConditionPromoting: tt.promoting, railyard.ConditionHealthy: tt.healthy,
				railyard.ConditionVerified: tt.verified, railyard.ConditionStalled: tt.stalled, railyard.ConditionReady: tt.ready,
			} {
				c := meta.FindStatusCondition(sc.stage.Status.Conditions, typ)
				if want == (cond{}) {
					if c != nil {
						t.Errorf("%s = %s/%s %q, want none", typ, c.Status, c.Reason, c.Message)
					}
					continue
				}
				if c == nil {
					t.Errorf("%s missing, want %s/%s %q", typ, want.status, want.reason, want.msg)
					continue
				}
				if got := (cond{c.Status, c.Reason, c.Message}); got != want {
					t.Errorf("%s = %s/%s %.200q\nwant %s/%s %.200q", typ, got.status, got.reason, got.msg, want.status, want.reason, want.msg)
				}
				if c.ObservedGeneration != 4 {
					t.Errorf("%s observedGeneration = %d, want the Stage's 4", typ, c.ObservedGeneration)
				}
			}
		})
	}
}
