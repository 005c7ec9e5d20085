// Package redact removes credentials from URLs and from text quoting them,
// for every place a repository URL can reach people: status, conditions,
// Events, logs and errors. It has no dependencies so that every layer can
// use it.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// URL removes the password or token of a URL so it can appear in
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
func URL(raw string) string {
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

// In removes from text the credentials embedded in any of rawURLs:
// the URLs themselves become their redacted form, and their userinfo and
// password (raw and percent-decoded) are replaced wherever else they occur,
// e.g. quoted by a parser's error.
func In(text string, rawURLs ...string) string {
	for _, raw := range rawURLs {
		redacted := URL(raw)
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
		for _, sec := range secrets {
			// Shorter ones would mangle the text; the URL and userinfo
			// forms above are replaced whatever their length.
			if len(sec) >= 4 {
				text = strings.ReplaceAll(text, sec, "[redacted]")
			}
		}
	}
	return text
}
