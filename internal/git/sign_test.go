package git

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func TestParseSigningKey(t *testing.T) {
	key := gittest.NewSigningKey(t, "Signer", "signer@example.com", "")
	other := gittest.NewSigningKey(t, "Other", "other@example.com", "")
	locked := gittest.NewSigningKey(t, "Locked", "locked@example.com", "secret")
	tests := []struct {
		name    string
		armored string
		wantErr string
	}{
		{"private key", key.Private, ""},
		{"not armored", "k", "not an ASCII-armored OpenPGP private key"},
		{"public key only", key.Public, "not an ASCII-armored OpenPGP private key"},
		{"damaged", strings.Replace(key.Private, "\n\n", "\n\n!!", 1), "invalid signing key"},
		{"passphrase", locked.Private, "protected by a passphrase"},
		{"two keys", key.Private + "\n" + other.Private, "holds 2 keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseSigningKey(tt.armored)
			if tt.wantErr == "" {
				if err != nil || e == nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrSigningKey) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if len(tt.armored) > 40 && strings.Contains(err.Error(), tt.armored[40:]) {
				t.Fatal("the key leaked into the error")
			}
		})
	}
}

// A signed commit that must be replayed onto someone else's push is signed
// again, and the result verifies.
func TestSignedCommitsAndReplay(t *testing.T) {
	key := gittest.NewSigningKey(t, "Signer", "signer@example.com", "")
	entity, err := ParseSigningKey(key.Private)
	if err != nil {
		t.Fatal(err)
	}
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1", "b": "1"})
	w, err := Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt")})
	if err != nil {
		t.Fatal(err)
	}
	w.SetSigningKey(entity)
	writeFile(t, w, "a", "2")
	id, err := w.CommitAll("a to 2", bot)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, w.repo, id, key.Public)
	r.Commit("main", "b upstream", map[string]string{"b": "2"})
	res, err := w.Push(context.Background(), PushOptions{MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit == id || r.Head("main") != res.Commit {
		t.Fatalf("push result %+v, local commit %s", res, id)
	}
	verify(t, w.repo, res.Commit, key.Public)
	if got := strings.TrimSpace(gitOut(t, r.Dir, "cat-file", "-p", res.Commit)); !strings.Contains(got, "gpgsig -----BEGIN PGP SIGNATURE-----") {
		t.Fatalf("replayed commit on the server is not signed:\n%s", got)
	}
}

// gitOut runs the git binary in dir, away from any user configuration.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return string(out)
}

func verify(t *testing.T, repo *gogit.Repository, id, public string) {
	t.Helper()
	c, err := repo.CommitObject(plumbing.NewHash(id))
	if err != nil {
		t.Fatal(err)
	}
	if c.PGPSignature == "" {
		t.Fatalf("commit %s is not signed", id)
	}
	e, err := c.Verify(public)
	if err != nil {
		t.Fatalf("commit %s does not verify: %v", id, err)
	}
	if _, ok := e.Identities["Signer <signer@example.com>"]; !ok {
		t.Fatalf("signed by %v", e.Identities)
	}
}
