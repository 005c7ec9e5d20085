package steps

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// workDir creates a work directory holding files (path -> content).
func workDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
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

func stepContext(dir string, config map[string]any) *promotion.StepContext {
	return &promotion.StepContext{
		WorkDir: dir, Project: "demo", Stage: "dev", Promotion: "p1", Alias: "step-1", Config: config,
	}
}

// run runs step and checks that it succeeded.
func run(t *testing.T, step promotion.Step, sc *promotion.StepContext) promotion.Result {
	t.Helper()
	res, err := step.Run(context.Background(), sc)
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", step.Name(), err)
	}
	if res.Status != railyard.StepStatusSucceeded {
		t.Fatalf("%s: status %s, want Succeeded (%s)", step.Name(), res.Status, res.Message)
	}
	return res
}

// wantFailure runs step and checks that it failed terminally with a message
// containing every one of wantMsg.
func wantFailure(t *testing.T, step promotion.Step, sc *promotion.StepContext, wantMsg ...string) error {
	t.Helper()
	res, err := step.Run(context.Background(), sc)
	if err == nil {
		t.Fatalf("%s: want an error, got status %s", step.Name(), res.Status)
	}
	if !promotion.IsTerminal(err) {
		t.Errorf("%s: error %q is not terminal", step.Name(), err)
	}
	if res.Status != railyard.StepStatusFailed {
		t.Errorf("%s: status %s, want Failed", step.Name(), res.Status)
	}
	for _, m := range wantMsg {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("%s: error %q does not mention %q", step.Name(), err, m)
		}
	}
	return err
}

// golden compares got with testdata/<name>, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file %s:\n--- got\n%s\n--- want\n%s", name, p, got, want)
	}
}

// goldenDir compares every file below dir with testdata/<name>/.
func goldenDir(t *testing.T, name, dir string) {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got = append(got, filepath.ToSlash(rel))
		golden(t, name+"/"+filepath.ToSlash(rel), readFile(t, p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		return
	}
	var want []string
	root := filepath.Join("testdata", filepath.FromSlash(name))
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return nil
	})
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("files in %s: got %v, want %v", name, got, want)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// outsideFile creates a file outside any work directory, for escape tests.
func outsideFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(p, []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// symlink creates link (relative to dir) pointing at target.
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

// helmBinary finds helm as the steps do and fails the test without it.
func helmBinary(t *testing.T) string {
	t.Helper()
	p, err := HelmPath("")
	if err == nil {
		p, err = exec.LookPath(p)
	}
	if err != nil {
		t.Fatalf("these tests need helm: %v (build it with GOBIN=<repo>/bin/k8s go install helm.sh/helm/v3/cmd/helm@v3.22.0)", err)
	}
	return p
}

func isPathEscape(err error) bool { return errors.Is(err, workdir.ErrPathEscapes) }

// guardPrograms are the two ways helm's guard is started, by name: the
// running executable under the guard's name (the manager without the
// program next to it; here the test binary), and the railyard-helm-guard
// program, built from this module.
func guardPrograms(t *testing.T) map[string]string {
	t.Helper()
	root, ok := moduleRoot()
	if !ok {
		t.Fatal("no go.mod above the working directory")
	}
	exe := filepath.Join(t.TempDir(), "railyard-helm-guard")
	cmd := exec.Command("go", "build", "-o", exe, "./cmd/railyard-helm-guard")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the helm guard: %v\n%s", err, out)
	}
	return map[string]string{"manager itself": "", "railyard-helm-guard": exe}
}
