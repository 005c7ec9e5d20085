package gitprovider

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxExhaustedWait bounds how long a reset announced by a provider holds
// requests back, against a clock or header gone wrong.
const maxExhaustedWait = time.Hour

// exhausted maps an API host and credentials to the time the provider said
// their requests are available again, after an answer that left none.
var exhausted sync.Map // string -> time.Time

// rateGuard honours a provider's rate-limit headers before it refuses: an
// answer with X-RateLimit-Remaining (GitHub, Gitea behind a proxy) or
// RateLimit-Remaining (GitLab) at 0 and a reset time makes requests with
// the same credentials to the same host fail at once with a
// *RateLimitedError until that time, without being sent. The forge would
// refuse them, and each refusal counts against the caller.
type rateGuard struct {
	provider string
	base     http.RoundTripper
	now      func() time.Time
}

func (g *rateGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	key := guardKey(req)
	if v, ok := exhausted.Load(key); ok {
		if wait := v.(time.Time).Sub(g.now()); wait > 0 {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return nil, &RateLimitedError{Provider: g.provider, RetryAfter: positive(wait)}
		}
		exhausted.CompareAndDelete(key, v)
	}
	resp, err := g.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if until, ok := exhaustedUntil(resp.Header, g.now()); ok {
		exhausted.Store(key, until)
	}
	return resp, nil
}

// guardKey identifies the API host and the credentials of req; the
// credentials only as a digest.
func guardKey(req *http.Request) string {
	sum := sha256.Sum256([]byte(req.Header.Get("Authorization") + "\x00" + req.Header.Get("PRIVATE-TOKEN")))
	return strings.ToLower(req.URL.Host) + "\x00" + string(sum[:])
}

// exhaustedUntil reads an answer's rate-limit headers: when they say no
// request is left, the time the limit resets (epoch seconds), bounded by
// maxExhaustedWait.
func exhaustedUntil(h http.Header, now time.Time) (time.Time, bool) {
	for _, p := range [][2]string{{"X-RateLimit-Remaining", "X-RateLimit-Reset"}, {"RateLimit-Remaining", "RateLimit-Reset"}} {
		if strings.TrimSpace(h.Get(p[0])) != "0" {
			continue
		}
		s, err := strconv.ParseInt(strings.TrimSpace(h.Get(p[1])), 10, 64)
		if err != nil || s <= 0 {
			continue
		}
		until := time.Unix(s, 0)
		if !until.After(now) {
			return time.Time{}, false
		}
		if limit := now.Add(maxExhaustedWait); until.After(limit) {
			until = limit
		}
		return until, true
	}
	return time.Time{}, false
}

// apiClient is httpClient with the rate guard of provider in front.
func apiClient(provider string, o Options) *http.Client {
	c := httpClient(o)
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &rateGuard{provider: provider, base: base, now: time.Now}
	return c
}

// asRateLimited finds a *RateLimitedError in err, such as the rate guard's
// inside a client library's transport error.
func asRateLimited(err error) *RateLimitedError {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return rl
	}
	return nil
}
