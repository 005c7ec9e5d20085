package chart

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Defaults of a Discoverer.
const (
	DefaultMaxAttempts   = 3
	DefaultMaxRetryWait  = 30 * time.Second
	DefaultCacheSize     = 1024
	DefaultMaxIndexBytes = 512 << 20
)

// Network timeouts of one request attempt, for classic index downloads and
// OCI tag listings alike. http.DefaultTransport has no response timeout,
// so a repository that accepted the connection and then hung held the
// discovery until the caller's deadline; these make each attempt fail on
// its own, well within the Warehouse's 25s per subscription. The index
// body itself is bounded by the caller's context, since a large index on a
// slow link legitimately takes a while.
const (
	DefaultDialTimeout     = 10 * time.Second
	DefaultResponseTimeout = 10 * time.Second
)

// Discoverer discovers chart versions. It is safe for concurrent use and
// should be long-lived: it keeps index validators and connections across
// calls.
type Discoverer struct {
	secure, insecure http.RoundTripper // retrying, shared by classic and OCI
	cache            *indexCache
	maxIndexBytes    int64
	now              func() time.Time
}

type config struct {
	wrap          func(http.RoundTripper) http.RoundTripper
	maxAttempts   int
	maxWait       time.Duration
	backoff       time.Duration
	cacheSize     int
	maxIndexBytes int64
	respTimeout   time.Duration
	sleep         func(context.Context, time.Duration) error
	now           func() time.Time
}

// Option configures a Discoverer.
type Option func(*config)

// WithTransportWrapper wraps the HTTP transport, e.g. to count requests by
// host for metrics. It sees every attempt, retries included.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(c *config) { c.wrap = wrap }
}

// WithRetry sets how often a request answered 429 or 5xx is tried in all
// (1 disables retries) and the longest Retry-After honoured in-line; a longer
// one ends the call with a StatusError carrying RetryAfter.
func WithRetry(maxAttempts int, maxWait time.Duration) Option {
	return func(c *config) { c.maxAttempts, c.maxWait = maxAttempts, maxWait }
}

// WithCacheSize bounds how many (index, chart, credentials) version lists
// are remembered for conditional requests; 0 disables the cache.
func WithCacheSize(n int) Option { return func(c *config) { c.cacheSize = n } }

// WithResponseTimeout bounds the TLS handshake and the wait for response
// headers of each attempt (DefaultResponseTimeout by default).
func WithResponseTimeout(d time.Duration) Option { return func(c *config) { c.respTimeout = d } }

// WithMaxIndexBytes bounds how much of an index is read.
func WithMaxIndexBytes(n int64) Option { return func(c *config) { c.maxIndexBytes = n } }

// New returns a Discoverer.
func New(opts ...Option) *Discoverer {
	c := config{
		maxAttempts:   DefaultMaxAttempts,
		maxWait:       DefaultMaxRetryWait,
		backoff:       500 * time.Millisecond,
		cacheSize:     DefaultCacheSize,
		maxIndexBytes: DefaultMaxIndexBytes,
		respTimeout:   DefaultResponseTimeout,
		sleep:         sleepContext,
		now:           time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.maxAttempts < 1 {
		c.maxAttempts = 1
	}
	build := func(insecure bool) http.RoundTripper {
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.DialContext = (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext
		base.TLSHandshakeTimeout = c.respTimeout
		base.ResponseHeaderTimeout = c.respTimeout
		if insecure {
			base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit per subscription
		}
		var rt http.RoundTripper = base
		if c.wrap != nil {
			rt = c.wrap(rt)
		}
		return &retryTransport{next: rt, maxAttempts: c.maxAttempts, maxWait: c.maxWait,
			backoff: c.backoff, now: c.now, sleep: c.sleep}
	}
	return &Discoverer{
		secure:        build(false),
		insecure:      build(true),
		cache:         newIndexCache(c.cacheSize),
		maxIndexBytes: c.maxIndexBytes,
		now:           c.now,
	}
}

// Discover returns the versions of the subscribed chart, newest first,
// filtered by the constraint and cut to the discovery limit. Errors are
// classified by the package's sentinels and never contain credentials.
func (d *Discoverer) Discover(ctx context.Context, o Options) ([]string, error) {
	s, err := o.validate()
	if err != nil {
		return nil, err
	}
	var all []string
	switch s.kind {
	case kindOCI:
		all, err = d.listOCI(ctx, s)
	default:
		all, err = d.listClassic(ctx, s)
	}
	if err != nil {
		if s.kind == kindClassic {
			return nil, fmt.Errorf("chart %q in %s: %w", s.Name, s.displayURL(), err)
		}
		return nil, fmt.Errorf("chart %s: %w", s.displayURL(), err)
	}
	return Select(all, s.constraint, s.limit), nil
}

func (d *Discoverer) transport(insecure bool) http.RoundTripper {
	if insecure {
		return d.insecure
	}
	return d.secure
}
