package gitprovider

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// GitHubAppGitUsername is the user name to pair with an installation token
// when cloning or pushing over HTTPS.
const GitHubAppGitUsername = "x-access-token"

// AppTokenRefreshBefore is how long before its expiry a cached installation
// token is replaced.
const AppTokenRefreshBefore = 5 * time.Minute

// AppCredentials identify a GitHub App installation (Secret keys
// githubAppID or githubAppClientID, githubAppInstallationID and
// githubAppPrivateKey).
type AppCredentials struct {
	// AppID is the numeric App ID; ClientID, GitHub's newer identifier, is
	// preferred as the JWT issuer when both are set.
	AppID    string
	ClientID string
	// InstallationID is the installation of the App on the repository owner.
	InstallationID int64
	// PrivateKey is the App's PEM private key (PKCS#1 or PKCS#8), or that
	// PEM base64-encoded as Kargo once required.
	PrivateKey []byte
}

func (c *AppCredentials) issuer() string {
	if c.ClientID != "" {
		return c.ClientID
	}
	return c.AppID
}

// AppTokenSource mints and caches the installation access tokens of one
// GitHub App installation, scoped to one repository. It is safe for
// concurrent use; concurrent callers share one exchange.
type AppTokenSource struct {
	issuer   string
	key      *rsa.PrivateKey
	endpoint string // .../app/installations/{id}/access_tokens
	repo     string
	client   *http.Client
	now      func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

var appSources sync.Map // cache key -> *AppTokenSource

// NewAppTokenSource returns the token source of creds for repoURL (a GitHub
// or GitHub Enterprise repository). Sources are shared process-wide per App,
// installation, key and repository, so a token minted for one reconcile is
// reused by the next; the first caller's HTTP options are the ones used.
func NewAppTokenSource(repoURL string, creds *AppCredentials, opts Options) (*AppTokenSource, error) {
	ref, err := parseRepoURL(repoURL)
	if err != nil {
		return nil, err
	}
	s, err := newAppTokenSource(ref, creds, opts)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%x", s.issuer, s.endpoint, s.repo, creds.PrivateKey))
	shared, _ := appSources.LoadOrStore(string(sum[:]), s)
	return shared.(*AppTokenSource), nil
}

func newAppTokenSource(ref repoRef, creds *AppCredentials, opts Options) (*AppTokenSource, error) {
	if creds == nil || creds.issuer() == "" || creds.InstallationID <= 0 || len(creds.PrivateKey) == 0 {
		return nil, errors.New("github app: the App or client ID, the installation ID and the private key are all required")
	}
	key, err := parseRSAKey(creds.PrivateKey)
	if err != nil {
		return nil, err
	}
	_, repo, err := ref.ownerRepo(GitHub)
	if err != nil {
		return nil, err
	}
	return &AppTokenSource{
		issuer:   creds.issuer(),
		key:      key,
		endpoint: fmt.Sprintf("%sapp/installations/%d/access_tokens", githubAPIRoot(ref, opts), creds.InstallationID),
		repo:     repo,
		client:   httpClient(opts),
		now:      time.Now,
	}, nil
}

// parseRSAKey reads a PEM (or base64 PEM) RSA key; errors never quote it.
func parseRSAKey(b []byte) (*rsa.PrivateKey, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, errors.New("github app: the private key is neither PEM nor base64-encoded PEM")
		}
		b = dec
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("github app: the private key holds no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("github app: the private key is not a PKCS#1 or PKCS#8 key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("github app: the private key is not an RSA key")
	}
	return rk, nil
}

// InstallationToken returns a token of the installation, valid for at
// least AppTokenRefreshBefore, minting one when the cached one is missing
// or about to expire. Use it as the password of GitHubAppGitUsername for
// git over HTTPS.
func (s *AppTokenSource) InstallationToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.now().Before(s.expires.Add(-AppTokenRefreshBefore)) {
		return s.token, nil
	}
	tok, exp, err := s.mint(ctx)
	if err != nil {
		return "", err
	}
	s.token, s.expires = tok, exp
	return tok, nil
}

// jwt signs the App's RS256 JWT: issued a minute ago against clock drift,
// valid nine minutes (GitHub allows ten).
func (s *AppTokenSource) jwt() (string, error) {
	now := s.now()
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": s.issuer,
	})
	if err != nil {
		return "", err
	}
	signing := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", errors.New("github app: cannot sign the JWT with the private key")
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

func (s *AppTokenSource) mint(ctx context.Context) (string, time.Time, error) {
	jwt, err := s.jwt()
	if err != nil {
		return "", time.Time{}, err
	}
	body, _ := json.Marshal(map[string]any{"repositories": []string{s.repo}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("github app: exchanging the JWT for an installation token: %w", err)
	}
	defer resp.Body.Close() //nolint:errcheck
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		var m struct{ Message string }
		_ = json.Unmarshal(data, &m)
		return "", time.Time{}, fmt.Errorf("github app: installation token: %w", apiError(GitHub, resp, m.Message))
	}
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Token == "" {
		return "", time.Time{}, errors.New("github app: the installation token response holds no token")
	}
	if out.ExpiresAt.IsZero() {
		out.ExpiresAt = s.now().Add(time.Hour) // GitHub's documented lifetime
	}
	return out.Token, out.ExpiresAt, nil
}

// appTransport authenticates each request with the installation token.
type appTransport struct {
	base http.RoundTripper
	src  *AppTokenSource
}

func (t *appTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.InstallationToken(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "token "+tok)
	return t.base.RoundTrip(r)
}
