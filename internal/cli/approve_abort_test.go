package cli

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestApprove(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedWarehouse(t, ns, "worker")
	seedStages(t, ns, "titiler")
	f := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	other := seedFreight(t, ns, "worker", "lone-yak", "v1.1.0", "1.3.0", commitOld)

	railyardCLI(ns, "promote", "--stage", "prod", "--freight", f.Name).mustFail(t, "not available to stage prod")
	r := railyardCLI(ns, "approve", "--freight", "calm-otter", "--stage", "prod").mustSucceed(t)
	if !strings.Contains(r.stdout, "approved for stage prod") {
		t.Errorf("stdout = %q", r.stdout)
	}
	var got railyard.Freight
	must(t, k8s.Get(testCtx, client.ObjectKeyFromObject(f), &got))
	if a, ok := got.Status.ApprovedFor["prod"]; !ok || a.ApprovedAt == nil {
		t.Fatalf("approvedFor = %+v", got.Status.ApprovedFor)
	}
	if r := railyardCLI(ns, "approve", "--freight", f.Name, "--stage", "prod").mustSucceed(t); !strings.Contains(r.stdout, "already approved") {
		t.Errorf("second approve: stdout = %q", r.stdout)
	}
	railyardCLI(ns, "promote", "--stage", "prod", "--freight", f.Name).mustSucceed(t)

	railyardCLI(ns, "approve", "--freight", other.Name, "--stage", "prod").mustFail(t, "stage prod does not request Freight from warehouse worker")
	railyardCLI(ns, "approve", "--freight", "nope", "--stage", "prod").mustFail(t, `no freight has alias "nope"`)
	railyardCLI(ns, "approve", "--freight", f.Name, "--stage", "nope").mustFail(t, `Stage "nope" not found`)
	railyardCLI(ns, "approve", "--stage", "prod").mustFail(t, "--freight and --stage are required")
}

func TestAbortPromotion(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	f := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)
	newPromo := func(name string, phase railyard.PromotionPhase) *railyard.Promotion {
		p := &railyard.Promotion{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       railyard.PromotionSpec{Stage: "test", Freight: f.Name},
		}
		must(t, k8s.Create(testCtx, p))
		p.Status.Phase = phase
		must(t, k8s.Status().Update(testCtx, p))
		return p
	}
	running := newPromo("test.running", railyard.PromotionPhaseRunning)
	finished := newPromo("test.finished", railyard.PromotionPhaseSucceeded)

	railyardCLI(ns, "abort", "promotion", running.Name).mustSucceed(t)
	var got railyard.Promotion
	must(t, k8s.Get(testCtx, client.ObjectKeyFromObject(running), &got))
	// Kargo's AbortPromotionRequest, naming who asked (envtest's admin).
	var req railyard.AbortPromotionRequest
	if err := json.Unmarshal([]byte(got.Annotations[railyard.AnnotationAbort]), &req); err != nil || req.Action != "terminate" || req.Actor == "" {
		t.Errorf("abort annotation = %q (%v)", got.Annotations[railyard.AnnotationAbort], err)
	}

	if r := railyardCLI(ns, "abort", "promotion", finished.Name).mustSucceed(t); !strings.Contains(r.stdout, "already finished (Succeeded)") {
		t.Errorf("stdout = %q", r.stdout)
	}
	must(t, k8s.Get(testCtx, client.ObjectKeyFromObject(finished), &got))
	if _, ok := got.Annotations[railyard.AnnotationAbort]; ok {
		t.Error("a finished Promotion was marked for abort")
	}
	railyardCLI(ns, "abort", "promotion", "nope").mustFail(t, `Promotion "nope" not found in namespace `+ns+"; it has: test.finished, test.running")
}
