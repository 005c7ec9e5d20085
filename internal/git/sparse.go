package git

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	gogit "github.com/go-git/go-git/v5"

	"github.com/railyard-dev/railyard/internal/workdir"
)

// Sparse limits the work tree to dirs, like `git sparse-checkout set`:
// files elsewhere stay in the index (marked skip-worktree), so commits keep
// them, but leave the disk. An unborn branch has nothing to limit.
func (w *WorkTree) Sparse(dirs []string) error {
	head, err := w.Head()
	if err != nil || head == "" {
		return err
	}
	if err := w.wt.ResetSparsely(&gogit.ResetOptions{Commit: hashOf(head), Mode: gogit.HardReset}, dirs); err != nil {
		return fmt.Errorf("sparse checkout: %w", err)
	}
	// go-git marks the other files skip-worktree but leaves them on disk.
	idx, err := w.repo.Storer.Index()
	if err != nil {
		return fmt.Errorf("read index: %w", err)
	}
	for _, e := range idx.Entries {
		if !e.SkipWorktree {
			continue
		}
		full, err := workdir.SecureJoin(w.dir, e.Name)
		if err != nil {
			return err
		}
		if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sparse checkout: %w", err)
		}
		removeEmptyParents(w.dir, filepath.Dir(full))
	}
	return nil
}

// removeEmptyParents removes dir and its empty parents up to root.
func removeEmptyParents(root, dir string) {
	for dir != root && len(dir) > len(root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
