package image

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// hostTransport is the one HTTP transport for a registry host: every
// request (listing, manifests, blobs, token exchange, ping) waits on the
// host's rate limiter, and 429/5xx answers are retried with backoff that
// honours Retry-After. go-containerregistry's own retries are switched off
// so that each request is retried in exactly one place.
type hostTransport struct {
	host    string
	base    http.RoundTripper
	limiter *hostLimiter
	policy  retryPolicy
	observe func(host, outcome string)
	sleep   func(ctx context.Context, d time.Duration) error
	// pings replays the host's answer to the registry client's ping.
	pings pingCache
}

// retryPolicy bounds retries of one request.
type retryPolicy struct {
	maxRetries int
	base       time.Duration // first backoff without Retry-After
	max        time.Duration // longest single wait; a longer Retry-After gives up
}

func (t *hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ping := isPing(req)
	if ping {
		if resp, ok := t.pings.replay(req, time.Now()); ok {
			return resp, nil
		}
	}
	resp, err := t.roundTrip(req)
	if err == nil {
		if ping {
			t.pings.record(req, resp, time.Now())
		} else if resp.StatusCode == http.StatusUnauthorized {
			t.pings.forget()
		}
	}
	return resp, err
}

func (t *hostTransport) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if err := t.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		r := req
		if attempt > 0 {
			if req.Body != nil && req.GetBody == nil {
				return nil, errors.New("cannot replay request body for retry")
			}
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.base.RoundTrip(r)
		t.report(resp, err)
		wait, retry := t.decide(req, resp, err, attempt)
		if !retry {
			return resp, err
		}
		if resp != nil {
			// Drain so the connection can be reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (t *hostTransport) decide(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead
		if !idempotent || !retryableNetError(err) {
			return 0, false
		}
		return t.policy.delay(http.StatusServiceUnavailable, "", attempt, time.Now())
	}
	return t.policy.delay(resp.StatusCode, resp.Header.Get("Retry-After"), attempt, time.Now())
}

func (t *hostTransport) report(resp *http.Response, err error) {
	if t.observe == nil {
		return
	}
	outcome := "error"
	if err == nil {
		switch c := resp.StatusCode; {
		case c == http.StatusTooManyRequests:
			outcome = "429"
		case c >= 500:
			outcome = "5xx"
		case c >= 400:
			outcome = "4xx"
		case c >= 300:
			outcome = "3xx"
		default:
			outcome = "2xx"
		}
	}
	t.observe(t.host, outcome)
}

// delay says whether an answer with status (and Retry-After header value)
// on the given attempt (0-based) should be retried, and after how long.
func (p retryPolicy) delay(status int, retryAfter string, attempt int, now time.Time) (time.Duration, bool) {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return 0, false
	}
	if attempt >= p.maxRetries {
		return 0, false
	}
	if d, ok := parseRetryAfter(retryAfter, now); ok {
		// A registry asking for a long pause is better answered by failing
		// this discovery and letting the controller requeue.
		return d, d <= p.max
	}
	d := p.base << attempt
	if d > p.max || d <= 0 {
		d = p.max
	}
	return d, true
}

// parseRetryAfter reads delay-seconds or an HTTP date.
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
	when, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(when.Sub(now), 0), true
}

// retryableNetError: failures worth another try (resets, timeouts), not
// refusals or TLS/protocol errors, which repeat identically.
func retryableNetError(err error) bool {
	var nerr net.Error
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.As(err, &nerr) && nerr.Timeout())
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
