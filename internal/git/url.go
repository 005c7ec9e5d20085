// Package git implements the git operations Railyard needs with go-git, so
// no git binary is required at run time: listing refs, shallow fetches for
// discovery, and a work tree for promotion steps (commit, push with retry).
package git

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
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
// status, errors, Events and logs, whatever the scheme (http, ssh, oci,
// scp-like user:pass@host:path) and even when the URL does not parse. A
// URL without a password is returned unchanged, so redacted URLs still
// match the spec; a bare user name ("git" in ssh URLs) is kept.
//
// It works on the text, not on url.Parse: a password holding '/', '?' or
// '#' makes the parser see a host and path where the password is. Whatever
// precedes the last '@' of the address is the userinfo; if it holds a ':',
// all of it is replaced. A path containing ":...@" is over-redacted, which
// is the safe way to be wrong.
func RedactURL(raw string) string {
	prefix, userinfo, rest, ok := splitUserinfo(raw)
	if !ok || !strings.Contains(userinfo, ":") {
		return raw
	}
	return prefix + "redacted@" + rest
}

// splitUserinfo splits raw into scheme prefix ("https://" or ""), the text
// before its last '@' and the text after it.
func splitUserinfo(raw string) (prefix, userinfo, rest string, ok bool) {
	addr := raw
	if m := schemePrefix.FindString(raw); m != "" {
		prefix, addr = m, raw[len(m):]
	}
	at := strings.LastIndex(addr, "@")
	if at < 0 {
		return "", "", "", false
	}
	return prefix, addr[:at], addr[at+1:], true
}

// schemePrefix matches a URL scheme and "://" (RFC 3986 scheme syntax).
var schemePrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// RedactIn removes from text the credentials embedded in any of rawURLs:
// the URLs themselves become their redacted form, and their userinfo and
// password (raw and percent-decoded) are replaced wherever else they occur,
// e.g. quoted by a parser's error.
func RedactIn(text string, rawURLs ...string) string {
	for _, raw := range rawURLs {
		redacted := RedactURL(raw)
		if redacted == raw {
			continue
		}
		text = strings.ReplaceAll(text, raw, redacted)
		_, userinfo, _, _ := splitUserinfo(raw)
		text = strings.ReplaceAll(text, userinfo+"@", "redacted@")
		pass := userinfo[strings.Index(userinfo, ":")+1:]
		secrets := []string{userinfo, pass}
		if dec, err := url.PathUnescape(pass); err == nil {
			secrets = append(secrets, dec)
		}
		text = redactIn(text, secrets...)
	}
	return text
}

// redactIn replaces every occurrence of the secrets in s.
func redactIn(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
