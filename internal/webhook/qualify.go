package webhook

import (
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/bmatcuk/doublestar/v4"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Kargo's ref prefixes; refs are matched as providers send them.
const (
	branchPrefix = "refs/heads/"
	tagPrefix    = "refs/tags/"
)

// qualifies reports whether a subscription whose repository the event names
// could discover something from what was pushed, as Kargo's shouldRefresh
// does. An event without refs qualifies (Kargo refreshes unconditionally
// then), and so does anything this cannot judge (an unknown ref form, an
// invalid constraint or regex): a spurious refresh is cheap, a missed one
// is a bug.
func qualifies(ev Event, s railyard.RepoSubscription) bool {
	if len(ev.Refs) == 0 {
		return true
	}
	switch {
	case s.Git != nil:
		return slices.ContainsFunc(ev.Refs, func(r string) bool { return gitRefMatches(s.Git, r) }) &&
			gitPathsMatch(s.Git, ev.ChangedFiles)
	case s.Image != nil:
		return slices.ContainsFunc(ev.Refs, func(t string) bool { return imageTagMatches(s.Image, t) })
	case s.Chart != nil:
		return slices.ContainsFunc(ev.Refs, func(v string) bool { return chartVersionMatches(s.Chart, v) })
	}
	return true
}

func gitRefMatches(g *railyard.GitSubscription, ref string) bool {
	if !strings.HasPrefix(ref, "refs/") {
		return true // not a ref form Kargo knows; do not guess
	}
	switch g.CommitSelectionStrategy {
	case "", railyard.CommitSelectionStrategyNewestFromBranch:
		branch, ok := strings.CutPrefix(ref, branchPrefix)
		if !ok {
			return false
		}
		// Kargo assumes an unnamed branch is main or master; the default
		// branch is not in every payload, so any branch qualifies here.
		return g.Branch == "" || g.Branch == branch
	}
	tag, ok := strings.CutPrefix(ref, tagPrefix)
	if !ok {
		return false
	}
	if !tagAllowed(tag, allowList(g.AllowTagsRegexes, g.AllowTags), ignoreList(g.IgnoreTagsRegexes, g.IgnoreTags)) {
		return false
	}
	if g.CommitSelectionStrategy != railyard.CommitSelectionStrategySemVer {
		return true
	}
	return semverMatches(tag, g.IsStrictSemvers(), g.SemverConstraint)
}

func imageTagMatches(s *railyard.ImageSubscription, tag string) bool {
	switch s.ImageSelectionStrategy {
	case railyard.ImageSelectionStrategyDigest:
		return s.EffectiveConstraint() == tag
	case railyard.ImageSelectionStrategyLexical, railyard.ImageSelectionStrategyNewestBuild:
		return tagAllowed(tag, allowList(s.AllowTagsRegexes, s.AllowTags), ignoreList(s.IgnoreTagsRegexes, s.IgnoreTags))
	}
	return tagAllowed(tag, allowList(s.AllowTagsRegexes, s.AllowTags), ignoreList(s.IgnoreTagsRegexes, s.IgnoreTags)) &&
		semverMatches(tag, s.IsStrictSemvers(), s.EffectiveConstraint())
}

// chartVersionMatches: any semantic version within the constraint. Unlike
// discovery, pre-releases pass without a constraint admitting them, as in
// Kargo's MatchesVersion.
func chartVersionMatches(s *railyard.ChartSubscription, version string) bool {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	return constraintAdmits(s.SemverConstraint, v)
}

func semverMatches(tag string, strict bool, constraint string) bool {
	if strict {
		if _, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v")); err != nil {
			return false
		}
	}
	v, err := semver.NewVersion(tag)
	if err != nil {
		return false
	}
	return constraintAdmits(constraint, v)
}

func constraintAdmits(constraint string, v *semver.Version) bool {
	if constraint == "" {
		return true
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return true // discovery reports the bad constraint; do not hide the Warehouse
	}
	return c.Check(v)
}

// allowList and ignoreList fold in the deprecated fields the way discovery
// reads them (Kargo v1.11 refuses them instead).
func allowList(regexes []string, deprecated string) []string {
	if deprecated == "" {
		return regexes
	}
	return append(slices.Clone(regexes), deprecated)
}

func ignoreList(regexes, literals []string) []string {
	out := slices.Clone(regexes)
	for _, t := range literals {
		out = append(out, "^"+regexp.QuoteMeta(t)+"$")
	}
	return out
}

// tagAllowed applies ignore (which wins) then allow regexes. An invalid
// regex neither ignores nor restricts.
func tagAllowed(tag string, allow, ignore []string) bool {
	for _, e := range ignore {
		if re, err := regexp.Compile(e); err == nil && re.MatchString(tag) {
			return false
		}
	}
	if len(allow) == 0 {
		return true
	}
	for _, e := range allow {
		re, err := regexp.Compile(e)
		if err != nil || re.MatchString(tag) {
			return true
		}
	}
	return false
}

// gitPathsMatch applies include/exclude paths to the changed files, when
// known: at least one changed file must be included and not excluded.
func gitPathsMatch(g *railyard.GitSubscription, files []string) bool {
	if len(files) == 0 || (len(g.IncludePaths) == 0 && len(g.ExcludePaths) == 0) {
		return true
	}
	for _, f := range files {
		if (len(g.IncludePaths) == 0 || anyPathMatches(g.IncludePaths, f, true)) &&
			!anyPathMatches(g.ExcludePaths, f, false) {
			return true
		}
	}
	return false
}

// anyPathMatches reads selectors as discovery does: a directory prefix,
// glob:<pattern> or regex:<expression>. An invalid selector counts as
// onInvalid, so that it never hides a change.
func anyPathMatches(selectors []string, path string, onInvalid bool) bool {
	for _, sel := range selectors {
		switch {
		case strings.HasPrefix(sel, "glob:"):
			ok, err := doublestar.Match(strings.TrimPrefix(sel, "glob:"), path)
			if ok || (err != nil && onInvalid) {
				return true
			}
		case strings.HasPrefix(sel, "regex:"), strings.HasPrefix(sel, "regexp:"):
			_, e, _ := strings.Cut(sel, ":")
			re, err := regexp.Compile(e)
			if (err == nil && re.MatchString(path)) || (err != nil && onInvalid) {
				return true
			}
		default:
			dir := strings.Trim(sel, "/")
			if dir == "" || dir == "." {
				if onInvalid {
					return true
				}
				continue
			}
			if path == dir || strings.HasPrefix(path, dir+"/") {
				return true
			}
		}
	}
	return false
}
