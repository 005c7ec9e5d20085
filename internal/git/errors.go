package git

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

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
	// ErrTimeout means the server did not answer within the operation's
	// deadline or stopped making progress. Retrying may help.
	ErrTimeout = errors.New("git server did not answer in time")
	// ErrUnreachable means no connection could be made or it broke
	// (refused, reset, no route, unknown host). Retrying may help.
	ErrUnreachable = errors.New("git server unreachable")
	// ErrNonFastForward means a push was refused because the remote branch
	// holds commits the pushed one does not descend from: someone else
	// pushed first.
	ErrNonFastForward = errors.New("git push refused: not a fast-forward")
)

// wrapErr classifies a go-git error of the operation whose context is ctx
// and makes sure neither the URL's userinfo nor any secret leaks into the
// message, which names the server.
func wrapErr(ctx context.Context, op string, r *remote, err error) error {
	if err == nil {
		return nil
	}
	// The SSH dialer ends a connection when ctx ends, so go-git may report
	// a closed connection rather than the context's error.
	switch ctxErr := ctx.Err(); {
	case errors.Is(ctxErr, context.DeadlineExceeded), ctxErr == nil && errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s %s: %w: %w", op, RedactURL(r.url), ErrTimeout, context.DeadlineExceeded)
	case ctxErr != nil:
		return fmt.Errorf("%s %s: %w", op, RedactURL(r.url), ctxErr)
	}
	msg := strings.TrimSuffix(strings.TrimSpace(redactIn(err.Error(), r.creds.secrets()...)), ":")
	var sentinel error
	switch {
	case isTimeout(err, msg):
		sentinel = ErrTimeout
	case isUnreachable(err, msg):
		sentinel = ErrUnreachable
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		strings.Contains(msg, "unable to authenticate"), strings.Contains(msg, "knownhosts:"), strings.Contains(msg, "known hosts"),
		strings.Contains(msg, "host key"):
		sentinel = ErrAuthentication
	case errors.Is(err, transport.ErrRepositoryNotFound):
		sentinel = ErrRepositoryNotFound
	case strings.Contains(msg, "non-fast-forward"), strings.Contains(msg, "fetch first"),
		strings.Contains(msg, "failed to update ref"), strings.Contains(msg, "failed to lock"):
		// go-git's own check before sending, the server's refusal, or the
		// server losing a race for the ref to another pusher.
		sentinel = ErrNonFastForward
	}
	if sentinel != nil {
		return fmt.Errorf("%s %s: %w: %s", op, RedactURL(r.url), sentinel, msg)
	}
	// The original error is kept out of the chain on purpose: its text is
	// already redacted above, and go-git errors can carry the request URL.
	return fmt.Errorf("%s %s: %s", op, RedactURL(r.url), msg)
}

// isTimeout recognizes the idle, response-header and TLS handshake timeouts;
// go-git does not always keep the net.Error in the chain, hence the text.
func isTimeout(err error, msg string) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, s := range []string{"i/o timeout", "timeout awaiting response headers", "TLS handshake timeout",
		"Client.Timeout exceeded"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isUnreachable recognizes failures to connect or a connection the server
// dropped.
func isUnreachable(err error, msg string) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	for _, s := range []string{"connection refused", "connection reset", "no route to host",
		"network is unreachable", "no such host", "broken pipe"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
