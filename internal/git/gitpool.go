package git

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	gogit "github.com/go-git/go-git/v5"
)

// gitPool keeps the repositories (.git) of finished checkouts so the next
// checkout of the same remote starts from one: its directories exist and
// it holds most of the cache entry's packs already. Making a repository
// from nothing (seven directories, two files, a copy of every pack) and
// removing it after the promotion were a third of a clone step on a busy
// disk, twice per promotion.
//
// A pooled repository is never trusted as a whole: a step may have written
// into its checkout's .git. When a checkout is reclaimed, its .git keeps
// only the directories initRepository made (the same directories, not
// others in their place) and the packs copied from the cache whose stamps
// are still the ones taken right after the copy; everything else (refs,
// config, HEAD, index, loose objects, files of unknown name) is removed
// before the repository moves into the pool. Records live in memory only.
type gitPool struct{ shelf[*gitRecord] }

// gitRecord is what Railyard made in a checkout's .git.
type gitRecord struct {
	key string
	// dirs are the stamps of .git ("") and the directories under it that
	// initRepository made, by path relative to .git.
	dirs map[string]stamp
	// packs are the stamps of the files copied into objects/pack, by name.
	packs map[string]stamp
	// clock is a change time read after the last copy: a pack changed in
	// the same tick as its copy would keep its stamp, so a pack whose ctime
	// is not before it is not kept.
	clock int64
}

type pooledGit = shelved[*gitRecord]

// skeleton lists the directories initRepository makes under .git, parents
// first.
var skeleton = []string{"objects", "objects/info", "objects/pack", "refs", "refs/heads", "refs/tags"}

// packDir is where the copied packs are, relative to .git.
const packDir = "objects/pack"

// take hands out a pooled repository of the remote key, or nil.
func (p *gitPool) take(key string) *pooledGit {
	return p.shelf.take(func(rec *gitRecord) int {
		if rec.key == key {
			return 1
		}
		return 0
	})
}

// reclaim pools the repositories of the registered checkouts under
// workDir, as many as fit; the others stay for the caller to remove.
func (p *gitPool) reclaim(workDir string) {
	for _, g := range p.under(workDir) {
		if !p.room() {
			return
		}
		dotGit := filepath.Join(g.dir, gogit.GitDirName)
		if rec, ok := clean(dotGit, g.rec); ok {
			p.put(dotGit, rec)
		}
	}
}

// clean brings the repository at dotGit back to what rec says Railyard
// made, removing everything else, and returns the record of what is left;
// false if the repository is not the one made (a directory replaced, a
// link in its place): it is then left as it is.
func clean(dotGit string, rec *gitRecord) (*gitRecord, bool) {
	fi, err := os.Lstat(dotGit)
	if err != nil || !sameDir(fi, rec.dirs[""]) {
		return nil, false
	}
	root, err := os.OpenRoot(dotGit)
	if err != nil {
		return nil, false
	}
	defer func() { _ = root.Close() }()
	kept := &gitRecord{key: rec.key, dirs: rec.dirs, packs: map[string]stamp{}}
	for _, d := range append([]string{"."}, skeleton...) {
		if d != "." {
			fi, err := root.Lstat(d)
			if err != nil || !sameDir(fi, rec.dirs[d]) {
				return nil, false
			}
		}
		f, err := root.Open(d)
		if err != nil {
			return nil, false
		}
		names, err := f.Readdirnames(-1)
		_ = f.Close()
		if err != nil {
			return nil, false
		}
		for _, name := range names {
			rel := path.Join(d, name)
			if _, ok := rec.dirs[rel]; ok {
				continue
			}
			if d == packDir && keepPack(root, rel, rec) {
				kept.packs[name] = rec.packs[name]
				continue
			}
			if err := root.RemoveAll(rel); err != nil {
				return nil, false
			}
		}
	}
	return kept, true
}

// keepPack says whether the file at rel is a pack copied from the cache
// and not changed since.
func keepPack(root *os.Root, rel string, rec *gitRecord) bool {
	want, ok := rec.packs[path.Base(rel)]
	if !ok {
		return false
	}
	fi, err := root.Lstat(rel)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	st, ok := stampOf(fi)
	return ok && st == want && want.ctime < rec.clock
}

// sameDir says whether fi is the directory recorded as want.
func sameDir(fi os.FileInfo, want stamp) bool {
	st, ok := stampOf(fi)
	return ok && fi.IsDir() && st.dev == want.dev && st.ino == want.ino && st.mode == want.mode
}

// gitFiles are the files a repository starts with.
var gitFiles = map[string]string{"HEAD": "ref: refs/heads/master\n", "config": "[core]\n\tbare = false\n"}

// newRepository makes dir an empty repository for a checkout of the
// remote key, from a pooled repository when the cache keeps some, and
// returns its record (nil when nothing is pooled).
func (c *Cache) newRepository(key, dir string) (*gitRecord, error) {
	if c.trees == nil {
		return nil, initRepository(dir)
	}
	pool := c.trees.gits
	if g := pool.take(key); g != nil {
		rec, err := adopt(g, dir)
		if err == nil {
			return rec, nil
		}
		pool.discard(g)
		if errors.Is(err, gogit.ErrRepositoryAlreadyExists) {
			return nil, err
		}
	}
	if err := initRepository(dir); err != nil {
		return nil, err
	}
	return recordRepository(key, dir)
}

// adopt moves the pooled repository g into the checkout at dir and gives
// it the files of a new repository.
func adopt(g *pooledGit, dir string) (*gitRecord, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dotGit := filepath.Join(dir, gogit.GitDirName)
	if _, err := os.Lstat(dotGit); err == nil {
		return nil, gogit.ErrRepositoryAlreadyExists
	}
	if err := os.Rename(g.dir, dotGit); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dotGit)
	if err == nil {
		err = writeGitFiles(root)
		_ = root.Close()
	}
	if err != nil {
		// Nothing half made stays behind for initRepository to trip on.
		return nil, errors.Join(err, os.RemoveAll(dotGit))
	}
	return g.rec, nil
}

// writeGitFiles writes the files a repository starts with into root,
// its .git.
func writeGitFiles(root *os.Root) error {
	for name, content := range gitFiles {
		if err := root.WriteFile(name, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// recordRepository takes the stamps of the directories initRepository
// made at dir.
func recordRepository(key, dir string) (*gitRecord, error) {
	rec := &gitRecord{key: key, dirs: map[string]stamp{}, packs: map[string]stamp{}}
	dotGit := filepath.Join(dir, gogit.GitDirName)
	for _, d := range append([]string{""}, skeleton...) {
		fi, err := os.Lstat(filepath.Join(dotGit, filepath.FromSlash(d)))
		if err != nil {
			return nil, err
		}
		st, ok := stampOf(fi)
		if !ok {
			return nil, nil // no stamps on this system: nothing is pooled
		}
		rec.dirs[d] = st
	}
	return rec, nil
}

// syncPacks makes the packs of the checkout at dir those of the cache
// entry: it copies the ones missing and removes the ones the entry no
// longer has (merged into others). rec, when not nil, records the copies.
func syncPacks(entry, dir string, rec *gitRecord) error {
	src := filepath.Join(entry, "objects", "pack")
	dst := filepath.Join(dir, gogit.GitDirName, "objects", "pack")
	want, err := os.ReadDir(src)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read git cache: %w", err)
	}
	names := map[string]bool{}
	for _, e := range want {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), "pack-") {
			continue
		}
		names[e.Name()] = true
		if rec != nil {
			if _, ok := rec.packs[e.Name()]; ok {
				continue
			}
		}
		to := filepath.Join(dst, e.Name())
		if err := copyFile(filepath.Join(src, e.Name()), to); err != nil {
			return err
		}
		if rec != nil {
			if fi, err := os.Lstat(to); err == nil {
				if st, ok := stampOf(fi); ok {
					rec.packs[e.Name()] = st
				}
			}
		}
	}
	if rec == nil {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(rec.packs)) {
		if names[name] {
			continue
		}
		if err := os.Remove(filepath.Join(dst, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove merged pack: %w", err)
		}
		delete(rec.packs, name)
	}
	return nil
}

// readClock sets rec.clock to a change time later than every copied pack:
// that of one of the repository's files written after the copies, or else
// clockPast's (keepPack trusts no pack if even that is not later).
func readClock(dir string, rec *gitRecord) {
	var last int64
	for _, st := range rec.packs {
		last = max(last, st.ctime)
	}
	dotGit := filepath.Join(dir, gogit.GitDirName)
	for _, name := range []string{"index", "config", "HEAD"} {
		if fi, err := os.Lstat(filepath.Join(dotGit, name)); err == nil {
			if st, ok := stampOf(fi); ok && st.ctime > last {
				rec.clock = st.ctime
				return
			}
		}
	}
	root, err := os.OpenRoot(dotGit)
	if err != nil {
		return
	}
	defer func() { _ = root.Close() }()
	if now, err := clockPast(root, last); err == nil {
		rec.clock = now
	}
}
