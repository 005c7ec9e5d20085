package forgetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PushBranch pushes a commit with files (path -> content) to branch of repo
// with the git binary over HTTP, authenticating as Username with Token, as a
// developer or a promotion step would, and returns the commit id. The commit
// is on top of from (e.g. "main"), or of branch itself when from is empty.
func (f *Forge) PushBranch(t testing.TB, repo, branch, from, message string, files map[string]string) string {
	t.Helper()
	if from == "" {
		from = branch
	}
	dir := filepath.Join(t.TempDir(), "clone")
	f.Git(t, "", "clone", "--quiet", "--branch", from, "--single-branch", f.AuthCloneURL(repo), dir)
	if from != branch {
		f.Git(t, dir, "checkout", "--quiet", "-b", branch)
	}
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.Git(t, dir, "add", "--all")
	f.Git(t, dir, "commit", "--quiet", "--allow-empty", "-m", message)
	f.Git(t, dir, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
	return f.Git(t, dir, "rev-parse", "HEAD")
}

// Git runs the git binary in dir with an isolated configuration (no user or
// system config, a fixed identity, no prompts) and returns its trimmed
// output, failing the test on error.
func (f *Forge) Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Git(t, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Git runs the git binary in dir with an isolated configuration (no user or
// system config, a fixed identity, no prompts) and returns its trimmed
// output; the error includes the output.
func Git(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Forge Test", "GIT_AUTHOR_EMAIL=forgetest@example.com",
		"GIT_COMMITTER_NAME=Forge Test", "GIT_COMMITTER_EMAIL=forgetest@example.com",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
