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

// A build of a chart rendered before, with the same values and flags,
// prints what helm printed then without starting helm; changed values, a
// changed chart, or a template calling rand or now start helm every time.
func TestKustomizeBuildTemplateCache(t *testing.T) {
	real := helmBinary(t)
	tools := t.TempDir()
	count := filepath.Join(tools, "templates")
	wrapper := filepath.Join(tools, "helm")
	script := "#!/bin/sh\nif [ \"$1\" = template ]; then echo x >> " + count + "; fi\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	templates := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}
	cache := filepath.Join(t.TempDir(), "helm-charts")
	build := func(tmpl, message string) string {
		t.Helper()
		dir := workDir(t, map[string]string{
			"app/kustomization.yaml":            "helmCharts:\n- name: demo\n  releaseName: rel\n  valuesInline:\n    message: " + message + "\n",
			"app/charts/demo/Chart.yaml":        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
			"app/charts/demo/values.yaml":       "message: default\n",
			"app/charts/demo/templates/cm.yaml": tmpl,
		})
		run(t, KustomizeBuild{HelmCommand: wrapper, ChartCacheDir: cache}, stepContext(dir, map[string]any{"path": "app", "outPath": "out/all.yaml"}))
		return string(readFile(t, filepath.Join(dir, "out", "all.yaml")))
	}
	const plain = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  message: {{ .Values.message }}\n"
	const random = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  message: {{ .Values.message }}\n  token: {{ randAlphaNum 8 }}\n"
	steps := []struct {
		name, tmpl, message, want string
		helm                      int // template runs of helm so far
	}{
		{name: "first build", tmpl: plain, message: "one", want: "message: one", helm: 1},
		{name: "same chart and values", tmpl: plain, message: "one", want: "message: one", helm: 1},
		{name: "other values", tmpl: plain, message: "two", want: "message: two", helm: 2},
		{name: "first values again", tmpl: plain, message: "one", want: "message: one", helm: 2},
		{name: "other chart", tmpl: plain + "  extra: x\n", message: "one", want: "extra: x", helm: 3},
		{name: "random, first", tmpl: random, message: "one", want: "token:", helm: 4},
		{name: "random, again", tmpl: random, message: "one", want: "token:", helm: 5},
	}
	for _, s := range steps {
		got := build(s.tmpl, s.message)
		if !strings.Contains(got, s.want) {
			t.Errorf("%s: output lacks %q:\n%s", s.name, s.want, got)
		}
		if n := templates(); n != s.helm {
			t.Errorf("%s: helm template ran %d times in all, want %d", s.name, n, s.helm)
		}
	}
}
