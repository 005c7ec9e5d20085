package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// With config/stage-finalizer installed (`kubectl apply -k`, as the install
// docs say), the API server adds the Stage finalizer as a Stage is created:
// the manager then writes only the Stage's status, never its metadata; a
// later server-side apply of the Stage keeps the finalizer (no field
// manager owns it); and the manager still honours it when the Stage is
// deleted.
func TestStageFinalizerPolicy(t *testing.T) {
	pw := startControlPlane(t)
	pw.startManager(t)
	pw.applyProject(t)
	installStageFinalizerPolicy(t, pw)

	stage := func(name, sources string) string {
		return fmt.Sprintf(`apiVersion: railyard.dev/v1alpha1
kind: Stage
metadata:
  name: %s
  namespace: %s
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: app}
    sources: %s
`, name, ns, sources)
	}
	get := func(name string) (*railyard.Stage, error) {
		s := &railyard.Stage{}
		return s, pw.env.Client.Get(pw.ctx, client.ObjectKey{Namespace: ns, Name: name}, s)
	}
	pw.apply(t, stage("test", "{direct: true}"))
	pw.wait(t, "the manager's status of Stage test", func() (bool, string) {
		s, err := get("test")
		return err == nil && s.Status.ObservedGeneration == s.Generation, fmt.Sprint(err)
	})
	s, err := get("test")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range s.ManagedFields {
		if m.Subresource == "" && m.Manager != "kubectl" {
			t.Errorf("%s wrote the Stage's metadata or spec (%s %s); the admission policy added the finalizer already", m.Manager, m.Operation, m.FieldsV1.GetRawString())
		}
		if strings.Contains(m.FieldsV1.GetRawString(), "finalizers") {
			t.Errorf("%s owns the finalizer (%s); a server-side apply without it would remove it", m.Manager, m.FieldsV1.GetRawString())
		}
	}

	// A Stage created with a finalizer of someone else's keeps it and gets
	// Railyard's too.
	pw.apply(t, strings.Replace(stage("other", "{direct: true}"), "  namespace:", "  finalizers: [example.com/keep]\n  namespace:", 1))
	if o, err := get("other"); err != nil || !slices.Equal(o.Finalizers, []string{"example.com/keep", railyard.FinalizerName}) {
		t.Errorf("Stage other created with finalizer example.com/keep has %v (%v); want it and %s", o.Finalizers, err, railyard.FinalizerName)
	}

	// Applied again with another spec, without the finalizer.
	pw.apply(t, stage("test", "{direct: true, stages: [other]}"))
	if s, err = get("test"); err != nil || !slices.Contains(s.Finalizers, railyard.FinalizerName) || len(s.Spec.RequestedFreight[0].Sources.Stages) != 1 {
		t.Fatalf("after a second apply: finalizers %v, sources %+v, %v", s.Finalizers, s.Spec.RequestedFreight, err)
	}

	if err := pw.env.Client.Delete(pw.ctx, s); err != nil {
		t.Fatal(err)
	}
	pw.wait(t, "Stage test to be deleted", func() (bool, string) {
		_, err := get("test")
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

// installStageFinalizerPolicy applies config/stage-finalizer as the install
// docs say and waits until the API server acts on it: it takes up a new
// policy within a second or so, which dry-run creations of a Stage (admitted,
// never stored) show.
func installStageFinalizerPolicy(tb testing.TB, pw *pipelineWorld) {
	tb.Helper()
	if out, err := pw.env.Kubectl(pw.ctx, nil, "apply", "--server-side", "-k", filepath.Join(pw.env.Root, "config", "stage-finalizer")); err != nil {
		tb.Fatalf("%v: %s", err, out)
	}
	pw.wait(tb, "the Stage finalizer policy to act", func() (bool, string) {
		probe := &railyard.Stage{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "policy-probe"},
			Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{
				Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "probe"}, Sources: railyard.FreightSources{Direct: true},
			}}},
		}
		err := pw.env.Client.Create(pw.ctx, probe, client.DryRunAll)
		return err == nil && slices.Contains(probe.Finalizers, railyard.FinalizerName), fmt.Sprint(probe.Finalizers, err)
	})
}
