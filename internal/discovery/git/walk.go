package git

import (
	"container/heap"
	"errors"
	"fmt"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// errShallow marks a walk that reached the end of the fetched history.
var errShallow = errors.New("shallow boundary")

// branchWalk visits commits newest first by commit date, as git log does.
type branchWalk struct {
	repo   *gogit.Repository
	sel    *selector
	since  time.Time
	branch string
}

// run returns the selected commits and whether the walk stopped at the
// shallow boundary before the limit was reached (more history may help).
func (w *branchWalk) run(head string) ([]Commit, bool, error) {
	tip, err := w.repo.CommitObject(plumbing.NewHash(head))
	if err != nil {
		return nil, false, fmt.Errorf("read branch head %s: %w", head, err)
	}
	queue := &byDate{tip}
	seen := map[plumbing.Hash]bool{tip.Hash: true}
	var out []Commit
	for queue.Len() > 0 && len(out) < w.sel.limit {
		c := heap.Pop(queue).(*object.Commit)
		if !w.since.IsZero() && c.Committer.When.Before(w.since) {
			break // everything left is older
		}
		ok, err := w.accept(c)
		if errors.Is(err, errShallow) {
			return out, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if ok {
			out = append(out, toCommit(c, w.branch, ""))
		}
		for _, p := range c.ParentHashes {
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := w.repo.CommitObject(p)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				if len(out) < w.sel.limit {
					return out, true, nil
				}
				break
			}
			if err != nil {
				return nil, false, fmt.Errorf("read commit %s: %w", p, err)
			}
			heap.Push(queue, pc)
		}
	}
	return out, false, nil
}

func (w *branchWalk) accept(c *object.Commit) (bool, error) {
	if w.sel.filter != nil {
		ok, err := w.sel.filter.match(commitEnv(toCommit(c, w.branch, ""), ""))
		if err != nil || !ok {
			return false, err
		}
	}
	if !w.sel.filtersPaths() {
		return true, nil
	}
	paths, err := changedPaths(w.repo, c)
	if err != nil {
		return false, err
	}
	return w.sel.pathsMatch(paths), nil
}

// changedPaths lists the files a commit changed against its first parent
// (all files for a root commit).
func changedPaths(repo *gogit.Repository, c *object.Commit) ([]string, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", c.Hash, err)
	}
	var parentTree *object.Tree
	if len(c.ParentHashes) > 0 {
		parent, err := repo.CommitObject(c.ParentHashes[0])
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, errShallow
		}
		if err != nil {
			return nil, fmt.Errorf("read parent of %s: %w", c.Hash, err)
		}
		if parentTree, err = parent.Tree(); err != nil {
			return nil, fmt.Errorf("read tree of %s: %w", parent.Hash, err)
		}
	}
	if parentTree == nil {
		var paths []string
		err := tree.Files().ForEach(func(f *object.File) error {
			paths = append(paths, f.Name)
			return nil
		})
		return paths, err
	}
	changes, err := object.DiffTree(parentTree, tree)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", c.Hash, err)
	}
	paths := make([]string, 0, len(changes))
	for _, ch := range changes {
		if ch.From.Name != "" {
			paths = append(paths, ch.From.Name)
		}
		if ch.To.Name != "" && ch.To.Name != ch.From.Name {
			paths = append(paths, ch.To.Name)
		}
	}
	return paths, nil
}

func toCommit(c *object.Commit, branch, tag string) Commit {
	return Commit{
		ID:          c.Hash.String(),
		Branch:      branch,
		Tag:         tag,
		Subject:     subject(c.Message),
		Author:      ident(c.Author),
		Committer:   ident(c.Committer),
		CreatorDate: c.Committer.When.UTC(),
	}
}

func ident(s object.Signature) string {
	return fmt.Sprintf("%s <%s>", s.Name, s.Email)
}

// byDate is a max-heap of commits by commit date.
type byDate []*object.Commit

func (h byDate) Len() int { return len(h) }
func (h byDate) Less(i, j int) bool {
	return h[i].Committer.When.After(h[j].Committer.When)
}
func (h byDate) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *byDate) Push(x any)   { *h = append(*h, x.(*object.Commit)) }
func (h *byDate) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
