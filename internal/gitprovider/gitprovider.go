// Package gitprovider opens, reads, lists and merges pull requests (merge
// requests on GitLab) on the Git hosting providers Railyard supports, the
// layer behind the git-open-pr, git-wait-for-pr and git-merge-pr steps.
//
// GitHub, GitLab and Gitea are driven through their maintained client
// libraries (go-github, GitLab's client-go, Gitea's SDK); Bitbucket Cloud and
// Azure DevOps through their REST APIs with net/http. New picks the provider
// from Options.Provider or infers it from the repository host.
//
// Every call honours its context and runs on an HTTP client with a default
// timeout. Failures are classified: *RateLimitedError (with how long to wait),
// ErrAccessDenied (401/403: the token lacks the rights), ErrNotFound and
// ErrConflict, all reachable with errors.Is / errors.As. Tokens, JWTs and
// private keys never appear in errors.
//
// For "exactly once across restarts", OpenPullRequest looks for an open pull
// request from the same head to the same base before creating one, and
// MergePullRequest reports an already merged pull request as merged with its
// merge commit.
package gitprovider

import (
	"context"
	"time"
)

// Provider names, as accepted by Options.Provider (and by Kargo's provider
// field of the git-*-pr steps).
const (
	GitHub    = "github"
	GitLab    = "gitlab"
	Gitea     = "gitea"
	Bitbucket = "bitbucket"
	Azure     = "azure"
)

// State selects pull requests by state when listing.
type State string

// Pull request states. Open includes drafts; Closed includes merged
// (and, on Bitbucket, declined and superseded) pull requests.
const (
	StateOpen   State = "Open"
	StateClosed State = "Closed"
	StateAny    State = "Any"
)

// Interface is a single repository on a Git hosting provider.
type Interface interface {
	// CreatePullRequest opens a pull request from opts.Head into opts.Base.
	// It does not look for an existing one; see OpenPullRequest.
	CreatePullRequest(ctx context.Context, opts CreateOpts) (*PullRequest, error)
	// GetPullRequest returns the pull request with the given number, or an
	// error wrapping ErrNotFound.
	GetPullRequest(ctx context.Context, number int64) (*PullRequest, error)
	// ListPullRequests returns the pull requests matching opts, in no
	// particular order, following every page.
	ListPullRequests(ctx context.Context, opts ListOpts) ([]PullRequest, error)
	// MergePullRequest merges a pull request. It returns merged=true with the
	// pull request (and its merge commit) when the merge was performed or the
	// pull request was already merged; merged=false with a nil error when the
	// pull request is not ready yet (draft, checks pending, mergeability not
	// computed, ...) so the caller may retry later; and an error for anything
	// that will not clear by waiting (closed without merge -> ErrClosed,
	// conflicts, an unsupported merge method, authentication, ...).
	MergePullRequest(ctx context.Context, number int64, opts MergeOpts) (*PullRequest, bool, error)
}

// CreateOpts describes a pull request to open.
type CreateOpts struct {
	// Title of the pull request.
	Title string
	// Description is the body of the pull request.
	Description string
	// Head is the source branch.
	Head string
	// Base is the target branch.
	Base string
	// Labels to add (GitHub, GitLab, Gitea, Azure DevOps; ignored on
	// Bitbucket, which has no pull request labels).
	Labels []string
	// Draft opens the pull request as a draft.
	Draft bool
}

// ListOpts filters pull requests. Empty fields do not filter.
type ListOpts struct {
	// Head is the source branch.
	Head string
	// Base is the target branch.
	Base string
	// State defaults to StateOpen.
	State State
	// HeadSHA keeps only pull requests whose head is at this commit.
	HeadSHA string
}

// MergeOpts tunes a merge.
type MergeOpts struct {
	// Method is the provider-specific merge method (see the git-merge-pr
	// reference): GitHub merge|squash|rebase; GitLab merge|squash; Gitea
	// merge|rebase|rebase-merge|squash|fast-forward-only|manually-merged;
	// Bitbucket merge_commit|squash|fast_forward (and the other strategies
	// Bitbucket documents); Azure DevOps noFastForward|rebase|rebaseMerge|
	// squash. Empty uses the provider's or repository's default.
	Method string
	// HeadSHA, when set, makes the provider refuse the merge if the pull
	// request's head moved (GitHub, GitLab, Gitea; Azure DevOps always pins
	// the head it checked).
	HeadSHA string
}

// PullRequest is a provider-neutral pull request. The JSON names are those
// of Kargo's step outputs (pr.id, pr.url, ...).
type PullRequest struct {
	// Number is unique within the repository (GitLab: the MR iid).
	Number int64 `json:"id"`
	// URL is the web page of the pull request.
	URL string `json:"url"`
	// Open is true while the pull request is open (drafts included).
	Open bool `json:"open"`
	// Merged is true once the pull request has been merged.
	Merged bool `json:"merged"`
	// MergeCommitSHA is the commit the merge produced on the base branch
	// (GitLab: the squash commit when there is no merge commit).
	MergeCommitSHA string `json:"mergeCommitSHA,omitempty"`
	// HeadSHA is the commit at the head of the source branch.
	HeadSHA string `json:"headSHA,omitempty"`
	// Head and Base are the source and target branch names.
	Head string `json:"head,omitempty"`
	Base string `json:"base,omitempty"`
	// Draft is true for a draft pull request.
	Draft bool `json:"draft,omitempty"`
	// CreatedAt is when the pull request was opened, when known.
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// stateMatches reports whether pr is in state s.
func stateMatches(s State, pr PullRequest) bool {
	switch s {
	case StateOpen, "":
		return pr.Open
	case StateClosed:
		return !pr.Open
	default:
		return true
	}
}

// keep reports whether pr passes every filter of opts; providers apply it
// after whatever filtering their API does server-side.
func (o ListOpts) keep(pr PullRequest) bool {
	return stateMatches(o.State, pr) &&
		(o.Head == "" || pr.Head == o.Head) &&
		(o.Base == "" || pr.Base == o.Base) &&
		(o.HeadSHA == "" || pr.HeadSHA == o.HeadSHA)
}
