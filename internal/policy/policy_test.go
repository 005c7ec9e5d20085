package policy

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func stage(name string, lbls map[string]string) *railyard.Stage {
	return &railyard.Stage{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo", Labels: lbls}}
}

func config(policies ...railyard.PromotionPolicy) *railyard.ProjectConfig {
	return &railyard.ProjectConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "demo"},
		Spec:       railyard.ProjectConfigSpec{PromotionPolicies: policies},
	}
}

func byName(name string, on bool) railyard.PromotionPolicy {
	return railyard.PromotionPolicy{StageSelector: &railyard.PromotionPolicySelector{Name: name}, AutoPromotionEnabled: on}
}

func byLabels(sel *metav1.LabelSelector, name string, on bool) railyard.PromotionPolicy {
	return railyard.PromotionPolicy{
		StageSelector:        &railyard.PromotionPolicySelector{Name: name, LabelSelector: sel},
		AutoPromotionEnabled: on,
	}
}

func TestAutoPromotionEnabled(t *testing.T) {
	tier := func(v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"tier": v}}
	}
	mismatched := config(byName("test", true))
	mismatched.Name = "other"

	tests := []struct {
		name    string
		stage   *railyard.Stage
		cfg     *railyard.ProjectConfig
		want    bool
		wantErr bool
	}{
		{name: "no ProjectConfig", stage: stage("test", nil), cfg: nil},
		{name: "no policies", stage: stage("test", nil), cfg: config()},
		{name: "stage shorthand", stage: stage("test", nil), cfg: config(railyard.PromotionPolicy{Stage: "test", AutoPromotionEnabled: true}), want: true},
		{name: "stage shorthand takes patterns", stage: stage("test-eu", nil), cfg: config(railyard.PromotionPolicy{Stage: "glob:test-*", AutoPromotionEnabled: true}), want: true},
		{name: "exact name", stage: stage("test", nil), cfg: config(byName("test", true)), want: true},
		{name: "exact name is not a prefix", stage: stage("test-eu", nil), cfg: config(byName("test", true))},
		{name: "glob", stage: stage("test-eu", nil), cfg: config(byName("glob:test-*", true)), want: true},
		{name: "glob miss", stage: stage("prod-eu", nil), cfg: config(byName("glob:test-*", true))},
		{name: "glob character class", stage: stage("test-1", nil), cfg: config(byName("glob:test-[0-9]", true)), want: true},
		{name: "regex", stage: stage("qa-2", nil), cfg: config(byName(`regex:^(test|qa)-\d+$`, true)), want: true},
		{name: "regexp spelling", stage: stage("qa-2", nil), cfg: config(byName(`regexp:^qa`, true)), want: true},
		{name: "regex unanchored matches inside", stage: stage("eu-test-1", nil), cfg: config(byName(`regex:test`, true)), want: true},
		{name: "regex miss", stage: stage("prod", nil), cfg: config(byName(`regex:^test`, true))},
		{name: "labels only", stage: stage("x", map[string]string{"tier": "dev"}), cfg: config(byLabels(tier("dev"), "", true)), want: true},
		{name: "labels miss", stage: stage("x", map[string]string{"tier": "prod"}), cfg: config(byLabels(tier("dev"), "", true))},
		{name: "name and labels are ANDed: label misses", stage: stage("test", map[string]string{"tier": "prod"}), cfg: config(byLabels(tier("dev"), "test", true))},
		{name: "name and labels are ANDed: both match", stage: stage("test", map[string]string{"tier": "dev"}), cfg: config(byLabels(tier("dev"), "test", true)), want: true},
		{
			name:  "match expressions",
			stage: stage("x", map[string]string{"tier": "dev"}),
			cfg: config(byLabels(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"dev", "qa"}},
			}}, "", true)),
			want: true,
		},
		{name: "empty selector selects all", stage: stage("anything", nil), cfg: config(byLabels(nil, "", true)), want: true},
		{name: "first match wins: disabled before enabled", stage: stage("test", nil), cfg: config(byName("test", false), byName("glob:*", true))},
		{name: "first match wins: enabled before disabled", stage: stage("test", nil), cfg: config(byName("glob:t*", true), byName("test", false)), want: true},
		{name: "non-matching policies are skipped", stage: stage("test", nil), cfg: config(byName("prod", false), byName("test", true)), want: true},
		{name: "ProjectConfig not named like the namespace is ignored", stage: stage("test", nil), cfg: mismatched},
		{name: "invalid regex before a match", stage: stage("test", nil), cfg: config(byName("regex:(", true), byName("test", true)), wantErr: true},
		{name: "invalid glob before a match", stage: stage("test", nil), cfg: config(byName("glob:[", true), byName("test", true)), wantErr: true},
		{name: "invalid policy after the match does not matter", stage: stage("test", nil), cfg: config(byName("test", true), byName("regex:(", false)), want: true},
		{
			name:  "invalid label selector",
			stage: stage("test", nil),
			cfg: config(byLabels(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "tier", Operator: "Near"},
			}}, "", true)),
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AutoPromotionEnabled(tt.stage, tt.cfg)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidPolicy) {
					t.Fatalf("error = %v, want ErrInvalidPolicy", err)
				}
				if got {
					t.Error("enabled despite an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Errorf("AutoPromotionEnabled = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		cfg      *railyard.ProjectConfig
		wantMsgs []string
	}{
		{name: "valid", cfg: config(byName("test", true), byName("glob:qa-*", true), byName("regex:^p", false))},
		{
			name:     "each invalid policy is named by index",
			cfg:      config(byName("test", true), byName("regex:([", true), byName("glob:[a-", true)),
			wantMsgs: []string{"promotionPolicies[1]: invalid promotion policy: regular expression", "promotionPolicies[2]: invalid promotion policy: glob"},
		},
		{
			name:     "bad label selector",
			cfg:      config(byLabels(&metav1.LabelSelector{MatchLabels: map[string]string{"bad key!": "x"}}, "", true)),
			wantMsgs: []string{"promotionPolicies[0]: invalid promotion policy: label selector"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.cfg)
			if len(tt.wantMsgs) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("Validate = %v, want ErrInvalidPolicy", err)
			}
			for _, m := range tt.wantMsgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Validate = %q, want it to contain %q", err, m)
				}
			}
		})
	}
}
