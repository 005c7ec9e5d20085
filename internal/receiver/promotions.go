package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/webhook"
)

// pullRequestSteps are the steps that wait on a pull request, and so are
// woken when one closes.
var pullRequestSteps = []string{"git-wait-for-pr", "git-merge-pr"}

// PromotionWaker wakes running Promotions waiting on a pull request by
// setting their refresh annotation, which the Promotion controller reacts
// to by running the waiting step at once instead of at its next poll.
type PromotionWaker struct {
	Client client.Client
}

// Wake implements webhook.Handler.WakePromotions.
func (p *PromotionWaker) Wake(ctx context.Context, project string, gitURLs []string) ([]types.NamespacedName, error) {
	var list railyard.PromotionList
	var opts []client.ListOption
	if project != "" {
		opts = append(opts, client.InNamespace(project))
	}
	if err := p.Client.List(ctx, &list, opts...); err != nil {
		return nil, fmt.Errorf("listing Promotions: %w", err)
	}
	var woken []types.NamespacedName
	var errs []error
	for i := range list.Items {
		promo := &list.Items[i]
		if !waitsOnPullRequest(promo, gitURLs) {
			continue
		}
		key := client.ObjectKeyFromObject(promo)
		if err := annotateRefresh(ctx, p.Client, promo, time.Now()); err != nil {
			errs = append(errs, fmt.Errorf("promotion %s: %w", key, err))
			continue
		}
		woken = append(woken, key)
	}
	return woken, errors.Join(errs...)
}

// waitsOnPullRequest reports whether promo is running a pull-request step
// on one of gitURLs. A repoURL still holding an expression cannot be
// compared, so such a step is woken: a spurious wake costs one poll.
func waitsOnPullRequest(promo *railyard.Promotion, gitURLs []string) bool {
	st := promo.Status
	if st.Phase != railyard.PromotionPhaseRunning || st.CurrentStep < 0 || int(st.CurrentStep) >= len(promo.Spec.Steps) {
		return false
	}
	step := promo.Spec.Steps[st.CurrentStep]
	if !slices.Contains(pullRequestSteps, step.Uses) {
		return false
	}
	var cfg struct {
		RepoURL string `json:"repoURL"`
	}
	if step.Config != nil {
		_ = json.Unmarshal(step.Config.Raw, &cfg)
	}
	if cfg.RepoURL == "" || strings.Contains(cfg.RepoURL, "${{") {
		return true
	}
	return slices.Contains(gitURLs, webhook.NormalizeGitURL(cfg.RepoURL))
}
