package projectconfig

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestSetStatus(t *testing.T) {
	tests := []struct {
		name        string
		cfgName     string
		annotations map[string]string
		policies    []railyard.PromotionPolicy
		wantReady   metav1.ConditionStatus
		wantReason  string
		wantMessage string
		wantRefresh string
	}{
		{name: "no policies", cfgName: "demo", wantReady: metav1.ConditionTrue, wantReason: railyard.ReasonSucceeded, wantMessage: "0 promotion policies"},
		{name: "one policy", cfgName: "demo", policies: []railyard.PromotionPolicy{policyNamed("test")}, wantReady: metav1.ConditionTrue, wantReason: railyard.ReasonSucceeded, wantMessage: "1 promotion policy"},
		{name: "name mismatch wins over invalid policies", cfgName: "other", policies: []railyard.PromotionPolicy{policyNamed("regex:(")}, wantReady: metav1.ConditionFalse, wantReason: railyard.ReasonNameMismatch, wantMessage: "named like its namespace"},
		{name: "invalid regex", cfgName: "demo", policies: []railyard.PromotionPolicy{policyNamed("test"), policyNamed("regexp:[")}, wantReady: metav1.ConditionFalse, wantReason: railyard.ReasonInvalidSpec, wantMessage: "promotionPolicies[1]: invalid promotion policy: regular expression"},
		{name: "Railyard refresh preferred", cfgName: "demo", annotations: map[string]string{railyard.AnnotationRefresh: "a", railyard.AnnotationKargoRefresh: "b"}, wantReady: metav1.ConditionTrue, wantReason: railyard.ReasonSucceeded, wantRefresh: "a"},
		{name: "Kargo refresh honoured", cfgName: "demo", annotations: map[string]string{railyard.AnnotationKargoRefresh: "b"}, wantReady: metav1.ConditionTrue, wantReason: railyard.ReasonSucceeded, wantRefresh: "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &railyard.ProjectConfig{
				ObjectMeta: metav1.ObjectMeta{Name: tt.cfgName, Namespace: "demo", Generation: 2, Annotations: tt.annotations},
				Spec:       railyard.ProjectConfigSpec{PromotionPolicies: tt.policies},
			}
			setStatus(cfg, nil, nil)
			c := meta.FindStatusCondition(cfg.Status.Conditions, railyard.ConditionReady)
			if c == nil || c.Status != tt.wantReady || c.Reason != tt.wantReason || !strings.Contains(c.Message, tt.wantMessage) {
				t.Fatalf("Ready = %+v, want %s %s containing %q", c, tt.wantReady, tt.wantReason, tt.wantMessage)
			}
			stalled := meta.IsStatusConditionTrue(cfg.Status.Conditions, railyard.ConditionStalled)
			if stalled != (tt.wantReady == metav1.ConditionFalse) {
				t.Errorf("Stalled = %t with Ready %s", stalled, tt.wantReady)
			}
			if cfg.Status.ObservedGeneration != 2 || cfg.Status.LastHandledRefresh != tt.wantRefresh {
				t.Errorf("observedGeneration %d, lastHandledRefresh %q", cfg.Status.ObservedGeneration, cfg.Status.LastHandledRefresh)
			}
		})
	}
}
