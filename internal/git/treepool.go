package git

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
	dir  string
	max  int
	flat flatTrees
	// gits keeps the repositories of finished checkouts (gitpool.go).
	gits *gitPool

	mu   sync.Mutex
	seq  int
	live map[string]*treeRecord
	idle []*pooledTree
}

// maxLiveTrees bounds the checkouts remembered until reclaimed; one that
// is never reclaimed (its directory removed some other way) is forgotten.
const maxLiveTrees = 1024

type pooledTree struct {
	dir string
	rec *treeRecord
}

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
	c.trees = &treePool{dir: dir, max: max, live: map[string]*treeRecord{},
		gits: &gitPool{dir: gits, max: 2 * max, live: map[string]*gitRecord{}}}
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
	c.trees.mu.Lock()
	defer c.trees.mu.Unlock()
	return len(c.trees.idle)
}

// register remembers what was written into the checkout at dir.
func (p *treePool) register(dir string, rec *treeRecord) {
	if len(rec.tree.paths) < minPooledPaths || rec.tree.submodules {
		return
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.live) >= maxLiveTrees {
		for k := range p.live {
			delete(p.live, k)
			break
		}
	}
	p.live[dir] = rec
}

// reclaim pools the registered checkouts under workDir, as many as fit.
func (p *treePool) reclaim(workDir string) {
	workDir, err := filepath.Abs(workDir)
	if err != nil {
		return
	}
	p.mu.Lock()
	var found []pooledTree
	for dir, rec := range p.live {
		if within(filepath.ToSlash(dir), filepath.ToSlash(workDir)) {
			found = append(found, pooledTree{dir: dir, rec: rec})
			delete(p.live, dir)
		}
	}
	p.mu.Unlock()
	for _, t := range found {
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
		p.mu.Lock()
		p.seq++
		to := filepath.Join(p.dir, fmt.Sprint(p.seq))
		p.mu.Unlock()
		if err := os.Rename(t.dir, to); err != nil {
			continue
		}
		p.mu.Lock()
		if len(p.idle) < p.max {
			p.idle = append(p.idle, &pooledTree{dir: to, rec: t.rec})
			to = ""
		}
		p.mu.Unlock()
		if to != "" {
			_ = os.RemoveAll(to)
		}
	}
}

func (p *treePool) room() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle) < p.max
}

// take hands out a pooled tree of the remote key, preferably one of
// commit, or nil.
func (p *treePool) take(key string, commit plumbing.Hash) *pooledTree {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i := len(p.idle) - 1; i >= 0; i-- {
		t := p.idle[i]
		if t.rec.key != key {
			continue
		}
		if best < 0 || t.rec.commit == commit && p.idle[best].rec.commit != commit {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	t := p.idle[best]
	p.idle = append(p.idle[:best], p.idle[best+1:]...)
	return t
}

// discard removes a tree taken from the pool that could not be used.
func (p *treePool) discard(t *pooledTree) { _ = os.RemoveAll(t.dir) }
