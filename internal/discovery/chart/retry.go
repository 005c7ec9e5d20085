package chart

import (
	"context"
	"io"
	"net/http"
	"time"
)

// retryTransport retries requests answered 429 or 5xx, waiting as long as
// Retry-After asks (or an exponential backoff without it). It gives up, and
// returns the last response, after maxAttempts or when the server asks for a
// wait longer than maxWait: the caller then requeues instead of blocking a
// worker.
type retryTransport struct {
	next        http.RoundTripper
	maxAttempts int
	maxWait     time.Duration
	backoff     time.Duration
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil || !isRetryableStatus(resp.StatusCode) || attempt >= t.maxAttempts {
			return resp, err
		}
		// Only requests whose body can be replayed are retried.
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return resp, nil
			}
			body, err := req.GetBody()
			if err != nil {
				return resp, nil
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now())
		if !ok {
			wait = t.backoff << (attempt - 1)
		}
		if wait > t.maxWait {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// sleepContext waits d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
