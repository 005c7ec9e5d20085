package gitsteps

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// openCheckout opens the checkout at the config path rel, as git-clone
// left it, as the git layer's one working-copy type. A missing or non-git
// directory is a terminal error naming field.
func openCheckout(sc *promotion.StepContext, field, rel string) (*git.WorkTree, error) {
	if rel == "" {
		return nil, promotion.Terminalf("invalid config: field %q is required", field)
	}
	dir, err := sc.Path(rel)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, promotion.Terminalf("invalid config: field %q: %q is not a git checkout; clone it with git-clone first", field, rel)
	}
	c, err := git.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open checkout %q: %w", rel, err)
	}
	return c, nil
}
