package image

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/time/rate"
)

// Defaults for Config zero values.
const (
	DefaultRequestsPerSecond = 20
	DefaultMaxTags           = 10000
	DefaultCacheEntries      = 100000
	DefaultConcurrency       = 8
	DefaultMaxRetries        = 4
	DefaultRetryBaseDelay    = time.Second
	DefaultMaxRetryDelay     = 30 * time.Second
	tagPageSize              = 1000
	maxPullers               = 1024
)

// Network timeouts of one registry request attempt. A registry that
// accepts connections and then says nothing used to hold a discovery for
// minutes (30s per attempt, times the retries); an attempt now gives up
// after these, so the caller's deadline (the Warehouse gives a subscription
// 25s) sees the failure while a healthy registry, which answers in well
// under a second, is never cut off.
const (
	DefaultDialTimeout     = 10 * time.Second
	DefaultResponseTimeout = 10 * time.Second
)

// Config tunes a Discoverer. Zero values take the defaults above.
type Config struct {
	// RequestsPerSecond per registry host (all repositories and
	// subscriptions share it); negative means unlimited.
	RequestsPerSecond float64
	// Burst of the per-host limiter (default: max(1, RequestsPerSecond)).
	Burst int
	// MaxRetries of one request on 429/5xx/network resets.
	MaxRetries int
	// RetryBaseDelay is the first backoff when no Retry-After is given; it
	// doubles per retry up to MaxRetryDelay. A Retry-After above
	// MaxRetryDelay fails the request (as ErrTransient) instead of waiting.
	RetryBaseDelay, MaxRetryDelay time.Duration
	// MaxTags bounds the tags listed per discovery; Result.Truncated
	// reports when it was hit.
	MaxTags int
	// CacheEntries bounds the digest→metadata and tag→digest caches.
	CacheEntries int
	// Concurrency of manifest requests within one discovery.
	Concurrency int
	// UserAgent sent to registries.
	UserAgent string
	// ResponseTimeout bounds the TLS handshake and the wait for response
	// headers of each attempt; DefaultResponseTimeout when zero.
	ResponseTimeout time.Duration
	// MaxLowWait bounds how long a LowPriority request waits behind newer
	// normal ones; DefaultMaxLowWait when zero.
	MaxLowWait time.Duration
	// OnRequest, if set, observes every registry HTTP attempt with an
	// outcome of "2xx", "3xx", "4xx", "429", "5xx" or "error" (for metrics).
	OnRequest func(host, outcome string)
}

// Discoverer discovers images. Create one per process with New and share it
// across subscriptions and reconciles: it keeps one transport and rate
// limiter per registry host, authenticated clients, and image metadata by
// digest. Safe for concurrent use.
type Discoverer struct {
	cfg   Config
	sleep func(context.Context, time.Duration) error

	mu         sync.Mutex
	transports map[transportKey]*hostTransport
	limiters   map[string]*hostLimiter

	pullers    *lru[pullerKey, *remote.Puller]
	metas      *lru[string, manifestMeta] // manifest digest → metadata
	tagDigests *lru[string, string]       // repo:tag → digest last seen
}

type transportKey struct {
	host     string
	insecure bool
}

// pullerKey identifies an authenticated client: same host, TLS mode and
// credentials (by hash, so rotated credentials get a new client).
type pullerKey struct {
	transportKey
	auth string
}

// Result is the outcome of one discovery.
type Result struct {
	// References are newest first, at most DiscoveryLimit long.
	References []Reference
	// TagsListed is how many tags the registry listed.
	TagsListed int
	// Truncated is true when listing stopped at Config.MaxTags; newer tags
	// may have been missed.
	Truncated bool
	// Rest is set when Options.Defer returned early: References then holds
	// only the newest reference, without its build time, and Rest.Finish
	// gives the whole result.
	Rest *Rest
}

// Reference is one discovered image.
type Reference struct {
	Tag string
	// Digest of the manifest the tag points to (the index for multi-arch
	// images, so tag@digest resolves for every platform).
	Digest      string
	Annotations map[string]string
	// CreatedAt is the build time when known: from the OCI created
	// annotation, or from the config when discovery read it (NewestBuild,
	// or a platform check of a single-arch image).
	CreatedAt *time.Time
}

// New returns a Discoverer.
func New(cfg Config) *Discoverer {
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.RequestsPerSecond))
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.RetryBaseDelay <= 0 {
		cfg.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if cfg.MaxRetryDelay <= 0 {
		cfg.MaxRetryDelay = DefaultMaxRetryDelay
	}
	if cfg.MaxTags <= 0 {
		cfg.MaxTags = DefaultMaxTags
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = DefaultCacheEntries
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "railyard"
	}
	return &Discoverer{
		cfg:        cfg,
		sleep:      sleepCtx,
		transports: make(map[transportKey]*hostTransport),
		limiters:   make(map[string]*hostLimiter),
		pullers:    newLRU[pullerKey, *remote.Puller](maxPullers),
		metas:      newLRU[string, manifestMeta](cfg.CacheEntries),
		tagDigests: newLRU[string, string](cfg.CacheEntries),
	}
}

// Discover lists, selects and describes the images of one subscription.
// Errors wrap ErrInvalidSubscription, ErrTransient, ErrAccessDenied or
// ErrRepositoryNotFound where they apply.
func (d *Discoverer) Discover(ctx context.Context, o Options) (Result, error) {
	c, err := compile(o)
	if err != nil {
		return Result{}, err
	}
	p, err := d.puller(ctx, c.repo, o)
	if err != nil {
		return Result{}, err
	}
	if c.strategy == Digest {
		return d.discoverDigest(ctx, p, c)
	}
	tags, truncated, err := d.listTags(ctx, p, c.repo)
	if err != nil {
		return Result{}, err
	}
	cands := c.candidates(tags)
	var refs []Reference
	if c.strategy == NewestBuild && o.BuildTimes != nil {
		refs, err = d.resolveByBuildTimes(ctx, p, c, cands, o.BuildTimes)
	} else if c.strategy == NewestBuild {
		refs, err = d.resolveAll(ctx, p, c, cands)
		sortByBuildTime(refs)
		if len(refs) > c.limit {
			refs = refs[:c.limit]
		}
	} else if c.deferrable(o) {
		return d.resolveNewest(ctx, p, c, cands, Result{TagsListed: len(tags), Truncated: truncated})
	} else {
		refs, err = d.resolveFirst(ctx, p, c, cands)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{References: refs, TagsListed: len(tags), Truncated: truncated}, nil
}

func (d *Discoverer) discoverDigest(ctx context.Context, p *remote.Puller, c *compiled) (Result, error) {
	ref, ok, err := d.resolve(ctx, p, c, c.digestTag)
	if err != nil || !ok {
		return Result{}, err
	}
	return Result{References: []Reference{ref}}, nil
}

// listTags follows the registry's Link pagination, stopping at MaxTags.
func (d *Discoverer) listTags(ctx context.Context, p *remote.Puller, repo name.Repository) ([]string, bool, error) {
	lister, err := p.Lister(ctx, repo)
	if err != nil {
		return nil, false, d.listError(repo, err)
	}
	var tags []string
	for lister.HasNext() {
		if len(tags) >= d.cfg.MaxTags {
			return tags[:d.cfg.MaxTags], true, nil
		}
		page, err := lister.Next(ctx)
		if err != nil {
			return nil, false, d.listError(repo, err)
		}
		tags = append(tags, page.Tags...)
	}
	if len(tags) > d.cfg.MaxTags {
		return tags[:d.cfg.MaxTags], true, nil
	}
	return tags, false, nil
}

func (d *Discoverer) listError(repo name.Repository, err error) error {
	op := fmt.Sprintf("list tags of %s", repo)
	if isNotFound(err) {
		return fmt.Errorf("%s: %w: %w", op, ErrRepositoryNotFound, err)
	}
	return classify(op, err)
}

// puller returns the cached authenticated client for the repository's host
// and credentials, so the auth handshake (ping, token) happens once rather
// than per tag or per discovery.
func (d *Discoverer) puller(ctx context.Context, repo name.Repository, o Options) (*remote.Puller, error) {
	auth := o.Authenticator
	if o.Keychain != nil {
		var err error
		if auth, err = authn.Resolve(ctx, o.Keychain, repo); err != nil {
			return nil, fmt.Errorf("resolve credentials for %s: %w", repo.RegistryStr(), err)
		}
	}
	if auth == nil {
		auth = authn.Anonymous
	}
	ac, err := authn.Authorization(ctx, auth)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", repo.RegistryStr(), err)
	}
	raw, err := json.Marshal(ac)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: encode", repo.RegistryStr())
	}
	sum := sha256.Sum256(raw)
	tk := transportKey{host: repo.RegistryStr(), insecure: o.InsecureSkipTLSVerify}
	key := pullerKey{transportKey: tk, auth: hex.EncodeToString(sum[:])}
	if p, ok := d.pullers.get(key); ok {
		return p, nil
	}
	p, err := remote.NewPuller(
		remote.WithAuth(auth),
		remote.WithTransport(d.transport(tk)),
		remote.WithUserAgent(d.cfg.UserAgent),
		remote.WithPageSize(tagPageSize),
		// hostTransport does the retrying.
		remote.WithRetryStatusCodes(),
		remote.WithRetryPredicate(func(error) bool { return false }),
	)
	if err != nil {
		return nil, fmt.Errorf("registry client for %s: %w", repo.RegistryStr(), err)
	}
	d.pullers.put(key, p)
	return p, nil
}

func (d *Discoverer) transport(k transportKey) *hostTransport {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.transports[k]; ok {
		return t
	}
	lim, ok := d.limiters[k.host]
	if !ok {
		limit := rate.Limit(d.cfg.RequestsPerSecond)
		if d.cfg.RequestsPerSecond < 0 {
			limit = rate.Inf
		}
		lim = newHostLimiter(rate.NewLimiter(limit, d.cfg.Burst), d.cfg.MaxLowWait)
		d.limiters[k.host] = lim
	}
	base := remote.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = d.cfg.ResponseTimeout
	base.ResponseHeaderTimeout = d.cfg.ResponseTimeout
	if k.insecure {
		base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // user opted in per subscription
	}
	t := &hostTransport{
		host:    k.host,
		base:    base,
		limiter: lim,
		policy:  retryPolicy{maxRetries: d.cfg.MaxRetries, base: d.cfg.RetryBaseDelay, max: d.cfg.MaxRetryDelay},
		observe: d.cfg.OnRequest,
		sleep:   func(ctx context.Context, dur time.Duration) error { return d.sleep(ctx, dur) },
	}
	d.transports[k] = t
	return t
}
