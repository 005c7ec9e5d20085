package image

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestHostLimiterOrder: whoever holds the turn hands it to the oldest
// normal request, unless a low-priority one older than all of them has
// waited maxLowWait.
func TestHostLimiterOrder(t *testing.T) {
	type waiting struct {
		name string
		low  bool
		at   time.Duration // arrival
	}
	tests := []struct {
		name    string
		waiting []waiting
		now     time.Duration
		want    []string
	}{
		{"normal before low", []waiting{{"low", true, 0}, {"a", false, 1}, {"b", false, 2}}, 3 * time.Second, []string{"a", "b", "low"}},
		{"low in arrival order", []waiting{{"l1", true, 0}, {"l2", true, 1}}, 2 * time.Second, []string{"l1", "l2"}},
		{"a low that waited long enough goes first", []waiting{{"low", true, 0}, {"a", false, 1}}, 10 * time.Second, []string{"low", "a"}},
		{"but not before an older normal one", []waiting{{"a", false, 0}, {"low", true, 1}, {"b", false, 2}}, 30 * time.Second, []string{"a", "low", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostLimiter(rate.NewLimiter(1, 1), 10*time.Second)
			start := time.Unix(0, 0)
			h.now = func() time.Time { return start.Add(tc.now) }
			h.busy = true
			names := map[*turn]string{}
			for _, w := range tc.waiting {
				tr := &turn{ch: make(chan struct{}), since: start.Add(w.at * time.Nanosecond)}
				names[tr] = w.name
				if w.low {
					h.low = append(h.low, tr)
				} else {
					h.high = append(h.high, tr)
				}
			}
			var got []string
			for range tc.waiting {
				h.release()
				for tr, n := range names {
					select {
					case <-tr.ch:
						got = append(got, n)
						delete(names, tr)
					default:
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("granted %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("granted %v, want %v", got, tc.want)
				}
			}
			h.release()
			if h.busy {
				t.Error("limiter still busy with nobody waiting")
			}
		})
	}
}

// TestHostLimiterCancel: a request whose context ends while it waits for
// its turn leaves the line, and the turn still reaches the others.
func TestHostLimiterCancel(t *testing.T) {
	h := newHostLimiter(rate.NewLimiter(rate.Limit(1e6), 1), 0)
	h.busy = true // someone holds the turn
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() { gone <- h.Wait(LowPriority(ctx)) }()
	waitQueued(t, h, 1)
	next := make(chan error, 1)
	go func() { next <- h.Wait(context.Background()) }()
	waitQueued(t, h, 2)
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait returned %v", err)
	}
	waitQueued(t, h, 1)
	h.release()
	if err := <-next; err != nil {
		t.Fatalf("the waiting request got %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.busy || len(h.high)+len(h.low) != 0 {
		t.Errorf("busy=%v, %d waiting after everyone left", h.busy, len(h.high)+len(h.low))
	}
}

func waitQueued(t *testing.T, h *hostLimiter, n int) {
	t.Helper()
	for range 5000 {
		h.mu.Lock()
		got := len(h.high) + len(h.low)
		h.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never %d waiting", n)
}
