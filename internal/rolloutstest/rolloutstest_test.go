package rolloutstest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/railyard-dev/railyard/internal/rolloutstest"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// The harness on its own: CRDs installed at envtest start, the controller
// started for the test, a hand-written AnalysisRun with a web metric run to
// Successful and one to Failed.
func TestStartRunsAnalysis(t *testing.T) {
	crds, err := rolloutstest.CRDPaths()
	if err != nil {
		t.Fatal(err)
	}
	env, err := testenv.Start(testenv.Options{ExtraCRDPaths: crds})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctrl := rolloutstest.Start(t, env)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"ok": %t}`, r.URL.Path == "/good")
	}))
	t.Cleanup(srv.Close)
	rolloutstest.Create(t, env.Client, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "harness"}})

	for path, phase := range map[string]string{"/good": "Successful", "/bad": "Failed"} {
		run := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "argoproj.io/v1alpha1",
			"kind":       "AnalysisRun",
			"metadata":   map[string]any{"namespace": "harness", "generateName": "run-"},
			"spec":       map[string]any{"metrics": []any{rolloutstest.WebMetric("check", srv.URL+path)}},
		}}
		if err := env.Client.Create(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		ctrl.WaitForPhase(t, env.Client, client.ObjectKeyFromObject(run), phase, time.Minute)
	}
	if exited, err := ctrl.Exited(); exited {
		t.Errorf("controller exited: %v", err)
	}
}
