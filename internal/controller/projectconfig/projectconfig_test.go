package projectconfig

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func policyNamed(name string) railyard.PromotionPolicy {
	return railyard.PromotionPolicy{StageSelector: &railyard.PromotionPolicySelector{Name: name}, AutoPromotionEnabled: true}
}

// waitReady waits until Ready has the reason and returns the ProjectConfig.
func waitReady(t *testing.T, key client.ObjectKey, reason string) *railyard.ProjectConfig {
	t.Helper()
	cfg := &railyard.ProjectConfig{}
	eventually(t, func() error {
		if err := k.Get(context.Background(), key, cfg); err != nil {
			return err
		}
		c := meta.FindStatusCondition(cfg.Status.Conditions, railyard.ConditionReady)
		if c == nil || c.Reason != reason || c.ObservedGeneration != cfg.Generation {
			return fmt.Errorf("ProjectConfig %s: Ready = %+v, want reason %s at generation %d", key, c, reason, cfg.Generation)
		}
		return nil
	})
	return cfg
}

func TestProjectConfigConditions(t *testing.T) {
	ctx := context.Background()
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}); err != nil {
		t.Fatal(err)
	}

	good := &railyard.ProjectConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "demo", Annotations: map[string]string{railyard.AnnotationRefresh: "r1"}},
		Spec: railyard.ProjectConfigSpec{PromotionPolicies: []railyard.PromotionPolicy{
			{Stage: "test", AutoPromotionEnabled: true}, policyNamed("glob:qa-*"), policyNamed("regex:^p"),
		}},
	}
	if err := k.Create(ctx, good); err != nil {
		t.Fatal(err)
	}
	cfg := waitReady(t, client.ObjectKeyFromObject(good), railyard.ReasonSucceeded)
	if !meta.IsStatusConditionTrue(cfg.Status.Conditions, railyard.ConditionReady) || cfg.Status.LastHandledRefresh != "r1" {
		t.Errorf("status = %+v, want Ready and refresh r1 echoed", cfg.Status)
	}

	// Breaking two policies names both by index; fixing them clears it.
	patch := client.MergeFrom(cfg.DeepCopy())
	cfg.Spec.PromotionPolicies[1] = policyNamed("glob:[qa")
	cfg.Spec.PromotionPolicies[2] = policyNamed("regex:(p")
	if err := k.Patch(ctx, cfg, patch); err != nil {
		t.Fatal(err)
	}
	cfg = waitReady(t, client.ObjectKeyFromObject(good), railyard.ReasonInvalidSpec)
	ready := meta.FindStatusCondition(cfg.Status.Conditions, railyard.ConditionReady)
	if ready.Status != metav1.ConditionFalse ||
		!strings.Contains(ready.Message, "promotionPolicies[1]") || !strings.Contains(ready.Message, "promotionPolicies[2]") ||
		strings.Contains(ready.Message, "promotionPolicies[0]") || strings.Contains(ready.Message, "\n") {
		t.Errorf("Ready = %+v, want False naming policies 1 and 2 on one line", ready)
	}
	if !meta.IsStatusConditionTrue(cfg.Status.Conditions, railyard.ConditionStalled) {
		t.Error("an invalid policy is not Stalled")
	}

	patch = client.MergeFrom(cfg.DeepCopy())
	cfg.Spec.PromotionPolicies = cfg.Spec.PromotionPolicies[:1]
	if err := k.Patch(ctx, cfg, patch); err != nil {
		t.Fatal(err)
	}
	cfg = waitReady(t, client.ObjectKeyFromObject(good), railyard.ReasonSucceeded)
	if meta.FindStatusCondition(cfg.Status.Conditions, railyard.ConditionStalled) != nil {
		t.Error("Stalled remains after the fix")
	}

	// A new refresh value is echoed.
	patch = client.MergeFrom(cfg.DeepCopy())
	cfg.Annotations[railyard.AnnotationRefresh] = "r2"
	if err := k.Patch(ctx, cfg, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if err := k.Get(ctx, client.ObjectKeyFromObject(good), cfg); err != nil {
			return err
		}
		if cfg.Status.LastHandledRefresh != "r2" {
			return fmt.Errorf("lastHandledRefresh = %q, want r2", cfg.Status.LastHandledRefresh)
		}
		return nil
	})
}

func TestProjectConfigNameMismatch(t *testing.T) {
	ctx := context.Background()
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}); err != nil {
		t.Fatal(err)
	}
	misnamed := &railyard.ProjectConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "shop"},
		Spec:       railyard.ProjectConfigSpec{PromotionPolicies: []railyard.PromotionPolicy{policyNamed("test")}},
	}
	if err := k.Create(ctx, misnamed); err != nil {
		t.Fatal(err)
	}
	cfg := waitReady(t, client.ObjectKeyFromObject(misnamed), railyard.ReasonNameMismatch)
	ready := meta.FindStatusCondition(cfg.Status.Conditions, railyard.ConditionReady)
	if ready.Status != metav1.ConditionFalse || !strings.Contains(ready.Message, `"shop"`) || !strings.Contains(ready.Message, "ignored") {
		t.Errorf("Ready = %+v, want False naming the namespace and saying it is ignored", ready)
	}
}
