// Package gitsteps holds the promotion steps that work with git: git-clone,
// git-clear, git-commit, git-tag, git-push and github-push (a push whose
// commits GitHub creates, and signs, through its API). Config field names follow Kargo so
// Kargo step configurations work unchanged, including git-clone's
// recurseSubmodules, author.signingKey (commits and tags are signed) and
// git-push's force and tag.
//
// Every step works from what is on disk in the work directory, so a
// Promotion resumed by another manager process can continue at any step:
// git-clone records the remote commit a checkout is based on in the ref
// refs/railyard/base, git-commit commits in place, and git-push transplants
// the checkout's changes since that base onto a fresh clone of the target
// branch, where the git layer's push-with-replay does the rest.
package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/gitprovider"
	"github.com/railyard-dev/railyard/internal/promotion"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// CredentialType is the credential type the steps ask the provider for.
const CredentialType = "git"

// Retry defaults of the steps that talk to a git server (git-clone,
// git-push), which the engine uses unless a step sets retry: a server
// that refuses connections or times out for a moment should not fail the
// Promotion, so such errors are retried, as Kargo's git steps do.
const (
	// DefaultErrorThreshold is how many consecutive errors end the step.
	DefaultErrorThreshold uint32 = 5
	// DefaultTimeout bounds the step across retries. Each git operation is
	// itself bounded by git.DefaultOperationTimeout (3m), so this leaves
	// room for a few slow attempts without letting a dead server hold the
	// Promotion for long.
	DefaultTimeout = 10 * time.Minute
)

// Options configures the git steps.
type Options struct {
	// SSHKnownHosts holds known_hosts lines used to verify SSH servers.
	// Empty means the manager user's ~/.ssh/known_hosts.
	SSHKnownHosts []byte
	// InsecureIgnoreHostKey skips SSH host key verification. Only for
	// development.
	InsecureIgnoreHostKey bool
	// Timeouts bound each git network operation; zero means the git
	// package's defaults. Tests shorten them.
	Timeouts git.Timeouts
	// HTTPClient, when set, carries the GitHub App token exchange (tests).
	HTTPClient *http.Client
	// GitHubAPIURL, when set, replaces the GitHub API root derived from the
	// repository URL for the GitHub App token exchange (tests, proxies).
	GitHubAPIURL string
	// Cache, when set, serves git-clone's checkouts and git-push's scratch
	// clones from a per-repository object cache instead of full clones.
	Cache *git.Cache
}

// clone clones through the cache when there is one.
func (o Options) clone(ctx context.Context, repoURL string, creds git.Credentials, co git.CloneOptions) (*git.WorkTree, error) {
	if o.Cache != nil {
		return o.Cache.Clone(ctx, repoURL, creds, co)
	}
	return git.Clone(ctx, repoURL, creds, co)
}

// learn tells the cache, when there is one, that the remote's branch is
// now at commit, pushed from the checkout at dir, so the next checkout of
// the stage branch need not fetch it back. Failing to is only a missed
// saving, so it is logged and not returned.
func (o Options) learn(ctx context.Context, repoURL string, creds git.Credentials, dir, branch, commit string) {
	if o.Cache == nil {
		return
	}
	if err := o.Cache.Learn(repoURL, creds, dir, branch, commit); err != nil {
		log.FromContext(ctx).V(1).Info("the git cache did not take the pushed commit; the next checkout fetches it",
			"repository", git.RedactURL(repoURL), "error", err.Error())
	}
}

// networkDefaults gives the steps that reach a git server their retry
// defaults (promotion.Defaults).
type networkDefaults struct{}

// DefaultTimeout implements promotion.Defaults.
func (networkDefaults) DefaultTimeout() time.Duration { return DefaultTimeout }

// DefaultErrorThreshold implements promotion.Defaults.
func (networkDefaults) DefaultErrorThreshold() uint32 { return DefaultErrorThreshold }

var (
	_ promotion.Defaults = (*Clone)(nil)
	_ promotion.Defaults = (*Push)(nil)
	_ promotion.Defaults = (*GitHubPush)(nil)
)

// Steps returns git-clone, git-clear, git-commit, git-tag, git-push and
// github-push, ready to be registered.
func Steps(opts Options) []promotion.Step {
	return []promotion.Step{
		&Clone{opts: opts},
		Clear{},
		Commit{},
		Tag{},
		&Push{opts: opts},
		&GitHubPush{opts: opts},
	}
}

// credentials looks up the "git" credentials for repoURL. The returned
// value never appears in messages: git.Credentials redacts itself.
func credentials(ctx context.Context, sc *promotion.StepContext, opts Options, repoURL string,
	insecureTLS bool) (git.Credentials, error) {
	c, _, err := LookupCredentials(ctx, sc, opts, repoURL, insecureTLS)
	return c, err
}

// LookupCredentials looks up the "git" credentials for repoURL and returns
// them twice: for git (clone, fetch, push) and for the Git provider's API
// (a token, or GitHub App credentials). When the Secret holds GitHub App
// credentials, git over HTTP(S) authenticates as the App installation
// (user x-access-token, an installation token cached until shortly before
// it expires). Neither value prints secrets.
func LookupCredentials(ctx context.Context, sc *promotion.StepContext, opts Options, repoURL string,
	insecureTLS bool) (git.Credentials, gitprovider.Credentials, error) {
	c := git.Credentials{
		SSHKnownHosts:         opts.SSHKnownHosts,
		InsecureIgnoreHostKey: opts.InsecureIgnoreHostKey,
		InsecureSkipTLSVerify: insecureTLS,
		Timeouts:              opts.Timeouts,
	}
	var api gitprovider.Credentials
	if sc.Credentials == nil {
		return c, api, nil
	}
	found, err := sc.Credentials.Get(ctx, sc.Project, CredentialType, repoURL)
	if err != nil {
		return c, api, fmt.Errorf("look up git credentials for %s: %w", git.RedactURL(repoURL), err)
	}
	if found == nil {
		return c, api, nil
	}
	c.Username = found.Username
	c.Password = found.Password
	if found.SSHPrivateKey != "" {
		c.SSHPrivateKey = []byte(found.SSHPrivateKey)
	}
	api, err = gitprovider.CredentialsFromSecretData(map[string][]byte{
		gitprovider.SecretKeyUsername:          []byte(found.Username),
		gitprovider.SecretKeyPassword:          []byte(found.Password),
		gitprovider.SecretKeyAppID:             []byte(found.GitHubAppID),
		gitprovider.SecretKeyAppClientID:       []byte(found.GitHubAppClientID),
		gitprovider.SecretKeyAppInstallationID: []byte(found.GitHubAppInstallationID),
		gitprovider.SecretKeyAppPrivateKey:     []byte(found.GitHubAppPrivateKey),
	})
	if err != nil {
		return c, api, promotion.Terminalf("git credentials for %s: %w", git.RedactURL(repoURL), err)
	}
	api.Provider = found.Provider
	if api.GitHubApp != nil && isHTTP(repoURL) {
		src, err := gitprovider.NewAppTokenSource(repoURL, api.GitHubApp, gitprovider.Options{
			InsecureSkipTLSVerify: insecureTLS, HTTPClient: opts.HTTPClient, APIURL: opts.GitHubAPIURL})
		if err != nil {
			return c, api, promotion.Terminalf("git credentials for %s: %w", git.RedactURL(repoURL), err)
		}
		tok, err := src.InstallationToken(ctx)
		if err != nil {
			err = fmt.Errorf("GitHub App installation token for %s: %w", git.RedactURL(repoURL), err)
			if errors.Is(err, gitprovider.ErrAccessDenied) || errors.Is(err, gitprovider.ErrNotFound) {
				err = promotion.Terminal(err)
			}
			return c, api, err
		}
		c.Username, c.Password = gitprovider.GitHubAppGitUsername, tok
	}
	return c, api, nil
}

// isHTTP reports whether repoURL is reached over HTTP(S).
func isHTTP(repoURL string) bool {
	u := strings.ToLower(strings.TrimSpace(repoURL))
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// isTerminalGit reports git errors that no retry fixes without a change of
// configuration or credentials.
func isTerminalGit(err error) bool {
	return errors.Is(err, git.ErrInvalidURL) || errors.Is(err, git.ErrRefNotFound) ||
		errors.Is(err, git.ErrRepositoryNotFound) || errors.Is(err, git.ErrPushConflict) ||
		errors.Is(err, git.ErrAuthentication) || errors.Is(err, git.ErrSigningKey) || errors.Is(err, git.ErrSubmodule)
}

// failed is the result and error of a problem no retry can fix.
func failed(err error) (promotion.Result, error) {
	if !promotion.IsTerminal(err) {
		err = promotion.Terminal(err)
	}
	return promotion.Result{Status: railyard.StepStatusFailed, Message: err.Error()}, err
}

// errored is the result of a problem a retry may fix; terminal errors and
// the git sentinels above still end as Failed.
func errored(err error) (promotion.Result, error) {
	if promotion.IsTerminal(err) || isTerminalGit(err) {
		return failed(err)
	}
	return promotion.Result{Status: railyard.StepStatusErrored, Message: err.Error()}, err
}

// scrubbed removes the credentials embedded in repoURL from a step's
// message and error. The git package redacts its own errors; this covers
// the rest, such as a credentials lookup or a parser quoting the URL.
func scrubbed(res promotion.Result, err error, repoURL string) (promotion.Result, error) {
	if err == nil {
		return res, nil
	}
	res.Message = git.RedactIn(res.Message, repoURL)
	return res, scrubErr(err, repoURL)
}

// scrubErr is err with the credentials of repoURL removed from its message;
// err stays in the chain for errors.Is and promotion.IsTerminal.
func scrubErr(err error, repoURL string) error {
	if err == nil {
		return nil
	}
	if msg := git.RedactIn(err.Error(), repoURL); msg != err.Error() {
		return &scrubbedError{err: err, msg: msg}
	}
	return err
}

type scrubbedError struct {
	err error
	msg string
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
