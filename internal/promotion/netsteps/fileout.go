package netsteps

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// outFile is a download's destination in the work directory. Content is
// written to a temporary file beside it and renamed into place, so a
// failed or cut-off download never leaves a partial file at outPath.
type outFile struct {
	root *workdir.Root
	rel  string // outPath relative to the work directory, links resolved
	name string // outPath as configured, for messages
	// keep is set when outPath exists and may not be overwritten. The
	// download still happens: if it is what the file holds, the step ran
	// before (a resumed Promotion) and succeeds; otherwise it fails as in
	// Kargo.
	keep bool
}

// prepareOut checks outPath: inside the work directory and not a
// directory. Its parent directories are created.
func prepareOut(root *workdir.Root, outPath string, allowOverwrite bool) (*outFile, error) {
	if outPath == "" {
		return nil, promotion.Terminalf("invalid config: field %q is required", "outPath")
	}
	abs, err := root.Resolve(outPath)
	if err != nil {
		return nil, err
	}
	rel, err := root.Rel(abs)
	if err != nil {
		return nil, err
	}
	if rel == "." {
		return nil, promotion.Terminalf("invalid config: field %q: %q is the work directory", "outPath", outPath)
	}
	fi, err := root.Stat(rel)
	switch {
	case err == nil && fi.IsDir():
		return nil, promotion.Terminalf("outPath %q is a directory", outPath)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("checking outPath %q: %w", outPath, err)
	}
	if dir := filepath.Dir(rel); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return &outFile{root: root, rel: rel, name: outPath, keep: err == nil && !allowOverwrite}, nil
}

// write copies at most limit bytes of r to the destination; more is a
// terminal errTooLarge and nothing is written.
func (o *outFile) write(r io.Reader, limit int64) (int64, error) {
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	tmp := filepath.Join(filepath.Dir(o.rel), "."+filepath.Base(o.rel)+".tmp-"+hex.EncodeToString(suffix))
	f, err := o.root.Create(tmp, 0o644)
	if err != nil {
		return 0, err
	}
	defer func() { _ = o.root.RemoveAll(tmp) }()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("writing %q: %w", o.name, workdir.RelError(err, o.root.Dir()))
	}
	if n > limit {
		return n, promotion.Terminalf("download to %q: %w of %d bytes", o.name, errTooLarge, limit)
	}
	if o.keep {
		return n, o.same(sum.Sum(nil))
	}
	// os.Root confines the rename like every other access.
	r2, err := os.OpenRoot(o.root.Dir())
	if err != nil {
		return n, fmt.Errorf("opening work directory: %w", err)
	}
	defer func() { _ = r2.Close() }()
	if err := r2.Rename(tmp, o.rel); err != nil {
		return n, fmt.Errorf("moving download into %q: %w", o.name, workdir.RelError(err, o.root.Dir()))
	}
	return n, nil
}

// same succeeds when the existing file holds exactly the downloaded
// content, and is Kargo's terminal refusal otherwise.
func (o *outFile) same(downloaded []byte) error {
	f, err := o.root.Open(o.rel)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return fmt.Errorf("reading %q: %w", o.name, workdir.RelError(err, o.root.Dir()))
	}
	if !bytes.Equal(sum.Sum(nil), downloaded) {
		return promotion.Terminalf("file already exists at %q and allowOverwrite is false", o.name)
	}
	return nil
}
