package webhook

import "errors"

// Event is what one delivery names, with repositories already normalised
// (NormalizeGitURL, NormalizeImageRepo, NormalizeChartRepo).
type Event struct {
	// Type is the provider's event type, for logs.
	Type string
	// Ping marks a test delivery: answered 2xx, refreshes nothing.
	Ping bool
	// Ignored marks an authentic event that never names new artifacts
	// (unsupported type, deletion, ...): answered 2xx, refreshes nothing.
	Ignored bool
	// GitURLs are every URL form of the pushed repository.
	GitURLs []string
	// ImageRepos are image repositories (registry/path, no tag).
	ImageRepos []string
	// ChartRepos are chart repositories; OCI ones in the same form as
	// ImageRepos, since a registry cannot always tell a chart from an image.
	ChartRepos []string
	// PullRequest marks a pull request of GitURLs that was merged or
	// closed: it wakes Promotions waiting on one, and refreshes no
	// Warehouse.
	PullRequest bool
	// Refs are the git refs, tags or chart versions as the provider sent them.
	Refs []string
	// ChangedFiles are the paths a git push added, modified or removed, when
	// the provider lists every commit; empty when unknown, which skips path
	// filters (as Kargo).
	ChangedFiles []string
}

// Errors a Provider returns; Handler maps them to status codes.
var (
	// ErrUnauthenticated: the request carries no signature or token.
	ErrUnauthenticated = errors.New("missing signature or token")
	// ErrForbidden: the signature or token does not match the secret.
	ErrForbidden = errors.New("signature or token does not match")
	// ErrMisconfigured: the receiver's Secret lacks the key the provider reads.
	ErrMisconfigured = errors.New("receiver secret is missing its key")
	// ErrBadPayload: the body is not what the provider documents.
	ErrBadPayload = errors.New("malformed payload")
)

// pushCommit is the part of a commit GitHub, GitLab and Gitea push payloads
// share: the paths it touched.
type pushCommit struct {
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Removed  []string `json:"removed"`
}

// changedFiles collects the distinct paths commits touched.
func changedFiles(commits []pushCommit) []string {
	var out []string
	for _, c := range commits {
		out = append(append(append(out, c.Added...), c.Modified...), c.Removed...)
	}
	return compact(out)
}
