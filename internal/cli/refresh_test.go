package cli

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestRefreshWarehouse(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	r := railyardCLI(ns, "refresh", "warehouse", "titiler").mustSucceed(t)
	var wh railyard.Warehouse
	must(t, k8s.Get(testCtx, client.ObjectKey{Namespace: ns, Name: "titiler"}, &wh))
	token := wh.Annotations[railyard.AnnotationRefresh]
	if _, err := time.Parse(time.RFC3339, token); err != nil {
		t.Fatalf("refresh annotation %q is not RFC3339: %v", token, err)
	}
	if !strings.Contains(r.stdout, "refresh requested ("+token+")") {
		t.Errorf("stdout = %q", r.stdout)
	}
	railyardCLI(ns, "refresh", "warehouse", "nope").mustFail(t, `Warehouse "nope" not found in namespace `+ns+"; it has: titiler")
}

// TestRefreshWarehouseWait plays the Warehouse controller, which does not
// run in these tests: it waits for the refresh annotation, reports
// progress, creates Freight and echoes the annotation in
// status.lastHandledRefresh.
func TestRefreshWarehouseWait(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	old := seedFreight(t, ns, "titiler", "old-otter", "v1.1.0", "1.3.0", commitOld)

	done := make(chan result, 1)
	go func() { done <- railyardCLI(ns, "refresh", "warehouse", "titiler", "--wait", "--timeout", "30s") }()

	var wh railyard.Warehouse
	waitFor(t, "the refresh annotation", func() bool {
		must(t, k8s.Get(testCtx, client.ObjectKey{Namespace: ns, Name: "titiler"}, &wh))
		return wh.Annotations[railyard.AnnotationRefresh] != ""
	})
	meta.SetStatusCondition(&wh.Status.Conditions, metav1.Condition{
		Type: railyard.ConditionReconciling, Status: metav1.ConditionTrue, Reason: "Discovering",
		Message: "discovering artifacts for 3 subscriptions",
	})
	must(t, k8s.Status().Update(testCtx, &wh))
	fresh := seedFreight(t, ns, "titiler", "new-otter", "v1.2.0", "1.4.0", commitNew)
	must(t, k8s.Get(testCtx, client.ObjectKey{Namespace: ns, Name: "titiler"}, &wh))
	wh.Status.LastHandledRefresh = wh.Annotations[railyard.AnnotationRefresh]
	must(t, k8s.Status().Update(testCtx, &wh))

	r := (<-done).mustSucceed(t)
	for _, want := range []string{"discovering artifacts for 3 subscriptions", "warehouse/titiler refreshed", "new freight new-otter (" + fresh.Name[:7] + "): ghcr.io/acme/titiler:v1.2.0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, old.Name[:7]) {
		t.Errorf("stdout lists Freight that existed before the refresh:\n%s", r.stdout)
	}
}

func TestRefreshWarehouseWaitTimeout(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	railyardCLI(ns, "refresh", "warehouse", "titiler", "--wait", "--timeout", "100ms").
		mustFail(t, "did not handle the refresh within 100ms: is the Railyard manager running?")
}
