package steps

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/helmtest"
)

// chartYAML is an umbrella chart; REPO and REGISTRY stand for the servers
// of the test (see serveDependencies).
const chartYAML = `apiVersion: v2
name: umbrella
version: 0.1.0

dependencies:
# The application itself.
- name: app
  version: 1.0.0
  repository: REPO/
- name: redis
  version: "17.0.0" # pinned
  repository: oci://REGISTRY/charts
`

// depServers are the dependency repositories of a test.
type depServers struct {
	repo *helmtest.Repo
	reg  *helmtest.OCIRegistry
}

// serveDependencies serves app 1.0.0 and 1.1.0 from an HTTP repository and
// redis 17.0.0 and 18.0.1 from an OCI registry.
func serveDependencies(t *testing.T, repoOpts ...helmtest.RepoOption) depServers {
	t.Helper()
	s := depServers{repo: helmtest.NewRepo(t, repoOpts...), reg: helmtest.NewOCIRegistry(t)}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		s.repo.AddChart(helmtest.ChartSpec{Name: "app", Version: v})
	}
	for _, v := range []string{"17.0.0", "18.0.1"} {
		s.reg.PushChart("charts", helmtest.ChartSpec{Name: "redis", Version: v})
	}
	return s
}

// expand puts the servers' addresses in for REPO and REGISTRY.
func (s depServers) expand(text string) string {
	return strings.NewReplacer("REPO", s.repo.URL(), "REGISTRY", s.reg.Host()).Replace(text)
}

var (
	lockGenerated = regexp.MustCompile(`(?m)^generated: .*$`)
	lockDigest    = regexp.MustCompile(`(?m)^digest: sha256:[0-9a-f]+$`)
)

// normalize puts REPO and REGISTRY back, and stamps out what changes from
// run to run in a Chart.lock (its date; its digest, which covers the URLs).
func (s depServers) normalize(b []byte) []byte {
	text := strings.NewReplacer(s.repo.URL(), "REPO", s.reg.Host(), "REGISTRY").Replace(string(b))
	text = lockGenerated.ReplaceAllString(text, "generated: GENERATED")
	return []byte(lockDigest.ReplaceAllString(text, "digest: DIGEST"))
}

func TestHelmUpdateChart(t *testing.T) {
	helmBinary(t)
	tests := []struct {
		name     string
		charts   []any
		message  any
		archives []string
	}{
		{
			name: "two-dependencies",
			charts: []any{
				chart("REPO", "app", "1.1.0"),
				chart("oci://REGISTRY/charts", "redis", "18.0.1"),
			},
			// No Chart.lock before: every dependency is new to it, as in Kargo.
			message:  "Updated chart dependencies for chart\n\n- app: 1.1.0\n- redis: 18.0.1",
			archives: []string{"app-1.1.0.tgz", "redis-18.0.1.tgz"},
		},
		{
			name:     "already-current",
			charts:   []any{chart("REPO/", "app", "1.0.0")},
			message:  "Updated chart dependencies for chart\n\n- app: 1.0.0\n- redis: 17.0.0",
			archives: []string{"app-1.0.0.tgz", "redis-17.0.0.tgz"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := serveDependencies(t)
			charts := make([]any, len(tc.charts))
			for i, c := range tc.charts {
				m := c.(map[string]any)
				charts[i] = chart(s.expand(m["repository"].(string)), m["name"].(string), m["version"].(string))
			}
			dir := workDir(t, map[string]string{"chart/Chart.yaml": s.expand(chartYAML)})
			res := run(t, HelmUpdateChart{}, stepContext(dir, map[string]any{"path": "chart", "charts": charts}))
			if got := res.Output["commitMessage"]; got != tc.message {
				t.Errorf("commitMessage = %q, want %q", got, tc.message)
			}
			golden(t, "helm-update-chart/"+tc.name+".yaml", s.normalize(readFile(t, filepath.Join(dir, "chart", "Chart.yaml"))))
			golden(t, "helm-update-chart/"+tc.name+".lock", s.normalize(readFile(t, filepath.Join(dir, "chart", "Chart.lock"))))
			wantArchives(t, filepath.Join(dir, "chart"), tc.archives...)
			noHelmHome(t, dir)
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
		{name: "missing path", config: map[string]any{"charts": ok}, wantMsg: []string{`"path"`}},
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
