// Package prsteps holds the pull-request promotion steps: git-open-pr,
// git-wait-for-pr and git-merge-pr. Their configuration fields and outputs
// are Kargo's, so Kargo manifests work unchanged.
//
// They reach the Git hosting provider through internal/gitprovider
// (GitHub, GitLab, Gitea, Bitbucket, Azure DevOps; the provider field, else
// inferred from the host, else named by the credentials Secret) with the
// project's "git" credentials Secret for
// the repository: its password as a token, or its GitHub App keys.
//
// Every step is safe to run again after a restart: git-open-pr adopts the
// pull request an earlier run opened (looked up by head and base) instead of
// opening a second one; git-merge-pr reports an already merged pull request
// as merged; git-wait-for-pr only reads.
//
// Errors are classified so that only what a retry can fix is retried: a
// rate-limited provider makes the step Running with the provider's wait; an
// unreachable provider or a 5xx counts toward the step's error threshold;
// an unknown provider, a URL the provider does not serve, a token without
// rights, a pull request that does not exist or was closed fail the step at
// once with a message saying which.
package prsteps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/gitprovider"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/gitsteps"
)

// Poll intervals, as Kargo documents them: pollInterval is a suggestion
// with a lower bound of MinPollInterval.
const (
	// MinPollInterval is the shortest interval a step polls at.
	MinPollInterval = 10 * time.Second
	// DefaultWaitPollInterval is git-wait-for-pr's first poll interval.
	DefaultWaitPollInterval = 30 * time.Second
	// DefaultMergePollInterval is git-merge-pr's retry interval with wait.
	DefaultMergePollInterval = 10 * time.Second
	// MaxPollInterval bounds git-wait-for-pr's backoff (unless the
	// configured pollInterval is longer).
	MaxPollInterval = 5 * time.Minute
	// DefaultErrorThreshold is how many consecutive retryable errors
	// (provider unreachable, 5xx) end a step.
	DefaultErrorThreshold uint32 = 5
	// OpenTimeout bounds git-open-pr across retries.
	OpenTimeout = 10 * time.Minute
)

// Options configures the steps.
type Options struct {
	// Git configures credentials and git access as for the git steps.
	Git gitsteps.Options
	// HTTPClient, when set, carries every provider API request (tests).
	HTTPClient *http.Client
	// Timeout bounds each provider request; zero means gitprovider's default.
	Timeout time.Duration
	// MinPollInterval replaces MinPollInterval when positive (tests).
	MinPollInterval time.Duration
}

// Steps returns git-open-pr, git-wait-for-pr and git-merge-pr. Each value
// is registered once: git-wait-for-pr remembers its backoff per Promotion.
func Steps(opts Options) []promotion.Step {
	return []promotion.Step{
		&OpenPR{opts: opts},
		&WaitForPR{opts: opts},
		&MergePR{opts: opts},
	}
}

var providers = []string{gitprovider.Azure, gitprovider.Bitbucket, gitprovider.Gitea, gitprovider.GitHub, gitprovider.GitLab}

// repoConfig are the fields every pull-request step takes.
type repoConfig struct {
	RepoURL               string `json:"repoURL"`
	Provider              string `json:"provider,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
}

func (c repoConfig) validate() error {
	switch {
	case strings.TrimSpace(c.RepoURL) == "":
		return promotion.Terminalf("invalid config: field %q is required", "repoURL")
	case c.Provider != "" && !slices.Contains(providers, c.Provider):
		return promotion.Terminalf("invalid config: field %q: unknown Git provider %q (want one of %s)",
			"provider", c.Provider, strings.Join(providers, ", "))
	}
	return nil
}

func validatePRNumber(n int64) error {
	if n < 1 {
		return promotion.Terminalf("invalid config: field %q is required and must be at least 1", "prNumber")
	}
	return nil
}

// connection is a repository on its provider, with the credentials of
// both git and the provider's API.
type connection struct {
	repoURL  string
	provider gitprovider.Interface
	git      git.Credentials
}

// connect looks up the repository's credentials and builds its provider.
func connect(ctx context.Context, sc *promotion.StepContext, opts Options, cfg repoConfig) (*connection, error) {
	gc, api, err := gitsteps.LookupCredentials(ctx, sc, opts.Git, cfg.RepoURL, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return nil, err
	}
	name := chooseProvider(cfg.Provider, cfg.RepoURL, api.Provider)
	po := gitprovider.Options{
		Provider:              name,
		InsecureSkipTLSVerify: cfg.InsecureSkipTLSVerify,
		HTTPClient:            opts.HTTPClient,
		Timeout:               opts.Timeout,
	}
	api.Apply(&po)
	if name == gitprovider.GitHub {
		po.APIURL = opts.Git.GitHubAPIURL
	}
	p, err := gitprovider.New(cfg.RepoURL, po)
	if err != nil {
		return nil, promotion.Terminalf("%s: %w", git.RedactURL(cfg.RepoURL), err)
	}
	return &connection{repoURL: cfg.RepoURL, provider: p, git: gc}, nil
}

// chooseProvider names the provider of repoURL: the step's provider field;
// else the one the host names (github.com, gitlab.com, bitbucket.org,
// dev.azure.com, ...); else the one the credentials Secret names, for a
// self-hosted forge on a host that names none. "" when none says.
func chooseProvider(step, repoURL, secret string) string {
	if step != "" {
		return step
	}
	if p := gitprovider.InferProvider(repoURL); p != "" {
		return p
	}
	return secret
}

// pollInterval parses a configured pollInterval, bounded below.
func pollInterval(raw string, def, lower time.Duration) (time.Duration, error) {
	d := def
	if strings.TrimSpace(raw) != "" {
		var err error
		if d, err = time.ParseDuration(strings.TrimSpace(raw)); err != nil || d <= 0 {
			return 0, promotion.Terminalf("invalid config: field %q: %q is not a positive duration such as 30s or 2m",
				"pollInterval", raw)
		}
	}
	return max(d, lower), nil
}

func (o Options) minPoll() time.Duration {
	if o.MinPollInterval > 0 {
		return o.MinPollInterval
	}
	return MinPollInterval
}

// isPermanent reports provider errors no retry fixes without a change of
// configuration, credentials or the pull request.
func isPermanent(err error) bool {
	if errors.Is(err, gitprovider.ErrUnsupported) || errors.Is(err, gitprovider.ErrAccessDenied) ||
		errors.Is(err, gitprovider.ErrNotFound) || errors.Is(err, gitprovider.ErrClosed) ||
		errors.Is(err, gitprovider.ErrConflict) || promotion.IsTerminal(err) {
		return true
	}
	var api *gitprovider.APIError
	if errors.As(err, &api) && api.StatusCode >= 400 && api.StatusCode < 500 &&
		api.StatusCode != http.StatusRequestTimeout {
		return true
	}
	return errors.Is(err, git.ErrInvalidURL) || errors.Is(err, git.ErrAuthentication) ||
		errors.Is(err, git.ErrRepositoryNotFound)
}

// outcome turns a provider error into the step's result: Running with the
// provider's wait when rate limited, Failed when no retry helps, Errored
// (retried up to the error threshold) otherwise. what says what was being
// done, for the message.
func outcome(err error, repoURL, what string) (promotion.Result, error) {
	err = fmt.Errorf("%s: %w", what, err)
	msg := git.RedactIn(err.Error(), repoURL)
	var rl *gitprovider.RateLimitedError
	if errors.As(err, &rl) {
		return promotion.Result{
			Status:     railyard.StepStatusRunning,
			Message:    fmt.Sprintf("%s; the provider asks to wait %s", msg, rl.RetryAfter),
			RetryAfter: rl.RetryAfter,
		}, nil
	}
	if isPermanent(err) {
		err = &redactedError{err: err, msg: msg}
		if !promotion.IsTerminal(err) {
			err = promotion.Terminal(err)
		}
		return promotion.Result{Status: railyard.StepStatusFailed, Message: msg}, err
	}
	return promotion.Result{Status: railyard.StepStatusErrored, Message: msg}, &redactedError{err: err, msg: msg}
}

// failed is the result and error of a problem no retry can fix.
func failed(err error) (promotion.Result, error) {
	if !promotion.IsTerminal(err) {
		err = promotion.Terminal(err)
	}
	return promotion.Result{Status: railyard.StepStatusFailed, Message: err.Error()}, err
}

type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// describe names a pull request for messages: its URL when known.
func describe(pr *gitprovider.PullRequest, number int64, repoURL string) string {
	if pr != nil && pr.URL != "" {
		return fmt.Sprintf("pull request #%d (%s)", number, pr.URL)
	}
	return fmt.Sprintf("pull request #%d of %s", number, git.RedactURL(repoURL))
}

// stepDefaults are the retry defaults of the steps.
type stepDefaults struct{ timeout time.Duration }

// DefaultTimeout implements promotion.Defaults.
func (d stepDefaults) DefaultTimeout() time.Duration { return d.timeout }

// DefaultErrorThreshold implements promotion.Defaults.
func (stepDefaults) DefaultErrorThreshold() uint32 { return DefaultErrorThreshold }
