package steps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// TestCheckHelmArgs is the guard's policy on helm command lines, including
// the ones no step builds today (a kustomize upgrade might).
func TestCheckHelmArgs(t *testing.T) {
	work := workDir(t, demoChart("chart"))
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
	root, err := promotion.OpenRoot(work)
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

// TestHelmMissing: a helm that cannot be started is worth a retry (an
// image being fixed), not a terminal failure, even behind the guard.
func TestHelmMissing(t *testing.T) {
	dir := workDir(t, demoChart("chart"))
	step := HelmTemplate{HelmCommand: filepath.Join(t.TempDir(), "no-helm")}
	res, err := step.Run(context.Background(), stepContext(dir, map[string]any{"path": "chart", "outPath": "o.yaml", "releaseName": "r"}))
	if !errors.Is(err, ErrHelmNotFound) || promotion.IsTerminal(err) || res.Status != railyard.StepStatusErrored {
		t.Fatalf("got %s %v, want Errored with ErrHelmNotFound", res.Status, err)
	}
}

// fakeHelm is a helm whose pull unpacks a chart holding a link out (real
// helm does not, but an archive format or helm version might) and which
// records its environment.
const fakeHelm = `#!/bin/sh
env | grep '^HELM_' > "$FAKE_HELM_ENV"
case "$1" in
version) echo v3.22.0 ;;
pull)
  while [ $# -gt 0 ]; do [ "$1" = "--untardir" ] && d="$2"; shift; done
  mkdir -p "$d/evil/files"
  printf 'apiVersion: v2\nname: evil\nversion: 1.0.0\n' > "$d/evil/Chart.yaml"
  : > "$d/evil/values.yaml"
  ln -s "$FAKE_HELM_TARGET" "$d/evil/files/passwd" ;;
*) cat "$FAKE_HELM_TARGET" ;;
esac
`

// TestHelmGuardAfterPull: what helm pull unpacked is checked before helm
// template may load it, and helm's homes are inside the work directory
// whatever kustomize's configHome says.
func TestHelmGuardAfterPull(t *testing.T) {
	helm := filepath.Join(t.TempDir(), "helm")
	if err := os.WriteFile(helm, []byte(fakeHelm), 0o755); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(t.TempDir(), "env")
	t.Setenv("FAKE_HELM_ENV", envFile)
	t.Setenv("FAKE_HELM_TARGET", outsideFile(t))
	dir := workDir(t, map[string]string{
		"app/kustomization.yaml": "helmGlobals:\n  configHome: /tmp/elsewhere\nhelmCharts:\n- name: evil\n  repo: http://127.0.0.1:1\n  version: 1.0.0\n  releaseName: rel\n",
	})
	err := wantFailure(t, KustomizeBuild{HelmCommand: helm}, stepContext(dir, map[string]any{"path": "app", "outPath": "out.yaml"}),
		"after helm pull", "app/charts/evil-1.0.0/evil/files/passwd")
	if !isPathEscape(err) {
		t.Errorf("not a path escape: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output written: %v", err)
	}
	env := strings.Fields(string(readFile(t, envFile)))
	if len(env) < 3 {
		t.Fatalf("helm saw HELM_ environment %v", env)
	}
	real, _ := filepath.EvalSymlinks(dir)
	for _, kv := range env {
		if _, v, _ := strings.Cut(kv, "="); !strings.HasPrefix(v, real+string(filepath.Separator)) {
			t.Errorf("%s is not inside the work directory", kv)
		}
	}
}

// hangingHelm answers `version` and then hangs, as helm does when the Helm
// repository accepts the connection and never answers.
const hangingHelm = `#!/bin/sh
case "$1" in
version) echo v3.22.0 ;;
*) exec sleep 600 ;;
esac
`

// A Helm repository that never answers ends the step at its deadline
// instead of holding it, and kustomize's lock, forever.
func TestHelmIsStoppedAtTheDeadline(t *testing.T) {
	helm := filepath.Join(t.TempDir(), "helm")
	if err := os.WriteFile(helm, []byte(hangingHelm), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := workDir(t, map[string]string{
		"app/kustomization.yaml": "helmCharts:\n- name: slow\n  repo: http://127.0.0.1:1\n  version: 1.0.0\n  releaseName: rel\n",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := KustomizeBuild{HelmCommand: helm}.Run(ctx, stepContext(dir, map[string]any{"path": "app", "outPath": "out.yaml"}))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "did not finish in time") {
			t.Fatalf("kustomize-build with a hanging helm: %v, want an error saying helm did not finish in time", err)
		}
	case <-time.After(time.Minute): // a guard against a hang, not a timing assertion
		t.Fatal("kustomize-build waited on a hanging helm")
	}
}

// TestHelmVersionAskedOncePerProcess: kustomize asks `helm version --short`
// before every chart; the guard answers from the step's cached answer, so
// helm runs for it once per binary, not once per inflation.
func TestHelmVersionAskedOncePerProcess(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	helm := filepath.Join(dir, "helm")
	script := "#!/bin/sh\necho x >> " + count + "\necho v3.22.0+gabc\n"
	if err := os.WriteFile(helm, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := helmVersionShort(context.Background(), helm); got != "v3.22.0+gabc" {
			t.Fatalf("version = %q", got)
		}
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 1 {
		t.Errorf("helm asked %d times for its version, want once", strings.Count(string(b), "x"))
	}
	// The guard answers it without starting helm.
	cfg, err := json.Marshal(guardConfig{Root: dir, Helm: filepath.Join(dir, "gone"), VersionShort: "v3.22.0+gabc"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, guardConfigFile), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := guardMain(dir, []string{"version", "--short"}); code != 0 {
		t.Fatalf("guard exit %d for version --short with helm gone", code)
	}
}
