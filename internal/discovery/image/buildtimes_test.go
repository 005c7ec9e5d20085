package image

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/registrytest"
)

// Known build times (private ECR push times) order NewestBuild without a
// manifest and config request per tag.
func TestDiscoverNewestBuildWithKnownTimes(t *testing.T) {
	reg := registrytest.New(t)
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tags := []string{"a1", "b2", "c3", "d4", "e5", "f6"}
	for _, tag := range tags {
		reg.PushImage(t, "app", tag, distinctImage(t, tag, base, "linux", "amd64"))
	}
	pushed := map[string]time.Time{
		"d4": base.Add(5 * time.Minute), "a1": base.Add(4 * time.Minute), "f6": base.Add(3 * time.Minute),
		"b2": base.Add(2 * time.Minute), "c3": base.Add(time.Minute),
		// e5 has no known time: it goes last.
	}
	d := newTestDiscoverer(Config{})
	opts := Options{RepoURL: reg.Repo("app"), Strategy: NewestBuild, DiscoveryLimit: 3,
		BuildTimes: func(context.Context) (map[string]time.Time, error) { return pushed, nil }}

	reg.ResetCounts()
	res := discover(t, d, opts)
	if want := []string{"d4", "a1", "f6"}; !slices.Equal(tagsOf(res), want) {
		t.Fatalf("tags = %v, want %v", tagsOf(res), want)
	}
	if got := res.References[0].CreatedAt; got == nil || !got.Equal(pushed["d4"]) {
		t.Errorf("d4 created = %v, want its push time", got)
	}
	if c := reg.Counts(); c.ManifestGet != 3 || c.BlobGet != 0 {
		t.Errorf("counts %s: want 3 manifest GETs and no blob GETs", fmtCounts(c))
	}

	boom := errors.New("describe images failed")
	opts.BuildTimes = func(context.Context) (map[string]time.Time, error) { return nil, boom }
	if _, err := d.Discover(context.Background(), opts); !errors.Is(err, boom) {
		t.Fatalf("error = %v, want the BuildTimes error", err)
	}
}
