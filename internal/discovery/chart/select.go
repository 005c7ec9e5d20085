package chart

import (
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Select returns at most limit versions, newest first, that are valid
// semantic versions and satisfy constraint. A nil constraint admits every
// stable version; pre-releases pass only when the constraint admits them
// (Masterminds semantics, as in `helm install` without --devel). Invalid
// versions are ignored; duplicates are kept once; limit <= 0 means no limit.
// Equal versions (differing only in build metadata or a "v" prefix) are
// ordered by their text, descending, so the result is deterministic.
func Select(versions []string, constraint *semver.Constraints, limit int) []string {
	type candidate struct {
		raw string
		v   *semver.Version
	}
	seen := make(map[string]struct{}, len(versions))
	cands := make([]candidate, 0, len(versions))
	for _, raw := range versions {
		raw = strings.TrimSpace(raw)
		if _, dup := seen[raw]; dup || raw == "" {
			continue
		}
		seen[raw] = struct{}{}
		v, err := semver.NewVersion(raw)
		if err != nil {
			continue
		}
		if constraint != nil {
			if !constraint.Check(v) {
				continue
			}
		} else if v.Prerelease() != "" {
			continue
		}
		cands = append(cands, candidate{raw: raw, v: v})
	}
	sort.Slice(cands, func(i, j int) bool {
		if c := cands[i].v.Compare(cands[j].v); c != 0 {
			return c > 0
		}
		return cands[i].raw > cands[j].raw
	})
	if limit > 0 && len(cands) > limit {
		cands = cands[:limit]
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.raw
	}
	return out
}
