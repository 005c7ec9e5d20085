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
	"github.com/railyard-dev/railyard/internal/workdir"
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
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	in, err := root.Resolve(cfg.InPath)
	if err != nil {
		return errored(err)
	}
	out, err := root.Resolve(cfg.OutPath)
	if err != nil {
		return errored(err)
	}
	fi, err := os.Stat(in)
	if errors.Is(err, fs.ErrNotExist) {
		return failed(fmt.Errorf("inPath %q does not exist", cfg.InPath))
	}
	if err != nil {
		return errored(fmt.Errorf("reading %q: %w", cfg.InPath, workdir.RelError(err, root.Dir())))
	}
	// Both are resolved: from here on, names relative to the work
	// directory go through root, which refuses links leading out.
	inRel, _ := root.Rel(in)
	outRel, _ := root.Rel(out)
	if !fi.IsDir() {
		err = copyFile(root, inRel, outRel, fi.Mode())
	} else if within(in, out) {
		return failed(fmt.Errorf("outPath %q is inside inPath %q", cfg.OutPath, cfg.InPath))
	} else {
		err = copyTree(root, inRel, outRel, ignoreMatcher(cfg.Ignore))
	}
	if err != nil {
		return errored(fmt.Errorf("copying %q to %q: %w", cfg.InPath, cfg.OutPath, err))
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

// copyTree copies the regular files and directories below in to out, both
// relative to root. It walks root's fs.FS, which does not follow links.
func copyTree(root *workdir.Root, in, out string, ignore gitignore.Matcher) error {
	return fs.WalkDir(root.FS(), filepath.ToSlash(in), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(in, filepath.FromSlash(p))
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
			return root.MkdirAll(dst, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(root, filepath.FromSlash(p), dst, info.Mode())
		default:
			// Symbolic links could point outside the work directory.
			return nil
		}
	})
}

// copyFile copies src to dst, both relative to root.
func copyFile(root *workdir.Root, src, dst string, mode fs.FileMode) error {
	r, err := root.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	w, err := root.Create(dst, mode.Perm())
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
