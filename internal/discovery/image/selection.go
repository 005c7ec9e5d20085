package image

import (
	"cmp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// This file holds the pure part of discovery: deciding, from tag strings
// alone, which tags are candidates and in which order.

// allowed applies the allow and ignore regexes; ignore wins, and an empty
// allow list admits everything.
func (c *compiled) allowed(tag string) bool {
	for _, re := range c.ignore {
		if re.MatchString(tag) {
			return false
		}
	}
	if len(c.allow) == 0 {
		return true
	}
	for _, re := range c.allow {
		if re.MatchString(tag) {
			return true
		}
	}
	return false
}

// candidates filters tags and orders them best first for SemVer and
// Lexical. For NewestBuild the order is only a deterministic starting point
// (reverse lexical); build times decide later. Digest does not list tags.
func (c *compiled) candidates(tags []string) []string {
	switch c.strategy {
	case SemVer:
		return c.semverCandidates(tags)
	default:
		out := make([]string, 0, len(tags))
		for _, t := range tags {
			if c.allowed(t) {
				out = append(out, t)
			}
		}
		slices.SortFunc(out, func(a, b string) int { return strings.Compare(b, a) })
		return slices.Compact(out)
	}
}

func (c *compiled) semverCandidates(tags []string) []string {
	type tv struct {
		tag string
		v   *semver.Version
	}
	vs := make([]tv, 0, len(tags))
	for _, t := range tags {
		if !c.allowed(t) {
			continue
		}
		v, ok := parseSemver(t, c.strict)
		if !ok {
			continue
		}
		// Masterminds admits pre-releases only for constraint groups that
		// name a pre-release themselves (e.g. ^4.2.0-0.2.0), as npm does.
		if c.constraint != nil && !c.constraint.Check(v) {
			continue
		}
		vs = append(vs, tv{t, v})
	}
	// Newest first; equal versions (v1.2.3 vs 1.2.3, or differing build
	// metadata) fall back to reverse lexical order so the result is stable.
	slices.SortFunc(vs, func(a, b tv) int {
		if r := b.v.Compare(a.v); r != 0 {
			return r
		}
		return strings.Compare(b.tag, a.tag)
	})
	out := make([]string, 0, len(vs))
	for _, x := range vs {
		if len(out) == 0 || out[len(out)-1] != x.tag {
			out = append(out, x.tag)
		}
	}
	return out
}

// parseSemver parses a tag as a semantic version, accepting a "v" prefix.
// strict requires an explicit major.minor.patch (so "1.2" or a hex-only
// commit hash like "1234567" are not versions).
func parseSemver(tag string, strict bool) (*semver.Version, bool) {
	if strict {
		if _, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v")); err != nil {
			return nil, false
		}
	}
	v, err := semver.NewVersion(tag)
	if err != nil {
		return nil, false
	}
	return v, true
}

// sortByBuildTime orders references newest build first; references without
// a known build time go last; ties break by reverse lexical tag.
func sortByBuildTime(refs []Reference) {
	slices.SortStableFunc(refs, func(a, b Reference) int {
		switch {
		case a.CreatedAt == nil && b.CreatedAt == nil:
		case a.CreatedAt == nil:
			return 1
		case b.CreatedAt == nil:
			return -1
		default:
			if r := b.CreatedAt.Compare(*a.CreatedAt); r != 0 {
				return r
			}
		}
		return cmp.Compare(b.Tag, a.Tag)
	})
}
