package chart

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	largeCharts   = 1500
	largeVersions = 50
	largeTarget   = "chart-0750"
)

var largeIndex = sync.OnceValue(func() []byte { return generateIndex(largeCharts, largeVersions) })

// generateIndex writes an index in the layout `helm repo index` produces.
func generateIndex(charts, versions int) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nentries:\n")
	for c := range charts {
		name := fmt.Sprintf("chart-%04d", c)
		fmt.Fprintf(&b, "  %s:\n", name)
		for v := versions - 1; v >= 0; v-- {
			ver := fmt.Sprintf("%d.%d.%d", v/10, v%10, c%7)
			fmt.Fprintf(&b, "  - apiVersion: v2\n    appVersion: %s\n    created: \"2024-01-01T00:00:00.000000000Z\"\n"+
				"    description: A Helm chart for Kubernetes that deploys %s with sensible defaults\n"+
				"    digest: %064x\n    name: %s\n    type: application\n    urls:\n"+
				"    - https://charts.example.com/%s-%s.tgz\n    version: %s\n",
				ver, name, c*1000+v, name, name, ver, ver)
		}
	}
	b.WriteString("generated: \"2024-01-01T00:00:00Z\"\n")
	return b.Bytes()
}

func serveBytes(tb testing.TB, body []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "index.yaml", time.Time{}, bytes.NewReader(body))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// heapObjectBytes is the live+unswept heap, read without stopping the world.
func heapObjectBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakHeapDuring samples the heap while f runs and returns the peak growth
// over the level before f, in bytes.
func peakHeapDuring(f func()) uint64 {
	runtime.GC()
	base := heapObjectBytes()
	stop, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		for {
			if h := heapObjectBytes(); h > peak {
				peak = h
			}
			select {
			case <-stop:
				result <- peak
				return
			case <-time.After(50 * time.Microsecond):
			}
		}
	}()
	f()
	close(stop)
	peak := <-result
	if peak < base {
		return 0
	}
	return peak - base
}

func TestLargeIndexMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 25 MB index")
	}
	index := largeIndex()
	url := serveBytes(t, index)
	d := New()
	var (
		got []string
		err error
	)
	peak := peakHeapDuring(func() {
		got, err = d.Discover(t.Context(), Options{RepoURL: url, Name: largeTarget, DiscoveryLimit: 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"4.9.1", "4.8.1", "4.7.1"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	t.Logf("index %.1f MiB, peak heap growth %.1f MiB", mib(uint64(len(index))), mib(peak))
	// The bound is loose (sampling, GC pacing) but far below what decoding
	// the whole index costs (see BenchmarkLargeIndex/full-decode).
	if limit := uint64(32 << 20); peak > limit {
		t.Fatalf("peak heap growth %.1f MiB exceeds %.0f MiB", mib(peak), mib(limit))
	}
}

// BenchmarkLargeIndex measures one discovery against a ~25 MB index served
// over HTTP, reporting peak heap growth; full-decode is the naive approach
// (yaml.v3 on the whole body) for comparison.
func BenchmarkLargeIndex(b *testing.B) {
	index := largeIndex()
	url := serveBytes(b, index)
	b.Logf("index size %.1f MiB (%d charts x %d versions)", mib(uint64(len(index))), largeCharts, largeVersions)
	b.Run("streaming", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for b.Loop() {
			d := New() // fresh: no cached validators, a full download each time
			p := peakHeapDuring(func() {
				if _, err := d.Discover(b.Context(), Options{RepoURL: url, Name: largeTarget}); err != nil {
					b.Fatal(err)
				}
			})
			peak = max(peak, p)
		}
		b.ReportMetric(mib(peak), "peak-heap-MiB")
		b.SetBytes(int64(len(index)))
	})
	b.Run("full-decode", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			p := peakHeapDuring(func() {
				resp, err := http.Get(url + "/index.yaml")
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				var doc map[string]any
				if err := yaml.NewDecoder(resp.Body).Decode(&doc); err != nil {
					b.Fatal(err)
				}
			})
			peak = max(peak, p)
		}
		b.ReportMetric(mib(peak), "peak-heap-MiB")
		b.SetBytes(int64(len(index)))
	})
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
