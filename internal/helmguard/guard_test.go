package helmguard

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/workdir"
)

// chartDir is a work directory holding a small chart in chart/.
func chartDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"chart/Chart.yaml":        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"chart/values.yaml":       "replicaCount: 1\n",
		"chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func symlink(t *testing.T, dir, link, target string) {
	t.Helper()
	p := filepath.Join(dir, link)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// TestCheckHelmArgs is the guard's policy on helm command lines, including
// the ones no step builds today (a kustomize upgrade might).
func TestCheckHelmArgs(t *testing.T) {
	work := chartDir(t)
	outside := t.TempDir()
	symlink(t, work, "up", outside)
	kustomizeTmp, err := os.MkdirTemp("", "kustomize-helm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(kustomizeTmp) })
	values := filepath.Join(kustomizeTmp, "demo-kustomize-values.yaml")
	if err := os.WriteFile(values, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := workdir.OpenRoot(work)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	t.Chdir(root.Dir())
	chart := filepath.Join(root.Dir(), "chart")

	tests := []struct {
		name     string
		args     []string
		wantErr  string // empty: allowed
		unpacked []string
	}{
		{name: "version", args: []string{"version", "--short"}},
		{name: "template", args: []string{"template", "rel", chart, "-f", values, "--namespace", "ns"}},
		{name: "template relative chart", args: []string{"template", "rel", "./chart", "--values=chart/values.yaml"}},
		{name: "pull", args: []string{"pull", "--untar", "--untardir", "charts/x", "--repo", "http://r", "x"}, unpacked: []string{"charts/x"}},
		{name: "pull untardir under destination", args: []string{"pull", "--untar", "-d", "sub", "--untardir", "x", "oci://r/x"}, unpacked: []string{"sub/x"}},
		{name: "dependency build", args: []string{"dependency", "build", chart}},
		{name: "install", args: []string{"install", "rel", chart}, wantErr: "not allowed"},
		{name: "plugin", args: []string{"plugin", "install", "x"}, wantErr: "not allowed"},
		{name: "dependency update", args: []string{"dependency", "update", chart, "--plain-http"}},
		{name: "dependency update through link", args: []string{"dependency", "update", "up"}, wantErr: `"up"`},
		{name: "dependency list", args: []string{"dependency", "list", chart}, wantErr: "not allowed"},
		{name: "post-renderer", args: []string{"template", "rel", chart, "--post-renderer=/bin/sh"}, wantErr: "--post-renderer"},
		{name: "values outside", args: []string{"template", "rel", chart, "-f", filepath.Join(outside, "v.yaml")}, wantErr: "absolute path"},
		{name: "short values outside", args: []string{"template", "rel", chart, "-f" + filepath.Join(outside, "v.yaml")}, wantErr: "absolute path"},
		{name: "values through link", args: []string{"template", "rel", chart, "--values", "up/v.yaml"}, wantErr: `"up/v.yaml"`},
		{name: "chart outside", args: []string{"template", "rel", outside}, wantErr: "absolute path"},
		{name: "untardir climbs", args: []string{"pull", "--untar", "--untardir", "../x", "x"}, wantErr: `"../x"`},
		{name: "output-dir through link", args: []string{"template", "rel", chart, "--output-dir", "up/out"}, wantErr: `"up/out"`},
		{name: "repository config outside", args: []string{"pull", "x", "--repository-config", "/etc/helm.yaml"}, wantErr: "absolute path"},
		{name: "set-file", args: []string{"template", "rel", chart, "--set-file", "k=/etc/passwd"}, wantErr: "--set-file"},
		{name: "verify", args: []string{"pull", "--verify", "x"}, wantErr: "--verify"},
		{name: "bare chart name that is a linked directory", args: []string{"template", "rel", "up"}, wantErr: `"up"`},
		{name: "release name of a linked directory", args: []string{"template", "up", chart}},
		{name: "generated name", args: []string{"template", "--generate-name", "up"}, wantErr: `"up"`},
		{name: "flag without value", args: []string{"template", "rel", chart, "--values"}, wantErr: "needs a value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := checkHelmArgs(root, tc.args)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !reflect.DeepEqual(inv.unpacked, tc.unpacked) {
					t.Errorf("unpacked = %v, want %v", inv.unpacked, tc.unpacked)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), work) {
				t.Errorf("error exposes the work directory: %v", err)
			}
		})
	}
}

// The guard answers kustomize's `helm version --short` from its
// configuration, without starting helm.
func TestVersionAnsweredWithoutHelm(t *testing.T) {
	dir := t.TempDir()
	cfg, err := json.Marshal(Config{Root: dir, Helm: filepath.Join(dir, "gone"), VersionShort: "v3.22.0+gabc", Deadline: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Main(dir, []string{"version", "--short"}); code != 0 {
		t.Fatalf("guard exit %d for version --short with helm gone", code)
	}
	// Anything else needs helm, which is gone.
	if code := Main(dir, []string{"version"}); code != ExitNoHelm {
		t.Fatalf("guard exit %d for version with helm gone, want %d", code, ExitNoHelm)
	}
}
