package freight

import "testing"

// The first cases are Kargo v1.11.2's own (pkg/urls/image_test.go,
// TestNormalizeImage); the rest follow from its code (pkg/urls/image.go and
// common.go: lower-case, SanitizeURL, go-containerregistry's ParseReference
// with WeakValidation).
func TestNormalizeImageURLAsKargo(t *testing.T) {
	tests := []struct{ in, want string }{
		// Kargo: official images on Docker Hub.
		{"index.docker.io/library/busybox", "busybox"},
		{"index.docker.io/busybox", "busybox"},
		{"registry-1.docker.io/library/busybox", "busybox"},
		{"registry-1.docker.io/busybox", "busybox"},
		{"docker.io/library/busybox", "busybox"},
		{"docker.io/busybox", "busybox"},
		{"library/busybox", "busybox"},
		{"busybox", "busybox"},
		// Kargo: other images on Docker Hub.
		{"index.docker.io/example/repo", "example/repo"},
		{"docker.io/example/repo", "example/repo"},
		{"example/repo", "example/repo"},
		// Kargo: other registries.
		{"ghcr.io/example/repo", "ghcr.io/example/repo"},
		{"quay.io/example/repo", "quay.io/example/repo"},
		// Kargo: what does not parse is returned as is.
		{"invalid url", "invalid url"},
		// From the code: case, space and unprintable runes.
		{"Index.Docker.IO/Library/Nginx", "nginx"},
		{"GHCR.io/Org/App", "ghcr.io/org/app"},
		{"  ghcr.io/org/app\t", "ghcr.io/org/app"},
		{"\uFEFFghcr.io/org/\u200Bapp", "ghcr.io/org/app"},
		// From the code: a tag or digest names the same repository.
		{"docker.io/nginx:1.25", "nginx"},
		{"nginx@sha256:" + sha, "nginx"},
		{"ghcr.io/org/app:v1", "ghcr.io/org/app"},
		// From the code: ports stay; a trailing slash stays (Kargo does not
		// drop it, so "ghcr.io/org/app/" is another repository).
		{"localhost:5000/app", "localhost:5000/app"},
		{"ghcr.io/org/app/", "ghcr.io/org/app/"},
		{"public.ecr.aws/docker/library/foo", "public.ecr.aws/docker/library/foo"},
	}
	for _, tt := range tests {
		if got := NormalizeImageURL(tt.in); got != tt.want {
			t.Errorf("NormalizeImageURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
