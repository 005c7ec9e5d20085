package git

import (
	"container/heap"
	"errors"
	"fmt"
	"time"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// branchWalk visits commits newest first by commit date, as git log does.
type branchWalk struct {
	hist   *gitpkg.History
	sel    *selector
	since  time.Time
	branch string
}

// run returns the selected commits and whether the walk stopped at the
// shallow boundary before the limit was reached (more history may help).
func (w *branchWalk) run(head string) ([]Commit, bool, error) {
	tip, err := w.hist.Commit(head)
	if err != nil {
		return nil, false, fmt.Errorf("read branch head %s: %w", head, err)
	}
	queue := &byDate{tip}
	seen := map[string]bool{tip.ID: true}
	var out []Commit
	for queue.Len() > 0 && len(out) < w.sel.limit {
		c := heap.Pop(queue).(gitpkg.CommitInfo)
		if !w.since.IsZero() && c.Committer.When.Before(w.since) {
			break // everything left is older
		}
		ok, err := w.accept(c)
		if errors.Is(err, gitpkg.ErrNotFetched) {
			// The parent the path filter diffs against is not fetched.
			return out, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if ok {
			out = append(out, toCommit(c, w.branch, ""))
		}
		for _, p := range c.Parents {
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := w.hist.Commit(p)
			if errors.Is(err, gitpkg.ErrNotFetched) {
				if len(out) < w.sel.limit {
					return out, true, nil
				}
				break
			}
			if err != nil {
				return nil, false, err
			}
			heap.Push(queue, pc)
		}
	}
	return out, false, nil
}

func (w *branchWalk) accept(c gitpkg.CommitInfo) (bool, error) {
	if w.sel.filter != nil {
		ok, err := w.sel.filter.match(commitEnv(toCommit(c, w.branch, ""), ""))
		if err != nil || !ok {
			return false, err
		}
	}
	if !w.sel.filtersPaths() {
		return true, nil
	}
	paths, err := w.hist.ChangedPaths(c.ID)
	if err != nil {
		return false, err
	}
	return w.sel.pathsMatch(paths), nil
}

func toCommit(c gitpkg.CommitInfo, branch, tag string) Commit {
	return Commit{
		ID:          c.ID,
		Branch:      branch,
		Tag:         tag,
		Subject:     subject(c.Message),
		Author:      ident(c.Author),
		Committer:   ident(c.Committer),
		CreatorDate: c.Committer.When.UTC(),
	}
}

func ident(s gitpkg.Signature) string {
	return fmt.Sprintf("%s <%s>", s.Name, s.Email)
}

// byDate is a max-heap of commits by commit date.
type byDate []gitpkg.CommitInfo

func (h byDate) Len() int { return len(h) }
func (h byDate) Less(i, j int) bool {
	return h[i].Committer.When.After(h[j].Committer.When)
}
func (h byDate) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *byDate) Push(x any)   { *h = append(*h, x.(gitpkg.CommitInfo)) }
func (h *byDate) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
