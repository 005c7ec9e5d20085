package steps

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/railyard-dev/railyard/internal/workdir"
)

// This file holds the few confined operations tar and untar need that
// workdir.Root does not offer (creating a link, renaming, a private
// temporary directory). They run through an os.Root on the work directory,
// which refuses names that leave it, links included.

// withOSRoot runs fn with the work directory of root opened as an os.Root.
func withOSRoot(root *workdir.Root, fn func(*os.Root) error) error {
	r, err := os.OpenRoot(root.Dir())
	if err != nil {
		return fmt.Errorf("opening work directory: %w", err)
	}
	defer func() { _ = r.Close() }()
	return workdir.RelError(fn(r), root.Dir())
}

// symlinkIn creates the link name -> target; name is relative to root.
func symlinkIn(root *workdir.Root, target, name string) error {
	return withOSRoot(root, func(r *os.Root) error { return r.Symlink(target, name) })
}

// replaceWith moves the directory from over to, replacing to and anything in
// it; both are relative to root and must not be links.
func replaceWith(root *workdir.Root, from, to string) error {
	return withOSRoot(root, func(r *os.Root) error {
		err := r.Rename(from, to)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			return err
		}
		// A non-empty directory is in the way (ENOTEMPTY counts as exist).
		if err := r.RemoveAll(to); err != nil {
			return err
		}
		return r.Rename(from, to)
	})
}

// tempDirIn creates a new private directory in dir (relative to root),
// named after prefix; it returns its name relative to root.
func tempDirIn(root *workdir.Root, dir, prefix string) (string, error) {
	for range 10 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		err := withOSRoot(root, func(r *os.Root) error { return r.Mkdir(name, 0o700) })
		if !errors.Is(err, fs.ErrExist) {
			return name, err
		}
	}
	return "", errors.New("could not create a temporary directory")
}
