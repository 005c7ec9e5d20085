package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// TruncatedMarker ends a diff cut at its bound, so a reader sees that
// lines are missing rather than a diff that merely ends.
const TruncatedMarker = "... diff truncated ...\n"

// FileStat is one file's line counts in a Diff.
type FileStat struct {
	Path    string
	Added   int
	Deleted int
}

// Diff is what changed between two commits.
type Diff struct {
	// Files lists every changed file, whole even when Patch is truncated.
	Files []FileStat
	// Patch is the unified diff, at most the bound given to DiffCommits
	// (plus TruncatedMarker) bytes.
	Patch string
	// Truncated reports that Patch was cut.
	Truncated bool
}

// Added sums the added lines of every file.
func (d Diff) Added() int {
	n := 0
	for _, f := range d.Files {
		n += f.Added
	}
	return n
}

// Deleted sums the deleted lines of every file.
func (d Diff) Deleted() int {
	n := 0
	for _, f := range d.Files {
		n += f.Deleted
	}
	return n
}

// DiffCommits returns the diff from commit from to commit to of the work
// tree's repository; an empty from means the empty tree (to is the first
// commit of an orphan branch). limit bounds Patch in bytes (0: no bound):
// a diff goes into object status and web pages, and a commit that rewrites
// a generated manifest may change megabytes.
func (w *WorkTree) DiffCommits(ctx context.Context, from, to string, limit int) (Diff, error) {
	toTree, err := w.tree(to)
	if err != nil {
		return Diff{}, err
	}
	var fromTree *object.Tree
	if from != "" {
		if fromTree, err = w.tree(from); err != nil {
			return Diff{}, err
		}
	}
	changes, err := object.DiffTreeWithOptions(ctx, fromTree, toTree, object.DefaultDiffTreeOptions)
	if err != nil {
		return Diff{}, fmt.Errorf("diff %s..%s: %w", short(from), short(to), err)
	}
	patch, err := changes.PatchContext(ctx)
	if err != nil {
		return Diff{}, fmt.Errorf("diff %s..%s: %w", short(from), short(to), err)
	}
	var d Diff
	for _, s := range patch.Stats() {
		d.Files = append(d.Files, FileStat{Path: s.Name, Added: s.Addition, Deleted: s.Deletion})
	}
	d.Patch = patch.String()
	if limit > 0 && len(d.Patch) > limit {
		d.Patch, d.Truncated = cutAtLine(d.Patch, limit)+TruncatedMarker, true
	}
	return d, nil
}

// cutAtLine cuts s to at most limit bytes, at the end of a line when one
// ends within the bound, so no line is shown half; the result ends with a
// newline so that the marker starts a line.
func cutAtLine(s string, limit int) string {
	s = s[:limit]
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	return s + "\n"
}

func (w *WorkTree) tree(id string) (*object.Tree, error) {
	c, err := readCommit(w.repo.Storer, id)
	if err != nil {
		return nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", short(id), err)
	}
	return t, nil
}

func short(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	if id == "" {
		return "(empty tree)"
	}
	return id
}
