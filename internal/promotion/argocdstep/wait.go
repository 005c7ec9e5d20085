package argocdstep

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// WaitName is what `uses:` refers to for the wait step.
const WaitName = "argocd-wait"

// Wait is the argocd-wait step: it waits, without writing anything but a
// refresh request, until Applications reach the conditions of waitFor
// (default health, sync and operation), returning Running meanwhile. Unlike
// argocd-update it needs no authorized-stage annotation. As in Kargo, with
// health awaited an Application that turns Degraded from a state other than
// Degraded or Unknown fails the step, and ComparisonError or
// InvalidSpecError conditions fail it at once. Output: healthStatus, the
// last health seen per namespace/name.
type Wait struct {
	// Namespace is the default Application namespace; DefaultNamespace if empty.
	Namespace string
	// PollInterval is the RetryAfter while waiting; DefaultPollInterval if zero.
	PollInterval time.Duration
	// Remote, when set, is the cluster Applications live in; nil means the
	// manager's own (the engine's client).
	Remote *argocd.Remote

	// health remembers, per Promotion and step, the health last seen of each
	// Application, which detecting a regression needs. It lives in memory:
	// a restarted manager starts afresh and only misses a regression that
	// happened across the restart.
	health healthMemory
}

var (
	_ promotion.Step     = (*Wait)(nil)
	_ promotion.Defaults = (*Wait)(nil)
)

// Name implements promotion.Step.
func (*Wait) Name() string { return WaitName }

// DefaultTimeout implements promotion.Defaults: Kargo's 5 minutes.
func (*Wait) DefaultTimeout() time.Duration { return DefaultTimeout }

// DefaultErrorThreshold implements promotion.Defaults.
func (*Wait) DefaultErrorThreshold() uint32 { return defaultErrorThreshold }

// Run implements promotion.Step.
func (w *Wait) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	cfg, err := decodeWaitConfig(sc.Config)
	if err != nil {
		return fail(err)
	}
	if sc, err = onArgoCDCluster(w.Remote, sc); err != nil {
		return waitForArgoCD(err, w.pollInterval())
	}
	if sc.Client == nil {
		return fail(promotion.Terminalf("argocd-wait needs a Kubernetes client"))
	}
	memKey := sc.Project + "/" + sc.Promotion + "/" + sc.Alias
	prev := w.health.load(memKey)
	seen := make(map[string]any, len(prev))
	for k, v := range prev {
		seen[k] = v
	}
	finder := Step{Namespace: w.Namespace}
	var waiting []string
	var refs []promotion.ObjectRef
	for _, ac := range cfg.Apps {
		objs, err := finder.find(ctx, sc.Client, finder.namespaceOr(ac.Namespace), AppConfig{Name: ac.Name, Selector: ac.Selector})
		if err != nil {
			return fail(err)
		}
		for _, obj := range objs {
			app := &argocd.Application{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, app); err != nil {
				return fail(fmt.Errorf("reading Argo CD Application %s/%s: %w", obj.GetNamespace(), obj.GetName(), err))
			}
			key := app.Namespace + "/" + app.Name
			v := judgeApp(app, ac.waitFor(), prev[key])
			if app.Status.Health.Status != "" {
				seen[key] = string(app.Status.Health.Status)
			}
			if v.err != nil {
				w.health.forget(memKey)
				res, err := fail(v.err)
				res.Output = map[string]any{healthStatusKey: seen}
				return res, err
			}
			if v.refresh {
				if err := argocd.RequestRefresh(ctx, sc.Client, client.ObjectKeyFromObject(obj)); err != nil {
					return fail(err)
				}
			}
			if v.waiting != "" {
				waiting = append(waiting, fmt.Sprintf("Application %s: %s", key, v.waiting))
				refs = append(refs, appRef(client.ObjectKeyFromObject(obj)))
			}
		}
	}
	if len(waiting) > 0 {
		w.health.store(memKey, seen)
		return promotion.Result{
			Status: railyard.StepStatusRunning, Message: strings.Join(waiting, "; "),
			RetryAfter: w.pollInterval(), WaitingOn: refs, Output: map[string]any{healthStatusKey: seen},
		}, nil
	}
	w.health.forget(memKey)
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{healthStatusKey: seen}}, nil
}

const healthStatusKey = "healthStatus"

func (w *Wait) pollInterval() time.Duration {
	if w.PollInterval > 0 {
		return w.PollInterval
	}
	return DefaultPollInterval
}

// namespaceOr is ns, else the step's default namespace.
func (s Step) namespaceOr(ns string) string {
	if ns != "" {
		return ns
	}
	return s.namespace()
}

// verdict is one Application's state against its waitFor.
type verdict struct {
	waiting string // why it is not ready yet; "" when ready
	refresh bool   // health predates the last operation: ask Argo CD to compare again
	err     error  // terminal: no waiting helps
}

// Argo CD conditions under which health means nothing, as in Kargo.
var waitErrorConditions = []string{argocd.ConditionComparisonError, argocd.ConditionInvalidSpecError}

// judgeApp applies Kargo's rules: error conditions fail; operation waits
// for no operation in flight; health, suspended and degraded are OR'd and
// wait for a health computed after the last operation; sync waits for
// Synced; Healthy-awaited Applications that regress to Degraded fail.
func judgeApp(app *argocd.Application, waitFor []string, prevHealth string) verdict {
	var issues []string
	for _, c := range app.Status.Conditions {
		if slices.Contains(waitErrorConditions, c.Type) {
			issues = append(issues, fmt.Sprintf("%s: %s", c.Type, c.Message))
		}
	}
	if len(issues) > 0 {
		return verdict{err: promotion.Terminalf("Argo CD Application %s/%s has %s", app.Namespace, app.Name, strings.Join(issues, "; "))}
	}
	has := func(w string) bool { return slices.Contains(waitFor, w) }
	if has(waitOperation) && operationInFlight(app) {
		return verdict{waiting: "an operation is in progress"}
	}
	health := app.Status.Health.Status
	if has(waitHealth) || has(waitSuspended) || has(waitDegraded) {
		if op := app.Status.OperationState; op != nil && op.FinishedAt != nil &&
			(app.Status.ReconciledAt == nil || app.Status.ReconciledAt.Before(op.FinishedAt)) {
			return verdict{waiting: "not compared since its last operation; refresh requested", refresh: true}
		}
		if has(waitHealth) && health == argocd.HealthStatusDegraded && prevHealth != "" &&
			prevHealth != string(argocd.HealthStatusDegraded) && prevHealth != string(argocd.HealthStatusUnknown) {
			return verdict{err: promotion.Terminalf("Argo CD Application %s/%s health regressed from %s to %s",
				app.Namespace, app.Name, prevHealth, health)}
		}
		passed := has(waitHealth) && health == argocd.HealthStatusHealthy ||
			has(waitSuspended) && health == argocd.HealthStatusSuspended ||
			has(waitDegraded) && health == argocd.HealthStatusDegraded
		if !passed {
			return verdict{waiting: fmt.Sprintf("health is %s", orUnknown(string(health)))}
		}
	}
	if has(waitSync) && app.Status.Sync.Status != argocd.SyncStatusSynced {
		return verdict{waiting: fmt.Sprintf("sync status is %s", orUnknown(string(app.Status.Sync.Status)))}
	}
	return verdict{}
}

// operationInFlight: requested but not picked up, or picked up and not
// finished.
func operationInFlight(app *argocd.Application) bool {
	if app.Operation != nil {
		return true
	}
	return app.Status.OperationState != nil && app.Status.OperationState.FinishedAt == nil
}

func orUnknown(s string) string {
	if s == "" {
		return "not reported yet"
	}
	return s
}
