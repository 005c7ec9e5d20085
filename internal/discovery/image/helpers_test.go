package image

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/railyard-dev/railyard/internal/registrytest"
)

// testDiscoverer has no rate limit and records retry waits instead of
// sleeping, so tests assert the waits asked for, never wall-clock time.
type testDiscoverer struct {
	*Discoverer
	mu    sync.Mutex
	waits []time.Duration
}

func newTestDiscoverer(cfg Config) *testDiscoverer {
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond = -1
	}
	td := &testDiscoverer{Discoverer: New(cfg)}
	td.sleep = func(ctx context.Context, d time.Duration) error {
		td.mu.Lock()
		defer td.mu.Unlock()
		td.waits = append(td.waits, d)
		return ctx.Err()
	}
	return td
}

func (td *testDiscoverer) recordedWaits() []time.Duration {
	td.mu.Lock()
	defer td.mu.Unlock()
	return slices.Clone(td.waits)
}

func discover(t *testing.T, d *testDiscoverer, o Options) Result {
	t.Helper()
	res, err := d.Discover(context.Background(), o)
	if err != nil {
		t.Fatalf("Discover(%v): %v", o, err)
	}
	return res
}

func tagsOf(res Result) []string {
	out := make([]string, 0, len(res.References))
	for _, r := range res.References {
		out = append(out, r.Tag)
	}
	return out
}

// distinctImage is a small single-arch image made unique by its label.
func distinctImage(t testing.TB, id string, created time.Time, os, arch string) v1.Image {
	return registrytest.NewImage(t, registrytest.ImageSpec{
		Created: created, OS: os, Arch: arch, Labels: map[string]string{"id": id},
	})
}

// pushTags pushes one distinct linux/amd64 image per tag, created an hour
// apart in the given order, and returns the digests by tag.
func pushTags(t testing.TB, reg *registrytest.Registry, repo string, tags ...string) map[string]string {
	t.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make(map[string]string, len(tags))
	for i, tag := range tags {
		out[tag] = reg.PushImage(t, repo, tag, distinctImage(t, tag, base.Add(time.Duration(i)*time.Hour), "linux", "amd64")).String()
	}
	return out
}

type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

func assertCounts(t *testing.T, what string, got, want registrytest.Counts) {
	t.Helper()
	if got != want {
		t.Errorf("%s: request counts\n got  %s\n want %s", what, fmtCounts(got), fmtCounts(want))
	}
}

func fmtCounts(c registrytest.Counts) string {
	return fmt.Sprintf("ping=%d list=%d mGET=%d mHEAD=%d blobGET=%d blobHEAD=%d other=%d 401=%d injected=%d",
		c.Ping, c.TagsList, c.ManifestGet, c.ManifestHead, c.BlobGet, c.BlobHead, c.Other, c.Unauthorized, c.Injected)
}
