package helmguard

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The key holds what helm reads, not where: the same chart and values in
// other directories give the same key; anything that may differ between
// runs gives none.
func TestTemplateKey(t *testing.T) {
	chart := map[string]string{
		"chart/Chart.yaml":          "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"chart/templates/cm.yaml":   "data: {{ .Values.message }}\n",
		"values.yaml":               "message: hi\n",
		"other-values.yaml":         "message: other\n",
		"random/Chart.yaml":         "apiVersion: v2\nname: r\nversion: 0.1.0\n",
		"random/templates/cm.yaml":  "data: {{ randAlphaNum 5 }}\n",
		"archived/Chart.yaml":       "apiVersion: v2\nname: a\nversion: 0.1.0\n",
		"archived/charts/sub.tgz":   "not really an archive",
		"timed/Chart.yaml":          "apiVersion: v2\nname: t\nversion: 0.1.0\n",
		"timed/templates/_help.tpl": "{{ define \"x\" }}{{ now }}{{ end }}\n",
	}
	a, b := t.TempDir(), t.TempDir()
	writeTree(t, a, chart)
	writeTree(t, b, chart)
	if err := os.Symlink("/etc/passwd", filepath.Join(b, "chart", "templates", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	base := func(dir string) []string {
		return []string{"template", "rel", filepath.Join(dir, "chart"), "--namespace", "ns", "-f", filepath.Join(dir, "values.yaml")}
	}
	keyA, ok := templateKey(a, "v3.22.0", base(a))
	if !ok {
		t.Fatal("a plain chart is not cacheable")
	}
	tests := []struct {
		name    string
		cwd     string
		version string
		args    []string
		same    bool // the key equals keyA
		ok      bool
	}{
		{name: "relative paths", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "chart", "--namespace", "ns", "-f", "values.yaml"}, same: true, ok: true},
		{name: "flag spelled otherwise", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "chart", "--namespace=ns", "--values", "values.yaml"}, ok: true},
		{name: "other values", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "chart", "--namespace", "ns", "-f", "other-values.yaml"}, ok: true},
		{name: "other namespace", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "chart", "--namespace", "other", "-f", "values.yaml"}, ok: true},
		{name: "other release", cwd: a, version: "v3.22.0", args: []string{"template", "other", "chart", "--namespace", "ns", "-f", "values.yaml"}, ok: true},
		{name: "other helm", cwd: a, version: "v3.21.0", args: base(a), ok: true},
		{name: "link in the chart", cwd: b, version: "v3.22.0", args: base(b)},
		{name: "random template", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "random"}},
		{name: "now in a helper", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "timed"}},
		{name: "archived subchart", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "archived"}},
		{name: "chart from a repository", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "demo", "--repo", "https://charts.example.com"}},
		{name: "chart URL", cwd: a, version: "v3.22.0", args: []string{"template", "rel", "oci://registry.example.com/demo"}},
		{name: "unknown helm version", cwd: a, args: base(a)},
		{name: "not a template", cwd: a, version: "v3.22.0", args: []string{"pull", "demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ok := templateKey(tt.cwd, tt.version, tt.args)
			if ok != tt.ok {
				t.Fatalf("cacheable = %v, want %v", ok, tt.ok)
			}
			if ok && (key == keyA) != tt.same {
				t.Errorf("same key as the base = %v, want %v", key == keyA, tt.same)
			}
		})
	}
	if keyB, ok := templateKey(b, "v3.22.0", []string{"template", "rel", filepath.Join(a, "chart"), "--namespace", "ns", "-f", filepath.Join(b, "values.yaml")}); !ok || keyB != keyA {
		t.Errorf("the same chart and values from another directory: key %q ok %v, want %q", keyB, ok, keyA)
	}
}

// Both caches keep their newest entries; stores under way (dot names) and
// entries of the other kind are left alone.
func TestTrimOldest(t *testing.T) {
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	for i, name := range []string{"a", "b", "c", "d", "e"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".store-1"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "a-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	trimOldest(dir, 3, func(e fs.DirEntry) bool { return e.Type().IsRegular() })
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{".store-1", "a-dir", "c", "d", "e"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
