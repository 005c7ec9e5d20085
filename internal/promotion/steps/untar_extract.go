package steps

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

type untarLimits struct {
	bytes, fileBytes int64
	entries          int
}

// extraction is one run of untar into a private directory (root). Files
// and directories are written as they come; links are made at the end, so
// no entry is ever written through a link from the archive.
type extraction struct {
	root     *workdir.Root
	outRel   string // where the tree will live, relative to the work directory
	limits   untarLimits
	ignore   gitignore.Matcher
	stripped int // leading components to drop

	total     int64
	symlinks  []archiveLink
	hardlinks []archiveLink
}

type archiveLink struct {
	name, target string
	mode         fs.FileMode
}

// errArchive marks a malformed or hostile archive: no retry will fix it.
func errArchive(format string, args ...any) error {
	return promotion.Terminalf(format, args...)
}

func (x *extraction) extract(ctx context.Context, r io.Reader) error {
	br := bufio.NewReader(r)
	var stream io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return errArchive("not a valid gzip stream: %v", err)
		}
		defer func() { _ = gz.Close() }()
		stream = gz
	}
	// Bounds what is decompressed, entries skipped or ignored included:
	// twice the extraction limit, plus room for the headers.
	limited := &capReader{r: stream, left: 2*x.limits.bytes + int64(x.limits.entries)*1024}
	tr := tar.NewReader(limited)
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if limited.exceeded {
			return errArchive("the archive decompresses to more than %d bytes", limited.limit())
		}
		if err != nil {
			return errArchive("not a valid tar archive: %v", err)
		}
		if n >= x.limits.entries {
			return errArchive("the archive has more than %d entries", x.limits.entries)
		}
		if err := x.entry(hdr, tr); err != nil {
			if limited.exceeded {
				return errArchive("the archive decompresses to more than %d bytes", limited.limit())
			}
			return err
		}
	}
	if err := x.makeHardlinks(); err != nil {
		return err
	}
	return x.makeSymlinks()
}

// entryName validates an archive name and applies stripComponents; ok is
// false for entries to skip.
func (x *extraction) entryName(name string) (string, bool, error) {
	if err := checkArchiveName(name); err != nil {
		return "", false, err
	}
	if x.stripped > 0 {
		parts := strings.Split(name, "/")
		if len(parts) <= x.stripped {
			return "", false, nil
		}
		name = strings.Join(parts[x.stripped:], "/")
	}
	name = path.Clean(name)
	if name == "." || name == "/" {
		return "", false, nil
	}
	return name, true, nil
}

// checkArchiveName refuses names that are absolute or climb with `..`.
func checkArchiveName(name string) error {
	slashed := strings.ReplaceAll(name, `\`, "/")
	switch {
	case name == "":
		return errArchive("the archive has an entry without a name")
	case strings.ContainsRune(name, 0):
		return errArchive("entry %q: invalid name", name)
	case path.IsAbs(slashed) || filepath.IsAbs(name) || filepath.VolumeName(name) != "":
		return errArchive("entry %q: %w: absolute names are refused", name, workdir.ErrPathEscapes)
	}
	for _, part := range strings.Split(slashed, "/") {
		if part == ".." {
			return errArchive("entry %q: %w: names with \"..\" are refused", name, workdir.ErrPathEscapes)
		}
	}
	return nil
}

func (x *extraction) entry(hdr *tar.Header, tr io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
	default:
		// Devices, FIFOs and the like are skipped, as Kargo does.
		return nil
	}
	name, ok, err := x.entryName(hdr.Name)
	if err != nil || !ok {
		return err
	}
	if x.ignore.Match(strings.Split(name, "/"), hdr.Typeflag == tar.TypeDir) {
		return nil
	}
	mode := fs.FileMode(hdr.Mode).Perm() | 0o600
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.root.MkdirAll(name, 0o750)
	case tar.TypeReg:
		return x.writeFile(name, hdr.Size, mode, tr)
	case tar.TypeSymlink:
		return x.addSymlink(name, hdr.Linkname)
	default: // tar.TypeLink
		target, ok, err := x.entryName(hdr.Linkname)
		if err != nil {
			return errArchive("hard link %q: %w", hdr.Name, err)
		}
		if !ok {
			return errArchive("hard link %q points at %q, which is not extracted", hdr.Name, hdr.Linkname)
		}
		x.hardlinks = append(x.hardlinks, archiveLink{name: name, target: target, mode: mode})
		return nil
	}
}

func (x *extraction) account(name string, size int64) error {
	if size > x.limits.fileBytes {
		return errArchive("entry %q has %d bytes, over the limit of %d for one file", name, size, x.limits.fileBytes)
	}
	if x.total+size > x.limits.bytes {
		return errArchive("the archive holds more than %d bytes", x.limits.bytes)
	}
	x.total += size
	return nil
}

func (x *extraction) writeFile(name string, size int64, mode fs.FileMode, r io.Reader) error {
	if err := x.account(name, size); err != nil {
		return err
	}
	f, err := x.root.Create(name, mode)
	if err != nil {
		return fmt.Errorf("entry %q: %w", name, err)
	}
	_, err = io.CopyN(f, r, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errArchive("entry %q: the archive is truncated", name)
	}
	if err != nil {
		return fmt.Errorf("entry %q: %w", name, workdir.RelError(err, x.root.Dir()))
	}
	return nil
}

// addSymlink records a link to create at the end. An absolute target, or
// one that leaves the work directory even before other links are followed,
// is refused at once; CheckTree later resolves every link for real.
func (x *extraction) addSymlink(name, target string) error {
	if target == "" {
		return errArchive("symbolic link %q has no target", name)
	}
	if path.IsAbs(target) || filepath.IsAbs(target) || strings.HasPrefix(target, `\`) {
		return errArchive("symbolic link %q -> %q: %w: absolute targets are refused", name, target, workdir.ErrPathEscapes)
	}
	final := filepath.Join(x.outRel, filepath.FromSlash(path.Dir(name)), filepath.FromSlash(target))
	if !filepath.IsLocal(final) {
		return errArchive("symbolic link %q -> %q: %w", name, target, workdir.ErrPathEscapes)
	}
	x.symlinks = append(x.symlinks, archiveLink{name: name, target: target})
	return nil
}

// makeHardlinks writes hard-linked entries as copies of their targets: a
// real hard link would share the inode with whatever the target is.
func (x *extraction) makeHardlinks() error {
	for _, l := range x.hardlinks {
		fi, err := x.root.Lstat(l.target)
		if err != nil || !fi.Mode().IsRegular() {
			return errArchive("hard link %q points at %q, which is not a file extracted before it", l.name, l.target)
		}
		if err := x.account(l.name, fi.Size()); err != nil {
			return err
		}
		data, err := x.root.ReadFile(l.target)
		if err != nil {
			return fmt.Errorf("hard link %q: %w", l.name, err)
		}
		if err := x.root.WriteFile(l.name, data, l.mode); err != nil {
			return fmt.Errorf("hard link %q: %w", l.name, err)
		}
	}
	return nil
}

func (x *extraction) makeSymlinks() error {
	for _, l := range x.symlinks {
		if dir := path.Dir(l.name); dir != "." {
			if err := x.root.MkdirAll(dir, 0o750); err != nil {
				return fmt.Errorf("symbolic link %q: %w", l.name, err)
			}
		}
		err := symlinkIn(x.root, filepath.FromSlash(l.target), filepath.FromSlash(l.name))
		if errors.Is(err, fs.ErrExist) {
			return errArchive("symbolic link %q: an entry of that name was already extracted", l.name)
		}
		if err != nil {
			return fmt.Errorf("symbolic link %q: %w", l.name, err)
		}
	}
	return nil
}

// capReader fails reads past left bytes.
type capReader struct {
	r        io.Reader
	left     int64
	read     int64
	exceeded bool
}

func (c *capReader) limit() int64 { return c.read + c.left }

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.exceeded = true
		return 0, errors.New("decompressed size limit reached")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.read += int64(n)
	return n, err
}
