package steps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// helmCreds answers Helm credentials for exact repository URLs.
type helmCreds map[string]promotion.Credentials

func (c helmCreds) Get(_ context.Context, _, credType, repoURL string) (*promotion.Credentials, error) {
	if cr, ok := c[repoURL]; ok && credType == "helm" {
		return &cr, nil
	}
	return nil, nil
}

// wantArchives checks that chart/charts holds exactly the archives names.
func wantArchives(t *testing.T, chart string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(chart, "charts"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	sort.Strings(names)
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("charts/ holds %v, want %v", got, names)
	}
}

// noHelmHome checks that the step removed its helm home (which held the
// repository and registry configuration).
func noHelmHome(t *testing.T, dir string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".railyard-helm-*"))
	if len(m) > 0 {
		t.Errorf("helm home left in the work directory: %v", m)
	}
}

// noSecretIn fails if secret appears in any file below dir.
func noSecretIn(t *testing.T, dir, secret string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && bytes.Contains(readFile(t, p), []byte(secret)) {
			t.Errorf("the password is in %s", p)
		}
		return nil
	})
}

// TestHelmUpdateChartRanges runs the step without charts: helm resolves
// the version range of Chart.yaml, and a second run only changes what a new
// release changes.
func TestHelmUpdateChartRanges(t *testing.T) {
	helmBinary(t)
	repo := helmtest.NewRepo(t)
	repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "1.0.0"})
	repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "1.2.0"})
	repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "2.0.0"})
	chartYAML := "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: app\n  version: ^1.0.0\n  repository: " + repo.URL() + "\n"
	dir := workDir(t, map[string]string{"chart/Chart.yaml": chartYAML})
	sc := stepContext(dir, map[string]any{"path": "chart"})
	lockFile := filepath.Join(dir, "chart", "Chart.lock")

	steps := []struct {
		release  string // published before the run
		message  any
		archives []string
	}{
		{message: "Updated chart dependencies for chart\n\n- app: 1.2.0", archives: []string{"app-1.2.0.tgz"}},
		{release: "1.3.0", message: "Updated chart dependencies for chart\n\n- app: 1.2.0 -> 1.3.0", archives: []string{"app-1.3.0.tgz"}},
		{message: nil, archives: []string{"app-1.3.0.tgz"}},
	}
	for i, st := range steps {
		if st.release != "" {
			repo.AddChart(helmtest.ChartSpec{Name: "app", Version: st.release})
		}
		lockBefore, _ := os.ReadFile(lockFile)
		res := run(t, HelmUpdateChart{}, sc)
		if got := res.Output["commitMessage"]; got != st.message {
			t.Errorf("run %d: commitMessage = %q, want %q", i, got, st.message)
		}
		if st.message == nil && !bytes.Equal(readFile(t, lockFile), lockBefore) {
			t.Errorf("run %d: Chart.lock rewritten without a change", i)
		}
		wantArchives(t, filepath.Join(dir, "chart"), st.archives...)
	}
	if got := readFile(t, filepath.Join(dir, "chart", "Chart.yaml")); string(got) != chartYAML {
		t.Errorf("Chart.yaml changed:\n%s", got)
	}
}

// TestHelmDependenciesCredentials fetches dependencies from repositories
// that need the project's credentials, over HTTPS and OCI, with both steps.
func TestHelmDependenciesCredentials(t *testing.T) {
	helmBinary(t)
	const user, password = "robot", "s3cr3t-Pa55word"
	repo := helmtest.NewRepo(t, helmtest.WithTLS(), helmtest.WithBasicAuth(user, password))
	repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "1.0.0", Values: "message: from-https\n"})
	reg := helmtest.NewOCIRegistry(t, helmtest.WithOCIBasicAuth(user, password))
	reg.PushChart("charts", helmtest.ChartSpec{Name: "db", Version: "2.0.0", Values: "message: from-oci\n"})
	t.Setenv("SSL_CERT_FILE", serverCertFile(t, repo))
	chartYAML := "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n" +
		"- name: app\n  version: 1.0.0\n  repository: " + repo.URL() + "\n" +
		"- name: db\n  version: 2.0.0\n  repository: oci://" + reg.Host() + "/charts\n"
	creds := helmCreds{
		repo.URL():                           {Username: user, Password: password},
		"oci://" + reg.Host() + "/charts/db": {Username: user, Password: password},
	}
	wrong := helmCreds{
		repo.URL():                           {Username: user, Password: "wrong-" + password},
		"oci://" + reg.Host() + "/charts/db": {Username: user, Password: "wrong-" + password},
	}

	t.Run("helm-update-chart", func(t *testing.T) {
		dir := workDir(t, map[string]string{"chart/Chart.yaml": chartYAML})
		sc := stepContext(dir, map[string]any{"path": "chart"})
		sc.Credentials = creds
		res := run(t, HelmUpdateChart{}, sc)
		if want := "Updated chart dependencies for chart\n\n- app: 1.0.0\n- db: 2.0.0"; res.Output["commitMessage"] != want {
			t.Errorf("commitMessage = %q, want %q", res.Output["commitMessage"], want)
		}
		wantArchives(t, filepath.Join(dir, "chart"), "app-1.0.0.tgz", "db-2.0.0.tgz")
		noSecretIn(t, dir, password)
		noHelmHome(t, dir)
	})
	t.Run("helm-template", func(t *testing.T) {
		dir := workDir(t, map[string]string{"chart/Chart.yaml": chartYAML})
		sc := stepContext(dir, map[string]any{"path": "chart", "outPath": "out.yaml", "releaseName": "rel", "buildDependencies": true})
		sc.Credentials = creds
		run(t, HelmTemplate{}, sc)
		out := string(readFile(t, filepath.Join(dir, "out.yaml")))
		for _, want := range []string{"message: \"from-https\"", "message: \"from-oci\""} {
			if !strings.Contains(out, want) {
				t.Errorf("rendered output lacks %s:\n%s", want, out)
			}
		}
		noSecretIn(t, dir, password)
		noHelmHome(t, dir)
	})
	// Each repository alone, so its own refusal is what is reported.
	alone := map[string]string{
		"https": "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: app\n  version: 1.0.0\n  repository: " + repo.URL() + "\n",
		"oci":   "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 2.0.0\n  repository: oci://" + reg.Host() + "/charts\n",
	}
	for kind, chartYAML := range alone {
		for name, c := range map[string]helmCreds{"no credentials": nil, "wrong password": wrong} {
			t.Run(kind+" "+name, func(t *testing.T) {
				dir := workDir(t, map[string]string{"chart/Chart.yaml": chartYAML})
				sc := stepContext(dir, map[string]any{"path": "chart"})
				if c != nil {
					sc.Credentials = c
				}
				want := "401"
				if kind == "oci" && c == nil {
					want = "basic credential not found" // helm's word for the registry's 401
				}
				err := wantFailure(t, HelmUpdateChart{}, sc, "updating dependencies of \"chart\"", want)
				if strings.Contains(err.Error(), password) {
					t.Errorf("the password is in the message: %v", err)
				}
				wantArchives(t, filepath.Join(dir, "chart"))
				noSecretIn(t, dir, password)
				noHelmHome(t, dir)
			})
		}
	}
}

// TestHelmDependenciesPlainHTTPCredentials checks that, as in Kargo, a
// password is never sent to a classic repository over plain HTTP: the
// repository (which would accept it) refuses the request.
func TestHelmDependenciesPlainHTTPCredentials(t *testing.T) {
	helmBinary(t)
	const user, password = "robot", "plain-Pa55word"
	repo := helmtest.NewRepo(t, helmtest.WithBasicAuth(user, password))
	repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "1.0.0"})
	dir := workDir(t, map[string]string{
		"chart/Chart.yaml": "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: app\n  version: 1.0.0\n  repository: " + repo.URL() + "\n",
	})
	sc := stepContext(dir, map[string]any{"path": "chart"})
	sc.Credentials = helmCreds{repo.URL(): {Username: user, Password: password}}
	_ = wantFailure(t, HelmUpdateChart{}, sc, repo.URL(), "401")
	if st := repo.Stats(); st.Unauthorized == 0 || st.IndexDownloads != 0 {
		t.Errorf("repository stats %+v: want only refused requests", st)
	}
}

// serverCertFile writes the certificate of repo's TLS server to a PEM file
// for SSL_CERT_FILE, which helm (a Go program) reads.
func serverCertFile(t *testing.T, repo *helmtest.Repo) string {
	t.Helper()
	tr := repo.Client().Transport.(*http.Transport)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(repo.URL(), "https://"), tr.TLSClientConfig.Clone())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	p := filepath.Join(t.TempDir(), "repo.pem")
	cert := conn.ConnectionState().PeerCertificates[0]
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHelmUpdateChartFailures covers repositories that refuse and charts
// helm cannot read: each ends in a terminal error naming the problem, and
// leaves the chart as it was.
func TestHelmUpdateChartFailures(t *testing.T) {
	helmBinary(t)
	repo := helmtest.NewRepo(t)
	repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "1.0.0"})
	deps := func(repoURL, version string) string {
		return "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: app\n  version: " + version + "\n  repository: " + repoURL + "\n"
	}
	missing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(missing.Close)
	tests := []struct {
		name      string
		chartYAML string
		charts    []any
		wantMsg   []string
	}{
		{name: "repository answers 404", chartYAML: deps(missing.URL, "1.0.0"), wantMsg: []string{"404"}},
		{name: "no such version", chartYAML: deps(repo.URL(), "1.0.0"), charts: []any{chart(repo.URL(), "app", "9.9.9")}, wantMsg: []string{"app", "9.9.9"}},
		{name: "bad Chart.yaml", chartYAML: "apiVersion: v2\nname: [top\n", wantMsg: []string{"parsing Chart.yaml", `"chart"`}},
		{name: "dependencies not a list", chartYAML: "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies: 3\n", wantMsg: []string{"Chart.yaml", `"chart"`, `"dependencies" is not a list`}},
		{name: "dependency version not a string", chartYAML: "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: a\n  version: [1]\n", wantMsg: []string{"dependencies[0].version"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{"chart/Chart.yaml": tc.chartYAML})
			cfg := map[string]any{"path": "chart"}
			if tc.charts != nil {
				cfg["charts"] = tc.charts
			}
			_ = wantFailure(t, HelmUpdateChart{}, stepContext(dir, cfg), tc.wantMsg...)
			if got := readFile(t, filepath.Join(dir, "chart", "Chart.yaml")); string(got) != tc.chartYAML {
				t.Errorf("Chart.yaml changed by a failed step:\n%s", got)
			}
			if _, err := os.Stat(filepath.Join(dir, "chart", "Chart.lock")); !os.IsNotExist(err) {
				t.Errorf("Chart.lock left by a failed step (%v)", err)
			}
			noHelmHome(t, dir)
		})
	}
}

// TestHelmDependencyArchiveWithLink serves a dependency whose archive holds
// a link out of the chart: both steps refuse it and leave no such archive.
func TestHelmDependencyArchiveWithLink(t *testing.T) {
	helmBinary(t)
	archive := linkedChartArchive(t)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			_, _ = w.Write([]byte("apiVersion: v1\nentries:\n  evil:\n  - apiVersion: v2\n    name: evil\n    version: 1.0.0\n    urls:\n    - " + srv.URL + "/evil-1.0.0.tgz\n"))
		case "/evil-1.0.0.tgz":
			_, _ = w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	chartYAML := "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: evil\n  version: 1.0.0\n  repository: " + srv.URL + "\n"
	for _, tc := range []struct {
		step promotion.Step
		cfg  map[string]any
	}{
		{HelmUpdateChart{}, map[string]any{"path": "chart"}},
		{HelmTemplate{}, map[string]any{"path": "chart", "outPath": "out.yaml", "releaseName": "rel", "buildDependencies": true}},
	} {
		t.Run(tc.step.Name(), func(t *testing.T) {
			dir := workDir(t, map[string]string{"chart/Chart.yaml": chartYAML})
			err := wantFailure(t, tc.step, stepContext(dir, tc.cfg), "charts/evil-1.0.0.tgz", "/etc/passwd")
			if !isPathEscape(err) {
				t.Errorf("not a path escape: %v", err)
			}
			wantArchives(t, filepath.Join(dir, "chart"))
			for _, f := range []string{"out.yaml", "chart/Chart.lock"} {
				if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
					t.Errorf("%s left despite the refusal (%v)", f, err)
				}
			}
		})
	}
}

// linkedChartArchive is a chart archive whose values file is a link to
// /etc/passwd.
func linkedChartArchive(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	chartYAML := "apiVersion: v2\nname: evil\nversion: 1.0.0\n"
	for _, h := range []*tar.Header{
		{Name: "evil/Chart.yaml", Mode: 0o644, Size: int64(len(chartYAML)), Typeflag: tar.TypeReg},
		{Name: "evil/files/passwd", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink, Mode: 0o777},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(chartYAML)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
