package git

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// FileEntry is one file of a flattened tree: its mode and blob.
type FileEntry struct {
	Mode filemode.FileMode
	Hash plumbing.Hash
}

// entry is the package's short name for FileEntry.
type entry = FileEntry

// localCommits returns the commits after base on HEAD's first-parent chain,
// oldest first.
func (w *WorkTree) localCommits(head plumbing.Hash) ([]*object.Commit, error) {
	var out []*object.Commit
	for h := head; h != w.base && !h.IsZero(); {
		c, err := w.repo.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("read local commit %s: %w", h, err)
		}
		out = append(out, c)
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// replay re-creates each local commit on top of onto, applying the files
// it changed relative to its parent. A file that both sides changed
// differently is a conflict. Returns the new head (onto if every change was
// already present upstream).
func (w *WorkTree) replay(commits []*object.Commit, onto plumbing.Hash) (plumbing.Hash, error) {
	cur := onto
	curFiles, err := w.flattenCommit(onto)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for _, c := range commits {
		var parent plumbing.Hash
		if len(c.ParentHashes) > 0 {
			parent = c.ParentHashes[0]
		}
		before, err := w.flattenCommit(parent)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		after, err := w.flattenCommit(c.Hash)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		changed := false
		for _, p := range unionKeys(before, after) {
			old, mine := before[p], after[p]
			if old == mine {
				continue
			}
			theirs := curFiles[p]
			if theirs != old && theirs != mine {
				return plumbing.ZeroHash, fmt.Errorf("%w: %s changed upstream and locally", ErrPushConflict, p)
			}
			if theirs == mine {
				continue
			}
			changed = true
			if mine.Hash.IsZero() {
				delete(curFiles, p)
			} else {
				curFiles[p] = mine
			}
		}
		if !changed {
			continue
		}
		tree, err := w.writeTree(curFiles, "")
		if err != nil {
			return plumbing.ZeroHash, err
		}
		nc := &object.Commit{
			Author:       c.Author,
			Committer:    c.Committer,
			Message:      c.Message,
			TreeHash:     tree,
			ParentHashes: nonZero(cur),
		}
		if w.signKey != nil {
			if err := sign(nc, w.signKey); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		if cur, err = w.store(nc); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return cur, nil
}

func nonZero(h plumbing.Hash) []plumbing.Hash {
	if h.IsZero() {
		return nil
	}
	return []plumbing.Hash{h}
}

func unionKeys(a, b map[string]entry) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// flattenCommit maps every file path of a commit's tree to its entry; the
// zero hash yields an empty map.
func (w *WorkTree) flattenCommit(h plumbing.Hash) (map[string]entry, error) {
	return FlattenCommit(w.repo, h)
}

// FlattenCommit maps every file path of commit h's tree in repo to its
// entry (directories are walked, not listed); the zero hash yields an empty
// map.
func FlattenCommit(repo *gogit.Repository, h plumbing.Hash) (map[string]FileEntry, error) {
	files := map[string]FileEntry{}
	if h.IsZero() {
		return files, nil
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", h, err)
	}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, e, err := walker.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("walk tree of %s: %w", h, err)
		}
		if e.Mode != filemode.Dir {
			files[name] = FileEntry{Mode: e.Mode, Hash: e.Hash}
		}
	}
}

// writeTree stores the tree for the files under prefix and returns its hash.
func (w *WorkTree) writeTree(files map[string]entry, prefix string) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	subdirs := map[string]bool{}
	for p, e := range files {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		rest := p[len(prefix):]
		if dir, _, ok := strings.Cut(rest, "/"); ok {
			subdirs[dir] = true
			continue
		}
		entries = append(entries, object.TreeEntry{Name: rest, Mode: e.Mode, Hash: e.Hash})
	}
	for dir := range subdirs {
		h, err := w.writeTree(files, prefix+dir+"/")
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
	}
	// Git orders tree entries by name, comparing directories as "name/".
	sortKey := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return sortKey(entries[i]) < sortKey(entries[j]) })
	return w.store(&object.Tree{Entries: entries})
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (w *WorkTree) store(o encoder) (plumbing.Hash, error) {
	obj := w.repo.Storer.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode object: %w", err)
	}
	h, err := w.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store object: %w", err)
	}
	return h, nil
}

// isAncestor reports whether anc is reachable from h within the objects we
// have; a shallow boundary ends the search with false.
func (w *WorkTree) isAncestor(anc, h plumbing.Hash) bool {
	if anc == h {
		return true
	}
	c, err := w.repo.CommitObject(h)
	if err != nil {
		return false
	}
	found := false
	iter := object.NewCommitPreorderIter(c, nil, nil)
	_ = iter.ForEach(func(c *object.Commit) error {
		if c.Hash == anc {
			found = true
			return storer.ErrStop
		}
		return nil
	})
	return found
}
