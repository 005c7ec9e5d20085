package receiver

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/scheme"
	"github.com/railyard-dev/railyard/internal/webhook"
)

func promotionAt(ns, name string, phase railyard.PromotionPhase, uses, repoURL string) *railyard.Promotion {
	cfg, _ := json.Marshal(map[string]any{"repoURL": repoURL, "prNumber": 7})
	return &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: railyard.PromotionSpec{Stage: "prod", Steps: []railyard.PromotionStep{
			{Uses: "git-push"},
			{Uses: uses, Config: &apiextensionsv1.JSON{Raw: cfg}},
		}},
		Status: railyard.PromotionStatus{Phase: phase, CurrentStep: 1},
	}
}

func TestWakePromotionsWaitingOnAPullRequest(t *testing.T) {
	const repo = "https://github.com/acme/deploy-config.git"
	objs := []client.Object{
		promotionAt("demo", "waiting", railyard.PromotionPhaseRunning, "git-wait-for-pr", repo),
		promotionAt("demo", "merging", railyard.PromotionPhaseRunning, "git-merge-pr", "https://github.com/acme/deploy-config"),
		promotionAt("demo", "expression", railyard.PromotionPhaseRunning, "git-wait-for-pr", "${{ vars.repo }}"),
		promotionAt("demo", "other-repo", railyard.PromotionPhaseRunning, "git-wait-for-pr", "https://github.com/acme/other"),
		promotionAt("demo", "other-step", railyard.PromotionPhaseRunning, "argocd-update", repo),
		promotionAt("demo", "finished", railyard.PromotionPhaseSucceeded, "git-wait-for-pr", repo),
		promotionAt("elsewhere", "other-project", railyard.PromotionPhaseRunning, "git-wait-for-pr", repo),
	}
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	w := &PromotionWaker{Client: c}
	urls := []string{webhook.NormalizeGitURL(repo)}

	woken, err := w.Wake(context.Background(), "demo", urls)
	if err != nil {
		t.Fatal(err)
	}
	want := []types.NamespacedName{{Namespace: "demo", Name: "expression"}, {Namespace: "demo", Name: "merging"}, {Namespace: "demo", Name: "waiting"}}
	if !reflect.DeepEqual(woken, want) {
		t.Fatalf("woken %v, want %v", woken, want)
	}
	for _, k := range want {
		var p railyard.Promotion
		if err := c.Get(context.Background(), k, &p); err != nil {
			t.Fatal(err)
		}
		if p.Annotations[railyard.AnnotationRefresh] == "" {
			t.Errorf("%s has no refresh annotation", k)
		}
	}
	// A cluster-wide receiver wakes every project's.
	all, err := w.Wake(context.Background(), "", urls)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Errorf("cluster-wide wake: %v, want the three of demo and the one elsewhere", all)
	}
}
