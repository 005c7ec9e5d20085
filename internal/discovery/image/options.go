// Package image discovers container images in OCI registries for image
// subscriptions: it lists a repository's tags once, filters and orders them
// on the tag strings, and reads manifests and configs only for the
// candidates it needs, caching what it learns by digest across discoveries.
//
// Selection (filter, semver, sort) is pure and lives in selection.go; the
// registry I/O lives in Discoverer.
package image

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/railyard-dev/railyard/internal/git/redact"
)

// Strategy is how tags are ordered and selected.
type Strategy string

const (
	// SemVer orders tags that parse as semantic versions, newest first,
	// optionally restricted by Options.Constraint. The default.
	SemVer Strategy = "SemVer"
	// Lexical orders tags by reverse lexical order.
	Lexical Strategy = "Lexical"
	// NewestBuild orders tags by image build time, newest first.
	NewestBuild Strategy = "NewestBuild"
	// Digest follows the one mutable tag named by Options.Constraint.
	Digest Strategy = "Digest"
)

// DefaultDiscoveryLimit applies when Options.DiscoveryLimit is zero.
const DefaultDiscoveryLimit = 20

// Options describe one image subscription. API defaults (strictSemvers true,
// strategy SemVer, discoveryLimit 20) are applied by the caller or here for
// zero values where noted.
type Options struct {
	// RepoURL is the repository without tag or digest, e.g. ghcr.io/org/app.
	RepoURL string
	// Strategy defaults to SemVer.
	Strategy Strategy
	// Constraint is a Masterminds semver constraint for SemVer (optional) or
	// the tag to follow for Digest (required). Ignored otherwise.
	Constraint string
	// StrictSemvers admits only tags with major.minor.patch (SemVer only).
	StrictSemvers bool
	// AllowTagsRegexes: a tag must match at least one, when any are given.
	AllowTagsRegexes []string
	// IgnoreTagsRegexes: a tag matching any is dropped (wins over allow).
	IgnoreTagsRegexes []string
	// Platform is "os/arch[/variant]"; empty means any.
	Platform string
	// DiscoveryLimit is how many references to return (default 20).
	DiscoveryLimit int
	// InsecureSkipTLSVerify skips certificate verification and allows plain
	// HTTP.
	InsecureSkipTLSVerify bool
	// CacheByTag trusts a tag's last seen digest: a tag described before is
	// not asked about again while its metadata is cached, so a re-pushed tag
	// goes unnoticed. For repositories whose tags are immutable (Kargo's
	// cacheByTag). Ignored by the Digest strategy, which follows a mutable
	// tag by definition.
	CacheByTag bool
	// Keychain or Authenticator supplies credentials (at most one; neither
	// means anonymous). They are resolved on every discovery so rotated
	// credentials take effect, and never printed.
	Keychain      authn.Keychain
	Authenticator authn.Authenticator
	// BuildTimes, if set, supplies build times by tag for NewestBuild, for
	// registries that report them cheaply (private ECR's push times from
	// DescribeImages). Tags are then ordered by these times and manifests
	// are read only for the first DiscoveryLimit candidates, instead of a
	// manifest and a config request per tag. Its errors are returned as is.
	BuildTimes func(ctx context.Context) (map[string]time.Time, error)
	// Defer lets Discover return once the newest reference is known (its
	// tag and digest; its config only when the platform needs it), with
	// Result.Rest to describe the others and read its build time later, at
	// low priority. Only SemVer and Lexical discoveries defer; the others
	// ignore it.
	Defer bool
}

// String omits credentials so Options may be logged safely.
func (o Options) String() string {
	return fmt.Sprintf("image{repoURL=%s strategy=%s constraint=%q platform=%q limit=%d}",
		redact.URL(o.RepoURL), o.strategy(), o.Constraint, o.Platform, o.limit())
}

// GoString keeps %#v from printing credentials too.
func (o Options) GoString() string { return o.String() }

func (o Options) strategy() Strategy {
	if o.Strategy == "" {
		return SemVer
	}
	return o.Strategy
}

func (o Options) limit() int {
	if o.DiscoveryLimit == 0 {
		return DefaultDiscoveryLimit
	}
	return o.DiscoveryLimit
}

// Validate reports spec errors (wrapping ErrInvalidSubscription) without any
// I/O, naming the offending field.
func (o Options) Validate() error {
	_, err := compile(o)
	return err
}

// compiled is the validated, parsed form of Options.
type compiled struct {
	repo       name.Repository
	strategy   Strategy
	constraint *semver.Constraints // SemVer only, may be nil
	digestTag  string              // Digest only
	strict     bool
	allow      []*regexp.Regexp
	ignore     []*regexp.Regexp
	platform   *platform
	limit      int
	// timesKnown: build times come from Options.BuildTimes, so NewestBuild
	// reads no configs.
	timesKnown bool
	// deferTime: the build time is read later (Rest.Finish), not now.
	deferTime bool
	// byTag: a known tag's cached metadata is used without a request.
	byTag bool
}

func compile(o Options) (*compiled, error) {
	c := &compiled{strategy: o.strategy(), strict: o.StrictSemvers, limit: o.limit()}
	c.byTag = o.CacheByTag && c.strategy != Digest
	var nameOpts []name.Option
	if o.InsecureSkipTLSVerify {
		nameOpts = append(nameOpts, name.Insecure)
	}
	if o.RepoURL == "" {
		return nil, invalid("repoURL", "must not be empty")
	}
	repo, err := name.NewRepository(o.RepoURL, nameOpts...)
	if err != nil {
		// The parser quotes its input, which may hold a password.
		return nil, invalid("repoURL", "%q is not a repository reference (no tag or digest): %s",
			redact.URL(o.RepoURL), redact.In(err.Error(), o.RepoURL))
	}
	c.repo = repo
	if c.limit < 1 {
		return nil, invalid("discoveryLimit", "must be at least 1, got %d", o.DiscoveryLimit)
	}
	if o.Keychain != nil && o.Authenticator != nil {
		return nil, invalid("credentials", "give a keychain or an authenticator, not both")
	}
	switch c.strategy {
	case SemVer:
		if o.Constraint != "" {
			if c.constraint, err = semver.NewConstraint(o.Constraint); err != nil {
				return nil, invalid("constraint", "%q is not a semver constraint: %v", o.Constraint, err)
			}
		}
	case Digest:
		if o.Constraint == "" {
			return nil, invalid("constraint", "the Digest strategy needs the tag to follow")
		}
		if _, err := name.NewTag(o.RepoURL+":"+o.Constraint, nameOpts...); err != nil {
			return nil, invalid("constraint", "%q is not a valid tag", o.Constraint)
		}
		c.digestTag = o.Constraint
	case Lexical, NewestBuild:
	default:
		return nil, invalid("imageSelectionStrategy", "unknown strategy %q (want SemVer, Lexical, NewestBuild or Digest)", o.Strategy)
	}
	if c.allow, err = compileRegexes("allowTagsRegexes", o.AllowTagsRegexes); err != nil {
		return nil, err
	}
	if c.ignore, err = compileRegexes("ignoreTagsRegexes", o.IgnoreTagsRegexes); err != nil {
		return nil, err
	}
	if o.Platform != "" {
		if c.platform, err = parsePlatform(o.Platform); err != nil {
			return nil, invalid("platform", "%v", err)
		}
	}
	return c, nil
}

func compileRegexes(field string, exprs []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(exprs))
	for i, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, invalid(fmt.Sprintf("%s[%d]", field, i), "%q is not a valid regular expression: %v", e, err)
		}
		out = append(out, re)
	}
	return out, nil
}
