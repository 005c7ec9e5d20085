package git

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// storeObject encodes o into repo and returns its hash.
func storeObject(t *testing.T, repo *gogit.Repository, o interface {
	Encode(plumbing.EncodedObject) error
}) plumbing.Hash {
	t.Helper()
	obj := repo.Storer.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		t.Fatal(err)
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func storeBlob(t *testing.T, s storer.EncodedObjectStorer, content string) plumbing.Hash {
	t.Helper()
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(content))
	_ = w.Close()
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// commitTree stores a commit of a tree built from entries of the top level
// (a subtree per directory given as "dir/") and returns it.
func commitTree(t *testing.T, repo *gogit.Repository, entries []object.TreeEntry) plumbing.Hash {
	t.Helper()
	tree := storeObject(t, repo, &object.Tree{Entries: entries})
	sig := object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(0, 0)}
	return storeObject(t, repo, &object.Commit{Author: sig, Committer: sig, Message: "m", TreeHash: tree})
}

// A fresh checkout written by materialize is what go-git's own checkout
// leaves: the same files, modes and links, and a clean status.
func TestMaterializeIsClean(t *testing.T) {
	dir := t.TempDir()
	repo, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	s := repo.Storer
	sub := storeObject(t, repo, &object.Tree{Entries: []object.TreeEntry{
		{Name: "deploy.yaml", Mode: filemode.Regular, Hash: storeBlob(t, s, "kind: Deployment\n")},
	}})
	commit := commitTree(t, repo, []object.TreeEntry{
		{Name: "apps", Mode: filemode.Dir, Hash: sub},
		{Name: "link", Mode: filemode.Symlink, Hash: storeBlob(t, s, "apps/deploy.yaml")},
		{Name: "run.sh", Mode: filemode.Executable, Hash: storeBlob(t, s, "#!/bin/sh\n")},
	})
	w := &WorkTree{repo: repo, dir: dir}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.HEAD, commit)); err != nil {
		t.Fatal(err)
	}
	if err := w.materialize(commit); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "link")); err != nil || string(b) != "kind: Deployment\n" {
		t.Errorf("link reads %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "run.sh")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("run.sh is not executable: %v %v", fi.Mode(), err)
	}
	assertClean(t, w)
}

// Tree entries git refuses to check out are refused, and nothing is
// written into .git.
func TestMaterializeRefusesBadPaths(t *testing.T) {
	for _, bad := range []string{".git", ".GIT", "..", "."} {
		t.Run(bad, func(t *testing.T) {
			dir := t.TempDir()
			repo, err := gogit.PlainInit(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			sub := storeObject(t, repo, &object.Tree{Entries: []object.TreeEntry{
				{Name: "config", Mode: filemode.Regular, Hash: storeBlob(t, repo.Storer, "[core]\n\thooksPath = /tmp\n")},
			}})
			commit := commitTree(t, repo, []object.TreeEntry{{Name: bad, Mode: filemode.Dir, Hash: sub}})
			before, _ := os.ReadFile(filepath.Join(dir, ".git", "config"))
			err = (&WorkTree{repo: repo, dir: dir}).materialize(commit)
			if err == nil || !strings.Contains(err.Error(), "invalid path") {
				t.Fatalf("err = %v, want an invalid path", err)
			}
			after, _ := os.ReadFile(filepath.Join(dir, ".git", "config"))
			if string(after) != string(before) {
				t.Error(".git/config was changed")
			}
		})
	}
}
