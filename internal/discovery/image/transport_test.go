package image

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryDelay(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := retryPolicy{maxRetries: 3, base: time.Second, max: 10 * time.Second}
	tests := []struct {
		name       string
		status     int
		retryAfter string
		attempt    int
		want       time.Duration
		retry      bool
	}{
		{"ok is final", http.StatusOK, "", 0, 0, false},
		{"404 is final", http.StatusNotFound, "", 0, 0, false},
		{"401 is final", http.StatusUnauthorized, "", 0, 0, false},
		{"429 honours seconds", http.StatusTooManyRequests, "7", 0, 7 * time.Second, true},
		{"429 honours zero", http.StatusTooManyRequests, "0", 2, 0, true},
		{"429 honours HTTP date", http.StatusTooManyRequests, now.Add(4 * time.Second).Format(http.TimeFormat), 0, 4 * time.Second, true},
		{"past date means now", http.StatusTooManyRequests, now.Add(-time.Hour).Format(http.TimeFormat), 0, 0, true},
		{"too long Retry-After gives up", http.StatusTooManyRequests, "3600", 0, time.Hour, false},
		{"garbage Retry-After backs off", http.StatusServiceUnavailable, "soon", 1, 2 * time.Second, true},
		{"503 exponential", http.StatusServiceUnavailable, "", 2, 4 * time.Second, true},
		{"backoff capped", http.StatusBadGateway, "", 2, 4 * time.Second, true},
		{"retries bounded", http.StatusTooManyRequests, "1", 3, 0, false},
		{"501 is final", http.StatusNotImplemented, "", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, retry := p.delay(tc.status, tc.retryAfter, tc.attempt, now)
			if retry != tc.retry || (retry && got != tc.want) {
				t.Errorf("delay = %v, %v; want %v, %v", got, retry, tc.want, tc.retry)
			}
		})
	}
	capped := retryPolicy{maxRetries: 10, base: time.Second, max: 5 * time.Second}
	if got, _ := capped.delay(http.StatusServiceUnavailable, "", 6, now); got != 5*time.Second {
		t.Errorf("capped backoff = %v, want 5s", got)
	}
}

func TestOneLimiterPerHost(t *testing.T) {
	d := New(Config{RequestsPerSecond: 5})
	a := d.transport(transportKey{host: "r.example.com"})
	if d.transport(transportKey{host: "r.example.com"}) != a {
		t.Error("second transport for the same host and TLS mode")
	}
	insecure := d.transport(transportKey{host: "r.example.com", insecure: true})
	if insecure.limiter != a.limiter {
		t.Error("TLS modes of one host do not share the rate limiter")
	}
	other := d.transport(transportKey{host: "other.example.com"})
	if other.limiter == a.limiter {
		t.Error("different hosts share a rate limiter")
	}
	if got := a.limiter.Limit(); got != 5 {
		t.Errorf("limit = %v, want 5", got)
	}
}
