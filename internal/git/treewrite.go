package git

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// stamp is what the kernel says about a directory entry. Two equal stamps
// of a file mean the same inode, unchanged: its ctime moves on every
// write, chmod, link or rename, and user space cannot set it.
type stamp struct {
	dev, ino     uint64
	mode         os.FileMode
	size         int64
	mtime, ctime int64
}

// treeRecord is what Railyard wrote into a work tree: the commit's tree and
// a stamp per path, taken right after writing.
type treeRecord struct {
	key    string
	commit plumbing.Hash
	tree   *flatTree
	stamps map[string]stamp
	// racyFrom is a change time later than the writing: an entry whose
	// ctime is not before it could have been changed again without a
	// visible change to its stamp, so it is never trusted.
	racyFrom int64
	// top is the stamp of the work tree's own directory.
	top stamp
}

// treeWriter makes a directory a checkout of want: from nothing (a fresh
// checkout; the directory holds only .git) or from a pooled tree whose
// record old says what Railyard last wrote there. Entries are created
// through os.Root, one directory handle at a time, so no entry can be
// written outside the tree or through a symbolic link.
type treeWriter struct {
	objects storer.EncodedObjectStorer
	want    *flatTree
	old     *treeRecord
	top     *os.Root
	// record asks for a stamp of every directory too, for pooling.
	record bool
	stamps map[string]stamp
	keep   map[string]bool
}

// verifyAll verifies the whole pooled tree from its top directory.
func (tw *treeWriter) verifyAll() error {
	dir, err := tw.top.Open(".")
	if err != nil {
		return err
	}
	defer func() { _ = dir.Close() }()
	return tw.verify(int(dir.Fd()), "", false)
}

// verify walks the pooled tree and removes every entry the record does
// not vouch for or want does not hold as it is; what remains is kept.
// unchanged says that the directory's own stamp is the recorded one: no
// entry was added, removed or renamed in it since, so its names are the
// record's and need not be read (a change to an entry shows in that
// entry's stamp).
//
// Entries are looked at by their path from the top (lstatAt), not through
// a handle on each directory: a pooled tree of the users' repository has
// hundreds of directories, and opening and closing each one was a third
// of taking the tree. The walk goes top-down and looks into a directory
// only once its own stamp is trusted, so every directory on a path is
// the one Railyard made; anything removed is removed through os.Root.
func (tw *treeWriter) verify(dirfd int, prefix string, unchanged bool) error {
	names := tw.old.tree.children[prefix]
	if !unchanged {
		dirReads.Add(1)
		var err error
		if names, err = tw.readDir(prefix); err != nil {
			return err
		}
	}
	for _, name := range names {
		p := path.Join(prefix, name)
		st, err := lstatAt(dirfd, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		trusted := tw.trusted(p, st)
		switch {
		case trusted && st.mode.IsDir():
			if err := tw.verify(dirfd, p, tw.unchanged(p, st)); err != nil {
				return err
			}
		case !trusted:
			if err := tw.remove(prefix, name, st); err != nil {
				return fmt.Errorf("removing %s: %w", p, err)
			}
			continue
		}
		tw.keep[p] = true
		tw.stamps[p] = st
	}
	return nil
}

// readDir lists the directory at prefix.
func (tw *treeWriter) readDir(prefix string) ([]string, error) {
	f, err := tw.top.Open(dirName(prefix))
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return f.Readdirnames(-1)
}

// remove removes the entry name of the directory at prefix and all it
// holds, through os.Root.
func (tw *treeWriter) remove(prefix, name string, st stamp) error {
	d := tw.top
	if prefix != "" {
		var err error
		if d, err = tw.top.OpenRoot(prefix); err != nil {
			return err
		}
		defer func() { _ = d.Close() }()
	}
	if st.mode.IsDir() && st.mode.Perm()&0o700 != 0o700 {
		// A step's chmod must not keep it from being removed.
		_ = d.Chmod(name, 0o700)
	}
	return d.RemoveAll(name)
}

func dirName(prefix string) string {
	if prefix == "" {
		return "."
	}
	return prefix
}

// trusted says whether the entry at p, stamped st, is what the record
// says Railyard wrote and what want needs there.
func (tw *treeWriter) trusted(p string, st stamp) bool {
	want, wanted := tw.want.nodes[p]
	had, known := tw.old.tree.nodes[p]
	recorded, stamped := tw.old.stamps[p]
	if !wanted || !known || !stamped {
		return false
	}
	if want.isDir() {
		// A directory's times move with its entries, which are checked
		// one by one; what must hold is that it is the same directory.
		return had.isDir() && st.dev == recorded.dev && st.ino == recorded.ino && st.mode == recorded.mode
	}
	return had == want && tw.unchanged(p, st)
}

// unchanged says whether the entry at p still has the very stamp recorded
// for it, times included, from before the record's racy time. For a
// directory that means no entry was created, removed or renamed in it:
// that would have moved its change time past the record's.
func (tw *treeWriter) unchanged(p string, st stamp) bool {
	recorded, ok := tw.old.stamps[p]
	return ok && st == recorded && recorded.ctime < tw.old.racyFrom
}

// dirReads counts directories verify listed (tests).
var dirReads atomic.Int64

// write creates every path of want that verify did not keep, in tree
// order, so a directory exists before what it holds.
func (tw *treeWriter) write() error {
	dirs := dirStack{paths: []string{""}, roots: []*os.Root{tw.top}}
	defer dirs.close()
	for _, p := range tw.want.paths {
		if tw.keep[p] {
			continue
		}
		parent, name := path.Split(p)
		d, err := dirs.at(strings.TrimSuffix(parent, "/"))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		n := tw.want.nodes[p]
		var fi os.FileInfo
		switch n.mode {
		case filemode.Dir, filemode.Submodule:
			// A submodule's directory; UpdateSubmodules fills it.
			if err = d.Mkdir(name, 0o755); err == nil && tw.record {
				fi, err = d.Lstat(name)
			}
		case filemode.Symlink:
			fi, err = tw.symlink(d, name, n.hash)
		default:
			fi, err = tw.file(d, name, n)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if fi != nil {
			st, _ := stampOf(fi)
			tw.stamps[p] = st
		}
	}
	return nil
}

func (tw *treeWriter) symlink(d *os.Root, name string, h plumbing.Hash) (os.FileInfo, error) {
	target, err := blobContent(tw.objects, h)
	if err != nil {
		return nil, err
	}
	if err := d.Symlink(string(target), name); err != nil {
		return nil, err
	}
	return d.Lstat(name)
}

func (tw *treeWriter) file(d *os.Root, name string, n treeNode) (_ os.FileInfo, err error) {
	r, err := blobReader(tw.objects, n.hash)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	perm := os.FileMode(0o644)
	if n.mode == filemode.Executable {
		perm = 0o755
	}
	f, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(f, r); err != nil {
		return nil, err
	}
	return f.Stat()
}

// racyFrom is a change time later than every stamp taken (clockPast in
// the top directory). Anything changed after the checkout then shows a
// later ctime.
func (tw *treeWriter) racyFrom() (int64, error) {
	var last int64
	for _, st := range tw.stamps {
		last = max(last, st.ctime)
	}
	return clockPast(tw.top, last)
}

// clockPast reads the filesystem's clock, which may tick only every few
// milliseconds, once it has moved past last: root's directory is given
// the mode it has, which sets its change time to the clock, until that is
// later. (A file created and removed for the reading cost an inode made
// and freed per checkout; on ext4 without a journal a freed inode slows
// every creation after it for half a minute.) If the clock does not move
// within a few tries, the last reading is returned, not past last, so
// whatever was stamped in that tick stays untrusted.
func clockPast(root *os.Root, last int64) (int64, error) {
	fi, err := root.Lstat(".")
	if err != nil {
		return 0, err
	}
	mode := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	var now int64
	for i := 0; i < 50; i++ {
		if err := root.Chmod(".", mode); err != nil {
			return 0, err
		}
		if fi, err = root.Lstat("."); err != nil {
			return 0, err
		}
		st, _ := stampOf(fi)
		if now = st.ctime; now > last {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return now, nil
}

// index is the git index of the written tree.
func (tw *treeWriter) index() *index.Index {
	entries := make([]*index.Entry, 0, len(tw.want.paths))
	for _, p := range tw.want.paths {
		n := tw.want.nodes[p]
		switch n.mode {
		case filemode.Dir:
			continue
		case filemode.Submodule:
			entries = append(entries, &index.Entry{Hash: n.hash, Name: p, Mode: n.mode})
			continue
		}
		st := tw.stamps[p]
		at := time.Unix(0, st.mtime)
		entries = append(entries, &index.Entry{Hash: n.hash, Name: p, Mode: n.mode, CreatedAt: at, ModifiedAt: at, Size: uint32(st.size)})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return &index.Index{Version: 2, Entries: entries}
}

// dirStack holds open handles on the directories from the top down to the
// one being written, so each directory is opened once per visit and only
// one branch of the tree is open at a time.
type dirStack struct {
	paths []string
	roots []*os.Root
}

func (s *dirStack) at(dir string) (*os.Root, error) {
	for len(s.paths) > 1 && !within(dir, s.paths[len(s.paths)-1]) {
		s.pop()
	}
	for top := s.paths[len(s.paths)-1]; top != dir; top = s.paths[len(s.paths)-1] {
		rest := strings.TrimPrefix(dir, top)
		rest = strings.TrimPrefix(rest, "/")
		name, _, _ := strings.Cut(rest, "/")
		r, err := s.roots[len(s.roots)-1].OpenRoot(name)
		if err != nil {
			return nil, err
		}
		s.paths = append(s.paths, path.Join(top, name))
		s.roots = append(s.roots, r)
	}
	return s.roots[len(s.roots)-1], nil
}

func (s *dirStack) pop() {
	_ = s.roots[len(s.roots)-1].Close()
	s.paths, s.roots = s.paths[:len(s.paths)-1], s.roots[:len(s.roots)-1]
}

// close closes every handle but the top one, which the caller owns.
func (s *dirStack) close() {
	for len(s.paths) > 1 {
		s.pop()
	}
}

// within says whether p is dir or inside it.
func within(p, dir string) bool {
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}

func blobContent(objects storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	r, err := blobReader(objects, h)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	return io.ReadAll(r)
}

func blobReader(objects storer.EncodedObjectStorer, h plumbing.Hash) (io.ReadCloser, error) {
	blob, err := object.GetBlob(objects, h)
	if err != nil {
		return nil, err
	}
	return blob.Reader()
}
