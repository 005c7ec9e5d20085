package steps

import (
	"path/filepath"
	"testing"
)

const chartYAML = `apiVersion: v2
name: umbrella
version: 0.1.0

dependencies:
# The application itself.
- name: app
  version: 1.0.0
  repository: https://charts.example.com/
- name: redis
  version: "17.0.0" # pinned
  repository: oci://registry.example.com/charts
`

func TestHelmUpdateChart(t *testing.T) {
	tests := []struct {
		name    string
		charts  []any
		message any
	}{
		{
			name: "two-dependencies",
			charts: []any{
				chart("https://charts.example.com", "app", "1.1.0"),
				chart("oci://registry.example.com/charts", "redis", "18.0.1"),
			},
			message: "Updated chart dependencies for chart\n\n- app: 1.0.0 -> 1.1.0\n- redis: 17.0.0 -> 18.0.1",
		},
		{name: "already-current", charts: []any{chart("https://charts.example.com/", "app", "1.0.0")}, message: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"chart/Chart.yaml": chartYAML})
			res := run(t, HelmUpdateChart{}, stepContext(dir, map[string]any{"path": "chart", "charts": tc.charts}))
			if got := res.Output["commitMessage"]; got != tc.message {
				t.Errorf("commitMessage = %q, want %q", got, tc.message)
			}
			golden(t, "helm-update-chart/"+tc.name+".yaml", readFile(t, filepath.Join(dir, "chart", "Chart.yaml")))
		})
	}
}

func TestHelmUpdateChartBadInput(t *testing.T) {
	ok := []any{chart("https://charts.example.com/", "app", "2.0.0")}
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "chart", "charts": ok, "build": true}, wantMsg: []string{"build"}},
		{name: "missing charts", config: map[string]any{"path": "chart"}, wantMsg: []string{`"charts"`}},
		{name: "missing version", config: map[string]any{"path": "chart", "charts": []any{map[string]any{"repository": "r", "name": "n"}}}, wantMsg: []string{"charts[0].version"}},
		{name: "no such dependency", config: map[string]any{"path": "chart", "charts": []any{chart("https://other.example.com", "app", "2.0.0")}}, wantMsg: []string{"other.example.com", "app"}},
		{name: "no Chart.yaml", config: map[string]any{"path": ".", "charts": ok}, wantMsg: []string{"no Chart.yaml"}},
		{name: "path escapes", config: map[string]any{"path": "chart/../..", "charts": ok}, escape: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"chart/Chart.yaml": chartYAML})
			err := wantFailure(t, HelmUpdateChart{}, stepContext(dir, tc.config), tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if got := readFile(t, filepath.Join(dir, "chart", "Chart.yaml")); string(got) != chartYAML {
				t.Errorf("Chart.yaml changed by a failed step:\n%s", got)
			}
		})
	}
}

func chart(repo, name, version string) map[string]any {
	return map[string]any{"repository": repo, "name": name, "version": version}
}
