package git

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// countingStorer counts the objects read through it.
type countingStorer struct {
	storage.Storer
	reads atomic.Int64
}

func (c *countingStorer) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	c.reads.Add(1)
	return c.Storer.EncodedObject(t, h)
}

// Moving a Stage's branch reads only that branch's objects, however much
// the rest of the repository holds: the server is told it has what the
// branch pointed to, not everything every advertised ref reaches. A new
// branch is still packed against every advertised ref, so it does not
// send main's history again.
func TestPushBranchReadsOnlyItsBranch(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("gitops", gitopsFiles(50, "v1"))
	// A Stage's branch of rendered manifests, an orphan as git-clone's
	// create makes it.
	stage, err := r.Apply(gittest.Change{Branch: "stage", Message: "rendered", Files: map[string]string{"manifests.yaml": "v1\n"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "wt")
	plain, err := gogit.PlainClone(dir, false, &gogit.CloneOptions{URL: r.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = plain.Fetch(&gogit.FetchOptions{RefSpecs: []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*"}})
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		t.Fatal(err)
	}
	counting := &countingStorer{Storer: plain.Storer}
	repo, err := gogit.Open(counting, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := commitOn(t, repo, plumbing.NewHash(stage), "manifests.yaml", "v2\n")
	local := plumbing.ReferenceName("refs/railyard/push")
	if err := repo.Storer.SetReference(plumbing.NewHashReference(local, next)); err != nil {
		t.Fatal(err)
	}
	rem, err := newRemote(r.URL, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	pushed, err := pushBranches(ctx, repo, rem, transport.ProxyOptions{}, []RefUpdate{{Local: local, Remote: "refs/heads/stage"}})
	if err != nil || !pushed {
		t.Fatalf("push = %v, %v", pushed, err)
	}
	if got := r.Head("stage"); got != next.String() {
		t.Errorf("stage = %s, want %s", got, next)
	}
	// main alone is 50 apps' worth of trees and blobs.
	if n := counting.reads.Load(); n > 20 {
		t.Errorf("read %d objects to move one branch by one commit", n)
	}

	counting.reads.Store(0)
	pushed, err = pushBranches(ctx, repo, rem, transport.ProxyOptions{}, []RefUpdate{{Local: local, Remote: "refs/heads/copy"}})
	if err != nil || !pushed {
		t.Fatalf("push of a new branch = %v, %v", pushed, err)
	}
	if got := r.Head("copy"); got != next.String() {
		t.Errorf("copy = %s, want %s", got, next)
	}
}

// commitOn stores a commit with parent whose tree holds one file.
func commitOn(t *testing.T, repo *gogit.Repository, parent plumbing.Hash, name, content string) plumbing.Hash {
	t.Helper()
	blob := storeBlob(t, repo.Storer, content)
	tree := storeObject(t, repo, &object.Tree{Entries: []object.TreeEntry{{Name: name, Mode: filemode.Regular, Hash: blob}}})
	sig := object.Signature{Name: "t", Email: "t@example.com"}
	return storeObject(t, repo, &object.Commit{Author: sig, Committer: sig, Message: "next", TreeHash: tree, ParentHashes: []plumbing.Hash{parent}})
}
