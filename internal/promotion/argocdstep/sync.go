package argocdstep

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
)

// Initiator is the user name our sync operations carry in initiatedBy.
const Initiator = "railyard"

// outcome is where one Application stands.
type outcome struct {
	status  railyard.StepStatus // Running, Succeeded or Failed
	message string
}

// target is one Application to update and the updates for it.
type target struct {
	key     types.NamespacedName
	obj     *unstructured.Unstructured
	updates []SourceUpdate
	plan    sourcePlan
}

// typed decodes the fields we model; unknown fields are ignored.
func typed(u *unstructured.Unstructured) (*argocd.Application, error) {
	app := &argocd.Application{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, app); err != nil {
		return nil, fmt.Errorf("decoding Argo CD Application %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	return app, nil
}

// decide says whether to request a sync, or how far the one this
// Promotion requested has come. The Application annotation and the
// operation info both record the Promotion, so a sync is requested once
// even across restarts, and even after Argo CD replaced our operation state
// with that of a later (for example automated) sync.
func decide(app *argocd.Application, plan sourcePlan, ref string) (request bool, o outcome) {
	state := app.Status.OperationState
	requested := app.Annotations[argocd.InfoPromotion] == ref ||
		app.Operation.RequestedBy() == ref ||
		(state != nil && state.Operation.RequestedBy() == ref)

	if app.Operation != nil {
		if app.Operation.RequestedBy() == ref {
			if state != nil && state.Operation.RequestedBy() == ref && !state.Phase.Completed() {
				return false, running(fmt.Sprintf("sync operation is %s", state.Phase))
			}
			return false, running("waiting for Argo CD to start the sync this promotion requested")
		}
		return false, running(fmt.Sprintf("waiting for an operation initiated by %q to finish", initiator(app.Operation)))
	}
	if !requested {
		return true, running("sync requested")
	}
	if state == nil {
		return false, failed("the sync this promotion requested was removed before Argo CD ran it")
	}
	if !state.Phase.Completed() {
		return false, running(fmt.Sprintf("sync operation is %s", state.Phase))
	}
	whose := "the sync operation"
	if state.Operation.RequestedBy() != ref {
		whose = fmt.Sprintf("a later operation initiated by %q", initiator(&state.Operation))
	}
	if state.Phase != argocd.OperationSucceeded {
		return false, failed(fmt.Sprintf("%s ended %s: %s", whose, state.Phase, state.Message))
	}
	applied := state.SyncResult.Applied(plan.multi)
	if !argocd.RevisionsMatch(plan.desired, applied) {
		return false, failed(fmt.Sprintf("%s synced revision %v, not the desired %v", whose, applied, plan.desired))
	}
	return false, outcome{status: railyard.StepStatusSucceeded, message: "synced"}
}

func running(msg string) outcome { return outcome{status: railyard.StepStatusRunning, message: msg} }
func failed(msg string) outcome  { return outcome{status: railyard.StepStatusFailed, message: msg} }

func initiator(op *argocd.Operation) string {
	if op.InitiatedBy.Automated {
		return "automated sync"
	}
	if op.InitiatedBy.Username == "" {
		return "unknown"
	}
	return op.InitiatedBy.Username
}

// syncPatch is the merge patch that updates the sources, records the
// Promotion and requests the sync in one write. The resourceVersion makes
// it fail with a conflict if the Application changed since we read it, so
// a decision taken on a stale copy is never applied.
func syncPatch(app *argocd.Application, plan sourcePlan, sc promotionInfo) ([]byte, error) {
	op := argocd.Operation{
		Sync:        &argocd.SyncOperation{},
		InitiatedBy: argocd.OperationInitiator{Username: Initiator},
		Info: []argocd.Info{
			{Name: "Reason", Value: fmt.Sprintf("Railyard Promotion %s to Stage %s", sc.promotion, sc.stage)},
			{Name: argocd.InfoPromotion, Value: sc.ref()},
		},
	}
	// Honour the Application's sync policy, as Argo CD does for its own syncs.
	if p := app.Spec.SyncPolicy; p != nil {
		op.Sync.SyncOptions = p.SyncOptions
		op.Retry = p.Retry
	}
	if plan.multi {
		if argocd.AnyRevision(plan.desired) {
			op.Sync.Revisions = make([]string, len(plan.desired))
			for i, d := range plan.desired {
				op.Sync.Revisions[i] = d
				if d == "" {
					op.Sync.Revisions[i] = plan.targets[i]
				}
			}
		}
	} else if len(plan.desired) == 1 {
		op.Sync.Revision = plan.desired[0]
	}
	patch := map[string]any{
		"metadata": map[string]any{
			"resourceVersion": app.ResourceVersion,
			"annotations":     map[string]any{argocd.InfoPromotion: sc.ref()},
		},
		"operation": op,
	}
	if plan.spec != nil {
		patch["spec"] = plan.spec
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		return nil, fmt.Errorf("encoding the patch: %w", err)
	}
	return raw, nil
}

// promotionInfo is what a sync records about the Promotion.
type promotionInfo struct{ project, stage, promotion string }

func (p promotionInfo) ref() string { return argocd.PromotionRef(p.project, p.promotion) }

// syncApp moves one Application forward: request the sync if this
// Promotion has not, else report on it.
func syncApp(ctx context.Context, c client.Client, t *target, info promotionInfo) (outcome, error) {
	app, err := typed(t.obj)
	if err != nil {
		return outcome{}, err
	}
	request, o := decide(app, t.plan, info.ref())
	if !request {
		return o, nil
	}
	raw, err := syncPatch(app, t.plan, info)
	if err != nil {
		return outcome{}, err
	}
	if err := c.Patch(ctx, t.obj, client.RawPatch(types.MergePatchType, raw)); err != nil {
		return outcome{}, fmt.Errorf("requesting a sync of Argo CD Application %s: %w", t.key, err)
	}
	return o, nil
}
