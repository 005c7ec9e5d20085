package freight

import (
	"strings"
	"unicode"

	"github.com/google/go-containerregistry/pkg/name"
)

// NormalizeImageURL returns the form of an image repository that equivalent
// spellings share, by Kargo's rules (pkg/urls/image.go, NormalizeImage, in
// v1.11.2): the reference is lower-cased, stripped of surrounding space and
// unprintable runes and parsed as an image reference; a tag or digest is
// dropped; Docker Hub repositories (docker.io, index.docker.io,
// registry-1.docker.io) lose the host and the "library/" prefix, so "nginx",
// "docker.io/nginx" and "index.docker.io/library/nginx" are all "nginx";
// other registries keep "host[:port]/path". Kargo keeps a trailing slash, so
// "ghcr.io/org/app/" differs from "ghcr.io/org/app".
//
// Kargo returns input it cannot parse unchanged; Railyard lower-cases it and
// drops Docker Hub prefixes as it did before, because Freight names hash this
// form (see ID) and must not change for Freight that exists.
func NormalizeImageURL(u string) string {
	clean := sanitizeURL(strings.ToLower(u))
	ref, err := name.ParseReference(clean, name.WeakValidation)
	if err != nil {
		clean = strings.TrimPrefix(clean, "index.docker.io/")
		clean = strings.TrimPrefix(clean, "docker.io/")
		return strings.TrimPrefix(clean, "library/")
	}
	registry, repo := ref.Context().RegistryStr(), ref.Context().RepositoryStr()
	if registry == name.DefaultRegistry || registry == "registry-1.docker.io" {
		return strings.TrimPrefix(repo, "library/")
	}
	return registry + "/" + repo
}

// sanitizeURL drops surrounding white space and unprintable runes anywhere
// (byte order marks, zero-width spaces pasted with a URL), as Kargo's
// urls.SanitizeURL does.
func sanitizeURL(u string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, u))
}
