package image

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/railyard-dev/railyard/internal/registrytest"
)

func TestDiscoverStrategies(t *testing.T) {
	reg := registrytest.New(t)
	// Pushed (and built) in this order, an hour apart.
	digests := pushTags(t, reg, "app", "v1.0.0", "abc123f", "v1.2.3", "1.3.0", "latest", "v2.0.0-rc.1", "0d1e2f3")
	repo := reg.Repo("app")
	d := newTestDiscoverer(Config{})

	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"semver skips dev tags", Options{StrictSemvers: true}, []string{"v2.0.0-rc.1", "1.3.0", "v1.2.3", "v1.0.0"}},
		{"semver constraint excludes pre-release", Options{StrictSemvers: true, Constraint: ">=1.0.0"}, []string{"1.3.0", "v1.2.3", "v1.0.0"}},
		{"semver limit", Options{StrictSemvers: true, Constraint: "^1", DiscoveryLimit: 2}, []string{"1.3.0", "v1.2.3"}},
		{"lexical", Options{Strategy: Lexical, DiscoveryLimit: 3}, []string{"v2.0.0-rc.1", "v1.2.3", "v1.0.0"}},
		{"lexical dev tags only", Options{Strategy: Lexical, AllowTagsRegexes: []string{`^[0-9a-f]{7}$`}}, []string{"abc123f", "0d1e2f3"}},
		{"newest build", Options{Strategy: NewestBuild, DiscoveryLimit: 3}, []string{"0d1e2f3", "v2.0.0-rc.1", "latest"}},
		{"newest build ignore", Options{Strategy: NewestBuild, IgnoreTagsRegexes: []string{"^latest$", "^v2"}, DiscoveryLimit: 2}, []string{"0d1e2f3", "1.3.0"}},
		{"digest follows a tag", Options{Strategy: Digest, Constraint: "latest"}, []string{"latest"}},
		{"digest of a missing tag is empty", Options{Strategy: Digest, Constraint: "gone"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.RepoURL = repo
			res := discover(t, d, tc.opts)
			if got := tagsOf(res); !slices.Equal(got, tc.want) {
				t.Fatalf("tags = %v, want %v", got, tc.want)
			}
			for _, r := range res.References {
				if r.Digest != digests[r.Tag] {
					t.Errorf("%s: digest %s, want %s", r.Tag, r.Digest, digests[r.Tag])
				}
				if tc.opts.Strategy == NewestBuild && r.CreatedAt == nil {
					t.Errorf("%s: no build time", r.Tag)
				}
			}
		})
	}
}

func TestDiscoverRequestCounts(t *testing.T) {
	reg := registrytest.New(t)
	tags := []string{"abc123f"}
	for i := range 30 {
		tags = append(tags, "v1."+itoa(i)+".0")
	}
	pushTags(t, reg, "app", tags...)
	d := newTestDiscoverer(Config{})
	opts := Options{RepoURL: reg.Repo("app"), StrictSemvers: true, DiscoveryLimit: 5}

	reg.ResetCounts()
	res := discover(t, d, opts)
	if want := []string{"v1.29.0", "v1.28.0", "v1.27.0", "v1.26.0", "v1.25.0"}; !slices.Equal(tagsOf(res), want) {
		t.Fatalf("tags = %v, want %v", tagsOf(res), want)
	}
	// One ping, one listing page, a manifest GET per returned candidate.
	// A config GET per new digest gives each reference its creation time.
	assertCounts(t, "first discovery", reg.Counts(), registrytest.Counts{Ping: 1, TagsList: 1, ManifestGet: 5, BlobGet: 5})

	reg.ResetCounts()
	again := discover(t, d, opts)
	if !slices.EqualFunc(again.References, res.References, func(a, b Reference) bool { return a.Tag == b.Tag && a.Digest == b.Digest }) {
		t.Errorf("repeated discovery differs: %v vs %v", tagsOf(again), tagsOf(res))
	}
	// Nothing changed: no ping, no GETs, a HEAD per candidate.
	assertCounts(t, "repeated discovery", reg.Counts(), registrytest.Counts{TagsList: 1, ManifestHead: 5})

	// A moved tag costs one GET by digest; a new tag one GET.
	moved := reg.PushImage(t, "app", "v1.27.0", distinctImage(t, "moved", time.Time{}, "linux", "amd64"))
	pushTags(t, reg, "app", "v1.30.0")
	reg.ResetCounts()
	res = discover(t, d, opts)
	if res.References[0].Tag != "v1.30.0" || res.References[3].Digest != moved.String() {
		t.Errorf("after push: %v, v1.27.0 digest %s want %s", tagsOf(res), res.References[3].Digest, moved)
	}
	assertCounts(t, "discovery after a push", reg.Counts(), registrytest.Counts{TagsList: 1, ManifestGet: 2, ManifestHead: 4, BlobGet: 2})
}

// TestDiscoverCacheByTag: with cacheByTag a known tag costs no request, so
// a re-pushed tag keeps its old digest; a new tag is still read, and the
// Digest strategy, which follows a mutable tag, still asks every time.
func TestDiscoverCacheByTag(t *testing.T) {
	reg := registrytest.New(t)
	pushTags(t, reg, "app", "v1.0.0", "v1.1.0", "stable")
	d := newTestDiscoverer(Config{})
	opts := Options{RepoURL: reg.Repo("app"), StrictSemvers: true, CacheByTag: true}
	first := discover(t, d, opts)
	old := first.References[0].Digest

	reg.PushImage(t, "app", "v1.1.0", distinctImage(t, "re-pushed", time.Time{}, "linux", "amd64"))
	pushTags(t, reg, "app", "v1.2.0")
	reg.ResetCounts()
	res := discover(t, d, opts)
	if want := []string{"v1.2.0", "v1.1.0", "v1.0.0"}; !slices.Equal(tagsOf(res), want) {
		t.Fatalf("tags = %v, want %v", tagsOf(res), want)
	}
	if res.References[1].Digest != old {
		t.Errorf("v1.1.0 digest = %s, want the cached %s", res.References[1].Digest, old)
	}
	assertCounts(t, "cached by tag", reg.Counts(), registrytest.Counts{TagsList: 1, ManifestGet: 1, BlobGet: 1})

	// Without it the same discovery sees the re-push.
	reg.ResetCounts()
	opts.CacheByTag = false
	res = discover(t, d, opts)
	if res.References[1].Digest == old {
		t.Errorf("v1.1.0 digest still %s without cacheByTag", old)
	}
	assertCounts(t, "by digest", reg.Counts(), registrytest.Counts{TagsList: 1, ManifestHead: 3, ManifestGet: 1, BlobGet: 1})

	digestOpts := Options{RepoURL: reg.Repo("app"), Strategy: Digest, Constraint: "stable", CacheByTag: true}
	discover(t, d, digestOpts)
	reg.ResetCounts()
	discover(t, d, digestOpts)
	assertCounts(t, "Digest strategy", reg.Counts(), registrytest.Counts{ManifestHead: 1})
}

func TestDiscoverNewestBuildCounts(t *testing.T) {
	reg := registrytest.New(t)
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// Build times in an order unrelated to the tag names.
	order := []string{"e5", "a1", "d4", "b2", "c3", "f6"}
	for i, tag := range order {
		reg.PushImage(t, "app", tag, distinctImage(t, tag, base.Add(time.Duration(i)*time.Minute), "linux", "amd64"))
	}
	// Build time from the OCI annotation costs no config GET.
	reg.PushImage(t, "app", "g7", registrytest.NewImage(t, registrytest.ImageSpec{
		Annotations: map[string]string{createdAnnotation: base.Add(time.Hour).Format(time.RFC3339)},
	}))
	d := newTestDiscoverer(Config{})
	opts := Options{RepoURL: reg.Repo("app"), Strategy: NewestBuild, DiscoveryLimit: 3}

	reg.ResetCounts()
	res := discover(t, d, opts)
	if want := []string{"g7", "f6", "c3"}; !slices.Equal(tagsOf(res), want) {
		t.Fatalf("tags = %v, want %v", tagsOf(res), want)
	}
	if got := res.References[0].CreatedAt; got == nil || !got.Equal(base.Add(time.Hour)) {
		t.Errorf("g7 created = %v", got)
	}
	// Every tag: one manifest GET; a config GET unless annotated.
	assertCounts(t, "first discovery", reg.Counts(), registrytest.Counts{Ping: 1, TagsList: 1, ManifestGet: 7, BlobGet: 6})

	reg.ResetCounts()
	again := discover(t, d, opts)
	if !slices.Equal(tagsOf(again), tagsOf(res)) {
		t.Errorf("repeated: %v", tagsOf(again))
	}
	assertCounts(t, "repeated discovery", reg.Counts(), registrytest.Counts{TagsList: 1, ManifestHead: 7})
}

func TestDiscoverMultiArchIndex(t *testing.T) {
	reg := registrytest.New(t)
	t1 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	both := registrytest.NewIndex(t, map[string]string{"org.opencontainers.image.source": "https://example.com/app"},
		distinctImage(t, "a", t1, "linux", "amd64"), distinctImage(t, "b", t2, "linux", "arm64"))
	bothDigest := reg.PushIndex(t, "app", "v1.0.0", both)
	reg.PushIndex(t, "app", "v1.1.0", registrytest.NewIndex(t, nil, distinctImage(t, "c", t2, "linux", "amd64")))
	d := newTestDiscoverer(Config{})

	tests := []struct {
		name     string
		opts     Options
		want     []string
		created  *time.Time
		counts   registrytest.Counts
		repeated registrytest.Counts
	}{
		// Every reference carries its creation time: the platform's config
		// is read once per digest, and later cases find it in the cache.
		{"arm64 from index entries", Options{Platform: "linux/arm64"}, []string{"v1.0.0"}, &t2,
			registrytest.Counts{Ping: 1, TagsList: 1, ManifestGet: 3, BlobGet: 1}, registrytest.Counts{TagsList: 1, ManifestHead: 2}},
		{"amd64", Options{Platform: "linux/amd64"}, []string{"v1.1.0", "v1.0.0"}, &t1,
			registrytest.Counts{TagsList: 1, ManifestHead: 2, ManifestGet: 2, BlobGet: 2}, registrytest.Counts{TagsList: 1, ManifestHead: 2}},
		{"newest build reads the platform's config (cached)", Options{Strategy: NewestBuild, Platform: "linux/arm64"}, []string{"v1.0.0"}, &t2,
			registrytest.Counts{TagsList: 1, ManifestHead: 2}, registrytest.Counts{TagsList: 1, ManifestHead: 2}},
		{"newest build without platform uses the first image (cached)", Options{Strategy: NewestBuild}, []string{"v1.1.0", "v1.0.0"}, &t1,
			registrytest.Counts{TagsList: 1, ManifestHead: 2}, registrytest.Counts{TagsList: 1, ManifestHead: 2}},
		{"no match", Options{Platform: "windows/amd64"}, []string{}, nil,
			registrytest.Counts{TagsList: 1, ManifestHead: 2}, registrytest.Counts{TagsList: 1, ManifestHead: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.RepoURL = reg.Repo("app")
			tc.opts.StrictSemvers = true
			for i, want := range []registrytest.Counts{tc.counts, tc.repeated} {
				reg.ResetCounts()
				res := discover(t, d, tc.opts)
				if !slices.Equal(tagsOf(res), tc.want) {
					t.Fatalf("tags = %v, want %v", tagsOf(res), tc.want)
				}
				assertCounts(t, []string{"first", "repeated"}[i], reg.Counts(), want)
				for _, r := range res.References {
					if r.Tag == "v1.0.0" {
						if r.Digest != bothDigest.String() {
							t.Errorf("digest %s, want the index %s", r.Digest, bothDigest)
						}
						if r.Annotations["org.opencontainers.image.source"] == "" {
							t.Errorf("index annotations missing: %v", r.Annotations)
						}
						if (tc.created == nil) != (r.CreatedAt == nil) || (tc.created != nil && !r.CreatedAt.Equal(*tc.created)) {
							t.Errorf("created = %v, want %v", r.CreatedAt, tc.created)
						}
					}
				}
			}
		})
	}
}

func TestDiscoverSingleArchPlatform(t *testing.T) {
	reg := registrytest.New(t)
	created := time.Date(2026, 3, 3, 3, 3, 3, 0, time.UTC)
	reg.PushImage(t, "app", "v1.0.0", distinctImage(t, "amd", created, "linux", "amd64"))
	reg.PushImage(t, "app", "v2.0.0", distinctImage(t, "arm", created, "linux", "arm64"))
	reg.PushImage(t, "app", "v3.0.0", registrytest.RandomImage(t)) // no os/arch in config
	d := newTestDiscoverer(Config{})

	for _, tc := range []struct {
		platform string
		want     []string
	}{
		{"linux/amd64", []string{"v1.0.0"}},
		{"linux/arm64/v8", []string{"v2.0.0"}},
		{"", []string{"v3.0.0", "v2.0.0", "v1.0.0"}},
	} {
		res := discover(t, d, Options{RepoURL: reg.Repo("app"), Platform: tc.platform, StrictSemvers: true})
		if !slices.Equal(tagsOf(res), tc.want) {
			t.Errorf("platform %q: tags = %v, want %v", tc.platform, tagsOf(res), tc.want)
		}
		if tc.platform != "" && (res.References[0].CreatedAt == nil || !res.References[0].CreatedAt.Equal(created)) {
			t.Errorf("platform %q: created = %v", tc.platform, res.References[0].CreatedAt)
		}
	}
}

func TestDiscoverBasicAuth(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithBasicAuth("alice", "s3cret-pw"))
	pushTags(t, reg, "private", "v1.0.0", "v1.1.0")
	d := newTestDiscoverer(Config{})
	good := &authn.Basic{Username: "alice", Password: "s3cret-pw"}

	for _, o := range []Options{
		{Authenticator: good},
		{Keychain: staticKeychain{good}},
	} {
		o.RepoURL = reg.Repo("private")
		if got := tagsOf(discover(t, d, o)); !slices.Equal(got, []string{"v1.1.0", "v1.0.0"}) {
			t.Errorf("tags = %v", got)
		}
	}
	for _, auth := range []authn.Authenticator{nil, &authn.Basic{Username: "alice", Password: "wrong-pw"}} {
		_, err := d.Discover(context.Background(), Options{RepoURL: reg.Repo("private"), Authenticator: auth})
		if !errors.Is(err, ErrAccessDenied) {
			t.Errorf("auth %v: err = %v, want ErrAccessDenied", auth != nil, err)
		}
		if err != nil && (strings.Contains(err.Error(), "wrong-pw") || strings.Contains(err.Error(), "s3cret")) {
			t.Errorf("credentials in error: %v", err)
		}
	}
}

func TestDiscoverBacksOffOn429(t *testing.T) {
	reg := registrytest.New(t)
	pushTags(t, reg, "app", "v1.0.0", "v1.1.0")
	d := newTestDiscoverer(Config{MaxRetries: 3, RetryBaseDelay: 100 * time.Millisecond, MaxRetryDelay: 10 * time.Second})
	opts := Options{RepoURL: reg.Repo("app")}

	reg.InjectErrors(429, 2, "3")
	reg.InjectErrors(503, 1, "")
	if got := tagsOf(discover(t, d, opts)); !slices.Equal(got, []string{"v1.1.0", "v1.0.0"}) {
		t.Errorf("tags after recovery = %v", got)
	}
	if c := reg.Counts(); c.Injected != 3 {
		t.Errorf("injected answers served = %d, want 3", c.Injected)
	}
	if want := []time.Duration{3 * time.Second, 3 * time.Second, 400 * time.Millisecond}; !slices.Equal(d.recordedWaits(), want) {
		t.Errorf("waits = %v, want %v (Retry-After, then backoff)", d.recordedWaits(), want)
	}

	tests := []struct {
		name       string
		status, n  int
		retryAfter string
		waits      int
	}{
		{"retries are bounded", 429, 10, "1", 3},
		{"long Retry-After fails at once", 429, 1, "3600", 0},
		{"5xx bounded", 502, 10, "", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDiscoverer(Config{MaxRetries: 3, MaxRetryDelay: 10 * time.Second})
			reg.InjectErrors(tc.status, tc.n, tc.retryAfter)
			_, err := d.Discover(context.Background(), opts)
			if !errors.Is(err, ErrTransient) || errors.Is(err, ErrInvalidSubscription) {
				t.Errorf("err = %v, want ErrTransient", err)
			}
			if got := len(d.recordedWaits()); got != tc.waits {
				t.Errorf("waited %d times, want %d", got, tc.waits)
			}
			drain(reg)
		})
	}
}

// drain consumes leftover injected errors.
func drain(reg *registrytest.Registry) {
	for range 20 {
		before := reg.Counts().Injected
		resp, err := reg.Client().Get(reg.URL + "/v2/")
		if err == nil {
			_ = resp.Body.Close()
		}
		if reg.Counts().Injected == before {
			return
		}
	}
}

func TestDiscoverPaginationAndTagBound(t *testing.T) {
	reg := registrytest.New(t)
	tags := make([]string, 2100)
	for i := range tags {
		tags[i] = "1." + itoa(i) + ".0"
	}
	img := distinctImage(t, "same", time.Time{}, "linux", "amd64")
	reg.PushMany(t, "big", tags, func(int) v1.Image { return img })

	for _, tc := range []struct {
		maxTags   int
		listed    int
		pages     int
		truncated bool
		newest    string
	}{
		{0, 2100, 3, false, "1.2099.0"},
		{1500, 1500, 2, true, "1.999.0"}, // lexical listing order stops at 1.1848.0
	} {
		d := newTestDiscoverer(Config{MaxTags: tc.maxTags})
		reg.ResetCounts()
		res := discover(t, d, Options{RepoURL: reg.Repo("big"), DiscoveryLimit: 1, StrictSemvers: true})
		if res.TagsListed != tc.listed || res.Truncated != tc.truncated {
			t.Errorf("maxTags %d: listed %d truncated %v, want %d %v", tc.maxTags, res.TagsListed, res.Truncated, tc.listed, tc.truncated)
		}
		if c := reg.Counts(); c.TagsList != tc.pages {
			t.Errorf("maxTags %d: %d listing pages, want %d", tc.maxTags, c.TagsList, tc.pages)
		}
		if tc.maxTags == 0 && tagsOf(res)[0] != tc.newest {
			t.Errorf("newest = %v, want %s", tagsOf(res), tc.newest)
		}
	}
}

func TestDiscoverErrors(t *testing.T) {
	reg := registrytest.New(t)
	pushTags(t, reg, "app", "v1.0.0")
	d := newTestDiscoverer(Config{})
	ctx := context.Background()

	reg.ResetCounts()
	_, err := d.Discover(ctx, Options{RepoURL: reg.Repo("app"), Constraint: ">=1.0.0 <<2"})
	if !errors.Is(err, ErrInvalidSubscription) || !strings.Contains(err.Error(), "constraint") {
		t.Errorf("bad constraint: %v", err)
	}
	_, err = d.Discover(ctx, Options{RepoURL: reg.Repo("app"), IgnoreTagsRegexes: []string{"(?<x>"}})
	if !errors.Is(err, ErrInvalidSubscription) || !strings.Contains(err.Error(), "ignoreTagsRegexes[0]") {
		t.Errorf("bad regex: %v", err)
	}
	if c := reg.Counts(); c.Total() != 0 {
		t.Errorf("invalid subscriptions made requests: %s", fmtCounts(c))
	}
	if _, err := d.Discover(ctx, Options{RepoURL: reg.Repo("nope")}); !errors.Is(err, ErrRepositoryNotFound) {
		t.Errorf("missing repo: %v", err)
	}
	res := discover(t, d, Options{RepoURL: reg.Repo("app"), Constraint: ">=2"})
	if len(res.References) != 0 {
		t.Errorf("no match should be empty, got %v", tagsOf(res))
	}
	// Nothing listens here: a transient error, not a spec error.
	_, err = d.Discover(ctx, Options{RepoURL: "127.0.0.1:1/app"})
	if !errors.Is(err, ErrTransient) {
		t.Errorf("unreachable registry: %v", err)
	}
}

func TestDiscoverInsecureSkipTLSVerify(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS())
	pushTags(t, reg, "app", "v1.0.0")
	d := newTestDiscoverer(Config{})
	res := discover(t, d, Options{RepoURL: reg.Repo("app"), InsecureSkipTLSVerify: true})
	if !slices.Equal(tagsOf(res), []string{"v1.0.0"}) {
		t.Errorf("tags = %v", tagsOf(res))
	}
	if _, err := d.Discover(context.Background(), Options{RepoURL: reg.Repo("app")}); err == nil {
		t.Error("self-signed registry accepted without insecureSkipTLSVerify")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
