package git

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

var (
	// ErrInvalidURL means the repository URL cannot be used; the user must
	// fix it.
	ErrInvalidURL = errors.New("invalid repository URL")
	// ErrAuthentication means the remote refused the credentials (or none
	// were given where needed).
	ErrAuthentication = errors.New("git authentication failed")
	// ErrRepositoryNotFound means the remote has no such repository.
	ErrRepositoryNotFound = errors.New("git repository not found")
	// ErrRefNotFound means a branch, tag or commit does not exist.
	ErrRefNotFound = errors.New("git reference not found")
	// ErrNothingToCommit is returned by CommitAll when the tree is unchanged.
	ErrNothingToCommit = errors.New("nothing to commit")
	// ErrPushConflict means our changes could not be replayed on the remote
	// head (both sides changed a file) or retries were exhausted.
	ErrPushConflict = errors.New("git push conflict")
)

// wrapErr classifies a go-git error and makes sure neither the URL's
// userinfo nor any secret leaks into the message.
func wrapErr(op string, r *remote, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w", op, RedactURL(r.url), err)
	}
	msg := strings.TrimSuffix(strings.TrimSpace(redactIn(err.Error(), r.creds.secrets()...)), ":")
	var sentinel error
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		strings.Contains(msg, "unable to authenticate"), strings.Contains(msg, "knownhosts:"), strings.Contains(msg, "known hosts"),
		strings.Contains(msg, "host key"):
		sentinel = ErrAuthentication
	case errors.Is(err, transport.ErrRepositoryNotFound):
		sentinel = ErrRepositoryNotFound
	}
	if sentinel != nil {
		return fmt.Errorf("%s %s: %w: %s", op, RedactURL(r.url), sentinel, msg)
	}
	// The original error is kept out of the chain on purpose: its text is
	// already redacted above, and go-git errors can carry the request URL.
	return fmt.Errorf("%s %s: %s", op, RedactURL(r.url), msg)
}
