package preview

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// removeScratch removes preview scratch directories under root that are
// older than a preview may run: a preview removes its own when it ends, so
// those were a crashed process's. Younger ones may be another manager's
// (shards on one machine share the default work directory).
func removeScratch(root string, now time.Time) error {
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
		if !e.IsDir() || !strings.HasPrefix(e.Name(), engine.PreviewWorkDirPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) < engine.DefaultPreviewTimeout {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return fmt.Errorf("removing a stale preview directory: %w", err)
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
