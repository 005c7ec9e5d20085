package git

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// shelf keeps finished directories of one kind (work trees, repositories)
// for reuse: the ones in use are remembered by the checkout they belong
// to (live), the ones waiting are directories under dir (idle), each with
// the record of what Railyard made in it.
type shelf[R any] struct {
	dir string
	max int

	mu   sync.Mutex
	seq  int
	live map[string]R
	idle []*shelved[R]
}

type shelved[R any] struct {
	dir string
	rec R
}

func newShelf[R any](dir string, max int) shelf[R] {
	return shelf[R]{dir: dir, max: max, live: map[string]R{}}
}

// maxLive bounds the checkouts remembered until reclaimed; one that is
// never reclaimed (its directory removed some other way) is forgotten.
const maxLive = 1024

// register remembers rec for the checkout at dir.
func (s *shelf[R]) register(dir string, rec R) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.live) >= maxLive {
		for k := range s.live {
			delete(s.live, k)
			break
		}
	}
	s.live[dir] = rec
}

// under forgets and returns the checkouts registered under workDir.
func (s *shelf[R]) under(workDir string) []shelved[R] {
	workDir, err := filepath.Abs(workDir)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []shelved[R]
	for dir, rec := range s.live {
		if within(filepath.ToSlash(dir), filepath.ToSlash(workDir)) {
			found = append(found, shelved[R]{dir: dir, rec: rec})
			delete(s.live, dir)
		}
	}
	return found
}

func (s *shelf[R]) room() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.idle) < s.max
}

// put moves the directory from onto the shelf with rec, if there is
// room; otherwise it stays where it was.
func (s *shelf[R]) put(from string, rec R) {
	s.mu.Lock()
	s.seq++
	to := filepath.Join(s.dir, fmt.Sprint(s.seq))
	s.mu.Unlock()
	if err := os.Rename(from, to); err != nil {
		return
	}
	s.mu.Lock()
	if len(s.idle) < s.max {
		s.idle = append(s.idle, &shelved[R]{dir: to, rec: rec})
		to = ""
	}
	s.mu.Unlock()
	if to != "" {
		_ = os.RemoveAll(to)
	}
}

// take hands out the waiting directory whose record scores highest
// (the latest of equals), or nil when none scores above zero.
func (s *shelf[R]) take(score func(R) int) *shelved[R] {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, bestScore := -1, 0
	for i := len(s.idle) - 1; i >= 0; i-- {
		if sc := score(s.idle[i].rec); sc > bestScore {
			best, bestScore = i, sc
		}
	}
	if best < 0 {
		return nil
	}
	t := s.idle[best]
	s.idle = append(s.idle[:best], s.idle[best+1:]...)
	return t
}

// waiting is how many directories wait on the shelf.
func (s *shelf[R]) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.idle)
}

// discard removes a directory taken from the shelf that could not be used.
func (s *shelf[R]) discard(t *shelved[R]) { _ = os.RemoveAll(t.dir) }
