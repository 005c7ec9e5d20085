package chart

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error classes. Callers decide with errors.Is how to retry:
//   - ErrTransient: the repository is down, rate limiting or unreachable;
//     retry with backoff (see RetryAfter).
//   - anything else: waiting will not help until the subscription, the
//     credentials or the repository content changes.
var (
	// ErrInvalidSubscription: the options are wrong (URL, name, constraint,
	// limit); the user must fix the spec.
	ErrInvalidSubscription = errors.New("invalid chart subscription")
	// ErrTransient: a temporary failure (network, HTTP 429 or 5xx).
	ErrTransient = errors.New("transient chart repository error")
	// ErrUnauthorized: the repository refused the credentials (401/403).
	ErrUnauthorized = errors.New("chart repository denied access")
	// ErrNotFound: the index, repository or the chart in the index does not
	// exist.
	ErrNotFound = errors.New("chart not found")
	// ErrMalformedIndex: index.yaml could not be read as a Helm repository
	// index.
	ErrMalformedIndex = errors.New("malformed chart repository index")
)

// StatusError is an unexpected HTTP status from a repository. It matches
// ErrTransient (429, 5xx), ErrUnauthorized (401, 403) or ErrNotFound (404)
// with errors.Is. URL never carries credentials.
type StatusError struct {
	StatusCode int
	URL        string
	// RetryAfter is the server's Retry-After hint, zero if none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("GET %s: %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Is classifies the status for errors.Is.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrTransient:
		return isRetryableStatus(e.StatusCode)
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// RetryAfter returns the server-requested delay carried by err, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return se.RetryAfter, true
	}
	return 0, false
}

func isRetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500 && code <= 599
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// invalidf builds an ErrInvalidSubscription error.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidSubscription, fmt.Sprintf(format, args...))
}
