package project

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestKeepNamespaceValues(t *testing.T) {
	tests := []struct {
		annotations map[string]string
		want        bool
	}{
		{nil, false},
		{map[string]string{railyard.AnnotationKeepNamespace: "true"}, true},
		{map[string]string{railyard.AnnotationKargoKeepNamespace: "true"}, true},
		{map[string]string{railyard.AnnotationKeepNamespace: "false"}, false},
		{map[string]string{railyard.AnnotationKeepNamespace: ""}, true},
		{map[string]string{railyard.AnnotationKeepNamespace: "yes"}, true},
		{map[string]string{railyard.AnnotationKeepNamespace: "false", railyard.AnnotationKargoKeepNamespace: "true"}, true},
	}
	for _, tt := range tests {
		p := &railyard.Project{ObjectMeta: metav1.ObjectMeta{Annotations: tt.annotations}}
		if got := keepNamespace(p); got != tt.want {
			t.Errorf("keepNamespace(%v) = %t, want %t", tt.annotations, got, tt.want)
		}
	}
}

func TestDesiredNamespace(t *testing.T) {
	p := &railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: "demo", UID: "new"}}
	kept := p.DeepCopy()
	kept.Annotations = map[string]string{railyard.AnnotationKeepNamespace: "true"}
	kargoOwner := metav1.OwnerReference{APIVersion: "kargo.akuity.io/v1alpha1", Kind: "Project", Name: "demo", UID: "kargo"}
	stale := metav1.OwnerReference{APIVersion: railyard.GroupVersion.String(), Kind: "Project", Name: "demo", UID: "old"}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:            "demo",
		Labels:          map[string]string{railyard.LabelKargoProject: "true"},
		OwnerReferences: []metav1.OwnerReference{kargoOwner, stale},
	}}

	got := desiredNamespace(ns, p)
	if got.Labels[railyard.LabelProject] != "true" || got.Labels[railyard.LabelKargoProject] != "true" {
		t.Errorf("labels = %v", got.Labels)
	}
	if len(got.OwnerReferences) != 2 || got.OwnerReferences[0].UID != "kargo" || got.OwnerReferences[1].UID != "new" {
		t.Errorf("owners = %v, want the Kargo owner kept and the stale Railyard owner replaced", got.OwnerReferences)
	}
	if len(ns.OwnerReferences) != 2 || ns.OwnerReferences[1].UID != "old" {
		t.Error("desiredNamespace modified its input")
	}
	if got := desiredNamespace(ns, kept); len(got.OwnerReferences) != 1 || got.OwnerReferences[0].UID != "kargo" {
		t.Errorf("owners of a kept namespace = %v, want only the foreign one", got.OwnerReferences)
	}
}

func TestCountStats(t *testing.T) {
	healthyWH := railyard.Warehouse{}
	meta.SetStatusCondition(&healthyWH.Status.Conditions, metav1.Condition{Type: railyard.ConditionHealthy, Status: metav1.ConditionTrue, Reason: "x"})
	sickWH := railyard.Warehouse{}
	meta.SetStatusCondition(&sickWH.Status.Conditions, metav1.Condition{Type: railyard.ConditionHealthy, Status: metav1.ConditionFalse, Reason: "x"})
	healthy := railyard.Stage{Status: railyard.StageStatus{Health: &railyard.Health{Status: railyard.HealthStateHealthy}}}
	progressing := railyard.Stage{Status: railyard.StageStatus{Health: &railyard.Health{Status: railyard.HealthStateProgressing}}}

	got := countStats([]railyard.Warehouse{healthyWH, sickWH, {}}, []railyard.Stage{healthy, progressing, {}})
	want := railyard.ProjectStats{
		Warehouses: railyard.ObjectCount{Count: 3, Healthy: 1},
		Stages:     railyard.ObjectCount{Count: 3, Healthy: 1},
	}
	if *got != want {
		t.Errorf("countStats = %+v, want %+v", *got, want)
	}
}

func TestConditions(t *testing.T) {
	p := &railyard.Project{ObjectMeta: metav1.ObjectMeta{Name: "demo", Generation: 3}}
	setConflict(p, "taken")
	if !meta.IsStatusConditionTrue(p.Status.Conditions, railyard.ConditionStalled) ||
		meta.IsStatusConditionTrue(p.Status.Conditions, railyard.ConditionReady) || p.Status.ObservedGeneration != 3 {
		t.Errorf("after conflict: %+v", p.Status)
	}
	setWaiting(p, "terminating")
	if c := meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionReady); c.Reason != railyard.ReasonProgressing ||
		meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionStalled) != nil {
		t.Errorf("after waiting: %+v", p.Status.Conditions)
	}
	setReady(p)
	if c := meta.FindStatusCondition(p.Status.Conditions, railyard.ConditionReady); c.Status != metav1.ConditionTrue ||
		c.Reason != railyard.ReasonNamespaceReady || c.ObservedGeneration != 3 || len(p.Status.Conditions) != 1 {
		t.Errorf("after ready: %+v", p.Status.Conditions)
	}
}
