package stage

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
)

func TestNeedsArgoCD(t *testing.T) {
	withSteps := func(uses ...string) *railyard.Stage {
		st := &railyard.Stage{Spec: railyard.StageSpec{PromotionTemplate: &railyard.PromotionTemplate{}}}
		for _, u := range uses {
			st.Spec.PromotionTemplate.Spec.Steps = append(st.Spec.PromotionTemplate.Spec.Steps, railyard.PromotionStep{Uses: u})
		}
		return st
	}
	withChecks := func(uses string) *railyard.Stage {
		cfg, err := encodeHealthChecks([]railyard.HealthCheckStep{{Uses: uses}})
		if err != nil {
			t.Fatal(err)
		}
		return &railyard.Stage{Status: railyard.StageStatus{Health: &railyard.Health{Config: cfg}}}
	}
	for _, tc := range []struct {
		name  string
		stage *railyard.Stage
		want  bool
	}{
		{"no template", &railyard.Stage{}, false},
		{"git steps only", withSteps("git-clone", "git-push"), false},
		{"argocd-update", withSteps("git-clone", "argocd-update"), true},
		{"argocd-wait", withSteps("argocd-wait"), true},
		{"Argo CD health checks", withChecks("argocd-update"), true},
		{"other health checks", withChecks("http"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := needsArgoCD(tc.stage); got != tc.want {
				t.Errorf("needsArgoCD = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUpdateHealth(t *testing.T) {
	ctx := context.Background()
	checks := func(hcs ...railyard.HealthCheckStep) *railyard.Health {
		cfg, err := encodeHealthChecks(hcs)
		if err != nil {
			t.Fatal(err)
		}
		return &railyard.Health{Status: railyard.HealthStateUnknown, Config: cfg}
	}
	argoCheck := func(app string) railyard.HealthCheckStep {
		raw, err := json.Marshal(argocd.Criteria{Apps: []argocd.AppCriteria{{Name: app, Namespace: "argocd"}}})
		if err != nil {
			t.Fatal(err)
		}
		return railyard.HealthCheckStep{Uses: argocd.HealthCheckKind, Config: &apiextensionsv1.JSON{Raw: raw}}
	}
	application := func(name string, health argocd.HealthStatusCode) *argocd.Application {
		return &argocd.Application{
			ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: name},
			Status: argocd.ApplicationStatus{
				Sync:   argocd.SyncStatus{Status: argocd.SyncStatusSynced, Revision: "abc"},
				Health: argocd.HealthStatus{Status: health, Message: "details"},
			},
		}
	}
	running := railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Name: "p1"}, Status: railyard.PromotionStatus{Phase: railyard.PromotionPhaseRunning}}
	tests := map[string]struct {
		noFreight   bool
		health      *railyard.Health
		current     string
		watched     bool
		wantState   railyard.HealthState // "" for no health at all
		wantIssue   string               // in the issues
		wantRequeue time.Duration
	}{
		"no Freight, no health":       {noFreight: true, health: checks()},
		"no health checks: Healthy":   {health: checks(), wantState: railyard.HealthStateHealthy},
		"no health recorded: Healthy": {wantState: railyard.HealthStateHealthy},
		"promoting: Unknown":          {health: checks(argoCheck("app")), current: "p1", wantState: railyard.HealthStateUnknown, wantIssue: promotionInProgress},
		"undecodable health checks":   {health: &railyard.Health{Config: &apiextensionsv1.JSON{Raw: []byte(`"x"`)}}, wantState: railyard.HealthStateUnknown, wantIssue: "decoding health checks"},
		"a health check of a kind the Stage does not know": {
			health: checks(railyard.HealthCheckStep{Uses: "http"}), wantState: railyard.HealthStateUnknown,
			wantIssue: `unknown health check "http"`, wantRequeue: unhealthyRecheck,
		},
		"a healthy Application": {health: checks(argoCheck("healthy")), wantState: railyard.HealthStateHealthy},
		"a degraded Application": {
			health: checks(argoCheck("degraded")), wantState: railyard.HealthStateUnhealthy,
			wantIssue: "Application argocd/degraded: health is Degraded: details", wantRequeue: unhealthyRecheck,
		},
		"the worst Application wins": {
			health: checks(argoCheck("healthy"), argoCheck("degraded")), wantState: railyard.HealthStateUnhealthy,
			wantIssue: "health is Degraded", wantRequeue: unhealthyRecheck,
		},
		"a missing Application, Applications watched: no recheck": {
			health: checks(argoCheck("gone")), watched: true, wantState: railyard.HealthStateUnknown,
			wantIssue: "Application argocd/gone: not found",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r, _ := fakeReconciler(t, t0, interceptor.Funcs{},
				application("healthy", argocd.HealthStatusHealthy), application("degraded", argocd.HealthStatusDegraded))
			r.WatchApplications = tt.watched
			st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test"}}
			if !tt.noFreight {
				st.Status.FreightHistory = []railyard.FreightCollection{*collectionOf("f1")}
			}
			st.Status.Health = tt.health
			if tt.current != "" {
				st.Status.CurrentPromotion = &railyard.PromotionReference{Name: tt.current}
			}
			sc := &scope{stage: st, now: t0, promotions: []railyard.Promotion{running}}
			must(t, r.updateHealth(ctx, sc))
			h := st.Status.Health
			if tt.wantState == "" {
				if h != nil {
					t.Errorf("health = %+v, want none", h)
				}
				return
			}
			if h == nil || h.Status != tt.wantState {
				t.Fatalf("health = %+v, want %s", h, tt.wantState)
			}
			if issues := strings.Join(h.Issues, "; "); !strings.Contains(issues, tt.wantIssue) || (tt.wantIssue == "") != (issues == "") {
				t.Errorf("issues = %q, want %q", issues, tt.wantIssue)
			}
			if sc.requeue != tt.wantRequeue {
				t.Errorf("requeue = %v, want %v", sc.requeue, tt.wantRequeue)
			}
		})
	}
}

// The health output is computed afresh in every reconcile and compared
// with the copy read back, which kube-apiserver stores with its keys
// sorted: encoded in the order of the Go fields, it never matched, and the
// same status was written again after every change.
func TestHealthOutputIsEncodedAsStored(t *testing.T) {
	ctx := context.Background()
	app := &argocd.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: "app"},
		Status: argocd.ApplicationStatus{
			Sync:   argocd.SyncStatus{Status: argocd.SyncStatusSynced, Revision: "abc"},
			Health: argocd.HealthStatus{Status: argocd.HealthStatusHealthy},
		},
	}
	r, _ := fakeReconciler(t, t0, interceptor.Funcs{}, app)
	raw, err := json.Marshal(argocd.Criteria{Apps: []argocd.AppCriteria{{Name: "app", Namespace: "argocd"}}})
	must(t, err)
	cfg, err := encodeHealthChecks([]railyard.HealthCheckStep{{Uses: argocd.HealthCheckKind, Config: &apiextensionsv1.JSON{Raw: raw}}})
	must(t, err)
	st := &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test"}}
	st.Status.FreightHistory = []railyard.FreightCollection{*collectionOf("f1")}
	st.Status.Health = &railyard.Health{Config: cfg}
	must(t, r.updateHealth(ctx, &scope{stage: st, now: t0}))
	if st.Status.Health.Output == nil {
		t.Fatal("no health output")
	}
	const want = `[{"apps":[{"health":"Healthy","name":"app","namespace":"argocd","revisions":["abc"],"state":"Healthy","sync":"Synced"}]}]`
	if got := string(st.Status.Health.Output.Raw); got != want {
		t.Errorf("health output\n got %s\nwant %s", got, want)
	}
}
