package steps

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/helmtest"
)

var overlayFiles = map[string]string{
	"src/base/kustomization.yaml": "resources:\n- deployment.yaml\n- namespace.yaml\n",
	"src/base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/example/app
`,
	"src/base/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app-dev\n",
	"src/dev/kustomization.yaml": `namespace: app-dev
resources:
- ../base
- configmap.yaml
images:
- name: ghcr.io/example/app
  newTag: 1.2.3
patches:
- path: ../common/replicas.yaml
`,
	"src/dev/configmap.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: debug\n",
	"src/common/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 2\n",
}

func TestKustomizeBuild(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		outFile string // set when outPath is a file
	}{
		{name: "overlay-file", config: map[string]any{"path": "src/dev", "outPath": "out/all.yaml"}, outFile: "out/all.yaml"},
		{name: "overlay-dir", config: map[string]any{"path": "src/dev", "outPath": "out"}},
		{name: "overlay-dir-kustomize-names", config: map[string]any{"path": "src/dev", "outPath": "out", "outputFormat": "kustomize"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, overlayFiles)
			res := run(t, KustomizeBuild{}, stepContext(dir, tc.config))
			if res.Output != nil {
				t.Errorf("output = %v, want none", res.Output)
			}
			if tc.outFile != "" {
				golden(t, "kustomize-build/"+tc.name+".yaml", readFile(t, filepath.Join(dir, tc.outFile)))
				return
			}
			goldenDir(t, "kustomize-build/"+tc.name, filepath.Join(dir, "out"))
		})
	}
}

// localChart is a chart directory as kustomize expects it under charts/.
func localChart(prefix string) map[string]string {
	return map[string]string{
		prefix + "/Chart.yaml":               "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		prefix + "/values.yaml":              helmtest.DefaultValues,
		prefix + "/templates/configmap.yaml": helmtest.DefaultTemplate,
	}
}

func TestKustomizeBuildHelmCharts(t *testing.T) {
	helmBinary(t)
	repo := helmtest.NewRepo(t)
	repo.AddChart(helmtest.ChartSpec{Name: "remote", Version: "1.0.0"})
	repo.AddChart(helmtest.ChartSpec{Name: "remote", Version: "2.0.0", Values: "message: from-v2\n"})

	tests := []struct {
		name          string
		files         map[string]string
		kustomization string
		wantIn        []string
	}{
		{
			name:  "local-chart",
			files: localChart("app/charts/demo"),
			kustomization: `helmCharts:
- name: demo
  releaseName: rel
  namespace: apps
  valuesInline:
    message: inline
`,
			wantIn: []string{"name: rel-demo", "message: inline", `chartVersion: 0.1.0`},
		},
		{
			name: "http-repository",
			kustomization: `helmCharts:
- name: remote
  repo: ` + repo.URL() + `
  version: 2.0.0
  releaseName: rel
`,
			wantIn: []string{"name: rel-remote", "message: from-v2", "chartVersion: 2.0.0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"app/kustomization.yaml": tc.kustomization}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := workDir(t, files)
			run(t, KustomizeBuild{}, stepContext(dir, map[string]any{"path": "app", "outPath": "out/all.yaml"}))
			got := string(readFile(t, filepath.Join(dir, "out", "all.yaml")))
			for _, w := range tc.wantIn {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			// The HTTP case's output embeds no URL, so both are stable.
			golden(t, "kustomize-build/"+tc.name+".yaml", []byte(got))
		})
	}
}

func TestKustomizeBuildBadInput(t *testing.T) {
	outside := outsideFile(t)
	tests := []struct {
		name    string
		config  map[string]any
		files   map[string]string
		setup   func(t *testing.T, dir string)
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "src/dev", "outPath": "out", "output": "x"}, wantMsg: []string{"output"}},
		{name: "missing outPath", config: map[string]any{"path": "src/dev"}, wantMsg: []string{`"outPath"`}},
		{name: "bad outputFormat", config: map[string]any{"path": "src/dev", "outPath": "out", "outputFormat": "json"}, wantMsg: []string{"outputFormat"}},
		{name: "unknown plugin field", config: map[string]any{"path": "src/dev", "outPath": "out", "plugin": map[string]any{"helm": map[string]any{"version": "3"}}}, wantMsg: []string{"version"}},
		{name: "path escapes", config: map[string]any{"path": "../src", "outPath": "out"}, escape: true},
		{name: "outPath escapes", config: map[string]any{"path": "src/dev", "outPath": "../out"}, escape: true},
		{
			name:    "broken kustomization",
			config:  map[string]any{"path": "broken", "outPath": "out"},
			files:   map[string]string{"broken/kustomization.yaml": "resources:\n- missing.yaml\n"},
			wantMsg: []string{"broken", "missing.yaml"},
		},
		{
			name:    "invalid yaml",
			config:  map[string]any{"path": "broken", "outPath": "out"},
			files:   map[string]string{"broken/kustomization.yaml": "resources: [\n"},
			wantMsg: []string{"broken"},
		},
		{
			name:    "resource outside the work directory",
			config:  map[string]any{"path": "sneaky", "outPath": "out"},
			files:   map[string]string{"sneaky/kustomization.yaml": "resources:\n- ../../../../../../../../.." + outside + "\n"},
			wantMsg: []string{"sneaky", "escapes the work directory"},
			escape:  true,
		},
		{
			name:    "resource through a symlink",
			config:  map[string]any{"path": "sneaky", "outPath": "out"},
			files:   map[string]string{"sneaky/kustomization.yaml": "resources:\n- link/secret.yaml\n"},
			setup:   func(t *testing.T, dir string) { symlink(t, dir, "sneaky/link", filepath.Dir(outside)) },
			wantMsg: []string{"sneaky", "escapes the work directory"},
			escape:  true,
		},
		{
			name:    "missing local chart",
			config:  map[string]any{"path": "app", "outPath": "out"},
			files:   map[string]string{"app/kustomization.yaml": "helmCharts:\n- name: nope\n  releaseName: r\n"},
			wantMsg: []string{"app", "no chart found"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range overlayFiles {
				files[k] = v
			}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := workDir(t, files)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			err := wantFailure(t, KustomizeBuild{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if strings.Contains(err.Error(), dir) {
				t.Errorf("error exposes the work directory: %v", err)
			}
		})
	}
}

// BenchmarkKustomizeBuild times one kustomize-build of a plain
// kustomization, of one inflating a chart in the work directory, and of one
// pulling its chart from an HTTP repository: the cost of starting helm
// (through the guard) and of the pull, which the users' task pays.
//
//	go test ./internal/promotion/steps -run '^$' -bench KustomizeBuild
func BenchmarkKustomizeBuild(b *testing.B) {
	if _, err := HelmPath(""); err != nil {
		b.Skip("no helm binary: make helm")
	}
	repo := helmtest.NewRepo(b)
	repo.AddChart(helmtest.ChartSpec{Name: "remote", Version: "1.0.0"})
	plain := map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n",
		"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"}
	local := localChart("app/charts/demo")
	local["app/kustomization.yaml"] = "helmCharts:\n- name: demo\n  releaseName: rel\n"
	remote := map[string]string{"app/kustomization.yaml": "helmCharts:\n- name: remote\n  repo: " + repo.URL() +
		"\n  version: 1.0.0\n  releaseName: rel\n"}
	cache := b.TempDir()
	for _, bc := range []struct {
		name  string
		files map[string]string
		cache string
	}{{"plain", plain, ""}, {"local-chart", local, ""}, {"http-repository", remote, ""}, {"http-repository-cached", remote, cache}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := workDir(b, bc.files)
				b.StartTimer()
				res, err := KustomizeBuild{ChartCacheDir: bc.cache}.Run(context.Background(), stepContext(dir, map[string]any{"path": "app", "outPath": "out/all.yaml"}))
				if err != nil || res.Status != railyard.StepStatusSucceeded {
					b.Fatalf("%v %+v", err, res)
				}
			}
		})
	}
}
