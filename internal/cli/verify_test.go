package cli

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestVerifyStage(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedStages(t, ns, "titiler")
	f := seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)

	setVerification := func(stage string, vi railyard.VerificationInfo) {
		t.Helper()
		var st railyard.Stage
		must(t, k8s.Get(testCtx, objectKey(ns, stage), &st))
		st.Status.FreightHistory = []railyard.FreightCollection{{
			ID:                  "c1",
			Freight:             map[string]railyard.FreightReference{f.Origin.String(): {Name: f.Name, Origin: f.Origin}},
			VerificationHistory: []railyard.VerificationInfo{vi},
		}}
		must(t, k8s.Status().Update(testCtx, &st))
	}
	annotations := func(stage string) map[string]string {
		t.Helper()
		var st railyard.Stage
		must(t, k8s.Get(testCtx, client.ObjectKey{Namespace: ns, Name: stage}, &st))
		return st.Annotations
	}

	railyardCLI(ns, "verify", "stage", "test").mustFail(t, "has no Freight to verify")

	now := metav1.Now()
	setVerification("test", railyard.VerificationInfo{ID: "v-failed", Phase: railyard.VerificationPhaseFailed, StartTime: &now, FinishTime: &now})
	if r := railyardCLI(ns, "verify", "stage", "test").mustSucceed(t); !strings.Contains(r.stdout, "re-verification requested") {
		t.Errorf("stdout = %q", r.stdout)
	}
	if got := railyard.ParseVerificationRequest(annotations("test")[railyard.AnnotationReverify]); got == nil || got.ID != "v-failed" || got.Actor == "" {
		t.Errorf("reverify annotation = %+v, want the ID v-failed and the CLI's user as actor", got)
	}
	if r := railyardCLI(ns, "verify", "stage", "test", "--abort").mustSucceed(t); !strings.Contains(r.stdout, "already finished (Failed)") {
		t.Errorf("stdout = %q", r.stdout)
	}
	if _, ok := annotations("test")[railyard.AnnotationAbort]; ok {
		t.Error("a finished verification was marked for abort")
	}

	setVerification("staging", railyard.VerificationInfo{ID: "v-running", Phase: railyard.VerificationPhaseRunning, StartTime: &now,
		AnalysisRun: &railyard.AnalysisRunReference{Namespace: ns, Name: "staging.run", Phase: "Running"}})
	railyardCLI(ns, "verify", "stage", "staging").mustFail(t, "verification v-running is still Running")
	railyardCLI(ns, "verify", "stage", "staging", "--abort").mustSucceed(t)
	if got := railyard.ParseVerificationRequest(annotations("staging")[railyard.AnnotationAbort]); got == nil || got.ID != "v-running" || got.Actor == "" {
		t.Errorf("abort annotation = %+v, want the ID v-running and the CLI's user as actor", got)
	}
	railyardCLI(ns, "verify", "stage", "nope").mustFail(t, `Stage "nope" not found`)
}
