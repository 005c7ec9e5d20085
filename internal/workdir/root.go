package workdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Root is a Promotion's work directory opened for confined access. Every
// name passed to its methods is relative to the work directory.
type Root struct {
	dir string // absolute, symbolic links resolved
	os  *os.Root
}

// OpenRoot opens dir for confined access; Close releases it.
func OpenRoot(dir string) (*Root, error) {
	abs, err := resolvedRoot(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("opening work directory: %w", err)
	}
	return &Root{dir: abs, os: r}, nil
}

// Close releases the root.
func (r *Root) Close() error { return r.os.Close() }

// Dir is the absolute work directory, its symbolic links resolved.
func (r *Root) Dir() string { return r.dir }

// Resolve returns the absolute path of name for programs that take paths;
// see SecureJoin.
func (r *Root) Resolve(name string) (string, error) { return SecureJoin(r.dir, name) }

// Rel returns the name of abs relative to the work directory, or an
// ErrPathEscapes error if abs is outside it.
func (r *Root) Rel(abs string) (string, error) {
	rel, err := filepath.Rel(r.dir, filepath.Clean(abs))
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", refused(fmt.Errorf("%w: %q", ErrPathEscapes, filepath.Base(abs)))
	}
	return rel, nil
}

// local validates a name from configuration before os.Root sees it, so that
// the error is ours and names the path as the user wrote it, and returns it
// resolved: os.Root refuses absolute link targets, even inside the work
// directory, which SecureJoin follows. os.Root still guards the access.
func (r *Root) local(name string) (string, error) {
	p, err := SecureJoin(r.dir, name)
	if err != nil {
		return "", err
	}
	return r.Rel(p)
}

// ReadFile reads a file; links are followed only inside the work directory.
func (r *Root) ReadFile(name string) ([]byte, error) {
	n, err := r.local(name)
	if err != nil {
		return nil, err
	}
	b, err := r.os.ReadFile(n)
	return b, r.wrap(name, err)
}

// Stat follows links inside the work directory.
func (r *Root) Stat(name string) (fs.FileInfo, error) {
	n, err := r.local(name)
	if err != nil {
		return nil, err
	}
	fi, err := r.os.Stat(n)
	return fi, r.wrap(name, err)
}

// Lstat does not follow a final link; links in parent components must
// stay inside.
func (r *Root) Lstat(name string) (fs.FileInfo, error) {
	n, err := r.parentLocal(name)
	if err != nil {
		return nil, err
	}
	fi, err := r.os.Lstat(n)
	return fi, r.wrap(name, err)
}

// parentLocal is local for a name whose final component is not followed.
func (r *Root) parentLocal(name string) (string, error) {
	clean := filepath.Clean(name)
	dir, err := r.local(filepath.Dir(clean))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(clean)), nil
}

// Open opens a file for reading.
func (r *Root) Open(name string) (*os.File, error) {
	n, err := r.local(name)
	if err != nil {
		return nil, err
	}
	f, err := r.os.Open(n)
	return f, r.wrap(name, err)
}

// MkdirAll creates a directory and its parents inside the work directory.
func (r *Root) MkdirAll(name string, perm fs.FileMode) error {
	n, err := r.local(name)
	if err != nil {
		return err
	}
	return r.wrap(name, r.os.MkdirAll(n, perm))
}

// WriteFile creates or truncates a file, creating its parent directories.
// A link at any component, the file itself included, is followed only
// inside the work directory; one that leads out fails the write.
func (r *Root) WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := r.Create(name, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return r.wrap(name, err)
	}
	return r.wrap(name, f.Close())
}

// Create creates or truncates a file for writing, as WriteFile.
func (r *Root) Create(name string, perm fs.FileMode) (*os.File, error) {
	n, err := r.local(name)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(n); dir != "." {
		if err := r.os.MkdirAll(dir, 0o755); err != nil {
			return nil, r.wrap(name, err)
		}
	}
	f, err := r.os.OpenFile(n, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	return f, r.wrap(name, err)
}

// RemoveAll removes name and anything below it. A final link is removed,
// not followed; links in parent components must stay inside.
func (r *Root) RemoveAll(name string) error {
	if c := filepath.Clean(name); c == "." || filepath.Base(c) == ".." {
		return refused(fmt.Errorf("refusing to remove %q", name))
	}
	n, err := r.parentLocal(name)
	if err != nil {
		return err
	}
	return r.wrap(name, r.os.RemoveAll(n))
}

// FS is the work directory as an fs.FS confined like the other methods.
func (r *Root) FS() fs.FS { return r.os.FS() }

// wrap turns os.Root's escape error into a terminal ErrPathEscapes and
// keeps the work directory out of other errors.
func (r *Root) wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent" {
		return refused(fmt.Errorf("%w: %q resolves outside it through a symbolic link", ErrPathEscapes, name))
	}
	return RelError(err, r.dir)
}

// RelError rewrites the path of a *fs.PathError or *os.LinkError relative
// to root; messages must not expose where the work directory lives.
func RelError(err error, root string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: relTo(root, pe.Path), Err: pe.Err}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return &os.LinkError{Op: le.Op, Old: relTo(root, le.Old), New: relTo(root, le.New), Err: le.Err}
	}
	return err
}
