package git

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Transplant brings the change commit after of src made since commit
// before of src ("" for none: all of after's files) onto the work tree's
// branch head, as one commit with after's message and author (author and
// committer both), signed with the work tree's key when it has one, and
// moves the branch and work tree to it; like `git cherry-pick` of a
// squashed range. The merge rule is Push's replay's: a file the branch
// changed differently is ErrPushConflict. Submodules are neither brought
// over nor removed: the steps never write them. It returns the new head,
// or the branch head unchanged when it already held the change.
func (w *WorkTree) Transplant(src *WorkTree, before, after string) (string, error) {
	last, err := src.repo.CommitObject(hashOf(after))
	if err != nil {
		return "", fmt.Errorf("read commit %s: %w", after, err)
	}
	old, err := src.flattenFiles(hashOf(before))
	if err != nil {
		return "", err
	}
	mine, err := src.flattenFiles(last.Hash)
	if err != nil {
		return "", err
	}
	headID, err := w.Head()
	if err != nil {
		return "", err
	}
	head := hashOf(headID)
	files, err := w.flattenCommit(head)
	if err != nil {
		return "", err
	}
	changed, err := applyChange(files, old, mine)
	if err != nil || !changed {
		return headID, err
	}
	// The blobs the change brings live in src's repository.
	for p, e := range mine {
		if files[p] == e && old[p] != e {
			if err := copyObject(w, src, e.Hash); err != nil {
				return "", err
			}
		}
	}
	// One signature for author and committer, as a commit of the work
	// tree would have; keeping after's date makes the commit identical to
	// src's when the branch had not moved.
	sig := Signature{Name: last.Author.Name, Email: last.Author.Email, When: last.Author.When}.object()
	id, err := w.commitFiles(files, head, *sig, *sig, last.Message)
	if err != nil {
		return "", err
	}
	if err := w.ResetTo(id.String()); err != nil {
		return "", err
	}
	return id.String(), nil
}

// flattenFiles is flattenCommit without submodules.
func (w *WorkTree) flattenFiles(h plumbing.Hash) (map[string]entry, error) {
	files, err := w.flattenCommit(h)
	if err != nil {
		return nil, err
	}
	for p, e := range files {
		if e.Mode == filemode.Submodule {
			delete(files, p)
		}
	}
	return files, nil
}

// CopyHistoryFrom copies commit tip of src, and the history behind it that
// the work tree's repository lacks, so a ref here can point at tip without
// a fetch. Submodule commits are not copied.
func (w *WorkTree) CopyHistoryFrom(src *WorkTree, tip string) error {
	queue := []plumbing.Hash{hashOf(tip)}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if w.repo.Storer.HasEncodedObject(h) == nil {
			continue
		}
		c, err := src.repo.CommitObject(h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		if err := copyTree(w, src, c.TreeHash); err != nil {
			return err
		}
		if err := copyObject(w, src, h); err != nil {
			return err
		}
		queue = append(queue, c.ParentHashes...)
	}
	return nil
}

func copyTree(dst, src *WorkTree, h plumbing.Hash) error {
	if dst.repo.Storer.HasEncodedObject(h) == nil {
		return nil
	}
	t, err := src.repo.TreeObject(h)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", h, err)
	}
	for _, e := range t.Entries {
		switch {
		case e.Mode == filemode.Dir:
			err = copyTree(dst, src, e.Hash)
		case e.Mode == filemode.Submodule:
			continue
		case dst.repo.Storer.HasEncodedObject(e.Hash) != nil:
			err = copyObject(dst, src, e.Hash)
		}
		if err != nil {
			return err
		}
	}
	return copyObject(dst, src, h)
}

// copyObject copies object h from src's repository to dst's, unless dst
// has it.
func copyObject(dst, src *WorkTree, h plumbing.Hash) error {
	if dst.repo.Storer.HasEncodedObject(h) == nil {
		return nil
	}
	o, err := src.repo.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return fmt.Errorf("read object %s: %w", h, err)
	}
	if _, err := dst.repo.Storer.SetEncodedObject(o); err != nil {
		return fmt.Errorf("copy object %s: %w", h, err)
	}
	return nil
}
