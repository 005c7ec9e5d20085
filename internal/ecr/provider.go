package ecr

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"golang.org/x/sync/singleflight"

	"github.com/railyard-dev/railyard/internal/git/redact"
)

// Defaults for Options.
const (
	DefaultRefreshMargin  = 5 * time.Minute
	DefaultMaxAttempts    = 3
	DefaultMaxImages      = 100_000
	DefaultRequestTimeout = 30 * time.Second
)

// Network timeouts of the default API client. The SDK's buildable client
// bounds dialing and the TLS handshake but waits forever for a response;
// an endpoint that hangs would hold a Warehouse discovery until its
// deadline (token requests are bounded by RequestTimeout anyway).
const (
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 15 * time.Second
)

// Options configures a TokenProvider. The zero value is usable.
type Options struct {
	// Endpoint is a base URL that replaces the SDK's ECR endpoint resolution,
	// e.g. an interface VPC endpoint such as
	// https://api.ecr.eu-west-1.vpce.amazonaws.com, or a test stand-in.
	// Requests are still signed for the repository URL's region.
	Endpoint string
	// RefreshMargin: a cached token is replaced this long before it expires,
	// so that a token handed out is still valid for the pulls that follow.
	// Default DefaultRefreshMargin.
	RefreshMargin time.Duration
	// MaxAttempts per API call, including the SDK's own retries with backoff
	// on throttling and 5xx. Default DefaultMaxAttempts; 1 disables retries.
	MaxAttempts int
	// MaxImages bounds ListImages: no further page is requested once this
	// many images were listed, and the result is marked Truncated.
	// Default DefaultMaxImages.
	MaxImages int
	// RequestTimeout bounds a token request that concurrent callers share,
	// because it runs detached from any single caller's context.
	// Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// HTTPClient sends the API requests; by default one SDK client (one
	// connection pool) shared by all calls of the provider.
	HTTPClient *http.Client
	// Now is the clock used for token expiry; default time.Now.
	Now func() time.Time
}

// TokenProvider calls the ECR API on behalf of Railyard: registry tokens
// (Token, Authenticator) and image listings (ListImages, PushTimes). It is
// safe for concurrent use; create one per process and share it.
type TokenProvider struct {
	opts       Options
	httpClient aws.HTTPClient
	flights    singleflight.Group

	mu      sync.Mutex
	tokens  map[tokenKey]Token
	ambient map[string]aws.Config // by region
}

// New returns a TokenProvider. It fails with ErrInvalidConfig when
// opts.Endpoint is not an absolute http(s) URL.
func New(opts Options) (*TokenProvider, error) {
	if opts.Endpoint != "" {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, invalidf("endpoint %q must be an http(s) base URL without credentials", redact.URL(opts.Endpoint))
		}
	}
	if opts.RefreshMargin <= 0 {
		opts.RefreshMargin = DefaultRefreshMargin
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxImages <= 0 {
		opts.MaxImages = DefaultMaxImages
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &TokenProvider{
		opts:    opts,
		tokens:  make(map[tokenKey]Token),
		ambient: make(map[string]aws.Config),
	}
	if opts.HTTPClient != nil {
		p.httpClient = opts.HTTPClient
	} else {
		p.httpClient = awshttp.NewBuildableClient().
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = DefaultDialTimeout }).
			WithTransportOptions(func(t *http.Transport) {
				t.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
				t.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
			})
	}
	return p, nil
}

// client returns an ECR API client for the registry's region and identity.
// Clients are cheap; the HTTP connection pool and ambient credential caches
// are shared.
func (p *TokenProvider) client(ctx context.Context, reg registry, creds Credentials) (*ecr.Client, error) {
	var cfg aws.Config
	if creds.IsAmbient() {
		var err error
		if cfg, err = p.ambientConfig(ctx, reg.region); err != nil {
			return nil, err
		}
	} else {
		cfg = aws.Config{
			Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
				creds.accessKeyID, creds.secretAccessKey, "")),
			HTTPClient: ownedBodies{p.httpClient},
		}
	}
	return ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		o.Region = reg.region
		o.RetryMaxAttempts = p.opts.MaxAttempts
		if p.opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(p.opts.Endpoint)
			return
		}
		if reg.fips {
			o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}
		if reg.dualStack {
			o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
		}
	}), nil
}

// ambientConfig loads the SDK's default configuration once per region (the
// region matters for web identity and pod identity, which call STS) and keeps
// it, so the credential cache inside survives across calls. Failures are not
// cached: a later call tries again.
func (p *TokenProvider) ambientConfig(ctx context.Context, region string) (aws.Config, error) {
	p.mu.Lock()
	cfg, ok := p.ambient[region]
	p.mu.Unlock()
	if ok {
		return cfg, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithHTTPClient(p.httpClient),
		config.WithRetryMaxAttempts(p.opts.MaxAttempts),
	)
	if err != nil {
		// Shared config files that do not parse, for instance.
		return aws.Config{}, invalidf("load ambient AWS configuration: %v", err)
	}
	if cfg.Credentials == nil {
		return aws.Config{}, &ecrError{kind: ErrAccessDenied, msg: ErrAccessDenied.Error() + ": no ambient AWS credentials found"}
	}
	cfg.Credentials = markedProvider{cfg.Credentials}
	// Loaded with the bare client, which a CA bundle in the ambient
	// configuration must be able to adjust.
	cfg.HTTPClient = ownedBodies{cfg.HTTPClient}
	p.mu.Lock()
	p.ambient[region] = cfg
	p.mu.Unlock()
	return cfg, nil
}

// markedProvider tags credential chain failures so classify can tell "no
// usable credentials" from a failed ECR call.
type markedProvider struct{ aws.CredentialsProvider }

func (m markedProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &credentialsError{err: err}
	}
	return c, nil
}
