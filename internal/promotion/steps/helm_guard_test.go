package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

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
	helm, runs := countingHelm(t, t.TempDir(), "v3.22.0+gabc", "0")
	for range 3 {
		if got := helmVersionShort(context.Background(), helm); got != "v3.22.0+gabc" {
			t.Fatalf("version = %q", got)
		}
	}
	if n := runs(); n != 1 {
		t.Errorf("helm asked %d times for its version, want once", n)
	}
}

// GuardExecutable: a configured guard must exist; without one, the running
// executable stands in (no railyard-helm-guard next to a test binary).
func TestGuardExecutable(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		t.Fatal(err)
	}
	if got, err := GuardExecutable(""); err != nil || got != self {
		t.Errorf("GuardExecutable(\"\") = %q, %v; want %q", got, err, self)
	}
	if _, err := GuardExecutable(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a configured guard that does not exist was accepted")
	}
	prog := filepath.Join(t.TempDir(), "guard")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := GuardExecutable(prog); err != nil || got != prog {
		t.Errorf("GuardExecutable(%q) = %q, %v", prog, got, err)
	}
}
