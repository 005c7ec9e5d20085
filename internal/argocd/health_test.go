package argocd

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

var (
	t0 = metav1.NewTime(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC))
	t1 = metav1.NewTime(t0.Add(time.Minute))
)

// app builds a reconciled, healthy, single-source Application synced to
// revision "abc" by a finished operation; options change it.
func app(name string, opts ...func(*Application)) *Application {
	a := &Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "argocd"},
		Spec:       ApplicationSpec{Source: &ApplicationSource{RepoURL: "https://git.example.com/cfg.git"}},
		Status: ApplicationStatus{
			Sync:   SyncStatus{Status: SyncStatusSynced, Revision: "abc"},
			Health: HealthStatus{Status: HealthStatusHealthy},
			OperationState: &OperationState{
				Phase: OperationSucceeded, StartedAt: t0, FinishedAt: &t0,
				SyncResult: &SyncOperationResult{Revision: "abc"},
			},
			ReconciledAt: &t1,
		},
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func withHealth(h HealthStatusCode) func(*Application) {
	return func(a *Application) { a.Status.Health = HealthStatus{Status: h, Message: "details"} }
}

func want(name string, revs ...string) AppCriteria {
	return AppCriteria{Name: name, Namespace: "argocd", DesiredRevisions: revs}
}

func TestEvaluateHealth(t *testing.T) {
	multi := func(a *Application) {
		a.Spec.Source = nil
		a.Spec.Sources = []ApplicationSource{{RepoURL: "a"}, {RepoURL: "b"}}
		a.Status.Sync.Revisions = []string{"abc", "1.2.3"}
	}
	tests := []struct {
		name        string
		criteria    []AppCriteria
		apps        []*Application
		wantState   railyard.HealthState
		wantIssue   string // substring of the issues, "" for none
		wantRefresh bool
	}{
		{name: "no criteria", wantState: railyard.HealthStateHealthy},
		{name: "healthy at the desired revision", criteria: []AppCriteria{want("a", "abc")}, apps: []*Application{app("a")},
			wantState: railyard.HealthStateHealthy},
		{name: "no desired revision ignores revisions", criteria: []AppCriteria{want("a")}, apps: []*Application{app("a", func(a *Application) { a.Status.Sync.Revision = "zzz" })},
			wantState: railyard.HealthStateHealthy},
		{name: "missing", criteria: []AppCriteria{want("a", "abc")},
			wantState: railyard.HealthStateUnknown, wantIssue: "not found"},
		{name: "not reconciled since operation", criteria: []AppCriteria{want("a", "abc")},
			apps:      []*Application{app("a", func(a *Application) { a.Status.ReconciledAt = &t0; a.Status.OperationState.FinishedAt = &t1 })},
			wantState: railyard.HealthStateUnknown, wantIssue: "not reconciled", wantRefresh: true},
		{name: "never reconciled", criteria: []AppCriteria{want("a")},
			apps:      []*Application{app("a", func(a *Application) { a.Status.ReconciledAt = nil })},
			wantState: railyard.HealthStateUnknown, wantIssue: "not reconciled", wantRefresh: true},
		{name: "comparison error", criteria: []AppCriteria{want("a")},
			apps: []*Application{app("a", func(a *Application) {
				a.Status.Conditions = []ApplicationCondition{{Type: ConditionComparisonError, Message: "repo unreachable"}}
			})},
			wantState: railyard.HealthStateUnhealthy, wantIssue: "repo unreachable"},
		{name: "invalid spec", criteria: []AppCriteria{want("a")},
			apps: []*Application{app("a", func(a *Application) {
				a.Status.Conditions = []ApplicationCondition{{Type: ConditionInvalidSpecError, Message: "bad path"}}
			})},
			wantState: railyard.HealthStateUnhealthy, wantIssue: "InvalidSpecError"},
		{name: "other conditions are ignored", criteria: []AppCriteria{want("a")},
			apps: []*Application{app("a", func(a *Application) {
				a.Status.Conditions = []ApplicationCondition{{Type: "SyncError", Message: "old"}}
			})},
			wantState: railyard.HealthStateHealthy},
		{name: "operation pending", criteria: []AppCriteria{want("a", "abc")},
			apps:      []*Application{app("a", func(a *Application) { a.Operation = &Operation{Sync: &SyncOperation{}} })},
			wantState: railyard.HealthStateUnknown, wantIssue: "being synced"},
		{name: "operation running", criteria: []AppCriteria{want("a", "abc")},
			apps: []*Application{app("a", func(a *Application) {
				a.Status.OperationState.Phase, a.Status.OperationState.FinishedAt = OperationRunning, nil
			})},
			wantState: railyard.HealthStateUnknown, wantIssue: "being synced"},
		{name: "wrong revision", criteria: []AppCriteria{want("a", "def")}, apps: []*Application{app("a")},
			wantState: railyard.HealthStateUnhealthy, wantIssue: `synced to revision "abc", not the promoted "def"`},
		{name: "source count mismatch", criteria: []AppCriteria{want("a", "abc", "1.2.3")}, apps: []*Application{app("a")},
			wantState: railyard.HealthStateUnknown, wantIssue: "has 1 sources"},
		{name: "multi-source with a don't-care revision", criteria: []AppCriteria{want("a", "", "1.2.3")}, apps: []*Application{app("a", multi)},
			wantState: railyard.HealthStateHealthy},
		{name: "multi-source mismatch", criteria: []AppCriteria{want("a", "abc", "1.2.4")}, apps: []*Application{app("a", multi)},
			wantState: railyard.HealthStateUnhealthy, wantIssue: "1.2.4"},
		{name: "progressing", criteria: []AppCriteria{want("a")}, apps: []*Application{app("a", withHealth(HealthStatusProgressing))},
			wantState: railyard.HealthStateProgressing, wantIssue: "Progressing"},
		{name: "suspended counts as progressing", criteria: []AppCriteria{want("a")}, apps: []*Application{app("a", withHealth(HealthStatusSuspended))},
			wantState: railyard.HealthStateProgressing, wantIssue: "Suspended"},
		{name: "health not reported", criteria: []AppCriteria{want("a")}, apps: []*Application{app("a", withHealth(""))},
			wantState: railyard.HealthStateProgressing, wantIssue: "not yet reported"},
		{name: "degraded", criteria: []AppCriteria{want("a")}, apps: []*Application{app("a", withHealth(HealthStatusDegraded))},
			wantState: railyard.HealthStateUnhealthy, wantIssue: "Degraded: details"},
		{name: "missing resources", criteria: []AppCriteria{want("a")}, apps: []*Application{app("a", withHealth(HealthStatusMissing))},
			wantState: railyard.HealthStateUnhealthy, wantIssue: "Missing"},
		{name: "argo unknown", criteria: []AppCriteria{want("a")}, apps: []*Application{app("a", withHealth(HealthStatusUnknown))},
			wantState: railyard.HealthStateUnhealthy, wantIssue: "health is Unknown"},
		{name: "worst wins: progressing over healthy", criteria: []AppCriteria{want("a"), want("b")},
			apps:      []*Application{app("a"), app("b", withHealth(HealthStatusProgressing))},
			wantState: railyard.HealthStateProgressing, wantIssue: "argocd/b"},
		{name: "worst wins: unhealthy over unknown", criteria: []AppCriteria{want("a"), want("b"), want("c")},
			apps:      []*Application{app("a", withHealth(HealthStatusDegraded)), app("b")},
			wantState: railyard.HealthStateUnhealthy, wantIssue: "argocd/c: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps := map[types.NamespacedName]*Application{}
			for _, a := range tt.apps {
				apps[types.NamespacedName{Namespace: a.Namespace, Name: a.Name}] = a
			}
			got := EvaluateHealth(Criteria{Apps: tt.criteria}, apps)
			if got.State != tt.wantState {
				t.Errorf("state = %s, want %s (issues %q)", got.State, tt.wantState, got.Issues)
			}
			issues := strings.Join(got.Issues, "\n")
			if tt.wantIssue == "" && len(got.Issues) > 0 {
				t.Errorf("unexpected issues %q", got.Issues)
			}
			if !strings.Contains(issues, tt.wantIssue) {
				t.Errorf("issues %q do not mention %q", got.Issues, tt.wantIssue)
			}
			if (len(got.NeedsRefresh) > 0) != tt.wantRefresh {
				t.Errorf("NeedsRefresh = %v, want refresh %v", got.NeedsRefresh, tt.wantRefresh)
			}
			if len(got.Output.Apps) != len(tt.criteria) {
				t.Errorf("output has %d apps, want %d", len(got.Output.Apps), len(tt.criteria))
			}
		})
	}
}

func TestEvaluateHealthOutput(t *testing.T) {
	got := EvaluateHealth(Criteria{Apps: []AppCriteria{want("a", "abc"), want("gone")}},
		map[types.NamespacedName]*Application{{Namespace: "argocd", Name: "a"}: app("a")})
	wantOut := HealthOutput{Apps: []AppHealth{
		{Name: "a", Namespace: "argocd", State: railyard.HealthStateHealthy, Health: HealthStatusHealthy, Sync: SyncStatusSynced, Revisions: []string{"abc"}},
		{Name: "gone", Namespace: "argocd", State: railyard.HealthStateUnknown},
	}}
	if !reflect.DeepEqual(got.Output, wantOut) {
		t.Errorf("output = %+v, want %+v", got.Output, wantOut)
	}
}

func TestCriteriaRoundTrip(t *testing.T) {
	c := Criteria{Apps: []AppCriteria{want("a", "abc", "")}}
	hc, err := c.HealthCheck()
	if err != nil {
		t.Fatal(err)
	}
	if hc.Uses != HealthCheckKind {
		t.Errorf("uses = %q", hc.Uses)
	}
	back, err := CriteriaFrom(*hc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip = %+v, want %+v", back, c)
	}
	if _, err := CriteriaFrom(railyard.HealthCheckStep{Uses: "http"}); err == nil {
		t.Error("CriteriaFrom accepted a check of another kind")
	}
}

func TestRevisionsMatch(t *testing.T) {
	tests := []struct {
		desired, actual []string
		want            bool
	}{
		{nil, nil, true},
		{[]string{""}, []string{"x"}, true},
		{[]string{"", ""}, nil, true},
		{[]string{"a"}, []string{"a"}, true},
		{[]string{"a"}, []string{"b"}, false},
		{[]string{"a"}, nil, false},
		{[]string{"a", ""}, []string{"a"}, false},
		{[]string{"", "2"}, []string{"1", "2"}, true},
	}
	for _, tt := range tests {
		if got := RevisionsMatch(tt.desired, tt.actual); got != tt.want {
			t.Errorf("RevisionsMatch(%q, %q) = %v, want %v", tt.desired, tt.actual, got, tt.want)
		}
	}
}
