package image

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/railyard-dev/railyard/internal/registrytest"
)

const benchTags = 10000

var (
	benchOnce sync.Once
	benchReg  *registrytest.Registry
)

// benchRegistry fills one repository with 10,000 distinct single-arch
// images (semver tags, build times a minute apart) once per process.
func benchRegistry(b *testing.B) *registrytest.Registry {
	benchOnce.Do(func() {
		reg := registrytest.New(&noCleanupTB{b})
		tags := make([]string, benchTags)
		for i := range tags {
			tags[i] = fmt.Sprintf("%d.%d.%d", i/1000, i/100%10, i%100)
		}
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		reg.PushMany(b, "app", tags, func(i int) v1.Image {
			return distinctImage(b, tags[i], base.Add(time.Duration(i)*time.Minute), "linux", "amd64")
		})
		benchReg = reg
	})
	return benchReg
}

// noCleanupTB keeps the shared registry alive across sub-benchmarks (it
// dies with the process).
type noCleanupTB struct{ testing.TB }

func (noCleanupTB) Cleanup(func()) {}

// BenchmarkDiscover10kTags reports registry requests per discovery of a
// 10,000-tag repository: a first discovery (cold Discoverer) and a repeated
// one where nothing changed, for SemVer and NewestBuild. The rate limit is
// off so the time measures the client, not the limiter.
func BenchmarkDiscover10kTags(b *testing.B) {
	reg := benchRegistry(b)
	for _, strategy := range []Strategy{SemVer, NewestBuild} {
		opts := Options{RepoURL: reg.Repo("app"), Strategy: strategy, StrictSemvers: true}
		b.Run(string(strategy)+"/first", func(b *testing.B) {
			var total registrytest.Counts
			for b.Loop() {
				d := New(Config{RequestsPerSecond: -1})
				reg.ResetCounts()
				benchDiscover(b, d, opts)
				total = add(total, reg.Counts())
			}
			report(b, total)
		})
		b.Run(string(strategy)+"/repeated", func(b *testing.B) {
			d := New(Config{RequestsPerSecond: -1})
			benchDiscover(b, d, opts)
			var total registrytest.Counts
			for b.Loop() {
				reg.ResetCounts()
				benchDiscover(b, d, opts)
				total = add(total, reg.Counts())
			}
			report(b, total)
		})
	}
}

func benchDiscover(b *testing.B, d *Discoverer, opts Options) {
	res, err := d.Discover(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.References) != DefaultDiscoveryLimit || res.References[0].Tag != "9.9.99" || res.TagsListed != benchTags {
		b.Fatalf("unexpected result: %d refs, first %v, listed %d", len(res.References), tagsOf(res)[:1], res.TagsListed)
	}
}

func add(a, c registrytest.Counts) registrytest.Counts {
	a.Ping += c.Ping
	a.TagsList += c.TagsList
	a.ManifestGet += c.ManifestGet
	a.ManifestHead += c.ManifestHead
	a.BlobGet += c.BlobGet
	a.BlobHead += c.BlobHead
	a.Other += c.Other
	return a
}

func report(b *testing.B, c registrytest.Counts) {
	n := float64(b.N)
	b.ReportMetric(float64(c.Total())/n, "requests/op")
	b.ReportMetric(float64(c.TagsList)/n, "listpages/op")
	b.ReportMetric(float64(c.ManifestGet)/n, "manifestGETs/op")
	b.ReportMetric(float64(c.ManifestHead)/n, "manifestHEADs/op")
	b.ReportMetric(float64(c.BlobGet)/n, "blobGETs/op")
}
