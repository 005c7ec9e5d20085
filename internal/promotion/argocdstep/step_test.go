package argocdstep_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
)

func nameConfig(name string, sources ...any) map[string]any {
	app := map[string]any{"name": name}
	if len(sources) > 0 {
		app["sources"] = sources
	}
	return map[string]any{"apps": []any{app}}
}

func TestUnauthorizedApplicationsAreRefused(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
	}{
		{"no annotation", nil},
		{"another stage", authorized("demo:prod")},
		{"another project", authorized("other:test")},
		{"wildcard", authorized("demo:*")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "unauthorized-" + string(rune('a'+i))}
			createApp(t, key, tt.annotations, nil, appSpec)
			before := fetchApp(t, key).GetResourceVersion()

			res, err := runStep(t, "test.01.abc", nameConfig(key.Name))
			if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) {
				t.Fatalf("status %s, error %v; want a terminal failure", res.Status, err)
			}
			for _, want := range []string{railyard.AnnotationAuthorizedStage, `"demo:test"`, key.String()} {
				if !strings.Contains(res.Message, want) {
					t.Errorf("message %q does not mention %s", res.Message, want)
				}
			}
			if after := fetchApp(t, key).GetResourceVersion(); after != before {
				t.Error("an unauthorized Application was written")
			}
		})
	}
}

func TestSyncRequestedOnceAndAwaited(t *testing.T) {
	ctx := context.Background()
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "lifecycle"}
	// The Kargo annotation authorizes as well as ours.
	createApp(t, key, map[string]string{railyard.AnnotationKargoAuthorizedStage: "demo:prod,demo:test"}, nil, appSpec)
	config := nameConfig(key.Name, map[string]any{
		"repoURL": "https://git.example.com/cfg", "desiredRevision": "abc123", "updateTargetRevision": true,
		"kustomize": map[string]any{"images": []any{map[string]any{"repoURL": "ghcr.io/example/app", "tag": "v1.2.3"}}},
	})
	const promo = "test.01j0000000000000000000000.abc1234"

	res, err := runStep(t, promo, config)
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if res.RetryAfter <= 0 {
		t.Error("Running without RetryAfter")
	}

	app := typedApp(t, key)
	op := app.Operation
	if op == nil || op.Sync == nil {
		t.Fatal("no sync operation was requested")
	}
	if got := op.RequestedBy(); got != "demo/"+promo {
		t.Errorf("operation records promotion %q", got)
	}
	if op.Sync.Revision != "abc123" || op.InitiatedBy.Username != argocdstep.Initiator {
		t.Errorf("operation = %+v", op)
	}
	if !reflect.DeepEqual(op.Sync.SyncOptions, []string{"CreateNamespace=true"}) || op.Retry == nil || op.Retry.Limit != 2 {
		t.Errorf("the sync policy was not copied: %+v", op)
	}
	if app.Annotations[railyard.AnnotationPromotion] != "demo/"+promo {
		t.Errorf("annotations = %v", app.Annotations)
	}
	if src := app.Spec.Source; src.TargetRevision != "abc123" || !reflect.DeepEqual(src.Kustomize.Images, []string{"ghcr.io/example/app:v1.2.3"}) {
		t.Errorf("source = %+v", src)
	}
	assertUnmodelledFieldsKept(t, key)

	// Running again, even from a fresh Step (a restarted manager), only waits.
	written := fetchApp(t, key).GetResourceVersion()
	res, err = runStep(t, promo, config)
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if after := fetchApp(t, key).GetResourceVersion(); after != written {
		t.Error("running the step again wrote the Application (a second sync request)")
	}
	argoStarts(t, key)
	res, err = runStep(t, promo, config)
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if !strings.Contains(res.Message, "Running") {
		t.Errorf("message %q does not say the operation is running", res.Message)
	}

	argoFinishes(t, key, "Succeeded", "successfully synced", []string{"abc123"}, "Healthy")
	written = fetchApp(t, key).GetResourceVersion()
	res, err = runStep(t, promo, config)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if after := fetchApp(t, key).GetResourceVersion(); after != written {
		t.Error("the step wrote the Application after its sync had finished")
	}
	if apps, _ := res.Output["apps"].([]any); len(apps) != 1 {
		t.Errorf("output = %v", res.Output)
	}
	criteria := checkCriteria(t, res, argocd.Criteria{Apps: []argocd.AppCriteria{{Name: key.Name, Namespace: key.Namespace, DesiredRevisions: []string{"abc123"}}}})

	health, err := argocd.CheckHealth(ctx, k8s, criteria)
	if err != nil {
		t.Fatal(err)
	}
	if health.State != railyard.HealthStateHealthy {
		t.Errorf("health = %s %q", health.State, health.Issues)
	}

	// Argo CD's automated sync replaces our operation state with its own;
	// the step must still not request another sync.
	u := fetchApp(t, key)
	_ = unstructured.SetNestedField(u.Object, map[string]any{"automated": true}, "status", "operationState", "operation", "initiatedBy")
	_ = unstructured.SetNestedSlice(u.Object, nil, "status", "operationState", "operation", "info")
	if err := k8s.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	res, err = runStep(t, promo, config)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if typedApp(t, key).Operation != nil {
		t.Error("a second sync was requested")
	}
}

func TestOperationOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		phase     string
		message   string
		revision  string
		want      railyard.StepStatus
		wantInMsg string
	}{
		{"succeeded", "Succeeded", "ok", "abc123", railyard.StepStatusSucceeded, ""},
		{"failed", "Failed", "one or more objects failed to apply", "abc123", railyard.StepStatusFailed, "ended Failed: one or more objects failed to apply"},
		{"error", "Error", "repository not accessible", "abc123", railyard.StepStatusFailed, "ended Error: repository not accessible"},
		{"other revision", "Succeeded", "ok", "fff000", railyard.StepStatusFailed, "not the desired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "outcome-" + strings.ReplaceAll(tt.name, " ", "-")}
			createApp(t, key, authorized("demo:test"), nil, appSpec)
			config := nameConfig(key.Name, map[string]any{"repoURL": "https://git.example.com/cfg.git", "desiredRevision": "abc123"})
			res, err := runStep(t, "p1", config)
			mustStatus(t, res, err, railyard.StepStatusRunning)
			argoStarts(t, key)
			argoFinishes(t, key, tt.phase, tt.message, []string{tt.revision}, "Healthy")

			res, err = runStep(t, "p1", config)
			if res.Status != tt.want {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Message, tt.want)
			}
			if tt.want == railyard.StepStatusFailed {
				if !promotion.IsTerminal(err) || !strings.Contains(res.Message, tt.wantInMsg) {
					t.Errorf("error %v, message %q; want a terminal failure mentioning %q", err, res.Message, tt.wantInMsg)
				}
				if res.HealthCheck != nil {
					t.Error("a failed step left health criteria")
				}
			} else if err != nil || res.HealthCheck == nil {
				t.Errorf("error %v, health check %v", err, res.HealthCheck)
			}
			// desiredRevision without updateTargetRevision syncs the revision
			// but leaves the tracked branch alone.
			if got := typedApp(t, key).Spec.Source.TargetRevision; got != "kargo/app/test" {
				t.Errorf("targetRevision = %q", got)
			}
		})
	}
}

func TestWaitsForAnotherOperation(t *testing.T) {
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "busy"}
	createApp(t, key, authorized("demo:test"), nil, appSpec)
	u := fetchApp(t, key)
	u.Object["operation"] = map[string]any{"sync": map[string]any{"revision": "old"}, "initiatedBy": map[string]any{"username": "alice"}}
	if err := k8s.Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	res, err := runStep(t, "p1", nameConfig(key.Name))
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if !strings.Contains(res.Message, `"alice"`) {
		t.Errorf("message %q does not say whose operation it waits for", res.Message)
	}
	if op := typedApp(t, key).Operation; op.RequestedBy() != "" || op.Sync.Revision != "old" {
		t.Errorf("alice's operation was replaced: %+v", op)
	}
	// Once alice's operation is done, ours is requested.
	argoFinishes(t, key, "Succeeded", "ok", []string{"old"}, "Healthy")
	res, err = runStep(t, "p1", nameConfig(key.Name))
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if typedApp(t, key).Operation.RequestedBy() != "demo/p1" {
		t.Error("no sync requested after the other operation finished")
	}
}

func TestSelectorMatchesSeveralApplications(t *testing.T) {
	const multiSpec = `
project: default
destination: {server: https://kubernetes.default.svc, namespace: demo}
sources:
- repoURL: https://charts.example.com
  chart: app
  targetRevision: 1.0.0
  helm: {valueFiles: [$values/values.yaml], parameters: [{name: image.tag, value: old, forceString: true}]}
- repoURL: https://git.example.com/cfg.git
  targetRevision: main
  ref: values
`
	labels := map[string]string{"team": "web"}
	keys := []types.NamespacedName{{Namespace: "apps", Name: "web-1"}, {Namespace: "apps", Name: "web-2"}}
	for _, k := range keys {
		createApp(t, k, authorized("demo:test"), labels, multiSpec)
	}
	other := types.NamespacedName{Namespace: "apps", Name: "db"}
	createApp(t, other, authorized("demo:test"), map[string]string{"team": "db"}, multiSpec)

	config := map[string]any{"apps": []any{map[string]any{
		"namespace": "apps",
		"selector":  map[string]any{"matchLabels": map[string]any{"team": "web"}},
		"sources": []any{map[string]any{
			"repoURL": "https://charts.example.com", "chart": "app", "desiredRevision": "1.1.0", "updateTargetRevision": true,
			"helm": map[string]any{"images": []any{map[string]any{"key": "image.tag", "value": "v2"}}},
		}},
	}}}
	res, err := runStep(t, "p1", config)
	mustStatus(t, res, err, railyard.StepStatusRunning)
	for _, k := range keys {
		app := typedApp(t, k)
		if app.Operation == nil || !reflect.DeepEqual(app.Operation.Sync.Revisions, []string{"1.1.0", "main"}) {
			t.Fatalf("%s: operation %+v", k, app.Operation)
		}
		src := app.Spec.Sources[0]
		if src.TargetRevision != "1.1.0" || !reflect.DeepEqual(src.Helm.Parameters, []argocd.HelmParameter{{Name: "image.tag", Value: "v2", ForceString: true}}) {
			t.Errorf("%s: source %+v", k, src)
		}
		// spec.sources is replaced whole by a merge patch: fields we do not
		// model must have been carried along.
		u := fetchApp(t, k)
		sources, _, _ := unstructured.NestedSlice(u.Object, "spec", "sources")
		if vf, _, _ := unstructured.NestedStringSlice(sources[0].(map[string]any), "helm", "valueFiles"); len(vf) != 1 {
			t.Errorf("%s: helm.valueFiles lost: %v", k, sources[0])
		}
		if ref, _, _ := unstructured.NestedString(sources[1].(map[string]any), "ref"); ref != "values" {
			t.Errorf("%s: ref lost: %v", k, sources[1])
		}
	}
	if typedApp(t, other).Operation != nil {
		t.Error("an Application the selector does not match was synced")
	}

	// Argo CD finishes one; the step waits for the other.
	argoFinishes(t, keys[0], "Succeeded", "ok", []string{"1.1.0", "deadbeef"}, "Healthy")
	res, err = runStep(t, "p1", config)
	mustStatus(t, res, err, railyard.StepStatusRunning)
	if !strings.Contains(res.Message, keys[1].String()) || strings.Contains(res.Message, keys[0].String()) {
		t.Errorf("message %q should name only the Application still syncing", res.Message)
	}
	argoFinishes(t, keys[1], "Succeeded", "ok", []string{"1.1.0", "deadbeef"}, "Healthy")
	res, err = runStep(t, "p1", config)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	checkCriteria(t, res, argocd.Criteria{Apps: []argocd.AppCriteria{
		{Name: "web-1", Namespace: "apps", DesiredRevisions: []string{"1.1.0", ""}},
		{Name: "web-2", Namespace: "apps", DesiredRevisions: []string{"1.1.0", ""}},
	}})
}

func TestOneUnauthorizedApplicationStopsAllWrites(t *testing.T) {
	labels := map[string]string{"team": "mixed"}
	ok := types.NamespacedName{Namespace: "apps", Name: "mixed-ok"}
	bad := types.NamespacedName{Namespace: "apps", Name: "mixed-unauthorized"}
	createApp(t, ok, authorized("demo:test"), labels, appSpec)
	createApp(t, bad, nil, labels, appSpec)
	res, err := runStep(t, "p1", map[string]any{"apps": []any{map[string]any{
		"namespace": "apps", "selector": map[string]any{"matchLabels": labels},
	}}})
	if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) || !strings.Contains(res.Message, bad.String()) {
		t.Fatalf("status %s, error %v", res.Status, err)
	}
	if typedApp(t, ok).Operation != nil {
		t.Error("the authorized Application was synced although another one was refused")
	}
}

func TestMissingApplications(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"by name", nameConfig("does-not-exist"), "argocd/does-not-exist not found"},
		{"by selector", map[string]any{"apps": []any{map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"none": "x"}}}}}, "matches selector none=x"},
		{"no such source", nameConfig("lifecycle-missing-source", map[string]any{"repoURL": "https://elsewhere"}), `no source with repoURL "https://elsewhere"`},
	}
	createApp(t, types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "lifecycle-missing-source"}, authorized("demo:test"), nil, appSpec)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runStep(t, "p1", tt.config)
			if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) || !strings.Contains(res.Message, tt.want) {
				t.Errorf("status %s, message %q, error %v; want a terminal failure mentioning %q", res.Status, res.Message, err, tt.want)
			}
		})
	}
}

// assertUnmodelledFieldsKept checks that fields our types do not know are
// still on the Application after our writes.
func assertUnmodelledFieldsKept(t *testing.T, key types.NamespacedName) {
	t.Helper()
	u := fetchApp(t, key)
	for _, path := range [][]string{
		{"spec", "destination", "server"},
		{"spec", "project"},
		{"spec", "source", "kustomize", "namePrefix"},
	} {
		if _, found, _ := unstructured.NestedString(u.Object, path...); !found {
			t.Errorf("%s lost", strings.Join(path, "."))
		}
	}
	for _, path := range [][]string{
		{"spec", "syncPolicy", "automated"},
		{"spec", "source", "directory"},
	} {
		if _, found, _ := unstructured.NestedMap(u.Object, path...); !found {
			t.Errorf("%s lost", strings.Join(path, "."))
		}
	}
	if _, found, _ := unstructured.NestedSlice(u.Object, "spec", "ignoreDifferences"); !found {
		t.Error("spec.ignoreDifferences lost")
	}
}

func checkCriteria(t *testing.T, res promotion.Result, want argocd.Criteria) argocd.Criteria {
	t.Helper()
	if res.HealthCheck == nil {
		t.Fatal("no health check")
	}
	got, err := argocd.CriteriaFrom(*res.HealthCheck)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("criteria = %+v, want %+v", got, want)
	}
	return got
}

// CheckHealth and RequestRefresh against the real API server: an
// Application Argo CD has not compared since its last operation is Unknown
// until refreshed, and a missing one is Unknown.
func TestCheckHealthAndRefresh(t *testing.T) {
	ctx := context.Background()
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "stale-health"}
	createApp(t, key, authorized("demo:test"), nil, appSpec)
	u := fetchApp(t, key)
	u.Object["operation"] = map[string]any{"sync": map[string]any{}}
	if err := k8s.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	// Stand-in for Argo CD: finish the operation but do not reconcile after it.
	argoFinishes(t, key, "Succeeded", "ok", []string{"abc"}, "Healthy")
	u = fetchApp(t, key)
	_ = unstructured.SetNestedField(u.Object, now(0), "status", "reconciledAt")
	if err := k8s.Update(ctx, u); err != nil {
		t.Fatal(err)
	}

	criteria := argocd.Criteria{Apps: []argocd.AppCriteria{
		{Name: key.Name, Namespace: key.Namespace, DesiredRevisions: []string{"abc"}},
		{Name: "gone", Namespace: key.Namespace},
	}}
	res, err := argocd.CheckHealth(ctx, k8s, criteria)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != railyard.HealthStateUnknown || len(res.NeedsRefresh) != 1 || res.NeedsRefresh[0] != key || len(res.Issues) != 2 {
		t.Fatalf("result %+v", res)
	}
	if err := argocd.RequestRefresh(ctx, k8s, key); err != nil {
		t.Fatal(err)
	}
	if got := typedApp(t, key).Annotations[argocd.AnnotationRefresh]; got != "normal" {
		t.Errorf("refresh annotation = %q", got)
	}
}

// A decision taken on a stale copy must not be written: the merge patch
// carries the resourceVersion, and a conflict makes the step read again.
func TestStaleReadIsRetried(t *testing.T) {
	ctx := context.Background()
	key := types.NamespacedName{Namespace: argocdstep.DefaultNamespace, Name: "stale"}
	createApp(t, key, authorized("demo:test"), nil, appSpec)
	stale := fetchApp(t, key)

	// Meanwhile another writer (here: someone syncing by hand) requests a sync.
	u := fetchApp(t, key)
	u.Object["operation"] = map[string]any{"sync": map[string]any{"revision": "other"}, "initiatedBy": map[string]any{"username": "bob"}}
	if err := k8s.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	status, msg, err := argocdstep.SyncFromCopy(ctx, k8s, stale, "demo", "test", "p1",
		[]argocdstep.SourceUpdate{{RepoURL: "https://git.example.com/cfg.git", DesiredRevision: "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	if status != railyard.StepStatusRunning || !strings.Contains(msg, `"bob"`) {
		t.Errorf("status %s, message %q; want waiting for bob's operation", status, msg)
	}
	if op := typedApp(t, key).Operation; op.Sync.Revision != "other" {
		t.Errorf("bob's operation was overwritten: %+v", op)
	}
}
