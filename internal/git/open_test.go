package git

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// OpenRepository opens what gogit.PlainOpen opens, resolving the same
// objects, and reads pack indexes from memory.
func TestOpenRepository(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	head := r.Commit("main", "two", map[string]string{"v": "2"})
	c := newCache(t, 0)
	checkout := filepath.Join(t.TempDir(), "co")
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: checkout}); err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(c.dir, "*"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no cache entry: %v", err)
	}
	gitFile := filepath.Join(t.TempDir(), "linked")
	if err := os.MkdirAll(gitFile, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gitFile, ".git"), []byte("gitdir: "+filepath.Join(checkout, ".git")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dir     string
		bare    bool
		ref     string
		wantErr error
	}{
		{name: "checkout", dir: checkout, ref: "refs/heads/main"},
		{name: "bare cache entry", dir: entries[0], bare: true, ref: "refs/heads/main"},
		{name: "gitdir file", dir: gitFile, ref: "refs/heads/main"},
		{name: "missing", dir: filepath.Join(t.TempDir(), "none"), wantErr: gogit.ErrRepositoryNotExists},
		{name: "not a repository", dir: t.TempDir(), wantErr: gogit.ErrRepositoryNotExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, err := OpenRepository(tt.dir, tt.bare)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ref, err := repo.Reference("refs/heads/main", true)
			if err != nil || ref.Hash().String() != head {
				t.Fatalf("main = %v, %v; want %s", ref, err, head)
			}
			commit, err := repo.CommitObject(ref.Hash())
			if err != nil || strings.TrimSpace(commit.Message) != "two" {
				t.Fatalf("commit = %v, %v", commit, err)
			}
		})
	}
}

// Pack indexes come from memory; everything else, and any write, from disk.
func TestWholeIndexFS(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"objects/pack/p.idx": "index", "objects/pack/p.pack": "pack"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	fsys := wholeIndexFS{osfs.New(dir)}
	f, err := fsys.Open("objects/pack/p.idx")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(*memFile); !ok {
		t.Errorf("an index opened for reading is a %T, want *memFile", f)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("an index in memory took a write")
	}
	if f, err := fsys.Open("objects/pack/p.pack"); err != nil {
		t.Fatal(err)
	} else if _, ok := f.(*memFile); ok {
		t.Error("a pack was read into memory")
	}
	if f, err := fsys.OpenFile("objects/pack/new.idx", os.O_CREATE|os.O_WRONLY, 0o644); err != nil {
		t.Fatal(err)
	} else if _, ok := f.(*memFile); ok {
		t.Error("an index opened for writing is in memory")
	}
}

// openHeld keeps a repository's pack files open while objects are read,
// instead of opening one for every object, and closes them on release.
func TestOpenHeldKeepsPacksOpenUntilReleased(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1", "b/c": "2"})
	c := newCache(t, 0)
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: filepath.Join(t.TempDir(), "co")}); err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(c.dir, "*"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache entries %v: %v", entries, err)
	}
	repo, release, err := openHeld(entries[0], true)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Reference("refs/heads/main", true)
	if err != nil {
		t.Fatal(err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := commit.Files(); err != nil {
		t.Fatal(err)
	}
	if n := openPacks(t, entries[0]); n == 0 {
		t.Error("no pack file open while the repository is held: every object read opens its pack again")
	}
	release()
	if n := openPacks(t, entries[0]); n != 0 {
		t.Errorf("%d pack files still open after release", n)
	}
}

// openPacks counts this process's open files that are pack files under
// dir.
func openPacks(t *testing.T, dir string) int {
	t.Helper()
	// Railyard's manager and its tests run on Linux, which always has
	// /proc/self/fd; without it this check could not be made at all.
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("listing this process's open files: %v", err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir) && strings.HasSuffix(target, ".pack") {
			n++
		}
	}
	return n
}
