package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// Copy is the `copy` step: it copies a file or a directory tree inside the
// work directory. `.git` and symbolic links are never copied.
type Copy struct{}

type copyConfig struct {
	InPath  string `json:"inPath"`
	OutPath string `json:"outPath"`
	// Ignore holds gitignore patterns, one a line, relative to InPath.
	Ignore string `json:"ignore,omitempty"`
}

func (c *copyConfig) validate() error {
	if err := required("inPath", c.InPath); err != nil {
		return err
	}
	return required("outPath", c.OutPath)
}

// Name implements promotion.Step.
func (Copy) Name() string { return "copy" }

// Run implements promotion.Step.
func (Copy) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg copyConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	in, err := sc.Path(cfg.InPath)
	if err != nil {
		return errored(err)
	}
	out, err := sc.Path(cfg.OutPath)
	if err != nil {
		return errored(err)
	}
	fi, err := os.Stat(in)
	if errors.Is(err, fs.ErrNotExist) {
		return failed(fmt.Errorf("inPath %q does not exist", cfg.InPath))
	}
	if err != nil {
		return errored(fmt.Errorf("reading %q: %w", cfg.InPath, err))
	}
	if !fi.IsDir() {
		err = copyFile(in, out, fi.Mode())
	} else if within(in, out) {
		return failed(fmt.Errorf("outPath %q is inside inPath %q", cfg.OutPath, cfg.InPath))
	} else {
		err = copyTree(in, out, ignoreMatcher(cfg.Ignore))
	}
	if err != nil {
		return errored(fmt.Errorf("copying %q to %q: %w", cfg.InPath, cfg.OutPath, relErr(err, sc.WorkDir)))
	}
	return succeeded(nil)
}

func ignoreMatcher(ignore string) gitignore.Matcher {
	patterns := []gitignore.Pattern{gitignore.ParsePattern(".git", nil)}
	for _, line := range strings.Split(ignore, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		patterns = append(patterns, gitignore.ParsePattern(line, nil))
	}
	return gitignore.NewMatcher(patterns)
}

// copyTree copies the regular files and directories below in to out.
func copyTree(in, out string, ignore gitignore.Matcher) error {
	return filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(in, p)
		if err != nil {
			return err
		}
		if rel != "." && ignore.Match(strings.Split(rel, string(filepath.Separator)), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		dst := filepath.Join(out, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(p, dst, info.Mode())
		default:
			// Symbolic links could point outside the work directory.
			return nil
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

// relErr strips the work directory from path errors.
func relErr(err error, workDir string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if rel, rerr := filepath.Rel(workDir, pe.Path); rerr == nil && !strings.HasPrefix(rel, "..") {
			return &fs.PathError{Op: pe.Op, Path: rel, Err: pe.Err}
		}
	}
	return err
}
