package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// FileWrite is the `file-write` step: it writes contents to a file of the
// work directory. As in Kargo it refuses `.git`, a path that reaches its
// target through a symbolic link, and an existing file unless overwrite is
// set.
type FileWrite struct{}

type fileWriteConfig struct {
	Path string `json:"path"`
	// Contents may be empty, but must be given.
	Contents *string `json:"contents"`
	// Permissions is an octal mode such as "0644"; the default is 0600.
	Permissions string `json:"permissions,omitempty"`
	Overwrite   bool   `json:"overwrite,omitempty"`
}

func (c *fileWriteConfig) validate() error {
	if err := required("path", c.Path); err != nil {
		return err
	}
	if c.Contents == nil {
		return errors.New(`field "contents" is required (it may be an empty string)`)
	}
	_, err := c.mode()
	return err
}

// mode parses Permissions; Kargo's rules: three octal digits after a 0, no
// special, executable or world-writable bits.
func (c *fileWriteConfig) mode() (fs.FileMode, error) {
	if c.Permissions == "" {
		return 0o600, nil
	}
	p := c.Permissions
	if len(p) != 4 || p[0] != '0' {
		return 0, fmt.Errorf("field \"permissions\": %q must be an octal mode such as \"0644\"", p)
	}
	n, err := strconv.ParseUint(p, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("field \"permissions\": %q must be an octal mode such as \"0644\"", p)
	}
	mode := fs.FileMode(n)
	switch {
	case mode&0o111 != 0:
		return 0, fmt.Errorf("field \"permissions\": %q must not include executable bits", p)
	case mode&0o002 != 0:
		return 0, fmt.Errorf("field \"permissions\": %q must not be world-writable", p)
	}
	return mode, nil
}

// Name implements promotion.Step.
func (FileWrite) Name() string { return "file-write" }

// Run implements promotion.Step.
func (FileWrite) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg fileWriteConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	mode, _ := cfg.mode()
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	resolved, err := root.Resolve(cfg.Path)
	if err != nil {
		return failed(err)
	}
	rel, err := root.Rel(resolved)
	if err != nil {
		return failed(err)
	}
	clean := filepath.Clean(cfg.Path)
	switch {
	case rel != clean:
		return failed(fmt.Errorf("path %q leads to %q through a symbolic link; file-write refuses links", cfg.Path, filepath.ToSlash(rel)))
	case clean == ".":
		return failed(fmt.Errorf("path %q is the work directory", cfg.Path))
	case isGitPath(clean):
		return failed(fmt.Errorf("path %q: writing into .git is forbidden", cfg.Path))
	}
	if fi, err := root.Lstat(clean); err == nil {
		if !cfg.Overwrite {
			return failed(fmt.Errorf("file %q already exists; set overwrite to true to replace it", cfg.Path))
		}
		if !fi.Mode().IsRegular() {
			return failed(fmt.Errorf("path %q exists and is not a regular file", cfg.Path))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return errored(fmt.Errorf("checking %q: %w", cfg.Path, err))
	}
	f, err := root.Create(clean, mode)
	if err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.Path, err))
	}
	_, werr := f.WriteString(*cfg.Contents)
	// Create keeps the mode of a file it truncates and applies the umask:
	// set the mode asked for.
	cerr := f.Chmod(mode)
	if err := errors.Join(werr, cerr, f.Close()); err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.Path, workdir.RelError(err, root.Dir())))
	}
	return succeeded(nil)
}

// isGitPath reports whether clean is .git or below a .git directory at any
// level: a nested checkout's .git is as dangerous as the top one.
func isGitPath(clean string) bool {
	for dir := clean; dir != "." && dir != string(filepath.Separator); dir = filepath.Dir(dir) {
		if filepath.Base(dir) == ".git" {
			return true
		}
	}
	return false
}
