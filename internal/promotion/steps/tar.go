package steps

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// Tar is the `tar` step: it archives a file or a directory tree of the work
// directory into a tar file, gzipped on request. Entry names are relative
// to inPath (a file is stored under its base name). Symbolic links are
// stored as links, never followed, so nothing outside the work directory is
// read. Kargo added this step after v1.11.
type Tar struct {
	// MaxBytes bounds the bytes archived in all; 0 means 100 MiB (Kargo's
	// limit).
	MaxBytes int64
	// MaxFileBytes bounds one file; 0 means 50 MiB (Kargo's limit).
	MaxFileBytes int64
}

type tarConfig struct {
	InPath  string `json:"inPath"`
	OutPath string `json:"outPath"`
	// Ignore holds gitignore patterns, one a line, relative to InPath;
	// .git is always left out.
	Ignore string `json:"ignore,omitempty"`
	Gzip   bool   `json:"gzip,omitempty"`
}

func (c *tarConfig) validate() error {
	if err := required("inPath", c.InPath); err != nil {
		return err
	}
	return required("outPath", c.OutPath)
}

// Name implements promotion.Step.
func (Tar) Name() string { return "tar" }

// Run implements promotion.Step.
func (t Tar) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg tarConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	inAbs, err := root.Resolve(cfg.InPath)
	if err != nil {
		return failed(err)
	}
	in, _ := root.Rel(inAbs)
	fi, err := root.Lstat(in)
	if errors.Is(err, fs.ErrNotExist) {
		return failed(fmt.Errorf("inPath %q does not exist", cfg.InPath))
	}
	if err != nil {
		return errored(fmt.Errorf("reading %q: %w", cfg.InPath, err))
	}
	outAbs, err := root.Resolve(cfg.OutPath)
	if err != nil {
		return failed(err)
	}
	out, _ := root.Rel(outAbs)
	if fi.IsDir() && (in == "." || within(in, out)) || in == out {
		return failed(fmt.Errorf("outPath %q is inside inPath %q", cfg.OutPath, cfg.InPath))
	}
	if ofi, err := root.Lstat(out); err == nil && ofi.IsDir() {
		return failed(fmt.Errorf("outPath %q is a directory", cfg.OutPath))
	}

	// Written aside and moved in place, so a failure leaves no half
	// archive (nor a truncated old one).
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp")
	f, err := root.Create(tmp, 0o644)
	if err != nil {
		return errored(fmt.Errorf("creating %q: %w", cfg.OutPath, err))
	}
	defer func() { _ = root.RemoveAll(tmp) }()
	w := &archiver{root: root, maxBytes: t.MaxBytes, maxFileBytes: t.MaxFileBytes}
	if w.maxBytes <= 0 {
		w.maxBytes = defaultUntarMaxBytes
	}
	if w.maxFileBytes <= 0 {
		w.maxFileBytes = defaultUntarMaxFileBytes
	}
	err = w.write(ctx, f, in, fi, cfg.Gzip, ignoreMatcher(cfg.Ignore))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return failedOrErrored(fmt.Errorf("archiving %q: %w", cfg.InPath, err))
	}
	if err := withOSRoot(root, func(r *os.Root) error { return r.Rename(tmp, out) }); err != nil {
		return errored(fmt.Errorf("writing %q: %w", cfg.OutPath, err))
	}
	return succeeded(nil)
}

type archiver struct {
	root                   *workdir.Root
	maxBytes, maxFileBytes int64
	total                  int64
}

func (a *archiver) write(ctx context.Context, w io.Writer, in string, fi fs.FileInfo, gz bool, ignore gitignore.Matcher) error {
	var gzw *gzip.Writer
	if gz {
		gzw = gzip.NewWriter(w)
		w = gzw
	}
	tw := tar.NewWriter(w)
	var err error
	if fi.IsDir() {
		err = a.addTree(ctx, tw, in, ignore)
	} else {
		err = a.add(tw, in, filepath.Base(in), fi)
	}
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if gzw != nil {
		return gzw.Close()
	}
	return nil
}

// addTree walks in through root's fs.FS, which does not follow links.
func (a *archiver) addTree(ctx context.Context, tw *tar.Writer, in string, ignore gitignore.Matcher) error {
	base := filepath.ToSlash(in)
	return fs.WalkDir(a.root.FS(), base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == base {
			return nil
		}
		rel := strings.TrimPrefix(p, base+"/")
		if base == "." {
			rel = p
		}
		if ignore.Match(strings.Split(rel, "/"), d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return a.add(tw, filepath.FromSlash(p), rel, info)
	})
}

// add writes one entry: name is relative to the work directory, entry is
// its name in the archive.
func (a *archiver) add(tw *tar.Writer, name, entry string, fi fs.FileInfo) error {
	var link string
	switch {
	case fi.Mode().IsRegular():
		if fi.Size() > a.maxFileBytes {
			return promotion.Terminalf("%q has %d bytes, over the limit of %d for one file", filepath.ToSlash(name), fi.Size(), a.maxFileBytes)
		}
		if a.total += fi.Size(); a.total > a.maxBytes {
			return promotion.Terminalf("the files to archive hold more than %d bytes", a.maxBytes)
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := readlinkIn(a.root, name)
		if err != nil {
			return err
		}
		link = filepath.ToSlash(target)
	case fi.IsDir():
		entry += "/"
	default:
		return nil // sockets, devices: nothing a promotion needs
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("%q: %w", filepath.ToSlash(name), err)
	}
	hdr.Name = path.Clean(entry)
	if fi.IsDir() {
		hdr.Name += "/"
	}
	// Owner names and ids of the controller are of no use to anyone, and
	// without times the same tree gives the same archive: committing it
	// again changes nothing.
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = time.Unix(0, 0), time.Time{}, time.Time{}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := a.root.Open(name)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
		return fmt.Errorf("%q: %w", filepath.ToSlash(name), workdir.RelError(err, a.root.Dir()))
	}
	return nil
}

// readlinkIn reads a link's target without following it.
func readlinkIn(root *workdir.Root, name string) (string, error) {
	var target string
	err := withOSRoot(root, func(r *os.Root) error {
		var err error
		target, err = r.Readlink(name)
		return err
	})
	return target, err
}
