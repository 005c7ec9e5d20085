package git

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// materialize writes the tree of commit into the work tree, which must be
// empty but for .git, and records it as the index. It does what go-git's
// checkout does for a fresh clone in time linear in the number of files:
// go-git updates its index one file at a time, which made checking out a
// repository of a thousand apps, once per promotion, the largest cost of
// promoting them all. Every path is checked, and files are written through
// os.Root, so no tree entry can write outside the work tree or into .git.
func (w *WorkTree) materialize(commit plumbing.Hash) error {
	c, err := w.repo.CommitObject(commit)
	if err != nil {
		return fmt.Errorf("checkout %s: %w", commit, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return fmt.Errorf("checkout %s: %w", commit, err)
	}
	root, err := os.OpenRoot(w.dir)
	if err != nil {
		return fmt.Errorf("checkout %s: %w", commit, err)
	}
	defer func() { _ = root.Close() }()
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	var entries []*index.Entry
	for {
		name, entry, err := walker.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("checkout %s: %w", commit, err)
		}
		if err := checkTreePath(name); err != nil {
			return fmt.Errorf("checkout %s: %w", commit, err)
		}
		switch entry.Mode {
		case filemode.Dir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("checkout %s: %w", name, err)
			}
			continue
		case filemode.Submodule:
			// A submodule's directory; UpdateSubmodules fills it.
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("checkout %s: %w", name, err)
			}
			entries = append(entries, &index.Entry{Hash: entry.Hash, Name: name, Mode: entry.Mode})
			continue
		case filemode.Symlink:
			target, err := w.blobBytes(entry.Hash)
			if err != nil {
				return fmt.Errorf("checkout %s: %w", name, err)
			}
			if err := root.Symlink(string(target), name); err != nil {
				return fmt.Errorf("checkout %s: %w", name, err)
			}
		case filemode.Regular, filemode.Deprecated, filemode.Executable:
			if err := w.writeBlob(root, name, entry); err != nil {
				return fmt.Errorf("checkout %s: %w", name, err)
			}
		default:
			return fmt.Errorf("checkout %s: %s has unsupported mode %s", commit, name, entry.Mode)
		}
		fi, err := root.Lstat(name)
		if err != nil {
			return fmt.Errorf("checkout %s: %w", name, err)
		}
		entries = append(entries, &index.Entry{
			Hash: entry.Hash, Name: name, Mode: entry.Mode,
			CreatedAt: fi.ModTime(), ModifiedAt: fi.ModTime(), Size: uint32(fi.Size()),
		})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	if err := w.repo.Storer.SetIndex(&index.Index{Version: 2, Entries: entries}); err != nil {
		return fmt.Errorf("checkout %s: write index: %w", commit, err)
	}
	return nil
}

func (w *WorkTree) blobBytes(h plumbing.Hash) ([]byte, error) {
	blob, err := w.repo.BlobObject(h)
	if err != nil {
		return nil, err
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	return io.ReadAll(r)
}

func (w *WorkTree) writeBlob(root *os.Root, name string, entry object.TreeEntry) (err error) {
	blob, err := w.repo.BlobObject(entry.Hash)
	if err != nil {
		return err
	}
	r, err := blob.Reader()
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	perm := os.FileMode(0o644)
	if entry.Mode == filemode.Executable {
		perm = 0o755
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.Copy(f, r)
	return err
}

// checkTreePath refuses tree paths git itself would refuse to check out:
// empty, ".", ".." or ".git" components (in any case), absolute paths and
// backslashes.
func checkTreePath(name string) error {
	if name == "" || path.IsAbs(name) || strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("invalid path %q in tree", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." || strings.EqualFold(part, ".git") {
			return fmt.Errorf("invalid path %q in tree", name)
		}
	}
	return nil
}
