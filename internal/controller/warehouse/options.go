package warehouse

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/discovery/chart"
	gitdisc "github.com/railyard-dev/railyard/internal/discovery/git"
	"github.com/railyard-dev/railyard/internal/discovery/image"
)

// errInvalidSpec marks spec problems found while mapping a subscription to
// discovery options (the discovery packages report theirs with their own
// sentinels).
var errInvalidSpec = errors.New("invalid subscription")

// imageOptions maps an image subscription, deprecated fields included, to
// discovery options. Credentials are added by the caller.
func imageOptions(s *railyard.ImageSubscription) image.Options {
	return image.Options{
		RepoURL:               s.RepoURL,
		Strategy:              image.Strategy(s.ImageSelectionStrategy),
		Constraint:            s.EffectiveConstraint(),
		StrictSemvers:         s.IsStrictSemvers(),
		AllowTagsRegexes:      allowRegexes(s.AllowTagsRegexes, s.AllowTags),
		IgnoreTagsRegexes:     ignoreRegexes(s.IgnoreTagsRegexes, s.IgnoreTags),
		Platform:              s.Platform,
		DiscoveryLimit:        int(s.DiscoveryLimit),
		InsecureSkipTLSVerify: s.InsecureSkipTLSVerify,
	}
}

// chartOptions maps a chart subscription to discovery options.
func chartOptions(s *railyard.ChartSubscription) chart.Options {
	return chart.Options{
		RepoURL:               s.RepoURL,
		Name:                  s.Name,
		SemverConstraint:      s.SemverConstraint,
		DiscoveryLimit:        int(s.DiscoveryLimit),
		InsecureSkipTLSVerify: s.InsecureSkipTLSVerify,
	}
}

// gitOptions maps a git subscription to discovery options.
func gitOptions(s *railyard.GitSubscription) (gitdisc.Options, error) {
	o := gitdisc.Options{
		RepoURL:           s.RepoURL,
		Strategy:          gitdisc.Strategy(s.CommitSelectionStrategy),
		Branch:            s.Branch,
		SemverConstraint:  s.SemverConstraint,
		StrictSemvers:     s.IsStrictSemvers(),
		AllowTagsRegexes:  allowRegexes(s.AllowTagsRegexes, s.AllowTags),
		IgnoreTagsRegexes: ignoreRegexes(s.IgnoreTagsRegexes, s.IgnoreTags),
		IncludePaths:      s.IncludePaths,
		ExcludePaths:      s.ExcludePaths,
		ExpressionFilter:  s.ExpressionFilter,
		DiscoveryLimit:    int(s.DiscoveryLimit),
	}
	if s.Since != "" {
		t, err := time.Parse(time.RFC3339, s.Since)
		if err != nil {
			return o, fmt.Errorf("%w: since: %q is not an RFC 3339 time", errInvalidSpec, s.Since)
		}
		o.Since = t
	}
	return o, nil
}

// allowRegexes adds the deprecated single allowTags expression to the list.
func allowRegexes(regexes []string, deprecated string) []string {
	out := append([]string(nil), regexes...)
	if deprecated != "" {
		out = append(out, deprecated)
	}
	return out
}

// ignoreRegexes adds the deprecated literal ignoreTags as anchored, escaped
// expressions, so "1.0.0" ignores exactly that tag and not "1x0y0".
func ignoreRegexes(regexes, literals []string) []string {
	out := append([]string(nil), regexes...)
	for _, t := range literals {
		out = append(out, "^"+regexp.QuoteMeta(t)+"$")
	}
	return out
}
