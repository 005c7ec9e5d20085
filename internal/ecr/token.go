package ecr

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/railyard-dev/railyard/internal/git/redact"
)

// fallbackTokenTTL is assumed when ECR returns no expiry (it documents 12h);
// deliberately short so a wrong guess costs only an extra API call.
const fallbackTokenTTL = time.Hour

// Token is registry basic-auth for one private ECR registry.
type Token struct {
	Username      string // "AWS"
	Password      string
	ExpiresAt     time.Time
	ProxyEndpoint string // https://<account>.dkr.ecr.<region>.amazonaws.com
}

// String never prints the password.
func (t Token) String() string {
	return fmt.Sprintf("ECR token for %s (user %s, expires %s)", t.ProxyEndpoint, t.Username, t.ExpiresAt.UTC().Format(time.RFC3339))
}

// GoString never prints the password, also for %#v.
func (t Token) GoString() string { return t.String() }

type tokenKey struct{ account, region, identity string }

func (k tokenKey) String() string { return k.account + "/" + k.region + "/" + k.identity }

// Token returns registry credentials for the private ECR registry of repoURL
// (a repository URL or a bare registry host). A token is served from cache
// until Options.RefreshMargin before it expires; concurrent callers for the
// same account, region and identity share one GetAuthorizationToken request.
func (p *TokenProvider) Token(ctx context.Context, repoURL string, creds Credentials) (Token, error) {
	reg, ok := parseRepoURL(repoURL)
	if !ok {
		return Token{}, notECR(repoURL)
	}
	key := tokenKey{account: reg.account, region: reg.region, identity: creds.identity()}
	if t, ok := p.cached(key); ok {
		return t, nil
	}
	// A caller already gone starts no request: the flight below is
	// detached from it, and its answer could win the race with ctx.Done.
	if err := ctx.Err(); err != nil {
		return Token{}, fmt.Errorf("ECR token for %s: %w", reg.host, err)
	}
	ch := p.flights.DoChan(key.String(), func() (any, error) {
		if t, ok := p.cached(key); ok { // a flight that just finished
			return t, nil
		}
		// Detached from the first caller, whose cancellation must not fail
		// the others; bounded by RequestTimeout instead.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.RequestTimeout)
		defer cancel()
		return p.fetchToken(fctx, reg, creds, key)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Token{}, r.Err
		}
		return r.Val.(Token), nil
	case <-ctx.Done():
		return Token{}, fmt.Errorf("ECR token for %s: %w", reg.host, ctx.Err())
	}
}

func (p *TokenProvider) cached(key tokenKey) (Token, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.tokens[key]
	if !ok || !p.opts.Now().Before(t.ExpiresAt.Add(-p.opts.RefreshMargin)) {
		return Token{}, false
	}
	return t, true
}

func (p *TokenProvider) fetchToken(ctx context.Context, reg registry, creds Credentials, key tokenKey) (Token, error) {
	c, err := p.client(ctx, reg, creds)
	if err != nil {
		return Token{}, err
	}
	// RegistryIds is deprecated: a token is valid for every registry the
	// identity may access in the region.
	out, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Token{}, classify("GetAuthorizationToken", reg.host, creds, err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return Token{}, fmt.Errorf("%w: ECR GetAuthorizationToken %s: no authorization data in response", ErrTransient, reg.host)
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*d.AuthorizationToken)
	user, pass, found := strings.Cut(string(raw), ":")
	if err != nil || !found || user == "" || pass == "" {
		// The token's content stays out of the message.
		return Token{}, fmt.Errorf("%w: ECR GetAuthorizationToken %s: malformed authorization token", ErrTransient, reg.host)
	}
	now := p.opts.Now()
	t := Token{Username: user, Password: pass, ExpiresAt: now.Add(fallbackTokenTTL), ProxyEndpoint: "https://" + reg.host}
	if d.ExpiresAt != nil {
		t.ExpiresAt = *d.ExpiresAt
	}
	if d.ProxyEndpoint != nil && *d.ProxyEndpoint != "" {
		t.ProxyEndpoint = *d.ProxyEndpoint
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, old := range p.tokens { // keep the cache from growing with rotated keys
		if !now.Before(old.ExpiresAt) {
			delete(p.tokens, k)
		}
	}
	p.tokens[key] = t
	return t, nil
}

// Authenticator adapts Token to go-containerregistry. It validates repoURL
// now and fetches (or reuses) a token on each authorization, so a long-lived
// Authenticator keeps working across token expiry.
func (p *TokenProvider) Authenticator(repoURL string, creds Credentials) (authn.Authenticator, error) {
	if _, ok := parseRepoURL(repoURL); !ok {
		return nil, notECR(repoURL)
	}
	return &authenticator{p: p, repoURL: repoURL, creds: creds}, nil
}

type authenticator struct {
	p       *TokenProvider
	repoURL string
	creds   Credentials
}

var _ authn.ContextAuthenticator = (*authenticator)(nil)

func (a *authenticator) Authorization() (*authn.AuthConfig, error) {
	return a.AuthorizationContext(context.Background())
}

func (a *authenticator) AuthorizationContext(ctx context.Context) (*authn.AuthConfig, error) {
	t, err := a.p.Token(ctx, a.repoURL, a.creds)
	if err != nil {
		return nil, err
	}
	return &authn.AuthConfig{Username: t.Username, Password: t.Password}, nil
}

func notECR(repoURL string) error {
	return invalidf("%q is not a private ECR repository (want <account>.dkr.ecr.<region>.amazonaws.com/<repository>)", redact.URL(repoURL))
}
