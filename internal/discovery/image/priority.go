package image

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxLowWait is how long a low-priority request waits behind
// normal ones before it takes its turn in arrival order.
const DefaultMaxLowWait = 10 * time.Second

type lowPriorityKey struct{}

// LowPriority marks the registry requests made with ctx as low priority:
// on a registry host's rate limit they wait while requests without the mark
// wait, so that the requests that decide Freight (a tag list, the newest
// tag's manifest) go before those that only complete a Warehouse's status.
// A low-priority request never waits more than its limiter's maxLowWait
// behind newer requests.
func LowPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, lowPriorityKey{}, true)
}

func isLowPriority(ctx context.Context) bool {
	low, _ := ctx.Value(lowPriorityKey{}).(bool)
	return low
}

// hostLimiter is one registry host's rate limit with two priorities. Only
// one request at a time waits on the token bucket; the others queue here,
// normal ones first, so a request's priority decides its place in line
// rather than the moment it asked.
type hostLimiter struct {
	lim        *rate.Limiter
	unlimited  bool // lim's rate is Inf; it never changes
	maxLowWait time.Duration
	now        func() time.Time

	mu        sync.Mutex
	busy      bool // a request holds the turn (waits on lim)
	high, low []*turn
}

type turn struct {
	ch      chan struct{}
	since   time.Time
	granted bool
}

func newHostLimiter(lim *rate.Limiter, maxLowWait time.Duration) *hostLimiter {
	if maxLowWait <= 0 {
		maxLowWait = DefaultMaxLowWait
	}
	return &hostLimiter{lim: lim, unlimited: lim.Limit() == rate.Inf, maxLowWait: maxLowWait, now: time.Now}
}

// Limit is the host's rate in requests per second.
func (h *hostLimiter) Limit() rate.Limit { return h.lim.Limit() }

// Wait blocks until the request may be sent, or ctx ends.
func (h *hostLimiter) Wait(ctx context.Context) error {
	if h.unlimited {
		return ctx.Err()
	}
	t := &turn{ch: make(chan struct{}), since: h.now()}
	h.mu.Lock()
	switch {
	case !h.busy:
		h.busy, t.granted = true, true
		close(t.ch)
	case isLowPriority(ctx):
		h.low = append(h.low, t)
	default:
		h.high = append(h.high, t)
	}
	h.mu.Unlock()
	select {
	case <-t.ch:
	case <-ctx.Done():
		h.mu.Lock()
		if !t.granted {
			h.high = slices.DeleteFunc(h.high, func(o *turn) bool { return o == t })
			h.low = slices.DeleteFunc(h.low, func(o *turn) bool { return o == t })
			h.mu.Unlock()
			return ctx.Err()
		}
		h.mu.Unlock()
		// The turn came as ctx ended: hand it on.
		h.release()
		return ctx.Err()
	}
	err := h.lim.Wait(ctx)
	h.release()
	return err
}

// release gives the turn to the next request: the oldest low-priority one
// if it has waited maxLowWait and came before every normal one waiting,
// else the oldest normal one, else the oldest low-priority one.
func (h *hostLimiter) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	var next *turn
	switch {
	case len(h.low) > 0 && (len(h.high) == 0 ||
		(h.now().Sub(h.low[0].since) >= h.maxLowWait && h.low[0].since.Before(h.high[0].since))):
		next, h.low = h.low[0], h.low[1:]
	case len(h.high) > 0:
		next, h.high = h.high[0], h.high[1:]
	default:
		h.busy = false
		return
	}
	next.granted = true
	close(next.ch)
}
