package steps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// demoChart is a local chart whose template reads files/passwd.
func demoChart(prefix string) map[string]string {
	return map[string]string{
		prefix + "/Chart.yaml":          "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		prefix + "/values.yaml":         helmtest.DefaultValues,
		prefix + "/templates/leak.yaml": filesGetTemplate,
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func kustomization(s string) map[string]string {
	return map[string]string{"app/kustomization.yaml": s}
}

const localHelmChart = "helmCharts:\n- name: demo\n  releaseName: rel\n"

func TestConfinementKustomizeBuild(t *testing.T) {
	helmBinary(t)
	repo := helmtest.NewRepo(t)
	repo.AddChart(helmtest.ChartSpec{Name: "remote", Version: "1.0.0"})
	archives := archiveRepo(t)
	build := func(out string) map[string]any { return map[string]any{"path": "app", "outPath": out} }
	cm := map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"}
	as := attacks{
		{
			name:    "chartHome absolute",
			files:   kustomization("helmGlobals:\n  chartHome: {OUT}/charts\n" + localHelmChart),
			refused: []string{"app", "values.yaml"},
		},
		{
			// No values file to read: helm itself is pointed outside.
			name:    "chartHome absolute without values",
			files:   kustomization("helmGlobals:\n  chartHome: {OUT}/charts\n" + localHelmChart + "  valuesMerge: replace\n  valuesInline:\n    a: b\n"),
			refused: []string{"app", "chart", "absolute path"},
		},
		{
			name:    "chartHome dot-dot",
			files:   kustomization("helmGlobals:\n  chartHome: {REL:app}/charts\n" + localHelmChart),
			refused: []string{"app", "outside"},
		},
		{
			// helm pull would create {OUT}/pulled/remote-1.0.0/remote.
			name:    "chartHome outside for helm pull",
			files:   kustomization("helmGlobals:\n  chartHome: {OUT}/pulled\nhelmCharts:\n- name: remote\n  repo: {REPO}\n  version: 1.0.0\n  releaseName: rel\n"),
			refused: []string{"--untardir"},
		},
		{
			// helm's homes are the guard's, inside the work directory.
			name:   "configHome outside",
			files:  kustomization("helmGlobals:\n  configHome: {OUT}/rendered/helm\nhelmCharts:\n- name: remote\n  repo: {REPO}\n  version: 1.0.0\n  releaseName: rel\n"),
			wantIn: "name: rel-remote",
		},
		{
			name:    "chart name climbs out of chartHome",
			files:   kustomization("helmCharts:\n- name: {REL:app/charts}/charts/demo\n  releaseName: rel\n  valuesInline:\n    a: b\n"),
			refused: []string{"app"},
		},
		{
			// Kustomize itself would write <TMPDIR>/kustomize-helm-*/<name>-
			// kustomize-values.yaml, here ../../outside/x-kustomize-values.yaml.
			name: "chart name with a path for kustomize's values copy",
			files: merge(
				kustomization("helmCharts:\n- name: ../../outside/x\n  releaseName: rel\n  valuesFile: values.yaml\n"),
				map[string]string{"app/values.yaml": "a: b\n"}, demoChart("outside/x"),
			),
			setup:   func(t *testing.T, base string) { t.Setenv("TMPDIR", mkdir(t, base, "tmp")) },
			refused: []string{"app", "../../outside/x", "plain name"},
		},
		{
			name:    "chart file symlinked out",
			files:   merge(kustomization(localHelmChart), demoChart("app/charts/demo")),
			links:   map[string]string{"app/charts/demo/files/passwd": "{REL:app/charts/demo/files}/passwd"},
			refused: []string{"app/charts/demo/files/passwd"},
		},
		{
			name:    "chart file link chain out",
			files:   merge(kustomization(localHelmChart), demoChart("app/charts/demo")),
			links:   map[string]string{"app/charts/demo/files/passwd": "../x", "app/charts/demo/x": "{REL:app/charts/demo}/passwd"},
			refused: []string{"app/charts/demo/files/passwd"},
		},
		{
			name:    "charts directory symlinked out",
			files:   kustomization(localHelmChart),
			links:   map[string]string{"app/charts": "{REL:app}/charts"},
			refused: []string{"app/charts"},
		},
		{
			name:   "chart file linked inside",
			files:  merge(kustomization(localHelmChart), demoChart("app/charts/demo"), map[string]string{"shared/passwd": "INSIDE-OK"}),
			links:  map[string]string{"app/charts/demo/files/passwd": "../../../../shared/passwd"},
			wantIn: "INSIDE-OK",
		},
		{
			name:    "resource through a link chain",
			files:   kustomization("resources:\n- l1\n"),
			links:   map[string]string{"app/l1": "l2", "app/l2": "{REL:app}/secret.yaml"},
			refused: []string{"app/l1"},
		},
		{
			name:    "kustomization symlinked out",
			links:   map[string]string{"app/kustomization.yaml": "{REL:app}/secret.yaml"},
			refused: []string{"app/kustomization.yaml"},
		},
		{
			name:    "output file link in output directory",
			files:   merge(kustomization("resources:\n- cm.yaml\n"), cm),
			links:   map[string]string{"out/configmap-cm.yaml": "{REL:out}/created.yaml"},
			config:  build("out"),
			refused: []string{"out/configmap-cm.yaml"},
		},
		{
			name:    "output directory link",
			files:   merge(kustomization("resources:\n- cm.yaml\n"), cm),
			links:   map[string]string{"out": "{REL:.}/rendered"},
			config:  build("out/all.yaml"),
			refused: []string{"out/all.yaml"},
		},
		{
			// helm pull --untar of an archive holding files/passwd -> the
			// outside file: unpacked or not, it is never followed.
			name:  "pulled archive with a symlink entry",
			files: kustomization("helmCharts:\n- name: evil\n  repo: " + archives + "\n  version: 1.0.0\n  releaseName: rel\n"),
		},
		{
			name:  "pulled archive with a dot-dot entry",
			files: kustomization("helmCharts:\n- name: climb\n  repo: " + archives + "\n  version: 1.0.0\n  releaseName: rel\n"),
		},
	}
	for name, guard := range guardPrograms(t) {
		t.Run(name, func(t *testing.T) {
			runAttacks(t, as.with(KustomizeBuild{GuardCommand: guard}, build("out/all.yaml")), repo.URL())
		})
	}
}

func TestConfinementHelmTemplate(t *testing.T) {
	helmBinary(t)
	tmpl := func(out string, extra ...any) map[string]any {
		cfg := map[string]any{"path": "chart", "outPath": out, "releaseName": "rel"}
		for i := 0; i+1 < len(extra); i += 2 {
			cfg[extra[i].(string)] = extra[i+1]
		}
		return cfg
	}
	chart := demoChart("chart")
	as := attacks{
		{
			name:    "chart file symlinked out",
			files:   chart,
			links:   map[string]string{"chart/files/passwd": "{REL:chart/files}/passwd"},
			refused: []string{"chart/files/passwd"},
		},
		{
			name:    "chart directory symlinked out",
			files:   chart,
			links:   map[string]string{"chart/files": "{REL:chart}"},
			refused: []string{"chart/files"},
		},
		{
			name:    "chart itself symlinked out",
			links:   map[string]string{"chart": "{REL:.}/charts/demo"},
			refused: []string{"chart"},
		},
		{
			name:    "chart absolute",
			config:  tmpl("out.yaml", "path", "{OUT}/charts/demo"),
			refused: []string{"absolute"},
		},
		{
			name:    "values file through a link",
			files:   chart,
			links:   map[string]string{"env": "{REL:.}"},
			config:  tmpl("out.yaml", "valuesFiles", []any{"env/values.yaml"}),
			refused: []string{"env/values.yaml"},
		},
		{
			name: "file dependency outside",
			files: map[string]string{
				"chart/Chart.yaml": "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: demo\n  version: 0.1.0\n  repository: file://{REL:chart}/charts/demo\n",
			},
			config:  tmpl("out.yaml", "buildDependencies", true),
			refused: []string{"file://"},
		},
		{
			// helm would write out/demo/templates/leak.yaml through out/demo.
			name:    "helm layout output through a committed link",
			files:   chart,
			links:   map[string]string{"out/demo": "{REL:out}/rendered"},
			config:  tmpl("out"),
			refused: []string{"out/demo"},
		},
		{
			name:    "flat output onto a committed file link",
			files:   chart,
			links:   map[string]string{"out/configmap-leak.yaml": "{REL:out}/created.yaml"},
			config:  tmpl("out", "outLayout", "flat"),
			refused: []string{"out/configmap-leak.yaml"},
		},
		{
			name:    "file output onto a dangling link",
			files:   chart,
			links:   map[string]string{"out.yaml": "{REL:.}/created.yaml"},
			refused: []string{"out.yaml"},
		},
		{
			name:   "chart file linked inside",
			files:  merge(chart, map[string]string{"shared/passwd": "INSIDE-OK"}),
			links:  map[string]string{"chart/files/passwd": "../../shared/passwd"},
			wantIn: "INSIDE-OK",
		},
		{
			// helm reads charts/*.tgz in memory: a link entry is not
			// followed on disk.
			name:  "subchart archive with a symlink entry",
			files: merge(chart, map[string]string{"chart/charts/evil-1.0.0.tgz": string(evilArchive(t, "evil", "symlink"))}),
		},
	}
	for name, guard := range guardPrograms(t) {
		t.Run(name, func(t *testing.T) {
			runAttacks(t, as.with(HelmTemplate{GuardCommand: guard}, tmpl("out.yaml")), "")
		})
	}
}

type attacks []attack

func mkdir(t *testing.T, base, name string) string {
	t.Helper()
	p := filepath.Join(base, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// with fills in the step and a default config.
func (as attacks) with(step promotion.Step, config map[string]any) []attack {
	out := make([]attack, len(as))
	for i, a := range as {
		if a.step == nil {
			a.step = step
		}
		if a.config == nil {
			a.config = config
		}
		if a.notIn == "" {
			a.notIn = etcPasswd
		}
		out[i] = a
	}
	return out
}

// etcPasswd is in /etc/passwd, which archive link entries point at.
const etcPasswd = "root:x:0:0"

// archiveRepo serves a chart repository whose archives hold a symlink
// entry (evil) or an entry climbing out of the chart (climb).
func archiveRepo(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	index := "apiVersion: v1\nentries:\n"
	for _, name := range []string{"evil", "climb"} {
		kind := map[string]string{"evil": "symlink", "climb": "dotdot"}[name]
		b := evilArchive(t, name, kind)
		index += fmt.Sprintf("  %s:\n  - apiVersion: v2\n    name: %s\n    version: 1.0.0\n    digest: %s\n    urls:\n    - %s/%s-1.0.0.tgz\n",
			name, name, helmtest.Digest(b), srv.URL, name)
		mux.HandleFunc("/"+name+"-1.0.0.tgz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(b) })
	}
	mux.HandleFunc("/index.yaml", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(index)) })
	return srv.URL
}

// evilArchive is a chart archive whose template reads files/passwd, with
// files/passwd a symlink entry to /etc/passwd (kind "symlink") or with an
// extra entry "<name>/../../escaped" (kind "dotdot").
func evilArchive(t *testing.T, name, kind string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add(&tar.Header{Name: name + "/Chart.yaml", Typeflag: tar.TypeReg}, "apiVersion: v2\nname: "+name+"\nversion: 1.0.0\n")
	add(&tar.Header{Name: name + "/values.yaml", Typeflag: tar.TypeReg}, "")
	add(&tar.Header{Name: name + "/templates/leak.yaml", Typeflag: tar.TypeReg}, filesGetTemplate)
	switch kind {
	case "symlink":
		add(&tar.Header{Name: name + "/files/passwd", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "")
	case "dotdot":
		add(&tar.Header{Name: name + "/../../escaped", Typeflag: tar.TypeReg}, sentinel)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
