// Package git discovers commits for a Warehouse git subscription: the newest
// commits of a branch or the best tags, filtered by tag rules, paths and an
// expression. It lists refs first and fetches only the history it needs.
package git

import (
	"errors"
	"time"
)

// Strategy is a commit selection strategy.
type Strategy string

// Commit selection strategies, as in Kargo's commitSelectionStrategy.
const (
	NewestFromBranch Strategy = "NewestFromBranch"
	SemVer           Strategy = "SemVer"
	Lexical          Strategy = "Lexical"
	NewestTag        Strategy = "NewestTag"
)

const (
	// DefaultDiscoveryLimit applies when Options.DiscoveryLimit is 0.
	DefaultDiscoveryLimit = 20
	// MaxDiscoveryLimit is the largest accepted DiscoveryLimit.
	MaxDiscoveryLimit = 100
	// MaxHistoryDepth bounds how deep a branch is fetched while looking for
	// commits that pass the filters.
	MaxHistoryDepth = 1000
	// subjectMax is the length limit of Commit.Subject in runes.
	subjectMax = 80
)

var (
	// ErrInvalidSubscription means the options cannot work (bad regex,
	// constraint, path selector, expression or strategy). It is terminal:
	// the user must change the subscription.
	ErrInvalidSubscription = errors.New("invalid git subscription")
	// ErrUnchanged means the relevant refs and options match the previous
	// fingerprint; nothing was fetched and previous results still hold.
	ErrUnchanged = errors.New("git refs unchanged")
)

// Options describe one git subscription. The caller applies API defaults
// (for example StrictSemvers defaults to true in the API).
type Options struct {
	RepoURL  string
	Strategy Strategy // NewestFromBranch when empty
	// Branch for NewestFromBranch; the remote's default branch when empty.
	Branch           string
	SemverConstraint string
	StrictSemvers    bool
	// AllowTagsRegexes: a tag must match one (all tags when empty).
	// IgnoreTagsRegexes: a tag matching one is dropped; ignore wins.
	AllowTagsRegexes  []string
	IgnoreTagsRegexes []string
	// IncludePaths / ExcludePaths: plain = directory prefix, "glob:" =
	// doublestar glob, "regex:" or "regexp:" = Go regexp. A commit passes
	// when it changes at least one included path that is not excluded.
	IncludePaths []string
	ExcludePaths []string
	// ExpressionFilter is an expr-lang boolean over commit metadata: for
	// branches id, commitDate, author, committer, subject; for tags also
	// tag, creatorDate, tagger, annotation.
	ExpressionFilter string
	// DiscoveryLimit caps the result; DefaultDiscoveryLimit when 0.
	DiscoveryLimit int
	// Since drops commits (tags) created before it; zero means no bound.
	Since time.Time

	// Refs shares listings of the remote's refs begun at or after
	// RefsNotBefore (see RefCache); nil lists afresh. Neither is part of
	// the fingerprint.
	Refs          *RefCache `json:"-"`
	RefsNotBefore time.Time `json:"-"`
	// Histories shares fetched branch histories (see HistoryCache); nil
	// fetches afresh. Not part of the fingerprint.
	Histories *HistoryCache `json:"-"`
}

// Commit is one discovered commit, as recorded in Warehouse status.
type Commit struct {
	ID     string
	Branch string
	Tag    string
	// Subject is the first line of the message, at most 80 characters.
	Subject   string
	Author    string
	Committer string
	// CreatorDate is the commit date, or for annotated tags the tag date.
	CreatorDate time.Time
}

// Result is a discovery outcome.
type Result struct {
	// Commits are newest (best) first.
	Commits []Commit
	// Fingerprint identifies the refs and options this result came from;
	// pass it back to skip work when nothing changed.
	Fingerprint string
}
