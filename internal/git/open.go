package git

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// OpenRepository opens the repository of a checkout at dir (or, when bare,
// the repository dir itself) as gogit.PlainOpen does, with one difference:
// pack indexes are read whole. go-git decodes an index with a read call
// per field (more than 256 per index, and one per object name block), and
// every open of a repository decodes every index again; with a checkout's
// copied packs that was most of a clone's time where system calls are
// slow (sandboxed kernels). A checkout's branch refs are written to
// packed-refs (packedRefStorage). A .git that is not a directory (a submodule's
// or linked worktree's gitdir file) goes to gogit.PlainOpen.
func OpenRepository(dir string, bare bool) (*gogit.Repository, error) {
	repo, _, err := openRepository(dir, bare, false)
	return repo, err
}

// openHeld is OpenRepository for work that reads many objects at once
// (copying them into the cache, merging packs, pushing): go-git otherwise
// opens a pack file, resolving each component of its path, for every
// object it reads. The pack files stay open until release is called.
func openHeld(dir string, bare bool) (repo *gogit.Repository, release func(), err error) {
	repo, st, err := openRepository(dir, bare, true)
	if err != nil {
		return nil, nil, err
	}
	if st == nil {
		return repo, func() {}, nil
	}
	return repo, func() { _ = st.Close() }, nil
}

// openRepository opens as OpenRepository does and returns the object
// storage too (nil for a repository gogit.PlainOpen opened); keep keeps
// its pack files open until the storage is closed.
func openRepository(dir string, bare, keep bool) (*gogit.Repository, *filesystem.Storage, error) {
	dotDir, wt := dir, billy.Filesystem(nil)
	if !bare {
		dotDir = filepath.Join(dir, gogit.GitDirName)
		fi, err := os.Lstat(dotDir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil, gogit.ErrRepositoryNotExists
		case err != nil:
			return nil, nil, err
		case !fi.IsDir():
			repo, err := gogit.PlainOpen(dir)
			return repo, nil, err
		}
		wt = osfs.New(dir)
	} else if _, err := os.Stat(dotDir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, gogit.ErrRepositoryNotExists
	}
	dot := wholeIndexFS{osfs.New(dotDir)}
	st := filesystem.NewStorageWithOptions(dot, cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: keep})
	var repo *gogit.Repository
	var err error
	if bare {
		repo, err = gogit.Open(st, wt)
	} else {
		// A checkout's branches and Railyard's refs go to packed-refs.
		repo, err = gogit.Open(newPackedRefStorage(st, dot), wt)
	}
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	return repo, st, nil
}

// wholeIndexFS serves pack index files (objects/pack/*.idx, never written
// in place: git and go-git write a new one and rename it) from memory.
type wholeIndexFS struct{ billy.Filesystem }

func (w wholeIndexFS) Open(name string) (billy.File, error) {
	return w.OpenFile(name, os.O_RDONLY, 0)
}

func (w wholeIndexFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0 || !strings.HasSuffix(name, ".idx") {
		return w.Filesystem.OpenFile(name, flag, perm)
	}
	f, err := w.Filesystem.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := w.Stat(name)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return &memFile{name: f.Name(), Reader: bytes.NewReader(b), info: fi}, nil
}

// Capabilities are the wrapped file system's.
func (w wholeIndexFS) Capabilities() billy.Capability { return billy.Capabilities(w.Filesystem) }

// memFile is a read-only file held in memory.
type memFile struct {
	*bytes.Reader
	name string
	info os.FileInfo
}

var errReadOnly = errors.New("read-only file")

func (f *memFile) Name() string               { return f.name }
func (f *memFile) Stat() (os.FileInfo, error) { return f.info, nil }
func (f *memFile) Write([]byte) (int, error)  { return 0, errReadOnly }
func (f *memFile) Truncate(int64) error       { return errReadOnly }
func (f *memFile) Lock() error                { return nil }
func (f *memFile) Unlock() error              { return nil }
func (f *memFile) Close() error               { return nil }
