package receiver

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/railyard-dev/railyard/internal/webhook"
)

// Default per-receiver limits. A burst the size of a CI job pushing many
// tags passes; a sustained flood is answered 429 with Retry-After, which
// providers that retry (EventBridge, Harbor, Quay) honour.
const (
	DefaultRate  = 50
	DefaultBurst = 1000
)

// limiter holds one token bucket per receiver.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// maxBuckets bounds the map: receivers are few, but paths of deleted or
// rotated receivers must not accumulate.
const maxBuckets = 10000

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		perSecond = DefaultRate
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	return &limiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// allow implements webhook.Handler.Limit, keyed by the receiver's project
// and name so a rotated secret does not reset the bucket.
func (l *limiter) allow(r *webhook.Receiver) (bool, time.Duration) {
	key := r.Project + "/" + r.Name
	now := time.Now()
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.used = now
	l.mu.Unlock()

	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict drops buckets idle long enough to be full again.
func (l *limiter) evict(now time.Time) {
	full := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
	for k, b := range l.buckets {
		if now.Sub(b.used) > full {
			delete(l.buckets, k)
		}
	}
}
