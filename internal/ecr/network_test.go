package ecr

import (
	"context"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// An ECR endpoint that accepts connections and never answers fails token
// requests after RequestTimeout and listings by the caller's deadline,
// instead of hanging.
func TestFrozenEndpointFails(t *testing.T) {
	f := gittest.NewFreezer(t, "")
	p, err := New(Options{Endpoint: "http://" + f.Addr, RequestTimeout: 500 * time.Millisecond, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	const repo = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"
	guard, cancel := context.WithTimeout(t.Context(), time.Minute) // hang guard only
	defer cancel()

	if _, err := p.Token(guard, repo, staticCreds(t)); err == nil || guard.Err() != nil {
		t.Errorf("Token: err = %v, want an error before the guard", err)
	}
	ctx, cancelList := context.WithTimeout(guard, 500*time.Millisecond)
	defer cancelList()
	if _, err := p.PushTimes(ctx, repo, staticCreds(t)); err == nil || guard.Err() != nil {
		t.Errorf("PushTimes: err = %v, want an error before the guard", err)
	}
}

func TestDefaultResponseHeaderTimeout(t *testing.T) {
	if DefaultResponseHeaderTimeout > 25*time.Second {
		t.Errorf("DefaultResponseHeaderTimeout = %s, longer than the Warehouse's 25s per subscription", DefaultResponseHeaderTimeout)
	}
}
