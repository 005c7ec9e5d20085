package prsteps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/gitprovider"
	"github.com/railyard-dev/railyard/internal/promotion"
)

type mergeConfig struct {
	repoConfig
	PRNumber     int64  `json:"prNumber"`
	MergeMethod  string `json:"mergeMethod,omitempty"`
	Wait         bool   `json:"wait,omitempty"`
	PollInterval string `json:"pollInterval,omitempty"`
}

// MergePR is the git-merge-pr step. It merges the pull request with
// mergeMethod (the provider's default when empty) and outputs commit, the
// merge commit. A pull request merged already, by an earlier run or by
// someone else, is a success with its merge commit. One that is not ready
// to merge (checks pending, draft, mergeability not computed yet) makes the
// step Running when wait is true, and Failed otherwise; one closed without
// merging, a conflict or an unsupported merge method Failed.
type MergePR struct {
	stepDefaults
	opts Options
}

// Name implements promotion.Step.
func (*MergePR) Name() string { return "git-merge-pr" }

// Run implements promotion.Step.
func (s *MergePR) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg mergeConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	if err := cfg.validate(); err != nil {
		return failed(err)
	}
	if err := validatePRNumber(cfg.PRNumber); err != nil {
		return failed(err)
	}
	poll, err := pollInterval(cfg.PollInterval, DefaultMergePollInterval, s.opts.minPoll())
	if err != nil {
		return failed(err)
	}
	conn, err := connect(ctx, sc, s.opts, cfg.repoConfig)
	if err != nil {
		return outcome(err, cfg.RepoURL, "git-merge-pr")
	}
	name := describe(nil, cfg.PRNumber, cfg.RepoURL)
	pr, merged, err := conn.provider.MergePullRequest(ctx, cfg.PRNumber, gitprovider.MergeOpts{Method: cfg.MergeMethod})
	if err != nil {
		if cfg.Wait && notYet(err) {
			return promotion.Result{
				Status:     railyard.StepStatusRunning,
				Message:    fmt.Sprintf("%s cannot be merged yet (%v); trying again in %s", name, err, poll),
				RetryAfter: poll,
			}, nil
		}
		return outcome(err, cfg.RepoURL, "merging "+name)
	}
	if !merged {
		if cfg.Wait {
			return promotion.Result{
				Status:     railyard.StepStatusRunning,
				Message:    fmt.Sprintf("%s is not ready to merge yet; trying again in %s", name, poll),
				RetryAfter: poll,
			}, nil
		}
		return failed(fmt.Errorf("%s is not ready to merge (checks pending, draft, or not mergeable) and wait is false", name))
	}
	name = describe(pr, cfg.PRNumber, cfg.RepoURL)
	return promotion.Result{
		Status:  railyard.StepStatusSucceeded,
		Message: fmt.Sprintf("%s is merged as %s", name, pr.MergeCommitSHA),
		Output:  map[string]any{"commit": pr.MergeCommitSHA},
	}, nil
}

// notYet reports a refused merge that waiting may clear: the provider
// answered 405 or 409 asking to try again later (Gitea does while it
// computes mergeability after a push). The providers already report the
// other passing states (checks pending, draft, ...) as not merged.
func notYet(err error) bool {
	var api *gitprovider.APIError
	return errors.As(err, &api) &&
		(api.StatusCode == http.StatusMethodNotAllowed || api.StatusCode == http.StatusConflict) &&
		strings.Contains(strings.ToLower(api.Message), "try again")
}
