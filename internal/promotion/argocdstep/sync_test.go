package argocdstep

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
)

func TestDecide(t *testing.T) {
	const ref = "demo/p1"
	ours := argocd.Operation{Info: []argocd.Info{{Name: argocd.InfoPromotion, Value: ref}}}
	theirs := argocd.Operation{InitiatedBy: argocd.OperationInitiator{Automated: true}}
	finished := func(op argocd.Operation, phase argocd.OperationPhase, rev string) *argocd.OperationState {
		return &argocd.OperationState{Operation: op, Phase: phase, Message: "argo says", FinishedAt: &metav1.Time{},
			SyncResult: &argocd.SyncOperationResult{Revision: rev}}
	}
	recorded := map[string]string{argocd.InfoPromotion: ref}
	plan := sourcePlan{desired: []string{"abc"}}
	tests := []struct {
		name        string
		annotations map[string]string
		op          *argocd.Operation
		state       *argocd.OperationState
		plan        sourcePlan
		wantRequest bool
		want        railyard.StepStatus
		wantMsg     string
	}{
		{name: "fresh application", plan: plan, wantRequest: true, want: railyard.StepStatusRunning},
		{name: "after someone else's finished sync", state: finished(theirs, argocd.OperationSucceeded, "old"), plan: plan,
			wantRequest: true, want: railyard.StepStatusRunning},
		{name: "another operation pending", op: &theirs, plan: plan, want: railyard.StepStatusRunning, wantMsg: "automated sync"},
		{name: "ours pending", annotations: recorded, op: &ours, plan: plan, want: railyard.StepStatusRunning, wantMsg: "start the sync"},
		{name: "ours running", annotations: recorded, op: &ours, state: &argocd.OperationState{Operation: ours, Phase: argocd.OperationRunning},
			plan: plan, want: railyard.StepStatusRunning, wantMsg: "is Running"},
		{name: "ours terminating", annotations: recorded, state: &argocd.OperationState{Operation: ours, Phase: argocd.OperationTerminating},
			plan: plan, want: railyard.StepStatusRunning, wantMsg: "Terminating"},
		{name: "ours succeeded", annotations: recorded, state: finished(ours, argocd.OperationSucceeded, "abc"), plan: plan,
			want: railyard.StepStatusSucceeded},
		{name: "annotation removed, state still ours", state: finished(ours, argocd.OperationSucceeded, "abc"), plan: plan,
			want: railyard.StepStatusSucceeded},
		{name: "ours succeeded, any revision", annotations: recorded, state: finished(ours, argocd.OperationSucceeded, "zzz"),
			plan: sourcePlan{desired: []string{""}}, want: railyard.StepStatusSucceeded},
		{name: "ours synced the wrong revision", annotations: recorded, state: finished(ours, argocd.OperationSucceeded, "zzz"), plan: plan,
			want: railyard.StepStatusFailed, wantMsg: "not the desired"},
		{name: "ours failed", annotations: recorded, state: finished(ours, argocd.OperationFailed, ""), plan: plan,
			want: railyard.StepStatusFailed, wantMsg: "ended Failed: argo says"},
		{name: "superseded by a later failed sync", annotations: recorded, state: finished(theirs, argocd.OperationError, ""), plan: plan,
			want: railyard.StepStatusFailed, wantMsg: "a later operation"},
		{name: "ours removed before it ran", annotations: recorded, plan: plan,
			want: railyard.StepStatusFailed, wantMsg: "removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &argocd.Application{ObjectMeta: metav1.ObjectMeta{Annotations: tt.annotations}, Operation: tt.op}
			app.Status.OperationState = tt.state
			request, o := decide(app, tt.plan, ref)
			if request != tt.wantRequest || o.status != tt.want || !strings.Contains(o.message, tt.wantMsg) {
				t.Errorf("decide = %v, %+v; want %v, %s mentioning %q", request, o, tt.wantRequest, tt.want, tt.wantMsg)
			}
		})
	}
}
