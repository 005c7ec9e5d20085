package git

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/bmatcuk/doublestar/v4"
)

// strictSemver requires major.minor.patch (an optional leading "v").
var strictSemver = regexp.MustCompile(`^v?\d+\.\d+\.\d+`)

// selector is the compiled, I/O-free part of Options.
type selector struct {
	strategy   Strategy
	limit      int
	allow      []*regexp.Regexp
	ignore     []*regexp.Regexp
	constraint *semver.Constraints
	strict     bool
	include    []pathMatcher
	exclude    []pathMatcher
	filter     *exprFilter
}

func invalid(field string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrInvalidSubscription, field, err)
}

// compile validates o and builds its selector.
func compile(o Options) (*selector, error) {
	s := &selector{strategy: o.Strategy, strict: o.StrictSemvers, limit: o.DiscoveryLimit}
	if s.strategy == "" {
		s.strategy = NewestFromBranch
	}
	switch s.strategy {
	case NewestFromBranch, SemVer, Lexical, NewestTag:
	default:
		return nil, invalid("commitSelectionStrategy", fmt.Errorf("unknown strategy %q", o.Strategy))
	}
	if s.limit == 0 {
		s.limit = DefaultDiscoveryLimit
	}
	if s.limit < 1 || s.limit > MaxDiscoveryLimit {
		return nil, invalid("discoveryLimit", fmt.Errorf("%d is not in 1..%d", o.DiscoveryLimit, MaxDiscoveryLimit))
	}
	var err error
	if s.allow, err = compileRegexes("allowTagsRegexes", o.AllowTagsRegexes); err != nil {
		return nil, err
	}
	if s.ignore, err = compileRegexes("ignoreTagsRegexes", o.IgnoreTagsRegexes); err != nil {
		return nil, err
	}
	if o.SemverConstraint != "" {
		if s.constraint, err = semver.NewConstraint(o.SemverConstraint); err != nil {
			return nil, invalid("semverConstraint", err)
		}
	}
	if s.include, err = compilePaths("includePaths", o.IncludePaths); err != nil {
		return nil, err
	}
	if s.exclude, err = compilePaths("excludePaths", o.ExcludePaths); err != nil {
		return nil, err
	}
	if o.ExpressionFilter != "" {
		if s.filter, err = compileFilter(o.ExpressionFilter, s.strategy != NewestFromBranch); err != nil {
			return nil, invalid("expressionFilter", err)
		}
	}
	return s, nil
}

func compileRegexes(field string, exprs []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(exprs))
	for _, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, invalid(field, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// tagAllowed applies the allow and ignore regexes and, for SemVer, the
// version rules. Ignore wins over allow.
func (s *selector) tagAllowed(tag string) bool {
	for _, re := range s.ignore {
		if re.MatchString(tag) {
			return false
		}
	}
	if len(s.allow) > 0 && !slices.ContainsFunc(s.allow, func(re *regexp.Regexp) bool { return re.MatchString(tag) }) {
		return false
	}
	if s.strategy != SemVer {
		return true
	}
	v := s.version(tag)
	return v != nil && (s.constraint == nil || s.constraint.Check(v))
}

func (s *selector) version(tag string) *semver.Version {
	if s.strict && !strictSemver.MatchString(tag) {
		return nil
	}
	v, err := semver.NewVersion(tag)
	if err != nil {
		return nil
	}
	return v
}

// orderTags filters tag names and orders them best first. NewestTag keeps
// name order; it is re-sorted by date once tag metadata is known.
func (s *selector) orderTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if s.tagAllowed(t) {
			out = append(out, t)
		}
	}
	switch s.strategy {
	case SemVer:
		slices.SortStableFunc(out, func(a, b string) int {
			if c := s.version(b).Compare(s.version(a)); c != 0 {
				return c
			}
			return strings.Compare(b, a)
		})
	case Lexical:
		slices.SortFunc(out, func(a, b string) int { return cmp.Compare(b, a) })
	default:
		slices.Sort(out)
	}
	return out
}

// pathMatcher matches one include or exclude selector.
type pathMatcher func(path string) bool

func compilePaths(field string, sels []string) ([]pathMatcher, error) {
	out := make([]pathMatcher, 0, len(sels))
	for _, sel := range sels {
		switch {
		case strings.HasPrefix(sel, "glob:"):
			pattern := strings.TrimPrefix(sel, "glob:")
			if !doublestar.ValidatePattern(pattern) {
				return nil, invalid(field, fmt.Errorf("bad glob %q", pattern))
			}
			out = append(out, func(p string) bool {
				ok, _ := doublestar.Match(pattern, p)
				return ok
			})
		case strings.HasPrefix(sel, "regex:"), strings.HasPrefix(sel, "regexp:"):
			_, expr, _ := strings.Cut(sel, ":")
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, invalid(field, err)
			}
			out = append(out, re.MatchString)
		default:
			dir := strings.Trim(sel, "/")
			if dir == "" || dir == "." {
				return nil, invalid(field, fmt.Errorf("empty path selector %q", sel))
			}
			out = append(out, func(p string) bool { return p == dir || strings.HasPrefix(p, dir+"/") })
		}
	}
	return out, nil
}

func (s *selector) filtersPaths() bool { return len(s.include) > 0 || len(s.exclude) > 0 }

// pathsMatch reports whether a commit that changed paths passes: at least
// one changed path is included (all are when no include is given) and not
// excluded.
func (s *selector) pathsMatch(paths []string) bool {
	if !s.filtersPaths() {
		return true
	}
	for _, p := range paths {
		included := len(s.include) == 0 || slices.ContainsFunc(s.include, func(m pathMatcher) bool { return m(p) })
		if included && !slices.ContainsFunc(s.exclude, func(m pathMatcher) bool { return m(p) }) {
			return true
		}
	}
	return false
}

// subject returns the first line of a commit message, at most 80 runes.
func subject(message string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(message), "\n")
	line = strings.TrimSpace(line)
	if r := []rune(line); len(r) > subjectMax {
		return string(r[:subjectMax])
	}
	return line
}
