package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/helmtest"
)

// A second build of the same chart version copies it from the cache (the
// repository serves only its index); a version re-published with other
// content has a new digest and is pulled again; a tampered entry falls
// back to helm.
func TestKustomizeBuildChartCache(t *testing.T) {
	helmBinary(t)
	repo := helmtest.NewRepo(t)
	repo.AddChart(helmtest.ChartSpec{Name: "remote", Version: "1.0.0", Values: "message: first\n"})
	cache := filepath.Join(t.TempDir(), "charts")
	kustomization := map[string]string{"app/kustomization.yaml": "helmCharts:\n- name: remote\n  repo: " + repo.URL() +
		"\n  version: 1.0.0\n  releaseName: rel\n"}
	build := func() string {
		t.Helper()
		dir := workDir(t, kustomization)
		run(t, KustomizeBuild{ChartCacheDir: cache}, stepContext(dir, map[string]any{"path": "app", "outPath": "out/all.yaml"}))
		return string(readFile(t, filepath.Join(dir, "out", "all.yaml")))
	}
	archive := "/charts/remote-1.0.0.tgz"
	first := build()
	if !strings.Contains(first, "message: first") {
		t.Fatalf("first build:\n%s", first)
	}
	repo.ResetStats()
	if got := build(); got != first {
		t.Errorf("the cached build differs:\n%s\nwant:\n%s", got, first)
	}
	if n := repo.Stats().Requests[archive]; n != 0 {
		t.Errorf("the chart was downloaded %d times from a warm cache", n)
	}

	repo.AddChart(helmtest.ChartSpec{Name: "remote", Version: "1.0.0", Values: "message: republished\n"})
	repo.ResetStats()
	if got := build(); !strings.Contains(got, "message: republished") {
		t.Errorf("a re-published version was served from the cache:\n%s", got)
	}
	if n := repo.Stats().Requests[archive]; n != 1 {
		t.Errorf("the re-published chart was downloaded %d times, want 1", n)
	}

	// A link planted in an entry makes the copy fail; helm pulls instead.
	entries, err := filepath.Glob(filepath.Join(cache, "*", "remote"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no cache entries: %v", err)
	}
	for _, e := range entries {
		if err := os.Symlink("/etc/passwd", filepath.Join(e, "templates", "leak.yaml")); err != nil {
			t.Fatal(err)
		}
	}
	repo.ResetStats()
	if got := build(); !strings.Contains(got, "message: republished") || strings.Contains(got, "root:") {
		t.Errorf("after tampering:\n%s", got)
	}
	if n := repo.Stats().Requests[archive]; n != 1 {
		t.Errorf("after tampering the chart was downloaded %d times, want 1 (helm's pull)", n)
	}
	// ... and the entry was stored afresh.
	repo.ResetStats()
	build()
	if n := repo.Stats().Requests[archive]; n != 0 {
		t.Errorf("the replaced entry was not used: %d downloads", n)
	}
}
