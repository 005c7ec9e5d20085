package git

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// FuzzRedactURL: whatever the scheme and whatever the user name, password
// and rest of the address hold, the password never survives redaction; and
// for any string that url.Parse reads a password from, neither does it.
func FuzzRedactURL(f *testing.F) {
	f.Add(uint8(0), "user", "s3cret", "host/repo.git")
	f.Add(uint8(2), "git", "pa/ss", "host:22/repo.git")
	f.Add(uint8(5), "user", "p@ss", "github.com:org/repo.git")
	f.Add(uint8(4), "robot", "t#k?n", "registry.example.com/charts/app")
	f.Add(uint8(1), "", "tok", "host/a@b")
	prefixes := []string{"http://", "https://", "ssh://", "git+ssh://", "oci://", "", "HTTPS://", "weird scheme://"}
	f.Fuzz(func(t *testing.T, scheme uint8, user, pass, rest string) {
		prefix := prefixes[int(scheme)%len(prefixes)]
		raw := prefix + user + ":" + pass + "@" + rest
		out := RedactURL(raw)
		// Only where pass is the password: as the URL parser reads raw, or
		// plain tokens, which cannot be read as anything else ("A" + ":" +
		// "//0" is a scheme, not a user and password).
		isPassword := plainToken(user) && plainToken(pass)
		if u, err := url.Parse(NormalizeURL(raw)); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && p == pass {
				isPassword = true
			}
		}
		if isPassword && len(pass) >= 3 && !strings.Contains(prefix+user+rest+"redacted", pass) && leaks(out, pass) {
			t.Fatalf("RedactURL(%q) = %q keeps the password %q", raw, out, pass)
		}
		// The same property for arbitrary text, as the URL parser sees it.
		for _, s := range []string{pass, rest} {
			u, err := url.Parse(s)
			if err != nil || u.User == nil {
				continue
			}
			p, ok := u.User.Password()
			if ok && len(p) >= 3 && strings.Count(s, p) == 1 && !strings.Contains("redacted", p) &&
				leaks(RedactURL(s), p) {
				t.Fatalf("RedactURL(%q) = %q keeps the password %q", s, RedactURL(s), p)
			}
		}
	})
}

// leaks reports whether secret occurs in out other than overlapping the
// redaction marker: "d@0" in "https://redacted@0" is the marker's own "d"
// next to the host, not a leak.
func leaks(out, secret string) bool {
	var marked []int // start of every marker
	for i := 0; ; {
		j := strings.Index(out[i:], "redacted")
		if j < 0 {
			break
		}
		marked = append(marked, i+j)
		i += j + 1
	}
	for i := 0; ; {
		j := strings.Index(out[i:], secret)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(secret)
		overlaps := false
		for _, m := range marked {
			if start < m+len("redacted") && m < end {
				overlaps = true
			}
		}
		if !overlaps {
			return true
		}
		i = start + 1
	}
}

// plainToken reports whether s is made of characters that mean nothing in a
// URL.
func plainToken(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._~-", r)
	}) < 0
}
