package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// Untar is the `untar` step: it extracts a tar archive, gzipped or not,
// into a directory of the work directory, replacing that directory. An
// entry named absolutely or with `..`, or a link leading out of the work
// directory, fails the step before anything is put in place; so do archives
// over the limits below. `.git` entries are never extracted.
type Untar struct {
	// MaxBytes bounds the bytes extracted in all; 0 means 100 MiB (Kargo's
	// limit).
	MaxBytes int64
	// MaxFileBytes bounds one file; 0 means 50 MiB (Kargo's limit).
	MaxFileBytes int64
	// MaxEntries bounds the entries read; 0 means 20000.
	MaxEntries int
}

const (
	defaultUntarMaxBytes     = 100 << 20
	defaultUntarMaxFileBytes = 50 << 20
	defaultUntarMaxEntries   = 20000
)

func (u Untar) limits() untarLimits {
	l := untarLimits{bytes: u.MaxBytes, fileBytes: u.MaxFileBytes, entries: u.MaxEntries}
	if l.bytes <= 0 {
		l.bytes = defaultUntarMaxBytes
	}
	if l.fileBytes <= 0 {
		l.fileBytes = defaultUntarMaxFileBytes
	}
	if l.entries <= 0 {
		l.entries = defaultUntarMaxEntries
	}
	return l
}

type untarConfig struct {
	InPath  string `json:"inPath"`
	OutPath string `json:"outPath"`
	// StripComponents drops leading path components of entry names, as
	// tar --strip-components does; entries with no more are skipped.
	StripComponents *int64 `json:"stripComponents,omitempty"`
	// Ignore holds gitignore patterns, one a line, matched against entry
	// names after stripping.
	Ignore string `json:"ignore,omitempty"`
}

func (c *untarConfig) validate() error {
	if err := required("inPath", c.InPath); err != nil {
		return err
	}
	if err := required("outPath", c.OutPath); err != nil {
		return err
	}
	if c.StripComponents != nil && *c.StripComponents < 0 {
		return errors.New(`field "stripComponents" must not be negative`)
	}
	return nil
}

// Name implements promotion.Step.
func (Untar) Name() string { return "untar" }

// Run implements promotion.Step.
func (u Untar) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg untarConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()

	in, err := root.Open(cfg.InPath)
	if errors.Is(err, fs.ErrNotExist) {
		return failed(fmt.Errorf("inPath %q does not exist", cfg.InPath))
	}
	if err != nil {
		return errored(fmt.Errorf("opening %q: %w", cfg.InPath, err))
	}
	defer func() { _ = in.Close() }()
	if fi, err := in.Stat(); err != nil {
		return errored(fmt.Errorf("reading %q: %w", cfg.InPath, workdir.RelError(err, root.Dir())))
	} else if !fi.Mode().IsRegular() {
		return failed(fmt.Errorf("inPath %q is not a file", cfg.InPath))
	}

	out, err := untarTarget(root, cfg.OutPath)
	if err != nil {
		return failed(err)
	}
	// Extract next to the output directory, at the same depth, so that
	// relative links resolve there as they will once moved in place.
	parent := filepath.Dir(out)
	if err := root.MkdirAll(parent, 0o750); err != nil {
		return errored(fmt.Errorf("creating %q: %w", filepath.ToSlash(parent), err))
	}
	tmp, err := tempDirIn(root, parent, ".untar-")
	if err != nil {
		return errored(fmt.Errorf("creating a temporary directory in %q: %w", filepath.ToSlash(parent), err))
	}
	defer func() { _ = root.RemoveAll(tmp) }()
	tmpRoot, err := workdir.OpenRoot(filepath.Join(root.Dir(), tmp))
	if err != nil {
		return errored(err)
	}
	defer func() { _ = tmpRoot.Close() }()

	x := &extraction{root: tmpRoot, outRel: out, limits: u.limits(), ignore: ignoreMatcher(cfg.Ignore)}
	if cfg.StripComponents != nil {
		x.stripped = int(*cfg.StripComponents)
	}
	if err := x.extract(ctx, in); err != nil {
		return failedOrErrored(fmt.Errorf("extracting %q: %w", cfg.InPath, err))
	}
	// Every link is in place: resolve each, as the kernel will, before
	// the tree can be used.
	if err := root.CheckTree(tmp); err != nil {
		return failed(fmt.Errorf("extracting %q: %w", cfg.InPath, unTemp(err, tmp, out)))
	}
	if err := replaceWith(root, tmp, out); err != nil {
		return errored(fmt.Errorf("moving the extracted files to %q: %w", cfg.OutPath, err))
	}
	if err := root.CheckTree(out); err != nil {
		// Moved, a link may resolve differently (`../<outPath>/...`).
		_ = root.RemoveAll(out)
		return failed(fmt.Errorf("extracting %q: %w", cfg.InPath, err))
	}
	return succeeded(nil)
}

// untarTarget resolves outPath to a name relative to the work directory,
// refusing the work directory itself and .git.
func untarTarget(root *workdir.Root, outPath string) (string, error) {
	abs, err := root.Resolve(outPath)
	if err != nil {
		return "", err
	}
	rel, err := root.Rel(abs)
	if err != nil {
		return "", err
	}
	switch {
	case rel == ".":
		return "", fmt.Errorf("outPath %q is the work directory, which untar would replace", outPath)
	case isGitPath(rel):
		return "", fmt.Errorf("outPath %q: extracting into .git is forbidden", outPath)
	}
	if fi, err := root.Lstat(rel); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("outPath %q exists and is not a directory", outPath)
	}
	return rel, nil
}

// unTemp shows the temporary directory's name in err as the output
// directory's: that is where the user expects the files.
func unTemp(err error, tmp, out string) error {
	msg := strings.ReplaceAll(err.Error(), path.Clean(filepath.ToSlash(tmp)), filepath.ToSlash(out))
	return promotion.Terminal(&renamedError{msg: msg, err: err})
}

type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

// failedOrErrored keeps terminal errors terminal and lets I/O errors retry.
func failedOrErrored(err error) (promotion.Result, error) {
	if promotion.IsTerminal(err) {
		return failed(err)
	}
	return errored(err)
}
