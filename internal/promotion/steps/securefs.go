package steps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/railyard-dev/railyard/internal/workdir"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// rootedFS is the on-disk filesystem confined to a root directory: every
// path, after following symbolic links, must stay inside root. Kustomize
// reads through it, so `resources: [../../../etc]` or a symlink out of the
// work directory fails instead of reading the host.
type rootedFS struct {
	root string
	disk filesys.FileSystem
	// refused keeps the first content refusal: kustomize replaces the
	// error of a kustomization it cannot read with its own message.
	refused *error
}

var _ filesys.FileSystem = rootedFS{}

func newRootedFS(root string) (rootedFS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return rootedFS{}, err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	return rootedFS{root: abs, disk: filesys.MakeFsOnDisk(), refused: new(error)}, nil
}

// resolve maps p (absolute, or relative to root) to a path inside root.
func (f rootedFS) resolve(p string) (string, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.root, p)
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(f.root, p)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return "", f.refuse(fmt.Errorf("%w: %q", workdir.ErrPathEscapes, f.display(p)))
	}
	r, err := workdir.SecureJoin(f.root, rel)
	if errors.Is(err, workdir.ErrPathEscapes) {
		return "", f.refuse(err)
	}
	return r, err
}

// refuse records the first refusal and returns err.
func (f rootedFS) refuse(err error) error {
	if *f.refused == nil {
		*f.refused = err
	}
	return err
}

// Refused is the first path or file kustomize was refused, or nil. Kustomize
// replaces some errors of ours with its own message (a kustomization that
// cannot be read is "unable to find"), and probes paths that a build may
// not need: a failed build reports this instead of kustomize's message.
func (f rootedFS) Refused() error { return *f.refused }

// display shows a path relative to the work directory, so errors do not
// expose where the work directory lives.
func (f rootedFS) display(p string) string {
	if rel, err := filepath.Rel(f.root, p); err == nil {
		return rel
	}
	return p
}

func (f rootedFS) Create(p string) (filesys.File, error) {
	r, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	return f.disk.Create(r)
}

func (f rootedFS) Mkdir(p string) error {
	r, err := f.resolve(p)
	if err != nil {
		return err
	}
	return f.disk.Mkdir(r)
}

func (f rootedFS) MkdirAll(p string) error {
	r, err := f.resolve(p)
	if err != nil {
		return err
	}
	return f.disk.MkdirAll(r)
}

func (f rootedFS) RemoveAll(p string) error {
	r, err := f.resolve(p)
	if err != nil {
		return err
	}
	return f.disk.RemoveAll(r)
}

func (f rootedFS) Open(p string) (filesys.File, error) {
	r, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	return f.disk.Open(r)
}

func (f rootedFS) IsDir(p string) bool {
	r, err := f.resolve(p)
	return err == nil && f.disk.IsDir(r)
}

func (f rootedFS) ReadDir(p string) ([]string, error) {
	r, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	return f.disk.ReadDir(r)
}

func (f rootedFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	r, err := f.resolve(p)
	if err != nil {
		return "", "", err
	}
	return f.disk.CleanedAbs(r)
}

func (f rootedFS) Exists(p string) bool {
	r, err := f.resolve(p)
	return err == nil && f.disk.Exists(r)
}

// Glob returns only matches inside root.
func (f rootedFS) Glob(pattern string) ([]string, error) {
	if _, err := f.resolve(filepath.Dir(pattern)); err != nil {
		return nil, err
	}
	matches, err := f.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	out := matches[:0]
	for _, m := range matches {
		if _, err := f.resolve(m); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f rootedFS) ReadFile(p string) ([]byte, error) {
	r, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	b, err := f.disk.ReadFile(r)
	if err != nil {
		return nil, err
	}
	if err := checkHelmChartNames(b); err != nil {
		return nil, f.refuse(fmt.Errorf("%s: %w", f.display(r), err))
	}
	return b, nil
}

func (f rootedFS) WriteFile(p string, data []byte) error {
	r, err := f.resolve(p)
	if err != nil {
		return err
	}
	return f.disk.WriteFile(r, data)
}

// Walk walks p inside root; filepath.Walk does not follow symbolic links
// below p, and entries that resolve outside root are skipped.
func (f rootedFS) Walk(p string, fn filepath.WalkFunc) error {
	r, err := f.resolve(p)
	if err != nil {
		return err
	}
	return f.disk.Walk(r, func(path string, info os.FileInfo, err error) error {
		if _, rerr := f.resolve(path); rerr != nil {
			return nil
		}
		return fn(path, info, err)
	})
}
