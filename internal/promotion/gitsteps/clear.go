package gitsteps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

type clearConfig struct {
	Path string `json:"path"`
}

// Clear is the git-clear step: it empties a checkout except for .git, so
// rendered output fully replaces the old content. No output.
type Clear struct{}

// Name implements promotion.Step.
func (Clear) Name() string { return "git-clear" }

// Run implements promotion.Step.
func (Clear) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg clearConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	c, err := openCheckout(sc, "path", cfg.Path)
	if err != nil {
		return errored(err)
	}
	entries, err := os.ReadDir(c.Dir())
	if err != nil {
		return errored(fmt.Errorf("read checkout: %w", err))
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.Dir(), e.Name())); err != nil {
			return errored(fmt.Errorf("clear checkout: %w", err))
		}
	}
	return promotion.Result{Status: railyard.StepStatusSucceeded}, nil
}
