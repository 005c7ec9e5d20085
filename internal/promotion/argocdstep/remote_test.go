package argocdstep_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
)

// TestUnreachableArgoCDIsRetried: with a remote Argo CD cluster that has
// not answered, both steps keep waiting with the reason, to look again
// later (their timeout ends the wait).
func TestUnreachableArgoCDIsRetried(t *testing.T) {
	remote := argocd.NewRemote(filepath.Join(t.TempDir(), "missing"), nil)
	for _, tc := range []struct {
		name string
		step promotion.Step
	}{
		{"argocd-update", argocdstep.Step{Remote: remote}},
		{"argocd-wait", &argocdstep.Wait{Remote: remote}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := &promotion.StepContext{Project: "demo", Stage: "test", Promotion: "p", Config: nameConfig("app")}
			res, err := tc.step.Run(context.Background(), sc)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != railyard.StepStatusRunning || res.RetryAfter <= 0 || !strings.Contains(res.Message, argocd.ErrUnreachable.Error()) {
				t.Errorf("status %s, retry after %s, message %q; want Running with the reason", res.Status, res.RetryAfter, res.Message)
			}
		})
	}
}
