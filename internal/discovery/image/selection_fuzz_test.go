package image

import (
	"slices"
	"strings"
	"testing"
)

// FuzzCandidates: tag parsing and selection never panic, whatever the
// registry lists and however the subscription is set, and selection only
// ever returns tags the registry listed, each once.
func FuzzCandidates(f *testing.F) {
	f.Add("v1.2.3\n1.2.4\nlatest\n1.3.0-rc.1\n1.2", uint8(0), true, "^1.2.0", "", "")
	f.Add("4.2.0-0.1.0\n4.2.0-0.2.0\n4.2.0", uint8(0), true, "^4.2.0-0.2.0", "", "rc")
	f.Add("b\na\nc10\nc9\nb", uint8(1), false, "", "^[a-c]", "")
	f.Add("abc123f\n1234567\n01.2.3\nv1.2.3+build.5\n1.2.3+build.4", uint8(2), false, ">= v1.2.4 || <1", `^\d`, `\.`)
	strategies := []Strategy{SemVer, Lexical, NewestBuild}
	f.Fuzz(func(t *testing.T, list string, strategy uint8, strict bool, constraint, allow, ignore string) {
		o := Options{RepoURL: "registry.example.com/app", Strategy: strategies[int(strategy)%len(strategies)],
			StrictSemvers: strict, Constraint: constraint}
		if allow != "" {
			o.AllowTagsRegexes = []string{allow}
		}
		if ignore != "" {
			o.IgnoreTagsRegexes = []string{ignore}
		}
		c, err := compile(o)
		if err != nil {
			return // an invalid subscription is reported, not selected from
		}
		tags := strings.Split(list, "\n")
		got := c.candidates(tags)
		seen := map[string]bool{}
		for _, tag := range got {
			if !slices.Contains(tags, tag) {
				t.Fatalf("candidates returned %q, which was not listed in %q", tag, tags)
			}
			if seen[tag] {
				t.Fatalf("candidates returned %q twice: %q", tag, got)
			}
			seen[tag] = true
			if !c.allowed(tag) {
				t.Fatalf("candidates returned %q, which the regexes exclude", tag)
			}
		}
	})
}
