package argocdstep_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/argocd/argocdtest"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// k8s reaches a real kube-apiserver with Argo CD's real Application CRD.
// Its scheme knows our Application types: CheckHealth reads them, and the
// step reads them (it writes unstructured objects).
var k8s client.Client

// restConfig reaches the same API server, for clients a test builds.
var restConfig *rest.Config

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	crd, err := argocdtest.TestCRDPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err := testenv.Start(testenv.Options{ExtraCRDPaths: []string{crd}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	restConfig = env.Config
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := argocd.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, ns := range []string{argocdstep.DefaultNamespace, "apps"} {
		if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// appSpec is an Application with fields we do not model (destination,
// syncPolicy.automated, ignoreDifferences, source.directory) that must
// survive our writes.
const appSpec = `
project: default
destination: {server: https://kubernetes.default.svc, namespace: demo}
ignoreDifferences: [{group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}]
syncPolicy:
  automated: {prune: true, selfHeal: true}
  syncOptions: [CreateNamespace=true]
  retry: {limit: 2, backoff: {duration: 5s, factor: 2, maxDuration: 1m}}
source:
  repoURL: https://git.example.com/cfg.git
  targetRevision: kargo/app/test
  path: .
  directory: {recurse: true}
  kustomize: {namePrefix: test-}
`

// createApp creates an Application from a spec in YAML.
func createApp(t *testing.T, key types.NamespacedName, annotations, labels map[string]string, spec string) {
	t.Helper()
	s := map[string]any{}
	if err := yaml.Unmarshal([]byte(spec), &s); err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": s}}
	u.SetGroupVersionKind(argocd.ApplicationKind)
	u.SetNamespace(key.Namespace)
	u.SetName(key.Name)
	u.SetAnnotations(annotations)
	u.SetLabels(labels)
	if err := k8s.Create(context.Background(), u); err != nil {
		t.Fatalf("creating Application %s: %v", key, err)
	}
}

func authorized(stages string) map[string]string {
	return map[string]string{railyard.AnnotationAuthorizedStage: stages}
}

func fetchApp(t *testing.T, key types.NamespacedName) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(argocd.ApplicationKind)
	if err := k8s.Get(context.Background(), key, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func typedApp(t *testing.T, key types.NamespacedName) *argocd.Application {
	t.Helper()
	app := &argocd.Application{}
	if err := k8s.Get(context.Background(), key, app); err != nil {
		t.Fatal(err)
	}
	return app
}

// runStep runs argocd-update as the engine would for Promotion promo of
// demo/test. Each call uses a fresh Step value, as a restarted manager would.
func runStep(t *testing.T, promo string, config map[string]any) (promotion.Result, error) {
	t.Helper()
	sc := &promotion.StepContext{
		Project: "demo", Stage: "test", Promotion: promo, Alias: "update",
		Config: config, Client: k8s, WorkDir: t.TempDir(),
	}
	return argocdstep.Step{}.Run(context.Background(), sc)
}

func mustStatus(t *testing.T, res promotion.Result, err error, want railyard.StepStatus) {
	t.Helper()
	if err != nil {
		t.Fatalf("step error: %v (status %s)", err, res.Status)
	}
	if res.Status != want {
		t.Fatalf("status %s (%s), want %s", res.Status, res.Message, want)
	}
}

// The functions below stand in for Argo CD's application controller, which
// cannot run here. They do to an Application what it does: pick up the
// requested operation, then finish it and report sync and health.

// argoStarts moves the requested operation into status.operationState with
// phase Running, keeping spec.operation as Argo CD does while it works.
func argoStarts(t *testing.T, key types.NamespacedName) {
	t.Helper()
	u := fetchApp(t, key)
	op, ok := u.Object["operation"]
	if !ok {
		t.Fatalf("stand-in: Application %s has no operation to start", key)
	}
	setStatus(t, u, map[string]any{
		"operation": op, "phase": "Running", "startedAt": now(0),
	})
	if err := k8s.Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// argoFinishes ends the current operation with phase and message, having
// applied revisions (one per source), and reports health; the operation
// is removed from spec and the Application marked reconciled afterwards.
func argoFinishes(t *testing.T, key types.NamespacedName, phase, message string, revisions []string, health string) {
	t.Helper()
	u := fetchApp(t, key)
	op, ok := u.Object["operation"]
	if !ok {
		op, _, _ = unstructured.NestedFieldCopy(u.Object, "status", "operationState", "operation")
	}
	delete(u.Object, "operation")
	result := map[string]any{"revision": revisions[0]}
	sync := map[string]any{"status": "Synced", "revision": revisions[0]}
	if len(revisions) > 1 {
		result["revisions"], sync["revisions"] = toAny(revisions), toAny(revisions)
		result["revision"], sync["revision"] = "", ""
	}
	setStatus(t, u, map[string]any{
		"operation": op, "phase": phase, "message": message,
		"startedAt": now(0), "finishedAt": now(1), "syncResult": result,
	})
	_ = unstructured.SetNestedField(u.Object, sync, "status", "sync")
	_ = unstructured.SetNestedField(u.Object, map[string]any{"status": health}, "status", "health")
	_ = unstructured.SetNestedField(u.Object, now(2), "status", "reconciledAt")
	if err := k8s.Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

func setStatus(t *testing.T, u *unstructured.Unstructured, opState map[string]any) {
	t.Helper()
	if err := unstructured.SetNestedField(u.Object, runtime.DeepCopyJSONValue(opState), "status", "operationState"); err != nil {
		t.Fatal(err)
	}
}

var epoch = time.Now().UTC().Truncate(time.Second)

func now(offset int) string {
	return epoch.Add(time.Duration(offset) * time.Second).Format(time.RFC3339)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
