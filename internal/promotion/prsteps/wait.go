package prsteps

import (
	"context"
	"fmt"
	"sync"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

type waitConfig struct {
	repoConfig
	PRNumber     int64  `json:"prNumber"`
	PollInterval string `json:"pollInterval,omitempty"`
}

// WaitForPR is the git-wait-for-pr step. It is Running while the pull
// request is open, Succeeded once it is merged (output commit = the merge
// commit, and pr.id, pr.url, pr.open, pr.merged), and Failed when it was
// closed without being merged.
//
// Polling backs off: it starts at pollInterval (30s by default, at least
// 10s) and grows by half each poll up to 5 minutes (or pollInterval when
// longer). A rate-limited provider is asked again no sooner than it says.
// The backoff lives in memory; a restarted manager starts it again.
type WaitForPR struct {
	stepDefaults
	opts Options
	mu   sync.Mutex
	seen map[string]waitEntry
}

type waitEntry struct {
	polls int
	at    time.Time
}

// Name implements promotion.Step.
func (*WaitForPR) Name() string { return "git-wait-for-pr" }

// Run implements promotion.Step.
func (s *WaitForPR) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg waitConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	if err := cfg.validate(); err != nil {
		return failed(err)
	}
	if err := validatePRNumber(cfg.PRNumber); err != nil {
		return failed(err)
	}
	base, err := pollInterval(cfg.PollInterval, DefaultWaitPollInterval, s.opts.minPoll())
	if err != nil {
		return failed(err)
	}
	key := sc.Project + "/" + sc.Promotion + "/" + sc.Alias
	conn, err := connect(ctx, sc, s.opts, cfg.repoConfig)
	if err != nil {
		return outcome(err, cfg.RepoURL, "git-wait-for-pr")
	}
	pr, err := conn.provider.GetPullRequest(ctx, cfg.PRNumber)
	if err != nil {
		res, err := outcome(err, cfg.RepoURL, "reading "+describe(nil, cfg.PRNumber, cfg.RepoURL))
		if res.Status == railyard.StepStatusRunning {
			res.RetryAfter = max(res.RetryAfter, s.next(key, base))
		}
		return res, err
	}
	out := map[string]any{
		"pr": map[string]any{"id": pr.Number, "url": pr.URL, "open": pr.Open, "merged": pr.Merged},
	}
	if pr.MergeCommitSHA != "" {
		out["commit"] = pr.MergeCommitSHA
	}
	name := describe(pr, cfg.PRNumber, cfg.RepoURL)
	switch {
	case pr.Open:
		// The message must not change from poll to poll: a changed
		// message is a status write, which runs the step again at once.
		return promotion.Result{
			Status:     railyard.StepStatusRunning,
			Message:    fmt.Sprintf("waiting for %s to be merged", name),
			RetryAfter: s.next(key, base),
		}, nil
	case !pr.Merged:
		s.forget(key)
		res, err := failed(fmt.Errorf("%s was closed without being merged", name))
		res.Output = out
		return res, err
	}
	s.forget(key)
	return promotion.Result{
		Status:  railyard.StepStatusSucceeded,
		Message: fmt.Sprintf("%s was merged as %s", name, pr.MergeCommitSHA),
		Output:  out,
	}, nil
}

// next returns the wait before the next poll of key and counts this poll.
func (s *WaitForPR) next(key string, base time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]waitEntry{}
	}
	now := time.Now()
	for k, e := range s.seen {
		if now.Sub(e.at) > 24*time.Hour {
			delete(s.seen, k)
		}
	}
	e := s.seen[key]
	s.seen[key] = waitEntry{polls: e.polls + 1, at: now}
	return backoff(base, e.polls)
}

func (s *WaitForPR) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, key)
}

// backoff is base grown by half for each earlier poll, bounded by
// MaxPollInterval (or base when longer), rounded up to whole seconds.
func backoff(base time.Duration, polls int) time.Duration {
	limit := max(base, MaxPollInterval)
	d := base
	for range polls {
		d += d / 2
		if d >= limit {
			return limit
		}
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
