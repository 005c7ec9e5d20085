package argocd

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// HealthCheckKind is the `uses` of the health checks argocd-update leaves.
const HealthCheckKind = "argocd-update"

// Criteria is the config of an argocd-update health check: the Applications
// a promotion updated and the revisions it wanted them on.
type Criteria struct {
	Apps []AppCriteria `json:"apps"`
}

// AppCriteria names one Application and its desired revisions, one per
// source in order; "" means any revision will do.
type AppCriteria struct {
	Name             string   `json:"name"`
	Namespace        string   `json:"namespace"`
	DesiredRevisions []string `json:"desiredRevisions,omitempty"`
}

// Key is the Application's namespaced name.
func (c AppCriteria) Key() types.NamespacedName {
	return types.NamespacedName{Namespace: c.Namespace, Name: c.Name}
}

// HealthResult is the outcome of evaluating Criteria.
type HealthResult struct {
	// State is the worst state of all Applications; Healthy when none.
	State railyard.HealthState
	// Issues explain every state other than Healthy.
	Issues []string
	// Output is what the Stage publishes in status.health.output.
	Output HealthOutput
	// NeedsRefresh lists Applications Argo CD has not compared since their
	// last operation; ask for a refresh (RequestRefresh) so that their health
	// becomes trustworthy.
	NeedsRefresh []types.NamespacedName
}

// HealthOutput is the sanitized state of each Application.
type HealthOutput struct {
	Apps []AppHealth `json:"apps"`
}

// AppHealth is one Application as the Stage reports it.
type AppHealth struct {
	Name      string               `json:"name"`
	Namespace string               `json:"namespace"`
	State     railyard.HealthState `json:"state"`
	Health    HealthStatusCode     `json:"health,omitempty"`
	Sync      SyncStatusCode       `json:"sync,omitempty"`
	Revisions []string             `json:"revisions,omitempty"`
}

// healthRank orders states from best to worst; the worst wins.
var healthRank = map[railyard.HealthState]int{
	railyard.HealthStateHealthy:     0,
	railyard.HealthStateProgressing: 1,
	railyard.HealthStateUnknown:     2,
	railyard.HealthStateUnhealthy:   3,
}

// Worse returns the worse of two states.
func Worse(a, b railyard.HealthState) railyard.HealthState {
	if healthRank[b] > healthRank[a] {
		return b
	}
	return a
}

// EvaluateHealth is the health of the Applications in c, given the
// Applications that exist (a missing key means the Application was not
// found). It is pure: fetching is the caller's business (see CheckHealth).
func EvaluateHealth(c Criteria, apps map[types.NamespacedName]*Application) HealthResult {
	res := HealthResult{State: railyard.HealthStateHealthy, Output: HealthOutput{Apps: []AppHealth{}}}
	for _, want := range c.Apps {
		app := apps[want.Key()]
		state, issue, refresh := evaluateApp(app, want)
		res.State = Worse(res.State, state)
		if issue != "" {
			res.Issues = append(res.Issues, fmt.Sprintf("Application %s: %s", want.Key(), issue))
		}
		if refresh {
			res.NeedsRefresh = append(res.NeedsRefresh, want.Key())
		}
		out := AppHealth{Name: want.Name, Namespace: want.Namespace, State: state}
		if app != nil {
			out.Health = app.Status.Health.Status
			out.Sync = app.Status.Sync.Status
			out.Revisions = app.SyncedRevisions()
		}
		res.Output.Apps = append(res.Output.Apps, out)
	}
	return res
}

// evaluateApp follows Kargo's Argo CD health checker: trust nothing Argo CD
// has not reconciled since the last operation, then spec errors, then
// revisions, then Argo CD's own health.
func evaluateApp(app *Application, want AppCriteria) (state railyard.HealthState, issue string, refresh bool) {
	if app == nil {
		return railyard.HealthStateUnknown, "not found", false
	}
	st := app.Status
	if op := st.OperationState; op != nil && op.FinishedAt != nil &&
		(st.ReconciledAt == nil || op.FinishedAt.After(st.ReconciledAt.Time)) {
		return railyard.HealthStateUnknown, "not reconciled since its most recent operation; health not yet trustworthy", true
	}
	for _, cond := range st.Conditions {
		if cond.Type == ConditionComparisonError || cond.Type == ConditionInvalidSpecError {
			return railyard.HealthStateUnhealthy, fmt.Sprintf("%s: %s", cond.Type, cond.Message), false
		}
	}
	if AnyRevision(want.DesiredRevisions) {
		if app.Operation != nil || (st.OperationState != nil && st.OperationState.FinishedAt == nil) {
			return railyard.HealthStateUnknown, "being synced", false
		}
		if n := len(app.SourceList()); n != len(want.DesiredRevisions) {
			return railyard.HealthStateUnknown, fmt.Sprintf("has %d sources, but %d desired revisions were recorded", n, len(want.DesiredRevisions)), false
		}
		if synced := app.SyncedRevisions(); !RevisionsMatch(want.DesiredRevisions, synced) {
			return railyard.HealthStateUnhealthy, fmt.Sprintf("synced to revision %s, not the promoted %s",
				revisionList(synced), revisionList(want.DesiredRevisions)), false
		}
	}
	switch h := st.Health.Status; h {
	case HealthStatusHealthy:
		return railyard.HealthStateHealthy, "", false
	case HealthStatusProgressing, HealthStatusSuspended, "":
		return railyard.HealthStateProgressing, fmt.Sprintf("health is %s", orUnknown(string(h))), false
	default:
		msg := fmt.Sprintf("health is %s", h)
		if st.Health.Message != "" {
			msg += ": " + st.Health.Message
		}
		return railyard.HealthStateUnhealthy, msg, false
	}
}

func revisionList(revs []string) string {
	if len(revs) == 0 {
		return `""`
	}
	quoted := make([]string, len(revs))
	for i, r := range revs {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	return strings.Join(quoted, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "not yet reported"
	}
	return s
}
