package git

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"
)

// gitIn runs the git program in dir and returns its trimmed output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// A checkout's branches, remote-tracking branches and Railyard's refs go
// to packed-refs, without a directory per path segment; git reads them as
// go-git does. Tags and symbolic refs stay loose; a loose ref of the same
// name, which would hide the packed one, is removed.
func TestCheckoutRefsArePacked(t *testing.T) {
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "one")
	one := gitIn(t, dir, "rev-parse", "HEAD")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "two")
	two := gitIn(t, dir, "rev-parse", "HEAD")
	gitIn(t, dir, "tag", "-a", "-m", "annotated", "v1", one)
	gitIn(t, dir, "pack-refs", "--all")
	// A loose ref written after packing, as git would leave one.
	gitIn(t, dir, "update-ref", "refs/heads/main", two)

	repo, err := OpenRepository(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	set := func(name, id string) {
		t.Helper()
		if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(name), plumbing.NewHash(id))); err != nil {
			t.Fatalf("set %s: %v", name, err)
		}
	}
	set("refs/heads/kargo/app-000/test", one)
	set("refs/remotes/origin/kargo/app-000/test", one)
	set(BaseRef, one)
	set("refs/heads/main", one) // was loose at two
	set("refs/tags/v2", two)    // tags stay loose
	if err := repo.Storer.SetReference(plumbing.NewSymbolicReference("refs/remotes/origin/HEAD", "refs/remotes/origin/kargo/app-000/test")); err != nil {
		t.Fatal(err)
	}

	dotGit := filepath.Join(dir, ".git")
	for _, p := range []string{"refs/heads/kargo", "refs/remotes/origin/kargo", "refs/railyard", "refs/heads/main"} {
		if _, err := os.Lstat(filepath.Join(dotGit, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists (err %v); the ref should be packed", p, err)
		}
	}
	for _, p := range []string{"refs/tags/v2", "refs/remotes/origin/HEAD"} {
		if _, err := os.Lstat(filepath.Join(dotGit, p)); err != nil {
			t.Errorf("%s should stay loose: %v", p, err)
		}
	}
	want := map[string]string{
		"refs/heads/kargo/app-000/test":          one,
		"refs/remotes/origin/kargo/app-000/test": one,
		BaseRef:                                  one,
		"refs/heads/main":                        one,
		"refs/tags/v2":                           two,
		"refs/tags/v1^{}":                        one, // the peeled line survived the rewrites
	}
	for name, id := range want {
		if got := gitIn(t, dir, "rev-parse", name); got != id {
			t.Errorf("git rev-parse %s = %s, want %s", name, got, id)
		}
		if strings.HasSuffix(name, "^{}") {
			continue
		}
		ref, err := repo.Reference(plumbing.ReferenceName(name), true)
		if err != nil || ref.Hash().String() != id {
			t.Errorf("go-git %s = %v, %v; want %s", name, ref, err, id)
		}
	}
	packed, err := os.ReadFile(filepath.Join(dotGit, "packed-refs"))
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(packed), "\n"); !strings.HasPrefix(first, "# pack-refs with:") || !strings.Contains(first, "sorted") {
		t.Errorf("traits line %q not kept", first)
	}
	if out := gitIn(t, dir, "fsck", "--no-progress"); strings.Contains(out, "error") {
		t.Errorf("git fsck: %s", out)
	}
	if err := repo.Storer.RemoveReference(BaseRef); err != nil {
		t.Fatal(err)
	}
	if out := gitIn(t, dir, "for-each-ref", "--format=%(refname)", "refs/railyard"); out != "" {
		t.Errorf("removed ref still listed: %q", out)
	}
}

func TestCheckAndSetPackedRef(t *testing.T) {
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "one")
	one := plumbing.NewHash(gitIn(t, dir, "rev-parse", "HEAD"))
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "two")
	two := plumbing.NewHash(gitIn(t, dir, "rev-parse", "HEAD"))
	repo, err := OpenRepository(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	name := plumbing.ReferenceName("refs/heads/kargo/a/test")
	st := repo.Storer
	tests := []struct {
		name    string
		set     plumbing.Hash
		old     *plumbing.Reference
		wantErr error
		want    plumbing.Hash
	}{
		{"missing ref, any old", one, plumbing.NewHashReference(name, two), nil, one},
		{"old matches", two, plumbing.NewHashReference(name, one), nil, two},
		{"old does not match", one, plumbing.NewHashReference(name, one), storage.ErrReferenceHasChanged, two},
		{"no old", one, nil, nil, one},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := st.CheckAndSetReference(plumbing.NewHashReference(name, tt.set), tt.old)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			ref, err := st.Reference(name)
			if err != nil || ref.Hash() != tt.want {
				t.Fatalf("ref = %v, %v; want %s", ref, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"refs/heads/../../config", "refs/heads/a.lock", "refs/heads/x/.hidden"} {
		if err := st.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(bad), one)); err == nil || !strings.Contains(err.Error(), "invalid reference name") {
			t.Errorf("set %q: err %v", bad, err)
		}
	}
	// Someone else's lock (git's own, mid-write) is respected.
	if err := os.WriteFile(filepath.Join(dir, ".git", "packed-refs.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := st.SetReference(plumbing.NewHashReference(name, two)); err == nil {
		t.Fatal("wrote packed-refs while another writer held its lock")
	}
}
