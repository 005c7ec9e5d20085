package workdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckTree fails if a symbolic link in the tree at name resolves outside
// the work directory. Helm's chart loader follows links (a chart's
// `files/passwd -> /etc/passwd` is read by .Files.Get), so a chart must be
// checked before helm loads it and after helm unpacked one. Directories
// reached through links inside the work directory are checked as well.
func (r *Root) CheckTree(name string) error {
	abs, err := r.Resolve(name)
	if err != nil {
		return err
	}
	return r.checkTree(abs, map[string]bool{})
}

func (r *Root) checkTree(abs string, seen map[string]bool) error {
	if seen[abs] {
		return nil
	}
	seen[abs] = true
	err := filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, err := r.Rel(p)
		if err != nil {
			return err
		}
		target, err := SecureJoin(r.dir, rel)
		if err != nil {
			if errors.Is(err, ErrPathEscapes) {
				return refused(fmt.Errorf("%w: symbolic link %q leads outside it", ErrPathEscapes, filepath.ToSlash(rel)))
			}
			return err
		}
		if fi, err := os.Stat(target); err == nil && fi.IsDir() {
			return r.checkTree(target, seen)
		}
		return nil
	})
	if err != nil && !IsRefused(err) {
		return RelError(err, r.dir)
	}
	return err
}
