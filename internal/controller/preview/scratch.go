package preview

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// removeScratch removes preview scratch directories under root: a preview
// removes its own when it ends, so any left were a crashed process's.
func removeScratch(root string) error {
	if root == "" {
		return nil
	}
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the work directory: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), engine.PreviewWorkDirPrefix) {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return fmt.Errorf("removing a stale preview directory: %w", err)
			}
		}
	}
	return nil
}

// boundDiffs cuts the diffs of commits so that together they stay within
// budget bytes; the first commits keep theirs whole.
func boundDiffs(commits []railyard.PreviewCommit, budget int) []railyard.PreviewCommit {
	left := budget
	for i := range commits {
		c := &commits[i]
		if len(c.Diff) > left {
			if left > 0 {
				c.Diff = c.Diff[:left] + "\n" + git.TruncatedMarker
			} else {
				c.Diff = git.TruncatedMarker
			}
			c.DiffTruncated = true
		}
		left -= len(c.Diff)
	}
	return commits
}
