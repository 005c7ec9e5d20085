package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// Delete is the `delete` step: it removes files and directories.
type Delete struct{}

type deleteConfig struct {
	Path  string   `json:"path,omitempty"`
	Paths []string `json:"paths,omitempty"`
	// PathsAreGlobs treats each path as a doublestar pattern.
	PathsAreGlobs bool `json:"pathsAreGlobs,omitempty"`
	// Strict fails when a path (or pattern) matches nothing.
	Strict bool `json:"strict,omitempty"`
}

func (c *deleteConfig) validate() error {
	if (c.Path == "") == (len(c.Paths) == 0) {
		return errors.New(`exactly one of fields "path" and "paths" is required`)
	}
	for i, p := range c.Paths {
		if err := required(fmt.Sprintf("paths[%d]", i), p); err != nil {
			return err
		}
	}
	if c.PathsAreGlobs {
		for _, p := range c.all() {
			if !doublestar.ValidatePattern(filepath.ToSlash(p)) {
				return fmt.Errorf("invalid glob pattern %q", p)
			}
		}
	}
	return nil
}

func (c *deleteConfig) all() []string {
	if c.Path != "" {
		return []string{c.Path}
	}
	return c.Paths
}

// Name implements promotion.Step.
func (Delete) Name() string { return "delete" }

// Run implements promotion.Step.
func (Delete) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg deleteConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	for _, p := range cfg.all() {
		targets := []string{p}
		if cfg.PathsAreGlobs {
			// root.FS refuses links leading out, so a pattern cannot list
			// (or match) anything outside the work directory.
			matches, err := doublestar.Glob(root.FS(), filepath.ToSlash(filepath.Clean(p)))
			if err != nil {
				return failed(fmt.Errorf("pattern %q: %w", p, err))
			}
			targets = matches
		}
		if len(targets) == 0 && cfg.Strict {
			return failed(fmt.Errorf("pattern %q matches nothing", p))
		}
		for _, t := range targets {
			if err := deletePath(root, t, cfg.Strict); err != nil {
				return errored(err)
			}
		}
	}
	return succeeded(nil)
}

// deletePath removes rel itself: a symbolic link is removed, not followed,
// and links in its parent directories must stay inside the work directory.
func deletePath(root *workdir.Root, rel string, strict bool) error {
	clean := filepath.Clean(rel)
	switch {
	case clean == ".":
		return promotion.Terminalf("refusing to delete the work directory itself")
	case filepath.Base(clean) == "..":
		return promotion.Terminal(fmt.Errorf("%w: %q", workdir.ErrPathEscapes, rel))
	}
	if _, err := root.Lstat(clean); errors.Is(err, fs.ErrNotExist) {
		if strict {
			return promotion.Terminalf("path %q does not exist", rel)
		}
		return nil
	} else if promotion.IsTerminal(err) {
		return err
	}
	if err := root.RemoveAll(clean); err != nil {
		return fmt.Errorf("deleting %q: %w", rel, err)
	}
	return nil
}
