package git

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// maxTreeDepth bounds how deep a checked-out tree may nest, as git's
// core.maxTreeDepth does: each level holds a directory open.
const maxTreeDepth = 4096

// flatTree is a commit's tree as a list of paths: every directory, file,
// symbolic link and submodule, in the tree's own depth-first order, so a
// directory comes right before what it holds. It is immutable once built and shared between checkouts
// of the same commit.
type flatTree struct {
	paths []string
	nodes map[string]treeNode
	// children are the names in each directory ("" is the top), in tree
	// order.
	children map[string][]string
	// submodules is true when the tree has a submodule, whose contents
	// a later step fills in; such trees are never pooled.
	submodules bool
}

// treeNode is one entry of a flatTree.
type treeNode struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

func (n treeNode) isDir() bool { return n.mode == filemode.Dir }

// flatten lists the tree of commit. Every name is checked as git checks
// names before it checks them out, so no entry can name .git or leave the
// work tree.
func flatten(objects storer.EncodedObjectStorer, commit plumbing.Hash) (*flatTree, error) {
	c, err := object.GetCommit(objects, commit)
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, err
	}
	ft := &flatTree{nodes: map[string]treeNode{}, children: map[string][]string{}}
	if err := ft.add(objects, "", tree, 0); err != nil {
		return nil, err
	}
	return ft, nil
}

func (ft *flatTree) add(objects storer.EncodedObjectStorer, prefix string, t *object.Tree, depth int) error {
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
			sub, err := object.GetTree(objects, e.Hash)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ft.put(name, e)
			if err := ft.add(objects, name, sub, depth+1); err != nil {
				return err
			}
		case filemode.Submodule:
			ft.submodules = true
			ft.put(name, e)
		case filemode.Symlink, filemode.Regular, filemode.Deprecated, filemode.Executable:
			ft.put(name, e)
		default:
			return fmt.Errorf("%s has unsupported mode %s", name, e.Mode)
		}
	}
	return nil
}

func (ft *flatTree) put(name string, e object.TreeEntry) {
	if _, dup := ft.nodes[name]; !dup {
		ft.paths = append(ft.paths, name)
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		ft.children[dir] = append(ft.children[dir], base)
	}
	ft.nodes[name] = treeNode{hash: e.Hash, mode: e.Mode}
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

// flatTrees keeps the last few flattened trees: the promotions of one wave
// all check out the same commit of the same repository, and reading its
// thousand tree objects once is enough. A commit's tree never changes, so
// entries are shared by every remote and never go stale.
type flatTrees struct {
	mu    sync.Mutex
	trees map[plumbing.Hash]*flatTree
	order []plumbing.Hash
}

const flatTreesKept = 4

func (f *flatTrees) get(objects storer.EncodedObjectStorer, commit plumbing.Hash) (*flatTree, error) {
	f.mu.Lock()
	ft, ok := f.trees[commit]
	f.mu.Unlock()
	if ok {
		return ft, nil
	}
	ft, err := flatten(objects, commit)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.trees == nil {
		f.trees = map[plumbing.Hash]*flatTree{}
	}
	if _, ok := f.trees[commit]; !ok {
		f.trees[commit] = ft
		f.order = append(f.order, commit)
		if len(f.order) > flatTreesKept {
			delete(f.trees, f.order[0])
			f.order = f.order[1:]
		}
	}
	return ft, nil
}
