package git

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// DefaultPooledTrees is how many finished work trees a Cache keeps for
// reuse when PoolTrees is given no bound.
const DefaultPooledTrees = 4

// minPooledPaths is the smallest tree worth pooling: writing a few files
// costs less than checking a pooled tree.
const minPooledPaths = 64

// treePool keeps the work trees of finished checkouts so the next checkout
// of the same remote changes only what differs, instead of writing every
// file of the users' one GitOps repository once per promotion and removing
// them all again afterwards (on a loaded disk, most of a promotion's CPU).
//
// A pooled tree is never trusted as a whole. Every entry is looked at
// (lstat) and kept only if its stamp is the one recorded when Railyard
// wrote it and the target commit holds the same content there; any other
// entry (unknown, changed, of another type, a .git) is removed and written
// afresh. Records live in memory only: after a restart the pool is empty.
type treePool struct {
	shelf[*treeRecord]
	flat flatTrees
	// gits keeps the repositories of finished checkouts (gitpool.go).
	gits *gitPool
}

type pooledTree = shelved[*treeRecord]

// PoolTrees makes the cache keep up to max (DefaultPooledTrees when <= 0)
// finished checkouts, and up to twice as many of their repositories (.git),
// under a new directory in parent, which must be on the filesystem of the
// work directories: trees and repositories move in and out by renaming.
// Pools left there by earlier runs are removed.
func (c *Cache) PoolTrees(parent string, max int) error {
	if max <= 0 {
		max = DefaultPooledTrees
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("create work tree pool: %w", err)
	}
	removeOldPools(parent)
	dir, err := os.MkdirTemp(parent, treePoolPrefix)
	if err != nil {
		return fmt.Errorf("create work tree pool: %w", err)
	}
	gits := filepath.Join(dir, "git")
	if err := os.Mkdir(gits, 0o700); err != nil {
		return fmt.Errorf("create work tree pool: %w", err)
	}
	c.trees = &treePool{shelf: newShelf[*treeRecord](dir, max), gits: &gitPool{newShelf[*gitRecord](gits, 2*max)}}
	return nil
}

// treePoolPrefix starts the name of every pool directory.
const treePoolPrefix = "git-trees-"

// removeOldPools removes the pools earlier runs left: their records were in
// memory. Another manager sharing the directory (tests only; replicas have
// their own disks) loses its pool, which is safe: a tree that cannot be
// taken or put back is written from scratch.
func removeOldPools(parent string) {
	list, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range list {
		if e.IsDir() && strings.HasPrefix(e.Name(), treePoolPrefix) {
			_ = os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// Reclaim moves the checkouts the cache made under workDir into its pool;
// call it before removing a finished Promotion's work directory.
func (c *Cache) Reclaim(workDir string) {
	if c == nil || c.trees == nil {
		return
	}
	// Repositories first: a pooled work tree leaves without its .git.
	c.trees.gits.reclaim(workDir)
	c.trees.reclaim(workDir)
}

// PooledTrees is how many work trees wait in the pool (tests).
func (c *Cache) PooledTrees() int {
	if c == nil || c.trees == nil {
		return 0
	}
	return c.trees.waiting()
}

// register remembers what was written into the checkout at dir.
func (p *treePool) register(dir string, rec *treeRecord) {
	if len(rec.tree.paths) < minPooledPaths || rec.tree.submodules {
		return
	}
	p.shelf.register(dir, rec)
}

// reclaim pools the registered checkouts under workDir, as many as fit.
func (p *treePool) reclaim(workDir string) {
	for _, t := range p.under(workDir) {
		if !p.room() {
			return
		}
		// The directory must still be the one the checkout made, with its
		// permissions: a step may have moved it, put a link in a parent's
		// place, or opened it to everyone.
		fi, err := os.Lstat(t.dir)
		if err != nil || !fi.IsDir() {
			continue
		}
		if st, ok := stampOf(fi); !ok || st.dev != t.rec.top.dev || st.ino != t.rec.top.ino || st.mode != t.rec.top.mode {
			continue
		}
		if err := os.RemoveAll(filepath.Join(t.dir, gogit.GitDirName)); err != nil {
			continue
		}
		p.put(t.dir, t.rec)
	}
}

// take hands out a pooled tree of the remote key, preferably one of
// commit, or nil.
func (p *treePool) take(key string, commit plumbing.Hash) *pooledTree {
	return p.shelf.take(func(rec *treeRecord) int {
		switch {
		case rec.key != key:
			return 0
		case rec.commit == commit:
			return 2
		}
		return 1
	})
}
