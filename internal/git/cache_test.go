package git

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gogit "github.com/go-git/go-git/v5"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func newCache(t *testing.T, maxBytes int64) *Cache {
	t.Helper()
	c, err := NewCache(filepath.Join(t.TempDir(), "cache"), maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A cached clone leaves the same checkout as a plain one, for every kind
// of ref; refused refs fail the same way.
func TestCacheCloneMatchesClone(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	first := r.Head("main")
	r.Tag("v1", first)
	r.AnnotatedTag("v1-note", first, "annotated")
	r.Commit("main", "two", map[string]string{"v": "2"})
	r.Branch("stage", first)
	stage := r.Commit("stage", "stage", map[string]string{"v": "stage"})
	c := newCache(t, 0)

	tests := []struct {
		name       string
		opts       CloneOptions
		wantV      string
		wantBranch string
		wantErr    error
	}{
		{name: "branch", opts: CloneOptions{Branch: "stage"}, wantV: "stage", wantBranch: "stage"},
		{name: "tag", opts: CloneOptions{Tag: "v1"}, wantV: "1"},
		{name: "annotated tag", opts: CloneOptions{Tag: "v1-note"}, wantV: "1"},
		{name: "commit of a branch", opts: CloneOptions{Branch: "main", Commit: first}, wantV: "1"},
		{name: "commit of any branch", opts: CloneOptions{Commit: stage}, wantV: "stage"},
		{name: "commit not on the branch", opts: CloneOptions{Branch: "main", Commit: stage}, wantErr: ErrRefNotFound},
		{name: "commit on no branch", opts: CloneOptions{Commit: "0123456789012345678901234567890123456789"}, wantErr: ErrRefNotFound},
		{name: "missing branch", opts: CloneOptions{Branch: "nope"}, wantErr: ErrRefNotFound},
		{name: "missing tag", opts: CloneOptions{Tag: "nope"}, wantErr: ErrRefNotFound},
		{name: "missing branch as orphan", opts: CloneOptions{Branch: "nope", OrphanIfMissing: true}, wantBranch: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = filepath.Join(t.TempDir(), "co")
			w, err := c.Clone(context.Background(), r.URL, Credentials{}, tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Branch() != tt.wantBranch {
				t.Errorf("branch = %q, want %q", w.Branch(), tt.wantBranch)
			}
			if tt.wantV != "" {
				if got := readFile(t, w, "v"); got != tt.wantV {
					t.Errorf("v = %q, want %q", got, tt.wantV)
				}
			}
			// The checkout works on its own: commit and push like a clone.
			if tt.wantBranch == "" {
				return
			}
			writeFile(t, w, "cached", tt.name)
			if _, err := w.CommitAll("from cache", bot); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Push(context.Background(), PushOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := r.ReadFile(tt.wantBranch, "cached"); got != tt.name {
				t.Errorf("pushed file = %q", got)
			}
		})
	}
}

// The second checkout of a commit the cache holds makes no request; a
// branch checkout asks only for the ref list when nothing changed, and
// picks up a new commit when something did.
func TestCacheSavesRequests(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	c := newCache(t, 0)
	clone := func(opts CloneOptions) *WorkTree {
		t.Helper()
		opts.Dir = filepath.Join(t.TempDir(), "co")
		w, err := c.Clone(context.Background(), r.URL, Credentials{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	head := r.Head("main")
	clone(CloneOptions{Branch: "main"})

	s.ResetStats()
	clone(CloneOptions{Commit: head})
	if st := s.Stats(); st.RefLists+st.Fetches != 0 {
		t.Errorf("a cached commit cost %+v, want no request", st)
	}
	s.ResetStats()
	clone(CloneOptions{Branch: "main"})
	if st := s.Stats(); st.Fetches != 0 || st.RefLists != 1 {
		t.Errorf("an unchanged branch cost %+v, want one ref list and no fetch", st)
	}
	next := r.Commit("main", "two", map[string]string{"v": "2"})
	w := clone(CloneOptions{Branch: "main"})
	if got, _ := w.Head(); got != next || readFile(t, w, "v") != "2" {
		t.Errorf("after a new commit the checkout is at %s, want %s", got, next)
	}
}

// Entries are per credentials: a checkout is never served what another
// secret fetched.
func TestCacheKeyedByCredentials(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithBasicAuth("u", "p"))
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	c := newCache(t, 0)
	head := r.Head("main")
	if _, err := c.Clone(context.Background(), r.URL, Credentials{Username: "u", Password: "p"},
		CloneOptions{Dir: filepath.Join(t.TempDir(), "a"), Branch: "main"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Clone(context.Background(), r.URL, Credentials{Username: "u", Password: "wrong"},
		CloneOptions{Dir: filepath.Join(t.TempDir(), "b"), Commit: head})
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("a cached commit with other credentials: err = %v, want %v", err, ErrAuthentication)
	}
	if n := len(c.keys()); n != 2 {
		t.Errorf("entries = %d, want one per credentials", n)
	}
}

// An entry whose objects are gone or garbled is rebuilt, and a step that
// scribbles on its checkout's packs does not reach the cache.
func TestCacheRebuildsCorruptEntry(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	c := newCache(t, 0)
	first := filepath.Join(t.TempDir(), "first")
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: first, Branch: "main"}); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(first, ".git", "objects", "pack", "*"))
	for _, p := range packs {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("scribbled"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	second := filepath.Join(t.TempDir(), "second")
	w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: second, Branch: "main"})
	if err != nil || readFile(t, w, "v") != "1" {
		t.Fatalf("after scribbling on a checkout: err = %v", err)
	}

	keys := c.keys()
	if len(keys) != 1 {
		t.Fatalf("entries = %v", keys)
	}
	if err := os.RemoveAll(filepath.Join(c.dir, keys[0], "objects")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, keys[0], "HEAD"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(t.TempDir(), "third")
	w, err = c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: third, Commit: r.Head("main")})
	if err != nil {
		t.Fatalf("a corrupt entry was not rebuilt: %v", err)
	}
	if readFile(t, w, "v") != "1" {
		t.Error("wrong content after rebuild")
	}
}

// Over its bound, the cache drops the least recently used entries.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	s := gittest.NewServer(t)
	a := s.CreateRepo("a", map[string]string{"v": "a"})
	b := s.CreateRepo("b", map[string]string{"v": "b"})
	c := newCache(t, 1) // every entry is over the bound once idle
	for _, r := range []*gittest.Repo{a, b} {
		if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "co"), Branch: "main"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.keys()); n != 0 {
		t.Errorf("entries over the bound = %d, want 0", n)
	}
	big := newCache(t, 1<<30)
	for _, r := range []*gittest.Repo{a, b} {
		if _, err := big.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "co"), Branch: "main"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(big.keys()); n != 2 || big.Size() == 0 {
		t.Errorf("entries within the bound = %d (size %d), want 2", n, big.Size())
	}
	// A new Cache on the same directory adopts them.
	again, err := NewCache(big.dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if again.Size() != big.Size() {
		t.Errorf("adopted size = %d, want %d", again.Size(), big.Size())
	}
}

// Concurrent checkouts of one repository all succeed, each with its own
// objects.
func TestCacheConcurrentClones(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	c := newCache(t, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := CloneOptions{Dir: filepath.Join(t.TempDir(), "co"), Branch: "main"}
			if i%2 == 1 {
				opts = CloneOptions{Dir: opts.Dir, Commit: r.Head("main")}
			}
			_, err := c.Clone(context.Background(), r.URL, Credentials{}, opts)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// The entry's size is taken again only when a checkout wrote into it, and
// then matches what it holds.
func TestCacheSizeFollowsWrites(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	c := newCache(t, 1<<30)
	clone := func() {
		t.Helper()
		if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "co"), Branch: "main"}); err != nil {
			t.Fatal(err)
		}
	}
	entrySize := func() int64 {
		t.Helper()
		keys := c.keys()
		if len(keys) != 1 {
			t.Fatalf("%d cache entries, want 1", len(keys))
		}
		return dirSize(c.entries[keys[0]].dir)
	}
	clone()
	if got, want := c.Size(), entrySize(); got != want {
		t.Fatalf("size after the first checkout = %d, want %d", got, want)
	}
	walks := sizeWalks.Load()
	clone()
	if n := sizeWalks.Load() - walks; n != 0 {
		t.Errorf("a checkout that fetched nothing walked the entry %d times", n)
	}
	r.Commit("main", "grow", map[string]string{"big": strings.Repeat("railyard ", 20000)})
	before := c.Size()
	clone()
	if got, want := c.Size(), entrySize(); got != want || got <= before {
		t.Errorf("size after a fetch = %d (before %d), want %d", got, before, want)
	}
}

// initRepository makes what go-git's PlainInit makes, file for file.
func TestInitRepositoryIsPlainInit(t *testing.T) {
	list := func(dir string) map[string]string {
		out := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if d.IsDir() {
				out[rel] = fmt.Sprint("dir ", fi.Mode())
				return nil
			}
			b, err := os.ReadFile(p)
			out[rel] = fmt.Sprintf("%v %q", fi.Mode(), b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	theirs, ours := t.TempDir(), t.TempDir()
	if _, err := gogit.PlainInit(theirs, false); err != nil {
		t.Fatal(err)
	}
	if err := initRepository(ours); err != nil {
		t.Fatal(err)
	}
	if got, want := list(ours), list(theirs); !maps.Equal(got, want) {
		t.Errorf("initRepository made\n%v\nPlainInit makes\n%v", got, want)
	}
	if _, err := OpenRepository(ours, false); err != nil {
		t.Errorf("opening what initRepository made: %v", err)
	}
	if err := initRepository(ours); !errors.Is(err, gogit.ErrRepositoryAlreadyExists) {
		t.Errorf("initRepository over a repository: %v, want %v", err, gogit.ErrRepositoryAlreadyExists)
	}
	// A .git that leads out of the directory is never written through.
	outside, linked := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(linked, ".git")); err != nil {
		t.Fatal(err)
	}
	if err := initRepository(linked); err == nil {
		t.Error("initRepository through a .git link out of the directory succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("initRepository wrote %d entries outside the directory", len(entries))
	}
}
