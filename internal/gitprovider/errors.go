package gitprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrNotFound: the pull request (or repository) does not exist, or, on
	// GitHub, which masks missing rights as 404, is not visible to the token.
	ErrNotFound = errors.New("not found")
	// ErrAccessDenied: the provider answered 401 or 403; the token is
	// missing, invalid, or lacks the rights the operation needs.
	ErrAccessDenied = errors.New("access denied: the token is missing, invalid or lacks the rights for this operation")
	// ErrConflict: the provider refused because of the current state, e.g.
	// a pull request for this head and base already exists (409/422).
	ErrConflict = errors.New("conflict")
	// ErrClosed: the pull request was closed without being merged.
	ErrClosed = errors.New("pull request is closed and not merged")
	// ErrUnsupported: the repository URL, provider or option is not supported.
	ErrUnsupported = errors.New("unsupported")
)

// DefaultRetryAfter is the wait reported by RateLimitedError when the
// provider said it is rate limiting but not for how long.
const DefaultRetryAfter = time.Minute

// RateLimitedError reports that the provider is rate limiting the caller,
// who should not call again before RetryAfter has passed.
type RateLimitedError struct {
	Provider   string
	StatusCode int
	// RetryAfter is how long to wait, from the provider's headers
	// (Retry-After, X-RateLimit-Reset, RateLimit-Reset), else
	// DefaultRetryAfter.
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("%s: rate limited (its last answer left no requests until its reset), retry after %s", e.Provider, e.RetryAfter)
	}
	return fmt.Sprintf("%s: rate limited (HTTP %d), retry after %s", e.Provider, e.StatusCode, e.RetryAfter)
}

// APIError is a provider's refusal of a request. It unwraps to ErrNotFound,
// ErrAccessDenied or ErrConflict according to the status code.
type APIError struct {
	Provider   string
	StatusCode int
	// Message is the provider's explanation, shortened; it never holds
	// credentials since none are sent in URLs or bodies.
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d", e.Provider, e.StatusCode)
	if k := e.kind(); k != nil {
		s += ": " + k.Error()
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *APIError) kind() error {
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrAccessDenied
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict, http.StatusUnprocessableEntity:
		return ErrConflict
	}
	return nil
}

// Unwrap returns the sentinel matching the status code, if any.
func (e *APIError) Unwrap() error { return e.kind() }

// fromResponse classifies a failed request from its HTTP response; msg is
// the provider's explanation. It returns nil when resp is nil or not a
// failure.
func fromResponse(provider string, resp *http.Response, msg string, now time.Time) error {
	if resp == nil || resp.StatusCode < 400 && resp.StatusCode != http.StatusNonAuthoritativeInfo {
		return nil
	}
	if rl := rateLimited(provider, resp, now); rl != nil {
		return rl
	}
	code := resp.StatusCode
	if code == http.StatusNonAuthoritativeInfo {
		// Azure DevOps answers a rejected PAT with 203 and a sign-in page.
		code = http.StatusUnauthorized
		msg = "sign-in page returned instead of the API response"
	}
	return &APIError{Provider: provider, StatusCode: code, Message: shorten(msg)}
}

// rateLimited recognises rate limiting: any 429, and a 403 that GitHub
// sends with X-RateLimit-Remaining: 0 (primary limit) or Retry-After
// (secondary limit).
func rateLimited(provider string, resp *http.Response, now time.Time) *RateLimitedError {
	h := resp.Header
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
	case resp.StatusCode == http.StatusForbidden &&
		(h.Get("X-RateLimit-Remaining") == "0" || h.Get("Retry-After") != ""):
	default:
		return nil
	}
	return &RateLimitedError{Provider: provider, StatusCode: resp.StatusCode, RetryAfter: retryAfter(h, now)}
}

// retryAfter reads how long to wait from Retry-After (seconds or HTTP
// date), then the epoch-seconds reset headers of GitHub (X-RateLimit-Reset)
// and GitLab (RateLimit-Reset), then GitLab's RateLimit-ResetTime date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return positive(t.Sub(now))
		}
	}
	for _, k := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		if s, err := strconv.ParseInt(strings.TrimSpace(h.Get(k)), 10, 64); err == nil && s > 0 {
			return positive(time.Unix(s, 0).Sub(now))
		}
	}
	if t, err := http.ParseTime(h.Get("RateLimit-ResetTime")); err == nil {
		return positive(t.Sub(now))
	}
	return DefaultRetryAfter
}

// positive rounds a wait up to whole seconds, at least one.
func positive(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}

// shorten keeps a provider message readable in a status condition.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// apiError is fromResponse for a response already known to be a failure.
func apiError(provider string, resp *http.Response, msg string) error {
	if err := fromResponse(provider, resp, msg, time.Now()); err != nil {
		return err
	}
	code := 0
	if resp != nil {
		code = resp.StatusCode
	}
	return &APIError{Provider: provider, StatusCode: code, Message: shorten(msg)}
}

// notAPI recognises a successful answer that is not JSON at all (its first
// byte is not JSON: an HTML page, typically) as a server that is not the
// provider's API: the provider is wrong, or the repository is not hosted
// where its URL says. No retry helps, so it wraps ErrUnsupported. A body
// that breaks off later (a truncated answer) is not matched, and stays
// retryable. It returns nil when err is something else.
func notAPI(provider string, err error) error {
	var syn *json.SyntaxError
	if !errors.As(err, &syn) || syn.Offset > 1 {
		return nil
	}
	return fmt.Errorf("%w: %s: the server does not answer as the %s API (its answer is not JSON); check the provider "+
		"and that the repository is hosted at this URL", ErrUnsupported, provider, providerTitle(provider))
}

// providerTitle is a provider's name as the product spells it.
func providerTitle(provider string) string {
	switch provider {
	case GitHub:
		return "GitHub"
	case GitLab:
		return "GitLab"
	case Gitea:
		return "Gitea"
	case Bitbucket:
		return "Bitbucket"
	case Azure:
		return "Azure DevOps"
	}
	return provider
}
