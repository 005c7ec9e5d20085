package webhook

import (
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/railyard-dev/railyard/internal/git"
)

// NormalizeImageRepo turns an image reference into registry/repository
// with Docker Hub's implicit parts spelled out ("nginx" →
// "docker.io/library/nginx") and any tag or digest dropped. Kargo instead
// shortens Docker Hub repositories ("nginx"); both sides of a comparison go
// through the same function, so matching is the same. Unparseable input is
// returned lower-cased, so it can still equal itself.
func NormalizeImageRepo(ref string) string {
	ref = strings.ToLower(strings.TrimSpace(ref))
	for _, p := range []string{"oci://", "https://", "http://"} {
		ref = strings.TrimPrefix(ref, p)
	}
	ref = strings.TrimSuffix(strings.TrimSuffix(ref, "/"), ":")
	if ref == "" {
		return ""
	}
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return ref
	}
	reg := r.Context().RegistryStr()
	switch reg {
	case name.DefaultRegistry, "registry-1.docker.io", "docker.io":
		reg = "docker.io"
	}
	return reg + "/" + r.Context().RepositoryStr()
}

// NormalizeChartRepo normalises a chart repository: oci:// references as
// images (without the scheme), HTTP(S) repositories lower-cased without a
// trailing slash.
func NormalizeChartRepo(repoURL string) string {
	u := strings.ToLower(strings.TrimSpace(repoURL))
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return strings.TrimSuffix(u, "/")
	}
	return NormalizeImageRepo(u)
}

// NormalizeGitURL makes the URL forms of one repository compare equal:
// SCP-style addresses become ssh://, case, user info, a trailing slash and
// ".git" are dropped. The scheme is kept: an https:// subscription does not
// match a delivery naming only the ssh:// URL, which providers send together.
func NormalizeGitURL(raw string) string {
	s := strings.ToLower(git.NormalizeURL(strings.TrimSpace(raw)))
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
	u.RawPath = ""
	return u.String()
}

// compact drops empty strings and duplicates, keeping order.
func compact(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0:0]
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func normalizeAll(f func(string) string, in ...string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, f(s))
	}
	return compact(out)
}
