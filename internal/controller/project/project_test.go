package project

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// readyReason waits until the Project's Ready condition has the reason and
// returns the Project.
func readyReason(t *testing.T, name, reason string) *railyard.Project {
	t.Helper()
	p := &railyard.Project{}
	eventually(t, func() error {
		if err := k.Get(context.Background(), client.ObjectKey{Name: name}, p); err != nil {
			return err
		}
		c := meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionReady)
		if c == nil || c.Reason != reason {
			return fmt.Errorf("project %s: Ready = %+v, want reason %s", name, c, reason)
		}
		return nil
	})
	return p
}

func getNamespace(t *testing.T, name string) *corev1.Namespace {
	t.Helper()
	ns := &corev1.Namespace{}
	if err := k.Get(context.Background(), client.ObjectKey{Name: name}, ns); err != nil {
		t.Fatalf("getting namespace %s: %v", name, err)
	}
	return ns
}

func createProject(t *testing.T, name string, annotations map[string]string) *railyard.Project {
	t.Helper()
	p := &railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
	if err := k.Create(context.Background(), p); err != nil {
		t.Fatalf("creating project %s: %v", name, err)
	}
	return p
}

func deleteProject(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if err := k.Delete(ctx, &railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatalf("deleting project %s: %v", name, err)
	}
	eventually(t, func() error {
		err := k.Get(ctx, client.ObjectKey{Name: name}, &railyard.Project{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("project %s still exists (err %w)", name, err)
	})
}

func hasOwner(ns *corev1.Namespace, p *railyard.Project) bool {
	for _, ref := range ns.OwnerReferences {
		if ref.UID == p.UID {
			return true
		}
	}
	return false
}

func TestCreatesNamespaceAndDeletesIt(t *testing.T) {
	ctx := context.Background()
	createProject(t, "created", nil)
	p := readyReason(t, "created", railyard.ReasonNamespaceReady)
	if !controllerutil.ContainsFinalizer(p, railyard.FinalizerName) {
		t.Error("the Project has no finalizer")
	}
	if p.Status.ObservedGeneration != p.Generation {
		t.Errorf("observedGeneration = %d, want %d", p.Status.ObservedGeneration, p.Generation)
	}
	ns := getNamespace(t, "created")
	if ns.Labels[railyard.LabelProject] != "true" || !hasOwner(ns, p) {
		t.Errorf("namespace labels %v, owners %v: want the project label and the Project as owner", ns.Labels, ns.OwnerReferences)
	}

	// Stats follow the Stages of the namespace.
	stage := &railyard.Stage{
		ObjectMeta: metav1.ObjectMeta{Name: "test", Namespace: "created"},
		Spec: railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{
			Origin:  railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
			Sources: railyard.FreightSources{Direct: true},
		}}},
	}
	if err := k.Create(ctx, stage); err != nil {
		t.Fatalf("creating a Stage: %v", err)
	}
	eventually(t, func() error {
		if err := k.Get(ctx, client.ObjectKey{Name: "created"}, p); err != nil {
			return err
		}
		if p.Status.Stats == nil || p.Status.Stats.Stages.Count != 1 || p.Status.Stats.Stages.Healthy != 0 {
			return fmt.Errorf("stats = %+v, want one unhealthy Stage", p.Status.Stats)
		}
		return nil
	})

	deleteProject(t, "created")
	// envtest runs no namespace controller: the namespace stays Terminating.
	if ns := getNamespace(t, "created"); ns.DeletionTimestamp.IsZero() {
		t.Error("the namespace was not deleted with its Project")
	}
}

func TestAdoptsLabelledNamespace(t *testing.T) {
	ctx := context.Background()
	for name, label := range map[string]string{"adopt-railyard": railyard.LabelProject, "adopt-kargo": railyard.LabelKargoProject} {
		t.Run(name, func(t *testing.T) {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{label: "true", "team": "a"}}}
			if err := k.Create(ctx, ns); err != nil {
				t.Fatal(err)
			}
			createProject(t, name, nil)
			p := readyReason(t, name, railyard.ReasonNamespaceReady)
			eventually(t, func() error {
				ns := getNamespace(t, name)
				if ns.Labels[railyard.LabelProject] != "true" || ns.Labels["team"] != "a" || !hasOwner(ns, p) {
					return fmt.Errorf("namespace labels %v, owners %v: want it adopted, labels kept", ns.Labels, ns.OwnerReferences)
				}
				return nil
			})
		})
	}
}

func TestNamespaceConflict(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "taken", Labels: map[string]string{"team": "b"}}}
	if err := k.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	createProject(t, "taken", nil)
	p := readyReason(t, "taken", railyard.ReasonNamespaceConflict)
	ready := meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionReady)
	if ready.Status != metav1.ConditionFalse || !strings.Contains(ready.Message, "label it "+railyard.LabelProject+"=true") {
		t.Errorf("Ready = %+v, want False with advice", ready)
	}
	if !meta.IsStatusConditionTrue(p.Status.Conditions, railyard.ConditionStalled) {
		t.Error("a conflict is not Stalled")
	}
	if got := getNamespace(t, "taken"); len(got.OwnerReferences) != 0 || got.Labels[railyard.LabelProject] != "" {
		t.Errorf("the conflicting namespace was modified: %v %v", got.Labels, got.OwnerReferences)
	}

	// Labelling the namespace resolves the conflict without touching the Project.
	patch := client.MergeFrom(ns.DeepCopy())
	ns.Labels[railyard.LabelProject] = "true"
	if err := k.Patch(ctx, ns, patch); err != nil {
		t.Fatal(err)
	}
	p = readyReason(t, "taken", railyard.ReasonNamespaceReady)
	if meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionStalled) != nil {
		t.Error("Stalled remains after the conflict was resolved")
	}
}

func TestConflictingNamespaceSurvivesProjectDeletion(t *testing.T) {
	ctx := context.Background()
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "not-ours"}}); err != nil {
		t.Fatal(err)
	}
	createProject(t, "not-ours", nil)
	readyReason(t, "not-ours", railyard.ReasonNamespaceConflict)
	deleteProject(t, "not-ours")
	if ns := getNamespace(t, "not-ours"); !ns.DeletionTimestamp.IsZero() {
		t.Error("a namespace the Project never owned was deleted")
	}
}

func TestKeepNamespace(t *testing.T) {
	for name, key := range map[string]string{"keep-railyard": railyard.AnnotationKeepNamespace, "keep-kargo": railyard.AnnotationKargoKeepNamespace} {
		t.Run(name, func(t *testing.T) {
			createProject(t, name, map[string]string{key: "true"})
			p := readyReason(t, name, railyard.ReasonNamespaceReady)
			if ns := getNamespace(t, name); hasOwner(ns, p) {
				t.Error("a kept namespace has the Project as owner; the garbage collector would delete it")
			}
			deleteProject(t, name)
			if ns := getNamespace(t, name); !ns.DeletionTimestamp.IsZero() {
				t.Error("the namespace was deleted despite the keep annotation")
			}
		})
	}
}

func TestKeepAnnotationAddedLater(t *testing.T) {
	ctx := context.Background()
	createProject(t, "keep-later", nil)
	p := readyReason(t, "keep-later", railyard.ReasonNamespaceReady)
	eventually(t, func() error {
		if !hasOwner(getNamespace(t, "keep-later"), p) {
			return fmt.Errorf("namespace not owned yet")
		}
		return nil
	})
	patch := client.MergeFrom(p.DeepCopy())
	p.Annotations = map[string]string{railyard.AnnotationKeepNamespace: "true"}
	if err := k.Patch(ctx, p, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if hasOwner(getNamespace(t, "keep-later"), p) {
			return fmt.Errorf("the kept namespace is still owned by the Project")
		}
		return nil
	})
	deleteProject(t, "keep-later")
	if ns := getNamespace(t, "keep-later"); !ns.DeletionTimestamp.IsZero() {
		t.Error("the namespace was deleted despite the keep annotation")
	}
}
