package steps

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// checkDependencyArchives refuses the chart archives in <chart>/charts that
// hold a link or a name leading out of the archive. `helm package` never
// writes links; one in a downloaded archive could reach outside the work
// directory once unpacked (by a later tool, or a checkout of the commit),
// so such an archive is removed as well as refused.
func checkDependencyArchives(root *workdir.Root, chart string) error {
	dir := filepath.Join(chart, "charts")
	entries, err := fs.ReadDir(root.FS(), filepath.ToSlash(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.ToSlash(dir), err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".tgz") {
			continue
		}
		name := filepath.Join(dir, e.Name())
		bad, err := chartArchiveLink(root, name)
		if err != nil {
			return fmt.Errorf("checking dependency archive %s: %w", filepath.ToSlash(name), err)
		}
		if bad != "" {
			_ = root.RemoveAll(name)
			return promotion.Terminal(fmt.Errorf("%w: dependency archive %s holds %s", workdir.ErrPathEscapes, filepath.ToSlash(name), bad))
		}
	}
	return nil
}

// chartArchiveLink describes the first link or escaping name in a .tgz, or "".
func chartArchiveLink(root *workdir.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return "", nil // not an archive: helm reports it when loading
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", nil // a damaged archive holds nothing helm would load
		}
		switch {
		case hdr.Typeflag == tar.TypeSymlink || hdr.Typeflag == tar.TypeLink:
			return fmt.Sprintf("a link %q -> %q", hdr.Name, hdr.Linkname), nil
		case !filepath.IsLocal(path.Clean(hdr.Name)):
			return fmt.Sprintf("an entry %q outside it", hdr.Name), nil
		}
	}
}
