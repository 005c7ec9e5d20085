package chart

import (
	"errors"
	"testing"

	"github.com/railyard-dev/railyard/internal/helmtest"
)

func TestDiscoverOCI(t *testing.T) {
	reg := helmtest.NewOCIRegistry(t)
	var repoURL string
	for _, v := range []string{"1.0.0", "1.1.0+build.1", "1.1.0+build.2", "2.0.0-rc.1", "latest", "abc123f"} {
		repoURL = reg.PushChart("charts", helmtest.ChartSpec{Name: "app", Version: v})
	}
	d := New()
	tests := []struct {
		name       string
		constraint string
		limit      int
		want       []string
	}{
		{name: "underscore tags read as plus; non-semver tags dropped", want: []string{"1.1.0+build.2", "1.1.0+build.1", "1.0.0"}},
		{name: "pre-release when admitted", constraint: ">=2.0.0-0", want: []string{"2.0.0-rc.1"}},
		{name: "limit", constraint: "~1.1", limit: 1, want: []string{"1.1.0+build.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertDiscover(t, d, Options{RepoURL: repoURL, SemverConstraint: tt.constraint, DiscoveryLimit: tt.limit}, tt.want...)
		})
	}
	t.Run("name must be empty", func(t *testing.T) {
		_, err := d.Discover(t.Context(), Options{RepoURL: repoURL, Name: "app"})
		if !errors.Is(err, ErrInvalidSubscription) {
			t.Fatalf("error = %v, want ErrInvalidSubscription", err)
		}
	})
	t.Run("unknown repository", func(t *testing.T) {
		_, err := d.Discover(t.Context(), Options{RepoURL: "oci://" + reg.Host() + "/charts/nope"})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("error = %v, want ErrNotFound", err)
		}
	})
}

func TestDiscoverOCIBasicAuth(t *testing.T) {
	reg := helmtest.NewOCIRegistry(t, helmtest.WithOCIBasicAuth("bob", secret))
	repoURL := reg.PushChart("charts", helmtest.ChartSpec{Name: "app", Version: "0.1.0"})
	d := New()

	_, err := d.Discover(t.Context(), Options{RepoURL: repoURL, Credentials: &Credentials{Username: "bob", Password: "x" + secret}})
	if !errors.Is(err, ErrUnauthorized) || containsSecret(err) {
		t.Fatalf("error = %v, want ErrUnauthorized without the password", err)
	}
	assertDiscover(t, d, Options{RepoURL: repoURL, Credentials: &Credentials{Username: "bob", Password: secret}}, "0.1.0")
}
