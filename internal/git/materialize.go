package git

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// materialize writes the tree of commit into the work tree, which must be
// empty but for .git, and records it as the index. It does what go-git's
// checkout does for a fresh clone in time linear in the number of files:
// go-git updates its index one file at a time, which made checking out a
// repository of a thousand apps, once per promotion, the largest cost of
// promoting them all. When the work tree comes from a Cache with a pool,
// a pooled tree of the same remote is reused if one is there, and the
// written tree is recorded so it can be pooled in turn.
func (w *WorkTree) materialize(commit plumbing.Hash) error {
	// A reader of its own that keeps the pack files open: the work tree's
	// repository opens a pack for every object it reads.
	objects := filesystem.NewStorageWithOptions(wholeIndexFS{osfs.New(filepath.Join(w.dir, gogit.GitDirName))},
		cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	defer func() { _ = objects.Close() }()
	var want *flatTree
	var err error
	if w.pool != nil {
		want, err = w.pool.flat.get(objects, commit)
	} else {
		want, err = flatten(objects, commit)
	}
	if err != nil {
		return fmt.Errorf("checkout %s: %w", commit, err)
	}
	// A small tree is cheaper to write than a pooled one is to clear.
	if w.pool != nil && !want.submodules && len(want.paths) >= minPooledPaths {
		done, err := w.reuse(objects, want, commit)
		if err != nil || done {
			return err
		}
	}
	root, err := os.OpenRoot(w.dir)
	if err != nil {
		return fmt.Errorf("checkout %s: %w", commit, err)
	}
	defer func() { _ = root.Close() }()
	tw := &treeWriter{objects: objects, want: want, top: root, record: w.pool != nil, stamps: map[string]stamp{}}
	if err := tw.write(); err != nil {
		return fmt.Errorf("checkout %s: %w", commit, err)
	}
	return w.finish(tw, commit)
}

// reuse turns a pooled tree into this checkout: it is brought to commit
// where it lies, then .git moves into it and it moves to the work tree's
// place. false (with no error) means there was none, or it could not be
// used and the work tree is as it was: write it from scratch.
func (w *WorkTree) reuse(objects storer.EncodedObjectStorer, want *flatTree, commit plumbing.Hash) (bool, error) {
	t := w.pool.take(w.poolKey, commit)
	if t == nil {
		return false, nil
	}
	top, err := os.OpenRoot(t.dir)
	if err != nil {
		w.pool.discard(t)
		return false, nil
	}
	defer func() { _ = top.Close() }()
	tw := &treeWriter{objects: objects, want: want, old: t.rec, top: top, record: true,
		stamps: map[string]stamp{}, keep: map[string]bool{}}
	if err := tw.verifyAll(); err != nil {
		w.pool.discard(t)
		return false, nil
	}
	if err := tw.write(); err != nil {
		w.pool.discard(t)
		return false, nil
	}
	// The checkout keeps the permissions its directory was made with
	// (a work directory itself is 0700).
	fi, err := os.Lstat(w.dir)
	if err != nil {
		w.pool.discard(t)
		return false, nil
	}
	dotGit, pooledGit := filepath.Join(w.dir, gogit.GitDirName), filepath.Join(t.dir, gogit.GitDirName)
	if err := os.Rename(dotGit, pooledGit); err != nil {
		w.pool.discard(t)
		return false, nil
	}
	if err := os.Remove(w.dir); err != nil {
		// Something else is in the work tree: put .git back.
		err = os.Rename(pooledGit, dotGit)
		w.pool.discard(t)
		return false, err
	}
	if err := os.Rename(t.dir, w.dir); err != nil {
		err = errors.Join(err, os.Mkdir(w.dir, 0o755), os.Rename(pooledGit, dotGit))
		w.pool.discard(t)
		if err != nil {
			return false, fmt.Errorf("checkout %s: moving a pooled work tree into place: %w", commit, err)
		}
		return false, nil
	}
	if err := os.Chmod(w.dir, fi.Mode().Perm()); err != nil {
		return false, fmt.Errorf("checkout %s: %w", commit, err)
	}
	return true, w.finish(tw, commit)
}

// finish writes the index of what tw wrote and, when pooling, records the
// tree under the work tree's path.
func (w *WorkTree) finish(tw *treeWriter, commit plumbing.Hash) error {
	if err := w.repo.Storer.SetIndex(tw.index()); err != nil {
		return fmt.Errorf("checkout %s: write index: %w", commit, err)
	}
	if !tw.record || w.pool == nil {
		return nil
	}
	rec := &treeRecord{key: w.poolKey, commit: commit, tree: tw.want, stamps: tw.stamps}
	var err error
	if rec.racyFrom, err = tw.racyFrom(); err != nil {
		return nil //nolint:nilerr // without a clock reading the tree is just not pooled
	}
	fi, err := os.Lstat(w.dir)
	if err != nil {
		return nil //nolint:nilerr // not pooled
	}
	var ok bool
	if rec.top, ok = stampOf(fi); ok {
		w.pool.register(w.dir, rec)
	}
	return nil
}
