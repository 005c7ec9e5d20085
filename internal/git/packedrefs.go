package git

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

const (
	packedRefsFile = "packed-refs"
	packedRefsLock = "packed-refs.lock"
	// packedTraits heads a packed-refs file made here: sorted, and every
	// ref in it peeled (it holds no tags, which are the ones that peel).
	packedTraits = "# pack-refs with: peeled fully-peeled sorted "
)

// packedRefStorage is a checkout's storage that writes branches,
// remote-tracking branches and Railyard's own refs into packed-refs instead
// of a file each. A loose ref needs its directories: refs/heads/kargo/<app>
// and refs/remotes/origin/kargo/<app> for a Stage's branch, each made when
// the checkout is and removed when its repository is pooled again, and on
// ordinary disks making a directory costs ten times writing a file. Git
// reads packed-refs as it reads loose refs, so `git` in the checkout sees
// the same refs. Tags (their peeled lines) and symbolic refs stay loose, as
// go-git writes them; a loose ref of the same name is removed when the
// packed one is written, since it would hide it. Reads, removals and
// listings are go-git's, which read both forms.
type packedRefStorage struct {
	*filesystem.Storage
	dot billy.Filesystem
	mu  sync.Mutex
}

func newPackedRefStorage(s *filesystem.Storage, dot billy.Filesystem) *packedRefStorage {
	return &packedRefStorage{Storage: s, dot: dot}
}

// SetReference implements storer.ReferenceStorer.
func (s *packedRefStorage) SetReference(ref *plumbing.Reference) error {
	if !packable(ref) {
		return s.Storage.SetReference(ref)
	}
	return s.setPacked(ref, nil)
}

// CheckAndSetReference implements storer.ReferenceStorer: as go-git's, it
// fails with storage.ErrReferenceHasChanged when the ref exists and does
// not hold old's hash.
func (s *packedRefStorage) CheckAndSetReference(ref, old *plumbing.Reference) error {
	if !packable(ref) {
		return s.Storage.CheckAndSetReference(ref, old)
	}
	return s.setPacked(ref, old)
}

// packable reports whether ref is written to packed-refs.
func packable(ref *plumbing.Reference) bool {
	if ref.Type() != plumbing.HashReference {
		return false
	}
	name := ref.Name().String()
	return strings.HasPrefix(name, "refs/heads/") || strings.HasPrefix(name, "refs/remotes/") ||
		strings.HasPrefix(name, "refs/railyard/")
}

func (s *packedRefStorage) setPacked(ref, old *plumbing.Reference) error {
	// Git's rules for ref names, which also keep the name inside .git.
	if err := ref.Name().Validate(); err != nil {
		return fmt.Errorf("%w: %q", err, ref.Name())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old != nil {
		cur, err := s.Reference(old.Name())
		switch {
		case errors.Is(err, plumbing.ErrReferenceNotFound):
		case err != nil:
			return err
		case cur.Hash() != old.Hash():
			return storage.ErrReferenceHasChanged
		}
	}
	// Git's protocol: whoever creates the lock file rewrites packed-refs.
	lock, err := s.dot.OpenFile(packedRefsLock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("lock packed-refs: %w", err)
	}
	content, err := s.packedWith(ref)
	if err == nil {
		_, err = lock.Write(content)
	}
	if closeErr := lock.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = s.dot.Rename(packedRefsLock, packedRefsFile)
	}
	if err != nil {
		_ = s.dot.Remove(packedRefsLock)
		return fmt.Errorf("write packed-refs: %w", err)
	}
	// A loose ref of the same name would hide the packed one.
	if err := s.dot.Remove(ref.Name().String()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove loose %s: %w", ref.Name(), err)
	}
	return nil
}

// packedWith returns packed-refs with ref set: its lines in name order,
// each ref's peeled line ("^<hash>") kept after it. An existing file keeps
// its traits line; one without says only "sorted", since its tags may lack
// peeled lines.
func (s *packedRefStorage) packedWith(ref *plumbing.Reference) ([]byte, error) {
	type entry struct{ name, lines string }
	var entries []entry
	header := packedTraits
	f, err := s.dot.Open(packedRefsFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		b, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		header = "# pack-refs with: sorted "
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "# pack-refs with:"):
				header = line
			case line == "" || strings.HasPrefix(line, "#"):
			case strings.HasPrefix(line, "^"):
				if len(entries) == 0 {
					return nil, errors.New("packed-refs: peeled line before any ref")
				}
				entries[len(entries)-1].lines += line + "\n"
			default:
				_, name, ok := strings.Cut(line, " ")
				if !ok {
					return nil, fmt.Errorf("packed-refs: malformed line %q", line)
				}
				entries = append(entries, entry{name: name, lines: line + "\n"})
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	line := ref.Hash().String() + " " + ref.Name().String() + "\n"
	found := false
	for i := range entries {
		if entries[i].name == ref.Name().String() {
			entries[i].lines, found = line, true
		}
	}
	if !found {
		entries = append(entries, entry{name: ref.Name().String(), lines: line})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	buf.WriteString(header + "\n")
	for _, e := range entries {
		buf.WriteString(e.lines)
	}
	return buf.Bytes(), nil
}
