package gitsteps

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// entry is one file of a flattened tree.
type entry = git.FileEntry

// flatten maps every file of commit h to its entry; zero gives no files.
// Submodules are left out: the steps never write them.
func flatten(repo *gogit.Repository, h plumbing.Hash) (map[string]entry, error) {
	files, err := git.FlattenCommit(repo, h)
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

// transplant writes the changes from before to after (commits of src) into
// the work tree of dst, whose HEAD is onto. A file that onto changed
// differently is a conflict. It reports whether any file was written.
func transplant(src, dst *checkout, before, after, onto plumbing.Hash) (bool, error) {
	old, err := flatten(src.repo, before)
	if err != nil {
		return false, err
	}
	mine, err := flatten(src.repo, after)
	if err != nil {
		return false, err
	}
	theirs, err := flatten(dst.repo, onto)
	if err != nil {
		return false, err
	}
	paths := make([]string, 0, len(mine)+len(old))
	for p := range mine {
		paths = append(paths, p)
	}
	for p := range old {
		if _, ok := mine[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	changed := false
	for _, p := range paths {
		if old[p] == mine[p] || theirs[p] == mine[p] {
			continue
		}
		if theirs[p] != old[p] {
			return false, fmt.Errorf("%w: %s was changed both on the target branch and in the checkout", git.ErrPushConflict, p)
		}
		if err := writeEntry(src.repo, dst.dir, p, mine[p]); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// writeEntry makes path p under dir hold e, or removes it for a zero entry.
func writeEntry(repo *gogit.Repository, dir, p string, e entry) error {
	full, err := workdir.SecureJoin(dir, p)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(full); err != nil {
		return fmt.Errorf("replace %s: %w", p, err)
	}
	if e.Hash.IsZero() {
		return nil
	}
	blob, err := repo.BlobObject(e.Hash)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	r, err := blob.Reader()
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if e.Mode == filemode.Symlink {
		target, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		return os.Symlink(string(target), full)
	}
	perm := os.FileMode(0o644)
	if e.Mode == filemode.Executable {
		perm = 0o755
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	_, werr := io.Copy(f, r)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// contains reports whether commit anc is tip or one of its ancestors.
func contains(repo *gogit.Repository, anc, tip plumbing.Hash) bool {
	c, err := repo.CommitObject(tip)
	if err != nil {
		return false
	}
	found := false
	_ = object.NewCommitPreorderIter(c, nil, nil).ForEach(func(c *object.Commit) error {
		if c.Hash == anc {
			found = true
			return storer.ErrStop
		}
		return nil
	})
	return found
}

// copyHistory copies tip and the history behind it that dst lacks from
// src to dst, so dst can point refs at tip without a fetch.
func copyHistory(dst, src *gogit.Repository, tip plumbing.Hash) error {
	queue := []plumbing.Hash{tip}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if dst.Storer.HasEncodedObject(h) == nil {
			continue
		}
		c, err := src.CommitObject(h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		if err := copyTree(dst, src, c.TreeHash); err != nil {
			return err
		}
		if err := copyObject(dst, src, h); err != nil {
			return err
		}
		queue = append(queue, c.ParentHashes...)
	}
	return nil
}

func copyTree(dst, src *gogit.Repository, h plumbing.Hash) error {
	if dst.Storer.HasEncodedObject(h) == nil {
		return nil
	}
	t, err := src.TreeObject(h)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", h, err)
	}
	for _, e := range t.Entries {
		switch {
		case e.Mode == filemode.Dir:
			err = copyTree(dst, src, e.Hash)
		case e.Mode == filemode.Submodule:
			continue
		case dst.Storer.HasEncodedObject(e.Hash) != nil:
			err = copyObject(dst, src, e.Hash)
		}
		if err != nil {
			return err
		}
	}
	return copyObject(dst, src, h)
}

func copyObject(dst, src *gogit.Repository, h plumbing.Hash) error {
	o, err := src.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return fmt.Errorf("read object %s: %w", h, err)
	}
	if _, err := dst.Storer.SetEncodedObject(o); err != nil {
		return fmt.Errorf("copy object %s: %w", h, err)
	}
	return nil
}
