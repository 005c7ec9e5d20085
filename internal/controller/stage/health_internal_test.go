package stage

import (
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestNeedsArgoCD(t *testing.T) {
	withSteps := func(uses ...string) *railyard.Stage {
		st := &railyard.Stage{Spec: railyard.StageSpec{PromotionTemplate: &railyard.PromotionTemplate{}}}
		for _, u := range uses {
			st.Spec.PromotionTemplate.Spec.Steps = append(st.Spec.PromotionTemplate.Spec.Steps, railyard.PromotionStep{Uses: u})
		}
		return st
	}
	withChecks := func(uses string) *railyard.Stage {
		cfg, err := encodeHealthChecks([]railyard.HealthCheckStep{{Uses: uses}})
		if err != nil {
			t.Fatal(err)
		}
		return &railyard.Stage{Status: railyard.StageStatus{Health: &railyard.Health{Config: cfg}}}
	}
	for _, tc := range []struct {
		name  string
		stage *railyard.Stage
		want  bool
	}{
		{"no template", &railyard.Stage{}, false},
		{"git steps only", withSteps("git-clone", "git-push"), false},
		{"argocd-update", withSteps("git-clone", "argocd-update"), true},
		{"argocd-wait", withSteps("argocd-wait"), true},
		{"Argo CD health checks", withChecks("argocd-update"), true},
		{"other health checks", withChecks("http"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := needsArgoCD(tc.stage); got != tc.want {
				t.Errorf("needsArgoCD = %v, want %v", got, tc.want)
			}
		})
	}
}
