package git

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/railyard-dev/railyard/internal/forgetest"
)

// Gitea implements smart HTTP itself: a push without the advertisement
// (the second one, once its capabilities are known) lands, and one that
// expects a branch someone moved is refused and reported as a
// non-fast-forward, as git http-backend does (TestPushFromExpectedBase).
func TestPushFromExpectedBaseOnGitea(t *testing.T) {
	f, repoURL, creds, w := giteaCheckout(t)
	ctx := context.Background()
	base := f.BranchHead(t, "gitops", "main")
	for i, content := range []string{"2", "3"} {
		id := commitFile(t, w, "a", content, "change "+content)
		if err := w.PushCommitFrom(ctx, repoURL, creds, id, "refs/heads/main", base); err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
		if got := f.BranchHead(t, "gitops", "main"); got != id {
			t.Fatalf("after push %d main is at %s, want %s", i+1, got, id)
		}
		if serverCaps.get(repoURL) == nil {
			// The second push went without the advertisement only if
			// the first one's capabilities were kept.
			t.Fatalf("push %d: Gitea's receive-pack capabilities not remembered", i+1)
		}
		base = id
	}
	theirs := f.CommitFiles(t, "gitops", "main", "", "theirs", map[string]string{"b": "theirs"})
	ours := commitFile(t, w, "a", "4", "change 4")
	err := w.PushCommitFrom(ctx, repoURL, creds, ours, "refs/heads/main", base)
	if !errors.Is(err, ErrNonFastForward) {
		t.Fatalf("push onto a moved branch: err = %v, want ErrNonFastForward", err)
	}
	if got := f.BranchHead(t, "gitops", "main"); got != theirs {
		t.Fatalf("main at %s after a refused push, want theirs %s", got, theirs)
	}
}

// Gitea creates a branch from a root commit pushed without the
// advertisement, and refuses to create one that exists, which is then a
// non-fast-forward (TestPushOrphanBranchWithoutRefs).
func TestPushOrphanBranchOnGitea(t *testing.T) {
	f, repoURL, creds, w := giteaCheckout(t)
	ctx := context.Background()
	first := commitFile(t, w, "a", "2", "change")
	if err := w.PushCommitFrom(ctx, repoURL, creds, first, "refs/heads/main", f.BranchHead(t, "gitops", "main")); err != nil {
		t.Fatal(err)
	}
	for i, branch := range []string{"kargo/app/test", "kargo/app/test"} {
		orphan, err := Clone(ctx, repoURL, creds, CloneOptions{Dir: filepath.Join(t.TempDir(), "out"), Branch: branch, OrphanIfMissing: true})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			// The branch exists now; make a root commit anyway, as a
			// checkout that did not see it would.
			orphan, err = Clone(ctx, repoURL, creds, CloneOptions{Dir: filepath.Join(t.TempDir(), "out2"), Branch: "missing", OrphanIfMissing: true})
			if err != nil {
				t.Fatal(err)
			}
		}
		id := commitFile(t, orphan, "manifests.yaml", "n: "+string(rune('1'+i))+"\n", "rendered")
		err = orphan.PushCommitFrom(ctx, repoURL, creds, id, "refs/heads/"+branch, "")
		if i == 0 {
			if err != nil || f.BranchHead(t, "gitops", branch) != id {
				t.Fatalf("new branch: %v, branch at %s, want %s", err, f.BranchHead(t, "gitops", branch), id)
			}
			continue
		}
		if !errors.Is(err, ErrNonFastForward) {
			t.Fatalf("a root commit onto an existing branch: %v, want ErrNonFastForward", err)
		}
	}
}

// giteaCheckout starts Gitea with a repository "gitops" and checks out its
// main branch.
func giteaCheckout(t *testing.T) (*forgetest.Forge, string, Credentials, *WorkTree) {
	t.Helper()
	f := forgetest.Start(t)
	repoURL := f.CreateRepo(t, "gitops", map[string]string{"a": "1"})
	creds := Credentials{Username: f.Username(), Password: f.Password()}
	w, err := Clone(context.Background(), repoURL, creds, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt"), Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	return f, repoURL, creds, w
}
