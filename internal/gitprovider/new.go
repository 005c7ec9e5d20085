package gitprovider

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/git/redact"
)

// DefaultTimeout bounds every HTTP request when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configures New.
type Options struct {
	// Provider is github, gitlab, gitea, bitbucket or azure. Empty infers it
	// from the host; a self-hosted GitHub Enterprise, GitLab or Gitea whose
	// host does not name the product needs it set.
	Provider string
	// Token authenticates API calls (the Secret's "password").
	Token string
	// Username, with Token, selects HTTP basic authentication on Bitbucket
	// (app passwords / API tokens; "x-token-auth" still means a bearer
	// access token); elsewhere it is ignored.
	Username string
	// GitHubApp authenticates as a GitHub App installation (GitHub only);
	// it takes precedence over Token.
	GitHubApp *AppCredentials
	// InsecureSkipTLSVerify disables certificate verification. Ignored when
	// HTTPClient is set.
	InsecureSkipTLSVerify bool
	// HTTPClient replaces the default client (its Timeout, when zero, is set
	// to Timeout on a copy).
	HTTPClient *http.Client
	// Timeout bounds each HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
	// APIURL overrides the API base URL derived from the repository URL
	// (for example https://api.bitbucket.org/2.0 or a proxy).
	APIURL string
}

// New returns the provider for repoURL (https://, http://, ssh:// or
// git@host:path form).
func New(repoURL string, opts Options) (Interface, error) {
	ref, err := parseRepoURL(repoURL)
	if err != nil {
		return nil, err
	}
	name := opts.Provider
	if name == "" {
		if name = InferProvider(repoURL); name == "" {
			return nil, fmt.Errorf("%w: cannot infer the Git provider of host %q; set the provider (github, gitlab, gitea, bitbucket or azure)", ErrUnsupported, ref.host)
		}
	}
	if opts.GitHubApp != nil && name != GitHub {
		return nil, fmt.Errorf("%w: GitHub App credentials used with provider %q", ErrUnsupported, name)
	}
	switch name {
	case GitHub:
		return newGitHub(ref, opts)
	case GitLab:
		return newGitLab(ref, opts)
	case Gitea:
		return newGitea(ref, opts)
	case Bitbucket:
		return newBitbucket(ref, opts)
	case Azure:
		return newAzure(ref, opts)
	}
	return nil, fmt.Errorf("%w: unknown Git provider %q (want github, gitlab, gitea, bitbucket or azure)", ErrUnsupported, name)
}

// InferProvider names the provider of repoURL from its host, as Kargo does:
// a host containing "github" (or under ghe.com), "gitlab" or "gitea";
// bitbucket.org; dev.azure.com or *.visualstudio.com. It returns "" when the
// host says nothing.
func InferProvider(repoURL string) string {
	ref, err := parseRepoURL(repoURL)
	if err != nil {
		return ""
	}
	h := strings.ToLower(ref.hostname())
	switch {
	case h == "bitbucket.org":
		return Bitbucket
	case h == "dev.azure.com" || h == "ssh.dev.azure.com" || strings.HasSuffix(h, ".visualstudio.com"):
		return Azure
	case strings.Contains(h, "github") || strings.HasSuffix(h, ".ghe.com"):
		return GitHub
	case strings.Contains(h, "gitlab"):
		return GitLab
	case strings.Contains(h, "gitea"):
		return Gitea
	}
	return ""
}

// repoRef is a parsed repository URL.
type repoRef struct {
	scheme string // https, or http when the URL said so
	host   string // host[:port]
	path   []string
}

func (r repoRef) hostname() string {
	if h, _, ok := strings.Cut(r.host, ":"); ok && !strings.HasPrefix(r.host, "[") {
		return h
	}
	return r.host
}

// base is scheme://host.
func (r repoRef) base() string { return r.scheme + "://" + r.host }

func parseRepoURL(raw string) (repoRef, error) {
	u, err := url.Parse(git.NormalizeURL(raw))
	if err != nil || u.Host == "" {
		return repoRef{}, fmt.Errorf("%w: cannot parse repository URL %q", ErrUnsupported, redact.URL(raw))
	}
	ref := repoRef{scheme: "https", host: u.Host}
	if u.Scheme == "http" {
		ref.scheme = "http"
	}
	p := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			ref.path = append(ref.path, s)
		}
	}
	if len(ref.path) == 0 {
		return repoRef{}, fmt.Errorf("%w: repository URL %q has no repository path", ErrUnsupported, redact.URL(raw))
	}
	return ref, nil
}

// ownerRepo splits an owner/repo path (GitHub, Gitea, Bitbucket).
func (r repoRef) ownerRepo(provider string) (string, string, error) {
	if len(r.path) != 2 {
		return "", "", fmt.Errorf("%w: %s repository URLs have the form %s/<owner>/<repo>, got path %q",
			ErrUnsupported, provider, r.base(), strings.Join(r.path, "/"))
	}
	return r.path[0], r.path[1], nil
}

// httpClient returns the client every provider request goes through.
func httpClient(o Options) *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		if c.Timeout == 0 {
			c.Timeout = timeout
		}
		return &c
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.InsecureSkipTLSVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}
