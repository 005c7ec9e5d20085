package gitsteps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// fakeCreds is a CredentialsProvider serving fixed git credentials by URL.
type fakeCreds map[string]*promotion.Credentials

func (f fakeCreds) Get(_ context.Context, namespace, credType, repoURL string) (*promotion.Credentials, error) {
	if namespace != "demo" || credType != CredentialType {
		return nil, nil
	}
	return f[repoURL], nil
}

// env runs steps in one work directory, as the engine would. Each call to
// restart gives fresh step values, as a new manager process would have.
type env struct {
	t       *testing.T
	workDir string
	opts    Options
	creds   promotion.CredentialsProvider
	steps   map[string]promotion.Step
}

// cached makes every env clone through a git object cache; TestMain runs
// the package's tests once without and once with it.
var cached bool

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		cached = true
		code = m.Run()
	}
	os.Exit(code)
}

func newEnv(t *testing.T, opts Options, creds promotion.CredentialsProvider) *env {
	t.Helper()
	if cached && opts.Cache == nil {
		cache, err := git.NewCache(filepath.Join(t.TempDir(), "git-cache"), 0)
		if err != nil {
			t.Fatal(err)
		}
		opts.Cache = cache
	}
	e := &env{t: t, workDir: t.TempDir(), opts: opts, creds: creds}
	e.restart()
	return e
}

func (e *env) restart() {
	e.steps = map[string]promotion.Step{}
	for _, s := range Steps(e.opts) {
		e.steps[s.Name()] = s
	}
}

func (e *env) run(name string, cfg map[string]any) (promotion.Result, error) {
	e.t.Helper()
	sc := &promotion.StepContext{
		WorkDir:     e.workDir,
		Project:     "demo",
		Stage:       "test",
		Promotion:   "promo-1",
		Alias:       name,
		Config:      cfg,
		Credentials: e.creds,
	}
	return e.steps[name].Run(context.Background(), sc)
}

// must runs a step that must not fail and returns its output.
func (e *env) must(name string, cfg map[string]any, want railyard.StepStatus) map[string]any {
	e.t.Helper()
	res, err := e.run(name, cfg)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	if res.Status != want {
		e.t.Fatalf("%s: status %s, want %s (%s)", name, res.Status, want, res.Message)
	}
	return res.Output
}

func (e *env) write(rel, content string) {
	e.t.Helper()
	p := filepath.Join(e.workDir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) read(rel string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.workDir, rel))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(e.workDir, rel))
	return err == nil
}

// cloneMain clones url's main branch into ./out.
func (e *env) cloneMain(url string) {
	e.t.Helper()
	e.must("git-clone", map[string]any{
		"repoURL":  url,
		"checkout": []any{map[string]any{"branch": "main", "path": "./out"}},
	}, railyard.StepStatusSucceeded)
}

func (e *env) commit(msg string) map[string]any {
	e.t.Helper()
	return e.must("git-commit", map[string]any{"path": "./out", "message": msg}, railyard.StepStatusSucceeded)
}

func (e *env) push(extra map[string]any) map[string]any {
	e.t.Helper()
	cfg := map[string]any{"path": "./out"}
	for k, v := range extra {
		cfg[k] = v
	}
	return e.must("git-push", cfg, railyard.StepStatusSucceeded)
}

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return string(out)
}
