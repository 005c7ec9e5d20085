package git

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// pooledGits is how many repositories wait in the pool (tests).
func (c *Cache) pooledGits() int { return c.trees.gits.waiting() }

// packInodes maps the names in a checkout's objects/pack to their inodes.
func packInodes(t *testing.T, dir string) map[string]uint64 {
	t.Helper()
	pack := filepath.Join(dir, ".git", "objects", "pack")
	list, err := os.ReadDir(pack)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, e := range list {
		out[e.Name()] = inode(t, filepath.Join(pack, e.Name()))
	}
	return out
}

// The repository of a finished checkout serves the next checkout of the
// remote: its directories and packs are the very same files, and the
// checkout is what a new one would be, with only its own refs.
func TestPooledRepositoryIsReused(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", map[string]string{"a.yaml": "a: 1\n"})
	if _, err := r.Apply(gittest.Change{Branch: "other", Message: "other", Files: map[string]string{"b.yaml": "b: 1\n"}}); err != nil {
		t.Fatal(err)
	}
	c := pooledCache(t, 0)
	work := t.TempDir()
	w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(work, "out"), Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	objects := inode(t, filepath.Join(w.Dir(), ".git", "objects"))
	packs := packInodes(t, w.Dir())
	if len(packs) == 0 {
		t.Fatal("the checkout has no packs")
	}
	c.Reclaim(work)
	if n := c.pooledGits(); n != 1 {
		t.Fatalf("pooled repositories = %d, want 1", n)
	}

	again := filepath.Join(t.TempDir(), "out")
	w2, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: again, Branch: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.pooledGits(); n != 0 {
		t.Errorf("pooled repositories = %d after reuse, want 0", n)
	}
	if got := inode(t, filepath.Join(again, ".git", "objects")); got != objects {
		t.Error("the repository was made again: the pooled one was not reused")
	}
	for name, ino := range packInodes(t, again) {
		if old, ok := packs[name]; ok && old != ino {
			t.Errorf("pack %s was copied again", name)
		}
	}
	head, err := w2.Head()
	if err != nil || head != r.Head("other") {
		t.Fatalf("head = %q, %v; want %s", head, err, r.Head("other"))
	}
	if w2.Branch() != "other" {
		t.Errorf("branch = %q, want other", w2.Branch())
	}
	if _, err := w2.repo.Reference(plumbing.NewBranchReferenceName("main"), false); err == nil {
		t.Error("the previous checkout's branch is still in the repository")
	}
	if url, err := w2.OriginURL(); err != nil || url != r.URL {
		t.Errorf("origin = %q, %v; want %s", url, err, r.URL)
	}
	assertClean(t, w2)
}

// Whatever a promotion's steps wrote into their checkout's .git is gone
// before the repository serves the next checkout; a repository whose
// directories were replaced is not pooled at all, and nothing outside it
// is touched.
func TestPooledRepositoryDropsWhatStepsWrote(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", map[string]string{"a.yaml": "a: 1\n"})
	outside := t.TempDir()
	keep := filepath.Join(outside, "keep")
	if err := os.WriteFile(keep, []byte("not Railyard's"), 0o644); err != nil {
		t.Fatal(err)
	}
	firstPack := func(dotGit string) string {
		list, err := filepath.Glob(filepath.Join(dotGit, "objects", "pack", "pack-*.pack"))
		if err != nil || len(list) == 0 {
			t.Fatalf("no pack in %s: %v", dotGit, err)
		}
		slices.Sort(list)
		return list[0]
	}
	gone := func(rel string) func(t *testing.T, dotGit string) {
		return func(t *testing.T, dotGit string) {
			if _, err := os.Lstat(filepath.Join(dotGit, rel)); err == nil {
				t.Errorf("%s is still there", rel)
			}
		}
	}
	var cacheDir string
	cachedPack := func(t *testing.T, name string) []byte {
		t.Helper()
		list, err := filepath.Glob(filepath.Join(cacheDir, "*", "objects", "pack", name))
		if err != nil || len(list) != 1 {
			t.Fatalf("pack %s in the cache: %v, %v", name, list, err)
		}
		b, err := os.ReadFile(list[0])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tt := range []struct {
		name   string
		tamper func(dotGit string) error
		check  func(t *testing.T, dotGit string)
		pooled int
	}{
		{
			name: "pack rewritten in place",
			tamper: func(dotGit string) error {
				p := firstPack(dotGit)
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				b[len(b)/2] ^= 0xff
				f, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					return err
				}
				_, err = f.WriteAt(b, 0)
				return errors.Join(err, f.Close())
			},
			check: func(t *testing.T, dotGit string) {
				p := firstPack(dotGit)
				got, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, cachedPack(t, filepath.Base(p))) {
					t.Error("the rewritten pack was kept")
				}
			},
			pooled: 1,
		},
		{
			name: "a pack of its own",
			tamper: func(dotGit string) error {
				return os.WriteFile(filepath.Join(dotGit, "objects", "pack", "pack-0123456789012345678901234567890123456789.pack"), []byte("PACK"), 0o644)
			},
			check:  gone("objects/pack/pack-0123456789012345678901234567890123456789.pack"),
			pooled: 1,
		},
		{
			// git-clone keeps a configured signing key here (gitsteps).
			name: "a file at the top",
			tamper: func(dotGit string) error {
				return os.WriteFile(filepath.Join(dotGit, "railyard-signing-key.asc"), []byte("key"), 0o600)
			},
			check:  gone("railyard-signing-key.asc"),
			pooled: 1,
		},
		{
			name: "alternates",
			tamper: func(dotGit string) error {
				return os.WriteFile(filepath.Join(dotGit, "objects", "info", "alternates"), []byte(outside+"\n"), 0o644)
			},
			check:  gone("objects/info/alternates"),
			pooled: 1,
		},
		{
			name: "a hook",
			tamper: func(dotGit string) error {
				if err := os.MkdirAll(filepath.Join(dotGit, "hooks"), 0o755); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dotGit, "hooks", "post-checkout"), []byte("#!/bin/sh\n"), 0o755)
			},
			check:  gone("hooks"),
			pooled: 1,
		},
		{
			name: "a ref and a loose object",
			tamper: func(dotGit string) error {
				if err := os.WriteFile(filepath.Join(dotGit, "refs", "heads", "evil"), []byte("0123456789012345678901234567890123456789\n"), 0o644); err != nil {
					return err
				}
				if err := os.MkdirAll(filepath.Join(dotGit, "objects", "01"), 0o755); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dotGit, "objects", "01", "23456789012345678901234567890123456789"), []byte("x"), 0o444)
			},
			check: func(t *testing.T, dotGit string) {
				gone("refs/heads/evil")(t, dotGit)
				gone("objects/01")(t, dotGit)
			},
			pooled: 1,
		},
		{
			name: "objects replaced by a link",
			tamper: func(dotGit string) error {
				if err := os.RemoveAll(filepath.Join(dotGit, "objects")); err != nil {
					return err
				}
				return os.Symlink(outside, filepath.Join(dotGit, "objects"))
			},
			pooled: 0,
		},
		{
			name: "pack directory opened to everyone",
			tamper: func(dotGit string) error {
				return os.Chmod(filepath.Join(dotGit, "objects", "pack"), 0o777)
			},
			pooled: 0,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := pooledCache(t, 0)
			cacheDir = c.dir
			work := t.TempDir()
			w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(work, "out"), Branch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.tamper(filepath.Join(w.Dir(), ".git")); err != nil {
				t.Fatal(err)
			}
			c.Reclaim(work)
			if n := c.pooledGits(); n != tt.pooled {
				t.Fatalf("pooled repositories = %d, want %d", n, tt.pooled)
			}
			again := filepath.Join(t.TempDir(), "out")
			w2, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: again, Branch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, filepath.Join(again, ".git"))
			}
			assertClean(t, w2)
			if head, err := w2.Head(); err != nil || head != r.Head("main") {
				t.Errorf("head = %q, %v; want %s", head, err, r.Head("main"))
			}
			if b, err := os.ReadFile(keep); err != nil || string(b) != "not Railyard's" {
				t.Errorf("a file outside the repository changed: %q, %v", b, err)
			}
			if list, _ := os.ReadDir(outside); len(list) != 1 {
				t.Errorf("the directory outside holds %d entries, want 1", len(list))
			}
		})
	}
}

// A pack changed in the same tick of the filesystem's clock as its copy
// keeps its stamp, so one whose change time is not before the clock read
// after the copies is not kept.
func TestRacyPackIsNotKept(t *testing.T) {
	for _, tt := range []struct {
		name  string
		clock func(ctime int64) int64
		kept  bool
	}{
		{"clock moved on", func(ctime int64) int64 { return ctime + 1 }, true},
		{"same tick", func(ctime int64) int64 { return ctime }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := initRepository(dir); err != nil {
				t.Fatal(err)
			}
			rec, err := recordRepository("key", dir)
			if err != nil {
				t.Fatal(err)
			}
			entry := t.TempDir()
			if err := os.MkdirAll(filepath.Join(entry, "objects", "pack"), 0o755); err != nil {
				t.Fatal(err)
			}
			name := "pack-0123456789012345678901234567890123456789.pack"
			if err := os.WriteFile(filepath.Join(entry, "objects", "pack", name), []byte("PACK"), 0o444); err != nil {
				t.Fatal(err)
			}
			if err := syncPacks(entry, dir, rec); err != nil {
				t.Fatal(err)
			}
			rec.clock = tt.clock(rec.packs[name].ctime)
			kept, ok := clean(filepath.Join(dir, ".git"), rec)
			if !ok {
				t.Fatal("the repository was not pooled")
			}
			_, inRecord := kept.packs[name]
			_, err = os.Lstat(filepath.Join(dir, ".git", "objects", "pack", name))
			if inRecord != tt.kept || (err == nil) != tt.kept {
				t.Errorf("pack kept: record %v, file %v; want %v", inRecord, err == nil, tt.kept)
			}
		})
	}
}

// A pooled repository's packs follow the cache entry's: missing ones are
// copied, ones the entry merged away are removed, the rest stay as they
// are.
func TestSyncPacksFollowsTheCache(t *testing.T) {
	dir, entry := t.TempDir(), t.TempDir()
	if err := initRepository(dir); err != nil {
		t.Fatal(err)
	}
	rec, err := recordRepository("key", dir)
	if err != nil {
		t.Fatal(err)
	}
	cachePacks := filepath.Join(entry, "objects", "pack")
	if err := os.MkdirAll(cachePacks, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(cachePacks, name), []byte(name), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	write("pack-a.pack")
	write("pack-c.pack")
	if err := syncPacks(entry, dir, rec); err != nil {
		t.Fatal(err)
	}
	kept := inode(t, filepath.Join(dir, ".git", "objects", "pack", "pack-a.pack"))
	// The entry merged c into b.
	if err := os.Remove(filepath.Join(cachePacks, "pack-c.pack")); err != nil {
		t.Fatal(err)
	}
	write("pack-b.pack")
	if err := syncPacks(entry, dir, rec); err != nil {
		t.Fatal(err)
	}
	got := packInodes(t, dir)
	if len(got) != 2 || got["pack-a.pack"] != kept || got["pack-b.pack"] == 0 {
		t.Errorf("packs = %v, want pack-a.pack (inode %d, kept) and pack-b.pack", got, kept)
	}
	if names := slices.Sorted(maps.Keys(rec.packs)); !slices.Equal(names, []string{"pack-a.pack", "pack-b.pack"}) {
		t.Errorf("recorded packs = %v, want a and b", names)
	}
}

// A Stage's first promotion makes its branch as an orphan in a repository
// from the pool, not a new one, and gives it back when its work directory
// is reclaimed; the branch it pushes holds only its own commit, and git
// reads the checkout as a repository on that unborn branch.
func TestOrphanCheckoutUsesPooledRepository(t *testing.T) {
	ctx := context.Background()
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("gitops", map[string]string{"a.yaml": "a: 1\n"})
	c := pooledCache(t, 0)
	first := t.TempDir()
	w, err := c.Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(first, "src"), Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	objects := inode(t, filepath.Join(w.Dir(), ".git", "objects"))
	c.Reclaim(first)
	if n := c.pooledGits(); n != 1 {
		t.Fatalf("pooled repositories = %d, want 1", n)
	}

	second := t.TempDir()
	out := filepath.Join(second, "out")
	o, err := c.Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: out, Branch: "kargo/app/test", OrphanIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.pooledGits(); n != 0 {
		t.Errorf("pooled repositories = %d after an orphan checkout, want 0", n)
	}
	if got := inode(t, filepath.Join(out, ".git", "objects")); got != objects {
		t.Error("the orphan's repository was made anew: the pooled one was not used")
	}
	if head, err := o.Head(); err != nil || head != "" || o.Branch() != "kargo/app/test" {
		t.Fatalf("head %q, %v, branch %q; want an unborn kargo/app/test", head, err, o.Branch())
	}
	if got := gitIn(t, out, "symbolic-ref", "HEAD"); got != "refs/heads/kargo/app/test" {
		t.Errorf("git sees HEAD at %q", got)
	}
	if entries, err := os.ReadDir(out); err != nil || len(entries) != 1 {
		t.Errorf("the orphan's work tree holds %v (%v), want only .git", entries, err)
	}
	id := commitFile(t, o, "manifests.yaml", "kind: List\n", "rendered")
	if err := o.PushCommitFrom(ctx, r.URL, Credentials{}, id, "refs/heads/kargo/app/test", ""); err != nil {
		t.Fatal(err)
	}
	if r.Head("kargo/app/test") != id || r.CommitCount("kargo/app/test") != 1 || r.HasFile(id, "a.yaml") {
		t.Errorf("pushed branch: head %s (want %s), %d commits, main's file in it: %v",
			r.Head("kargo/app/test"), id, r.CommitCount("kargo/app/test"), r.HasFile(id, "a.yaml"))
	}
	c.Reclaim(second)
	if n := c.pooledGits(); n != 1 {
		t.Errorf("pooled repositories = %d after the orphan's work directory was reclaimed, want 1", n)
	}
}
