package chart

import (
	"net/url"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// DefaultDiscoveryLimit applies when Options.DiscoveryLimit is zero.
const DefaultDiscoveryLimit = 20

// Options is one chart subscription plus the credentials found for it.
type Options struct {
	// RepoURL is an http(s):// classic repository or oci://host/path/chart.
	RepoURL string
	// Name is the chart within a classic repository's index; it must be
	// empty for OCI, whose URL already names the chart.
	Name string
	// SemverConstraint (Masterminds syntax) filters versions; empty admits
	// every stable version. Pre-releases only when the constraint admits them.
	SemverConstraint string
	// DiscoveryLimit caps the result after filtering; 0 means
	// DefaultDiscoveryLimit.
	DiscoveryLimit int
	// InsecureSkipTLSVerify disables TLS certificate verification.
	InsecureSkipTLSVerify bool
	// Credentials for basic auth; nil means anonymous.
	Credentials *Credentials
}

// Credentials are a username and password (or token) for basic auth.
type Credentials struct {
	Username string
	Password string
}

// kind of repository an Options addresses.
type kind int

const (
	kindClassic kind = iota
	kindOCI
)

// subscription is validated Options.
type subscription struct {
	Options
	kind       kind
	url        *url.URL // classic only
	ociRepo    string   // host/path/chart, OCI only
	constraint *semver.Constraints
	limit      int
}

// validate checks o and reports every problem as ErrInvalidSubscription.
// Messages quote the URL without credentials.
func (o Options) validate() (*subscription, error) {
	s := &subscription{Options: o, limit: o.DiscoveryLimit}
	if s.limit < 0 {
		return nil, invalidf("discoveryLimit %d must not be negative", o.DiscoveryLimit)
	}
	if s.limit == 0 {
		s.limit = DefaultDiscoveryLimit
	}
	if o.SemverConstraint != "" {
		c, err := semver.NewConstraint(o.SemverConstraint)
		if err != nil {
			return nil, invalidf("semverConstraint %q: %v", o.SemverConstraint, err)
		}
		s.constraint = c
	}
	if o.RepoURL == "" {
		return nil, invalidf("repoURL is required")
	}
	u, err := url.Parse(o.RepoURL)
	if err != nil {
		// url.Error would echo the raw URL, which may hold a password.
		return nil, invalidf("repoURL is not a valid URL")
	}
	if u.User != nil {
		return nil, invalidf("repoURL %s must not embed credentials; use a Secret", u.Redacted())
	}
	if u.Host == "" {
		return nil, invalidf("repoURL %s has no host", u.Redacted())
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if o.Name == "" {
			return nil, invalidf("name is required for the classic chart repository %s", u.Redacted())
		}
		if strings.ContainsAny(o.Name, "/ \t\n") {
			return nil, invalidf("chart name %q is not valid", o.Name)
		}
		s.kind, s.url = kindClassic, u
	case "oci":
		if o.Name != "" {
			return nil, invalidf("name must be empty for the OCI repository %s (the URL names the chart)", u.Redacted())
		}
		if u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") == "" {
			return nil, invalidf("repoURL %s must be oci://registry/path/chart", u.Redacted())
		}
		s.kind, s.ociRepo = kindOCI, u.Host+"/"+strings.Trim(u.Path, "/")
	default:
		return nil, invalidf("repoURL %s: scheme must be http, https or oci", u.Redacted())
	}
	return s, nil
}

// indexURL is <repoURL>/index.yaml, keeping any query string.
func (s *subscription) indexURL() string {
	u := *s.url
	u.Path = strings.TrimSuffix(u.Path, "/") + "/index.yaml"
	u.RawPath = ""
	return u.String()
}

// displayURL is RepoURL safe to print.
func (s *subscription) displayURL() string {
	if s.url != nil {
		return s.url.Redacted()
	}
	return "oci://" + s.ociRepo
}
