package steps

import (
	"path/filepath"
	"testing"

	"github.com/railyard-dev/railyard/internal/helmtest"
)

func chartFiles() map[string]string {
	files := localChart("chart")
	files["chart/templates/secret.yaml"] = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-s\n  namespace: {{ .Release.Namespace }}\nstringData:\n  replicas: {{ .Values.replicaCount | quote }}\n"
	files["chart/templates/tests/test.yaml"] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n"
	files["env/values.yaml"] = "message: from-env-file\n"
	return files
}

func TestHelmTemplate(t *testing.T) {
	helmBinary(t)
	tests := []struct {
		name    string
		config  map[string]any
		outFile string
	}{
		{
			name: "file",
			config: map[string]any{
				"path": "chart", "outPath": "out/manifests.yaml", "releaseName": "rel",
				"valuesFiles": []any{"env/values.yaml", "env/missing.yaml"}, "ignoreMissingValueFiles": true,
				"setValues": []any{map[string]any{"key": "replicaCount", "value": "3"}},
			},
			outFile: "out/manifests.yaml",
		},
		{
			name: "flat",
			config: map[string]any{
				"path": "chart", "outPath": "out", "outLayout": "flat", "releaseName": "rel", "namespace": "apps",
				"skipTests": true, "setValues": []any{map[string]any{"key": "message", "value": "true", "literal": true}},
			},
		},
		{
			name:   "helm-layout",
			config: map[string]any{"path": "chart", "outPath": "out", "releaseName": "rel", "useReleaseName": true, "disableHooks": true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, chartFiles())
			run(t, HelmTemplate{}, stepContext(dir, tc.config))
			if tc.outFile != "" {
				golden(t, "helm-template/"+tc.name+".yaml", readFile(t, filepath.Join(dir, tc.outFile)))
				return
			}
			goldenDir(t, "helm-template/"+tc.name, filepath.Join(dir, "out"))
		})
	}
}

func TestHelmTemplateBadInput(t *testing.T) {
	helmBinary(t)
	outside := outsideFile(t)
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "chart", "outPath": "o.yaml", "releaseName": "r", "values": "x"}, wantMsg: []string{"values"}},
		{name: "missing releaseName", config: map[string]any{"path": "chart", "outPath": "o.yaml"}, wantMsg: []string{`"releaseName"`}},
		{name: "flag-like releaseName", config: map[string]any{"path": "chart", "outPath": "o.yaml", "releaseName": "--post-renderer"}, wantMsg: []string{`"releaseName"`}},
		{name: "bad outLayout", config: map[string]any{"path": "chart", "outPath": "o", "releaseName": "r", "outLayout": "tree"}, wantMsg: []string{"outLayout"}},
		{name: "missing values file", config: map[string]any{"path": "chart", "outPath": "o.yaml", "releaseName": "r", "valuesFiles": []any{"nope.yaml"}}, wantMsg: []string{"nope.yaml"}},
		{name: "values file escapes", config: map[string]any{"path": "chart", "outPath": "o.yaml", "releaseName": "r", "valuesFiles": []any{outside}}, escape: true},
		{name: "chart escapes", config: map[string]any{"path": "../chart", "outPath": "o.yaml", "releaseName": "r"}, escape: true},
		{name: "broken chart", config: map[string]any{"path": "env", "outPath": "o.yaml", "releaseName": "r"}, wantMsg: []string{"rendering", "env"}},
		{name: "bad set value", config: map[string]any{"path": "chart", "outPath": "o.yaml", "releaseName": "r", "setValues": []any{map[string]any{"key": "a[", "value": "1"}}}, wantMsg: []string{"rendering"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, chartFiles())
			err := wantFailure(t, HelmTemplate{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
		})
	}
}

// TestHelmTemplateBuildDependencies renders a chart whose dependency comes
// from an HTTP repository served by the test.
func TestHelmTemplateBuildDependencies(t *testing.T) {
	helmBinary(t)
	repo := helmtest.NewRepo(t)
	repo.AddChart(helmtest.ChartSpec{Name: "sub", Version: "1.0.0", Values: "message: from-sub\n"})
	dir := workDir(t, map[string]string{
		"chart/Chart.yaml": "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 1.0.0\n  repository: " + repo.URL() + "\n",
	})
	cfg := map[string]any{"path": "chart", "outPath": "out.yaml", "releaseName": "rel", "buildDependencies": true}
	run(t, HelmTemplate{}, stepContext(dir, cfg))
	golden(t, "helm-template/dependencies.yaml", readFile(t, filepath.Join(dir, "out.yaml")))
}
