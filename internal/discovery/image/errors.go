package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinels for callers deciding between "fix the spec", "fix access" and
// "retry later". Test with errors.Is.
var (
	// ErrInvalidSubscription: the subscription itself is wrong (bad repoURL,
	// constraint, regex, platform, strategy). Retrying cannot help.
	ErrInvalidSubscription = errors.New("invalid image subscription")
	// ErrTransient: the registry is rate limiting (429), failing (5xx) or
	// unreachable; retry later with backoff.
	ErrTransient = errors.New("transient registry error")
	// ErrAccessDenied: the registry rejected the credentials (401/403).
	ErrAccessDenied = errors.New("registry access denied")
	// ErrRepositoryNotFound: the repository does not exist (404 on listing).
	ErrRepositoryNotFound = errors.New("repository not found")
)

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidSubscription, field, fmt.Sprintf(format, args...))
}

// classify wraps a registry error with the matching sentinel. ggcr's errors
// carry method, URL and the registry's message but never credentials.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch {
		case terr.StatusCode == http.StatusTooManyRequests || terr.StatusCode >= 500:
			return fmt.Errorf("%s: %w: %w", op, ErrTransient, err)
		case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%s: %w: %w", op, ErrAccessDenied, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	// A deadline, the caller's or net/http's, means the registry did not
	// answer in time: as transient as a refused connection.
	if isNetworkError(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", op, ErrTransient, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isNetworkError: connection-level failures (refused, reset, timeouts, DNS).
// ggcr's ping joins the errors of its https and http attempts as text, so
// the timeouts of net/http are also recognized by their wording.
func isNetworkError(err error) bool {
	var nerr net.Error
	var operr *net.OpError
	if errors.As(err, &nerr) || errors.As(err, &operr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"timeout awaiting response headers", "TLS handshake timeout", "i/o timeout",
		"connection refused", "connection reset"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isNotFound reports a 404 for a manifest or repository.
func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}
