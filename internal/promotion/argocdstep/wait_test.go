package argocdstep_test

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
)

// waitRun runs argocd-wait with step w (one value per Promotion, as the
// registry keeps it) for Promotion promo.
func waitRun(t *testing.T, w *argocdstep.Wait, promo string, config map[string]any) (promotion.Result, error) {
	t.Helper()
	sc := &promotion.StepContext{
		Project: "demo", Stage: "test", Promotion: promo, Alias: "wait",
		Config: config, Client: k8s, WorkDir: t.TempDir(),
	}
	return w.Run(context.Background(), sc)
}

// setAppStatus replaces an Application's status, as Argo CD's controller
// would; operation, when not nil, is set as a requested operation.
func setAppStatus(t *testing.T, key types.NamespacedName, status map[string]any, operation map[string]any) {
	t.Helper()
	u := fetchApp(t, key)
	u.Object["status"] = status
	if operation != nil {
		u.Object["operation"] = operation
	} else {
		delete(u.Object, "operation")
	}
	if err := k8s.Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

func healthy(health, sync string) map[string]any {
	return map[string]any{
		"health": map[string]any{"status": health}, "sync": map[string]any{"status": sync},
		"reconciledAt": now(5),
	}
}

func byName(name string, waitFor ...string) map[string]any {
	app := map[string]any{"name": name}
	if len(waitFor) > 0 {
		app["waitFor"] = toAny(waitFor)
	}
	return map[string]any{"apps": []any{app}}
}

func wantRunning(t *testing.T, res promotion.Result, err error, msg string) {
	t.Helper()
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if !strings.Contains(res.Message, msg) {
		t.Errorf("message %q does not mention %q", res.Message, msg)
	}
	if res.RetryAfter != argocdstep.DefaultPollInterval {
		t.Errorf("RetryAfter %s", res.RetryAfter)
	}
}

func wantFailed(t *testing.T, res promotion.Result, err error, msg ...string) {
	t.Helper()
	if err == nil || !promotion.IsTerminal(err) || res.Status != railyard.StepStatusFailed {
		t.Fatalf("want a terminal failure, got status %s, error %v", res.Status, err)
	}
	for _, m := range msg {
		if !strings.Contains(res.Message, m) {
			t.Errorf("message %q does not mention %q", res.Message, m)
		}
	}
}

func TestWaitUntilHealthyAndSynced(t *testing.T) {
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "wait-basic"}
	createApp(t, key, nil, nil, appSpec) // no authorized-stage annotation needed
	w := &argocdstep.Wait{}
	cfg := byName(key.Name)

	res, err := waitRun(t, w, "p-basic", cfg)
	wantRunning(t, res, err, "health is not reported yet")

	setAppStatus(t, key, healthy("Progressing", "Synced"), nil)
	res, err = waitRun(t, w, "p-basic", cfg)
	wantRunning(t, res, err, "Application argocd/wait-basic: health is Progressing")

	setAppStatus(t, key, healthy("Healthy", "OutOfSync"), nil)
	res, err = waitRun(t, w, "p-basic", cfg)
	wantRunning(t, res, err, "sync status is OutOfSync")

	setAppStatus(t, key, healthy("Healthy", "Synced"), map[string]any{"sync": map[string]any{"revision": "abc"}})
	res, err = waitRun(t, w, "p-basic", cfg)
	wantRunning(t, res, err, "an operation is in progress")

	setAppStatus(t, key, healthy("Healthy", "Synced"), nil)
	res, err = waitRun(t, w, "p-basic", cfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	got, _ := res.Output["healthStatus"].(map[string]any)
	if got["argocd/wait-basic"] != "Healthy" {
		t.Errorf("healthStatus output %v", res.Output)
	}
	if fetchApp(t, key).GetAnnotations()[argocd.AnnotationRefresh] != "" {
		t.Error("a ready Application was asked to refresh")
	}
}

// TestWaitHealthAfterOperation: health computed before the last operation
// finished is not trusted; the step asks Argo CD to refresh.
func TestWaitHealthAfterOperation(t *testing.T) {
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "wait-stale"}
	createApp(t, key, nil, nil, appSpec)
	status := healthy("Healthy", "Synced")
	status["reconciledAt"] = now(1)
	status["operationState"] = map[string]any{
		"operation": map[string]any{"sync": map[string]any{"revision": "abc"}},
		"phase":     "Succeeded", "startedAt": now(0), "finishedAt": now(2),
	}
	setAppStatus(t, key, status, nil)
	w := &argocdstep.Wait{}
	res, err := waitRun(t, w, "p-stale", byName(key.Name))
	wantRunning(t, res, err, "refresh requested")
	if fetchApp(t, key).GetAnnotations()[argocd.AnnotationRefresh] != "normal" {
		t.Error("no refresh requested")
	}

	// Sync alone does not depend on health: no refresh is needed.
	res, err = waitRun(t, w, "p-stale-sync", byName(key.Name, "sync"))
	mustStatus(t, res, err, railyard.StepStatusSucceeded)

	status["reconciledAt"] = now(3)
	setAppStatus(t, key, status, nil)
	res, err = waitRun(t, w, "p-stale", byName(key.Name))
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
}

func TestWaitDegradation(t *testing.T) {
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "wait-degrade"}
	createApp(t, key, nil, nil, appSpec)
	w := &argocdstep.Wait{}
	cfg := byName(key.Name)

	// Degraded from the start is waited on: it may recover.
	setAppStatus(t, key, healthy("Degraded", "Synced"), nil)
	res, err := waitRun(t, w, "p-degrade", cfg)
	wantRunning(t, res, err, "health is Degraded")

	setAppStatus(t, key, healthy("Progressing", "Synced"), nil)
	res, err = waitRun(t, w, "p-degrade", cfg)
	wantRunning(t, res, err, "health is Progressing")

	// Another Promotion has seen nothing yet: no regression for it.
	setAppStatus(t, key, healthy("Degraded", "Synced"), nil)
	res, err = waitRun(t, w, "p-other", cfg)
	wantRunning(t, res, err, "health is Degraded")

	res, err = waitRun(t, w, "p-degrade", cfg)
	wantFailed(t, res, err, "Argo CD Application argocd/wait-degrade health regressed from Progressing to Degraded")
	got, _ := res.Output["healthStatus"].(map[string]any)
	if got["argocd/wait-degrade"] != "Degraded" {
		t.Errorf("healthStatus output %v", res.Output)
	}

	// degraded and suspended are conditions one may wait for.
	res, err = waitRun(t, w, "p-want-degraded", byName(key.Name, "degraded", "sync"))
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	res, err = waitRun(t, w, "p-want-suspended", byName(key.Name, "suspended", "health"))
	wantRunning(t, res, err, "health is Degraded")
	setAppStatus(t, key, healthy("Suspended", "OutOfSync"), nil)
	res, err = waitRun(t, w, "p-want-suspended", byName(key.Name, "suspended", "health"))
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
}

func TestWaitErrorConditions(t *testing.T) {
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "wait-broken"}
	createApp(t, key, nil, nil, appSpec)
	status := healthy("Healthy", "Synced")
	status["conditions"] = []any{map[string]any{"type": "ComparisonError", "message": "repository not accessible"}}
	setAppStatus(t, key, status, nil)
	res, err := waitRun(t, &argocdstep.Wait{}, "p-broken", byName(key.Name))
	wantFailed(t, res, err, "argocd/wait-broken", "ComparisonError: repository not accessible")
}

func TestWaitSelector(t *testing.T) {
	labels := map[string]string{"team": "wait-sel"}
	a := types.NamespacedName{Namespace: "apps", Name: "wait-sel-a"}
	b := types.NamespacedName{Namespace: "apps", Name: "wait-sel-b"}
	createApp(t, a, nil, labels, appSpec)
	createApp(t, b, nil, labels, appSpec)
	setAppStatus(t, a, healthy("Healthy", "Synced"), nil)
	setAppStatus(t, b, healthy("Progressing", "Synced"), nil)
	cfg := map[string]any{"apps": []any{map[string]any{
		"namespace": "apps",
		"selector":  map[string]any{"matchExpressions": []any{map[string]any{"key": "team", "operator": "In", "values": []any{"wait-sel"}}}},
	}}}
	w := &argocdstep.Wait{}
	res, err := waitRun(t, w, "p-sel", cfg)
	wantRunning(t, res, err, "Application apps/wait-sel-b: health is Progressing")
	if strings.Contains(res.Message, "wait-sel-a") {
		t.Errorf("message names the ready Application: %q", res.Message)
	}
	setAppStatus(t, b, healthy("Healthy", "Synced"), nil)
	res, err = waitRun(t, w, "p-sel", cfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
}

func TestWaitBadInput(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		msg  []string
	}{
		{"no apps", map[string]any{"apps": []any{}}, []string{"at least one Application"}},
		{"name and selector", map[string]any{"apps": []any{map[string]any{"name": "x", "selector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}}}, []string{"apps[0].name, selector: exactly one"}},
		{"empty selector", map[string]any{"apps": []any{map[string]any{"selector": map[string]any{}}}}, []string{"apps[0].selector"}},
		{"bad waitFor", map[string]any{"apps": []any{map[string]any{"name": "x", "waitFor": []any{"health", "ready"}}}}, []string{`apps[0].waitFor[1]: "ready"`}},
		{"unknown field", map[string]any{"apps": []any{map[string]any{"name": "x", "sources": []any{}}}}, []string{`unknown field "sources"`}},
		{"missing Application", byName("wait-nowhere"), []string{"argocd/wait-nowhere not found"}},
		{"selector matching nothing", map[string]any{"apps": []any{map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"team": "nobody"}}}}}, []string{"no Argo CD Application in namespace argocd matches"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := waitRun(t, &argocdstep.Wait{}, "p-bad", tc.cfg)
			wantFailed(t, res, err, tc.msg...)
		})
	}
	sc := &promotion.StepContext{Project: "demo", Promotion: "p", Alias: "wait", Config: byName("x")}
	res, err := (&argocdstep.Wait{}).Run(context.Background(), sc)
	wantFailed(t, res, err, "needs a Kubernetes client")
}
