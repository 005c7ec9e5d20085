package image

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/railyard-dev/railyard/internal/registrytest"
)

// TestDeferredDiscovery: with Defer, Discover reads only what decides the
// newest reference (the tag list and its manifest); Finish then reads the
// rest and returns exactly what a discovery without Defer returns.
func TestDeferredDiscovery(t *testing.T) {
	reg := registrytest.New(t)
	pushTags(t, reg, "app", "v1.0.0", "v1.1.0", "v1.2.0", "dev-abc")
	opts := Options{RepoURL: reg.Repo("app"), StrictSemvers: true}
	d := newTestDiscoverer(Config{})
	discover(t, d, Options{RepoURL: reg.Repo("app"), StrictSemvers: true, DiscoveryLimit: 1})
	newest := pushTags(t, reg, "app", "v1.3.0")["v1.3.0"]
	want := discover(t, newTestDiscoverer(Config{}), opts)

	tests := []struct {
		name        string
		opts        Options
		phase1      registrytest.Counts
		deferred    bool
		noTime      bool // the newest reference's build time is left for Finish
		wantFirst   string
		wantFinally []string
	}{
		{"semver", Options{StrictSemvers: true, Defer: true}, registrytest.Counts{TagsList: 1, ManifestGet: 1}, true, true, "v1.3.0", tagsOf(want)},
		// v1.3.0 is known by now: a HEAD confirms it, and its build time is cached.
		{"lexical", Options{Strategy: Lexical, Defer: true, AllowTagsRegexes: []string{"^v"}, DiscoveryLimit: 2}, registrytest.Counts{TagsList: 1, ManifestHead: 1}, true, false, "v1.3.0", []string{"v1.3.0", "v1.2.0"}},
		{"newest build does not defer", Options{Strategy: NewestBuild, Defer: true, DiscoveryLimit: 1}, registrytest.Counts{}, false, false, "dev-abc", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.RepoURL = reg.Repo("app")
			reg.ResetCounts()
			res := discover(t, d, tc.opts)
			if (res.Rest != nil) != tc.deferred {
				t.Fatalf("deferred = %v, want %v", res.Rest != nil, tc.deferred)
			}
			if got := tagsOf(res); len(got) == 0 || got[0] != tc.wantFirst {
				t.Fatalf("newest = %v, want %s first", got, tc.wantFirst)
			}
			if !tc.deferred {
				return
			}
			if got := reg.Counts(); got != tc.phase1 {
				t.Errorf("requests before the Freight is decided:\n got  %s\n want %s", fmtCounts(got), fmtCounts(tc.phase1))
			}
			if len(res.References) != 1 || res.References[0].Digest != newest || (res.References[0].CreatedAt == nil) != tc.noTime {
				t.Errorf("deferred result = %+v, want only v1.3.0 (%s), build time left for later: %v", res.References, newest, tc.noTime)
			}
			full, err := res.Rest.Finish(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if full.Rest != nil {
				t.Error("a finished result still has a Rest")
			}
			if got := tagsOf(full); !slices.Equal(got, tc.wantFinally) {
				t.Fatalf("finished tags = %v, want %v", got, tc.wantFinally)
			}
			plain := tc.opts
			plain.Defer = false
			if same := discover(t, newTestDiscoverer(Config{}), plain); !reflect.DeepEqual(full, same) {
				t.Errorf("finished deferred result differs from a plain discovery:\n got  %+v\n want %+v", full, same)
			}
		})
	}
}

// TestDeferredDiscoveryWithoutMatch: nothing to defer when no tag matches.
func TestDeferredDiscoveryWithoutMatch(t *testing.T) {
	reg := registrytest.New(t)
	pushTags(t, reg, "app", "dev-abc")
	d := newTestDiscoverer(Config{})
	res := discover(t, d, Options{RepoURL: reg.Repo("app"), StrictSemvers: true, Defer: true})
	if len(res.References) != 0 || res.Rest != nil {
		t.Errorf("result = %+v, want empty and nothing deferred", res)
	}
}
