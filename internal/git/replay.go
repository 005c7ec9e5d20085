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

// entry is one file of a flattened tree: its mode and blob.
type entry struct {
	Mode filemode.FileMode
	Hash plumbing.Hash
}

// localCommits returns the commits after base on HEAD's first-parent chain,
// oldest first.
func (w *WorkTree) localCommits(head plumbing.Hash) ([]*object.Commit, error) {
	commits, _, err := w.firstParents(head, w.base, 0)
	return commits, err
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
		changed, err := applyChange(curFiles, before, after)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if !changed {
			continue
		}
		if cur, err = w.commitFiles(curFiles, cur, c.Author, c.Committer, c.Message); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return cur, nil
}

// commitFiles stores the tree of files and a commit of it on parent (zero:
// a root commit), signed with the work tree's key when it has one, and
// returns the commit. No ref moves.
func (w *WorkTree) commitFiles(files map[string]entry, parent plumbing.Hash, author, committer object.Signature,
	message string) (plumbing.Hash, error) {
	tree, err := w.writeTree(files, "")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	nc := &object.Commit{
		Author:       author,
		Committer:    committer,
		Message:      message,
		TreeHash:     tree,
		ParentHashes: nonZero(parent),
	}
	if w.signKey != nil {
		if err := sign(nc, w.signKey); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return w.store(nc)
}

// applyChange brings the change from before to after into files, a
// flattened tree changed in place, file by file: a file that files already
// changed differently is a conflict; one it changed the same way is left
// alone. It reports whether files changed. This is the one merge rule of
// the package: Push's replay and Transplant both apply changes with it.
func applyChange(files, before, after map[string]entry) (bool, error) {
	changed := false
	for _, p := range unionKeys(before, after) {
		old, mine := before[p], after[p]
		if old == mine {
			continue
		}
		theirs := files[p]
		if theirs != old && theirs != mine {
			return false, fmt.Errorf("%w: %s changed upstream and locally", ErrPushConflict, p)
		}
		if theirs == mine {
			continue
		}
		changed = true
		if mine.Hash.IsZero() {
			delete(files, p)
		} else {
			files[p] = mine
		}
	}
	return changed, nil
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
	return flattenCommit(w.repo, h)
}

// flattenCommit maps every file path of commit h's tree in repo to its
// entry (directories are walked, not listed); the zero hash yields an empty
// map.
func flattenCommit(repo *gogit.Repository, h plumbing.Hash) (map[string]entry, error) {
	files := map[string]entry{}
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
			files[name] = entry{Mode: e.Mode, Hash: e.Hash}
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
