package gitsteps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// gpgVerify checks with git and gpg themselves that rev in dir carries a
// good signature by the key public (verify-commit or verify-tag by kind).
func gpgVerify(t *testing.T, dir, kind, rev, public string) {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Fatal("gpg is needed to verify signatures: install gnupg (.ci/run does)")
	}
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(home) })
	env := append(os.Environ(), "GNUPGHOME="+home, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	imp := exec.Command("gpg", "--batch", "--import")
	imp.Stdin = strings.NewReader(public)
	imp.Env = env
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("gpg --import: %v: %s", err, out)
	}
	cmd := exec.Command("git", "-C", dir, "verify-"+kind, rev)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Good signature") {
		t.Fatalf("git verify-%s %s: %v: %s", kind, rev, err, out)
	}
	_ = exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
}

func TestSignedCommitTagAndPush(t *testing.T) {
	cloneKey := gittest.NewSigningKey(t, "Clone Bot", "bot@example.com", "")
	stepKey := gittest.NewSigningKey(t, "Step Bot", "step@example.com", "")
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1", "b": "1"})
	e := newEnv(t, Options{}, nil)
	e.must("git-clone", map[string]any{
		"repoURL":  r.URL,
		"author":   map[string]any{"name": "Clone Bot", "email": "bot@example.com", "signingKey": cloneKey.Private},
		"checkout": []any{map[string]any{"branch": "main", "path": "out"}},
	}, railyard.StepStatusSucceeded)
	if fi, err := os.Stat(filepath.Join(e.workDir, "out/.git", signingKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stored key: %v %v", fi, err)
	}
	out := filepath.Join(e.workDir, "out")

	e.write("out/a", "2")
	first := e.commit("signed by the clone key")["commit"].(string)
	gpgVerify(t, out, "commit", first, cloneKey.Public)
	e.tag("v1", "signed tag")
	gpgVerify(t, out, "tag", "v1", cloneKey.Public)

	// git-commit's own (deprecated) signingKey wins.
	e.write("out/a", "3")
	second := e.must("git-commit", map[string]any{"path": "out", "message": "signed by the step key",
		"author": map[string]any{"signingKey": stepKey.Private}}, railyard.StepStatusSucceeded)["commit"].(string)
	gpgVerify(t, out, "commit", second, stepKey.Public)

	// Nobody else pushed: both commits land as they are.
	if pushed := e.push(nil); pushed["commit"] != second || r.Head("main") != second {
		t.Fatalf("pushed %v, want %s", pushed, second)
	}
	gpgVerify(t, r.Dir, "commit", first, cloneKey.Public)

	// Someone else pushed: the replayed commit is signed again.
	e.write("out/a", "4")
	third := e.commit("replayed")["commit"].(string)
	r.Commit("main", "b upstream", map[string]string{"b": "2"})
	pushed := e.push(nil)["commit"].(string)
	if pushed == third {
		t.Fatal("expected a replay")
	}
	gpgVerify(t, r.Dir, "commit", pushed, cloneKey.Public)
}

func TestSigningKeyRefusals(t *testing.T) {
	locked := gittest.NewSigningKey(t, "Locked", "locked@example.com", "pass")
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	res, err := e.run("git-clone", map[string]any{
		"repoURL":  r.URL,
		"author":   map[string]any{"signingKey": locked.Private},
		"checkout": []any{map[string]any{"path": "out"}},
	})
	wantTerminal(t, res, err, `"author.signingKey"`, "passphrase")
	if e.exists("out") {
		t.Fatal("nothing is cloned with a bad key")
	}
	if strings.Contains(res.Message, locked.Private[40:80]) {
		t.Fatal("key material in the message")
	}
}
