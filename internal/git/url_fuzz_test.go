package git

import (
	"net/url"
	"strings"
	"testing"
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
		if len(pass) >= 3 && !strings.Contains(prefix+user+rest+"redacted", pass) && strings.Contains(out, pass) {
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
				strings.Contains(RedactURL(s), p) {
				t.Fatalf("RedactURL(%q) = %q keeps the password %q", s, RedactURL(s), p)
			}
		}
	})
}
