// Package git implements the git operations Railyard needs with go-git, so
// no git binary is required at run time: listing refs, shallow fetches for
// discovery, and a work tree for promotion steps (commit, push with retry).
package git

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/railyard-dev/railyard/internal/git/redact"
)

// scpLike matches "user@host:path" (but not "scheme://...").
var scpLike = regexp.MustCompile(`^(?:([^@/:]+)@)?([^@/:]+):([^/].*)$`)

// NormalizeURL turns an SCP-style address such as git@github.com:org/repo.git
// into ssh://git@github.com/org/repo.git. Other URLs are returned unchanged.
func NormalizeURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if strings.Contains(raw, "://") {
		return raw
	}
	m := scpLike.FindStringSubmatch(raw)
	if m == nil {
		return raw
	}
	user := ""
	if m[1] != "" {
		user = m[1] + "@"
	}
	return fmt.Sprintf("ssh://%s%s/%s", user, m[2], m[3])
}

// isSSH reports whether a normalized URL uses the ssh transport.
func isSSH(normalized string) bool {
	return strings.HasPrefix(normalized, "ssh://") || strings.HasPrefix(normalized, "git+ssh://")
}

// RedactURL removes the password or token of a URL so it can appear in
// status, errors, Events and logs; see redact.URL.
func RedactURL(raw string) string { return redact.URL(raw) }

// RedactIn removes from text the credentials embedded in any of rawURLs;
// see redact.In.
func RedactIn(text string, rawURLs ...string) string { return redact.In(text, rawURLs...) }

// redactIn replaces every occurrence of the secrets in s.
func redactIn(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
