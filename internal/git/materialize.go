package git

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// maxTreeDepth bounds how deep a checked-out tree may nest, as git's
// core.maxTreeDepth does: each level holds a directory open.
const maxTreeDepth = 4096

// materialize writes the tree of commit into the work tree, which must be
// empty but for .git, and records it as the index. It does what go-git's
// checkout does for a fresh clone in time linear in the number of files:
// go-git updates its index one file at a time, which made checking out a
// repository of a thousand apps, once per promotion, the largest cost of
// promoting them all. Every name is checked, and entries are created
// through os.Root, one directory handle per tree, so no tree entry can
// write outside the work tree or into .git, and no path is resolved from
// the top again for each file.
func (w *WorkTree) materialize(commit plumbing.Hash) error {
	// A reader of its own that keeps the pack files open: the work tree's
	// repository opens a pack for every object it reads.
	objects := filesystem.NewStorageWithOptions(wholeIndexFS{osfs.New(filepath.Join(w.dir, gogit.GitDirName))},
		cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	defer func() { _ = objects.Close() }()
	c, err := object.GetCommit(objects, commit)
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
	m := &materializer{objects: objects}
	if err := m.tree(root, "", tree, 0); err != nil {
		return fmt.Errorf("checkout %s: %w", commit, err)
	}
	sort.Slice(m.entries, func(i, j int) bool { return m.entries[i].Name < m.entries[j].Name })
	if err := w.repo.Storer.SetIndex(&index.Index{Version: 2, Entries: m.entries}); err != nil {
		return fmt.Errorf("checkout %s: write index: %w", commit, err)
	}
	return nil
}

// materializer writes trees and collects their index entries.
type materializer struct {
	objects storer.EncodedObjectStorer
	entries []*index.Entry
}

// tree writes t's entries into dir, the directory of path prefix.
func (m *materializer) tree(dir *os.Root, prefix string, t *object.Tree, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("tree %q nests deeper than %d directories", prefix, maxTreeDepth)
	}
	for _, e := range t.Entries {
		name := path.Join(prefix, e.Name)
		if err := checkTreePath(name); err != nil {
			return err
		}
		if strings.Contains(e.Name, "/") {
			return fmt.Errorf("invalid path %q in tree", name)
		}
		switch e.Mode {
		case filemode.Dir:
			if err := m.subtree(dir, name, e, depth); err != nil {
				return err
			}
		case filemode.Submodule:
			// A submodule's directory; UpdateSubmodules fills it.
			if err := dir.Mkdir(e.Name, 0o755); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			m.entries = append(m.entries, &index.Entry{Hash: e.Hash, Name: name, Mode: e.Mode})
		case filemode.Symlink:
			if err := m.symlink(dir, name, e); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case filemode.Regular, filemode.Deprecated, filemode.Executable:
			if err := m.file(dir, name, e); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		default:
			return fmt.Errorf("%s has unsupported mode %s", name, e.Mode)
		}
	}
	return nil
}

func (m *materializer) subtree(dir *os.Root, name string, e object.TreeEntry, depth int) error {
	t, err := object.GetTree(m.objects, e.Hash)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := dir.Mkdir(e.Name, 0o755); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	sub, err := dir.OpenRoot(e.Name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer func() { _ = sub.Close() }()
	return m.tree(sub, name, t, depth+1)
}

func (m *materializer) symlink(dir *os.Root, name string, e object.TreeEntry) error {
	target, err := blobContent(m.objects, e.Hash)
	if err != nil {
		return err
	}
	if err := dir.Symlink(string(target), e.Name); err != nil {
		return err
	}
	fi, err := dir.Lstat(e.Name)
	if err != nil {
		return err
	}
	m.add(name, e, fi)
	return nil
}

func (m *materializer) file(dir *os.Root, name string, e object.TreeEntry) (err error) {
	blob, err := object.GetBlob(m.objects, e.Hash)
	if err != nil {
		return err
	}
	r, err := blob.Reader()
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	perm := os.FileMode(0o644)
	if e.Mode == filemode.Executable {
		perm = 0o755
	}
	f, err := dir.OpenFile(e.Name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(f, r); err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	m.add(name, e, fi)
	return nil
}

func (m *materializer) add(name string, e object.TreeEntry, fi os.FileInfo) {
	m.entries = append(m.entries, &index.Entry{
		Hash: e.Hash, Name: name, Mode: e.Mode,
		CreatedAt: fi.ModTime(), ModifiedAt: fi.ModTime(), Size: uint32(fi.Size()),
	})
}

func blobContent(objects storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	blob, err := object.GetBlob(objects, h)
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
