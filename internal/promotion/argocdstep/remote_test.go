package argocdstep_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/argocd"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/argocdstep"
)

// TestUnreachableArgoCDIsRetried: with a remote Argo CD cluster that has
// not answered, both steps fail the attempt with the reason, as an error
// the engine retries (not a terminal failure).
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
			if !errors.Is(err, argocd.ErrUnreachable) || promotion.IsTerminal(err) {
				t.Fatalf("error %v; want a retryable ErrUnreachable", err)
			}
			if res.Status != railyard.StepStatusErrored || !strings.Contains(res.Message, "unreachable") {
				t.Errorf("status %s, message %q", res.Status, res.Message)
			}
		})
	}
}
