package git

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// gitopsFiles is a GitOps repository of n apps, a base and two overlays
// each: large enough to be pooled.
func gitopsFiles(n int, tag string) map[string]string {
	files := map[string]string{}
	for i := range n {
		app := fmt.Sprintf("apps/app%d", i)
		files[app+"/base/kustomization.yaml"] = "resources:\n- deployment.yaml\n"
		files[app+"/base/deployment.yaml"] = fmt.Sprintf("image: app%d:%s\n", i, tag)
		files[app+"/overlays/test/kustomization.yaml"] = "resources:\n- ../../base\n"
		files[app+"/overlays/prod/kustomization.yaml"] = "resources:\n- ../../base\n"
	}
	return files
}

func pooledCache(t *testing.T, max int) *Cache {
	t.Helper()
	c := newCache(t, 0)
	if err := c.PoolTrees(t.TempDir(), max); err != nil {
		t.Fatal(err)
	}
	return c
}

// snapshot describes a checkout without its .git: every path with its
// type, permissions and content (a link's target).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		if rel == ".git" {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case fi.IsDir():
			out[rel] = fmt.Sprintf("dir %v", fi.Mode())
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("file %v %q", fi.Mode(), b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffSnapshots(got, want map[string]string) []string {
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, "missing "+p)
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s: %s, want %s", p, g, w))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "extra "+p+": "+got[p])
		}
	}
	return diffs
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func assertClean(t *testing.T, w *WorkTree) {
	t.Helper()
	wt, err := w.repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	st, err := wt.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsClean() {
		t.Errorf("status is not clean:\n%s", st)
	}
}

// A finished checkout goes back to the pool and the next checkout of the
// remote is made from it: the files it did not need to change are the
// very same files, and the result is what a fresh checkout of the target
// commit holds, with a clean status.
func TestPooledCheckoutReusesTheTree(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", gitopsFiles(20, "v1"))
	first := r.Head("main")
	second, err := r.Apply(gittest.Change{Branch: "main", Message: "two",
		Files:  map[string]string{"apps/app3/base/deployment.yaml": "image: app3:v2\n", "apps/new/base/kustomization.yaml": "{}\n"},
		Delete: []string{"apps/app7/overlays/prod/kustomization.yaml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := pooledCache(t, 0)
	fresh := func(commit string) map[string]string {
		w, err := Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "co"), Branch: "main", Commit: commit})
		if err != nil {
			t.Fatal(err)
		}
		return snapshot(t, w.Dir())
	}

	for _, tt := range []struct {
		name   string
		commit string
	}{
		{"same commit", first},
		{"next commit", second},
		{"back again", first},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(work, "src"), Commit: tt.commit})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffSnapshots(snapshot(t, w.Dir()), fresh(tt.commit)); len(d) > 0 {
				t.Fatalf("checkout differs from a fresh one:\n%s", strings.Join(d, "\n"))
			}
			assertClean(t, w)
			kept := inode(t, filepath.Join(w.Dir(), "apps/app0/base/deployment.yaml"))
			c.Reclaim(work)
			if n := c.PooledTrees(); n != 1 {
				t.Fatalf("pooled trees = %d, want 1", n)
			}
			again := filepath.Join(t.TempDir(), "src")
			w2, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: again, Commit: tt.commit})
			if err != nil {
				t.Fatal(err)
			}
			if got := inode(t, filepath.Join(again, "apps/app0/base/deployment.yaml")); got != kept {
				t.Error("an unchanged file was written again: the pooled tree was not reused")
			}
			if n := c.PooledTrees(); n != 0 {
				t.Errorf("pooled trees = %d after reuse, want 0", n)
			}
			assertClean(t, w2)
			c.Reclaim(filepath.Dir(again))
		})
	}
}

// Whatever a promotion's steps did to their checkout is undone before the
// tree serves the next checkout, and nothing outside the pooled tree is
// touched while undoing it.
func TestPooledTreeUndoesWhatStepsDid(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", gitopsFiles(20, "v1"))
	commit := r.Head("main")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("not Railyard's"), 0o644); err != nil {
		t.Fatal(err)
	}
	tamper := map[string]func(dir string) error{
		"same-size rewrite": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "apps/app1/base/deployment.yaml"), []byte("image: evil:v1\n"), 0o644)
		},
		"chmod": func(dir string) error {
			return os.Chmod(filepath.Join(dir, "apps/app2/base/deployment.yaml"), 0o777)
		},
		"unknown file": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "apps/app3/extra.yaml"), []byte("x"), 0o644)
		},
		"unknown file deep down": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "apps/app3/overlays/test/extra.yaml"), []byte("x"), 0o644)
		},
		"unknown directory": func(dir string) error {
			return os.MkdirAll(filepath.Join(dir, "apps/app3/base/sub"), 0o755)
		},
		"file renamed away and back": func(dir string) error {
			p := filepath.Join(dir, "apps/app10/base/deployment.yaml")
			if err := os.Rename(p, p+".tmp"); err != nil {
				return err
			}
			return os.Rename(p+".tmp", p)
		},
		"a .git of its own": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, ".git", "hooks-marker"), []byte("x"), 0o644)
		},
		"directory replaced by a link out": func(dir string) error {
			if err := os.RemoveAll(filepath.Join(dir, "apps/app4")); err != nil {
				return err
			}
			return os.Symlink(outside, filepath.Join(dir, "apps/app4"))
		},
		"file replaced by a link out": func(dir string) error {
			p := filepath.Join(dir, "apps/app5/base/kustomization.yaml")
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink(filepath.Join(outside, "keep"), p)
		},
		"file removed and written again": func(dir string) error {
			p := filepath.Join(dir, "apps/app6/base/deployment.yaml")
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.WriteFile(p, []byte("image: app6:v0\n"), 0o644)
		},
		"hard link out": func(dir string) error {
			return os.Link(filepath.Join(dir, "apps/app8/base/deployment.yaml"), filepath.Join(outside, "linked-"+filepath.Base(filepath.Dir(dir))))
		},
		"directory made unreadable": func(dir string) error {
			return os.Chmod(filepath.Join(dir, "apps/app9/overlays"), 0o000)
		},
	}
	fresh, err := Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "co"), Branch: "main", Commit: commit})
	if err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, fresh.Dir())
	// Steps change a tree fresh from the pool's first checkout, or one
	// reused before, whose directories verify need not list again.
	for name, change := range tamper {
		for reused := range 2 {
			t.Run(fmt.Sprintf("%s, tree reused %d times before", name, reused), func(t *testing.T) {
				undoSteps(t, r.URL, commit, reused, change, want, outside)
			})
		}
	}
}

func undoSteps(t *testing.T, url, commit string, reused int, change func(dir string) error, want map[string]string, outside string) {
	t.Helper()
	c := pooledCache(t, 0)
	for range reused {
		work := t.TempDir()
		if _, err := c.Clone(context.Background(), url, Credentials{}, CloneOptions{Dir: filepath.Join(work, "src"), Commit: commit}); err != nil {
			t.Fatal(err)
		}
		c.Reclaim(work)
	}
	work := t.TempDir()
	w, err := c.Clone(context.Background(), url, Credentials{}, CloneOptions{Dir: filepath.Join(work, "src"), Commit: commit})
	if err != nil {
		t.Fatal(err)
	}
	if err := change(w.Dir()); err != nil {
		t.Fatal(err)
	}
	c.Reclaim(work)
	again := filepath.Join(t.TempDir(), "src")
	w2, err := c.Clone(context.Background(), url, Credentials{}, CloneOptions{Dir: again, Commit: commit})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffSnapshots(snapshot(t, again), want); len(d) > 0 {
		t.Errorf("reused checkout differs from a fresh one:\n%s", strings.Join(d, "\n"))
	}
	assertClean(t, w2)
	if b, err := os.ReadFile(filepath.Join(outside, "keep")); err != nil || string(b) != "not Railyard's" {
		t.Errorf("a file outside the tree was touched: %q %v", b, err)
	}
}

// Once a pooled tree has been reused, verify lists only the directories
// whose stamp moved: here none but the top, which its .git moves in and
// out of.
func TestPooledTreeListsOnlyChangedDirectories(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", gitopsFiles(20, "v1"))
	commit := r.Head("main")
	c := pooledCache(t, 0)
	var reads []int64
	for range 3 {
		before := dirReads.Load()
		work := t.TempDir()
		if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(work, "src"), Commit: commit}); err != nil {
			t.Fatal(err)
		}
		reads = append(reads, dirReads.Load()-before)
		c.Reclaim(work)
	}
	// 101 directories: apps, and base, overlays and two overlays per app.
	if reads[0] != 0 || reads[2] > 2 {
		t.Errorf("directories listed by a fresh checkout and two reuses = %v, want 0, any, at most 2 (the top, and one whose change raced the record)", reads)
	}
}

// Trees are pooled per remote and credentials, up to the bound; small
// trees and checkouts moved away by a step are not pooled.
func TestTreePoolBounds(t *testing.T) {
	s := gittest.NewServer(t)
	big := s.CreateRepo("gitops", gitopsFiles(20, "v1"))
	small := s.CreateRepo("small", map[string]string{"a": "1"})
	c := pooledCache(t, 2)
	clone := func(url, commit string, creds Credentials) (string, *WorkTree) {
		t.Helper()
		work := t.TempDir()
		w, err := c.Clone(context.Background(), url, creds, CloneOptions{Dir: filepath.Join(work, "src"), Commit: commit})
		if err != nil {
			t.Fatal(err)
		}
		return work, w
	}
	smallWork, _ := clone(small.URL, small.Head("main"), Credentials{})
	c.Reclaim(smallWork)
	if n := c.PooledTrees(); n != 0 {
		t.Fatalf("a tree of one file was pooled (%d)", n)
	}

	moved, w := clone(big.URL, big.Head("main"), Credentials{})
	if err := os.Rename(w.Dir(), filepath.Join(moved, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(w.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	c.Reclaim(moved)
	if n := c.PooledTrees(); n != 0 {
		t.Fatalf("a directory that is not the checkout was pooled (%d)", n)
	}

	opened, w2 := clone(big.URL, big.Head("main"), Credentials{})
	if err := os.Chmod(w2.Dir(), 0o777); err != nil {
		t.Fatal(err)
	}
	c.Reclaim(opened)
	if n := c.PooledTrees(); n != 0 {
		t.Fatalf("a checkout opened to everyone was pooled (%d)", n)
	}

	var works []string
	for range 3 {
		work, _ := clone(big.URL, big.Head("main"), Credentials{})
		works = append(works, work)
	}
	for _, work := range works {
		c.Reclaim(work)
	}
	if n := c.PooledTrees(); n != 2 {
		t.Fatalf("pooled trees = %d, want the bound 2", n)
	}
	if _, err := os.Stat(filepath.Join(works[2], "src")); err != nil {
		t.Errorf("the checkout that did not fit was moved or removed: %v", err)
	}
	// Other credentials never get a tree checked out with these.
	clone(big.URL, big.Head("main"), Credentials{Username: "other", Password: "secret"})
	if n := c.PooledTrees(); n != 2 {
		t.Errorf("pooled trees = %d after a checkout with other credentials, want 2", n)
	}
}

// An entry stamped in the clock tick the writing ended in is not trusted
// even with its recorded stamp: it could have changed within that tick.
func TestRacyEntriesAreNotTrusted(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := stampOf(fi)
	node := treeNode{mode: 0o100644}
	tree := &flatTree{paths: []string{"f"}, nodes: map[string]treeNode{"f": node}}
	for _, tt := range []struct {
		name     string
		racyFrom int64
		want     bool
	}{
		{"stamped before the last tick", st.ctime + 1, true},
		{"stamped in the last tick", st.ctime, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tw := &treeWriter{want: tree, old: &treeRecord{tree: tree, stamps: map[string]stamp{"f": st}, racyFrom: tt.racyFrom}}
			if got := tw.trusted("f", st); got != tt.want {
				t.Errorf("trusted = %v, want %v", got, tt.want)
			}
		})
	}
}

// A small checkout (a Stage's branch of rendered manifests) of the same
// remote does not take a pooled tree of the whole repository: clearing it
// would cost more than writing the few files, and the tree is left for a
// checkout that needs it.
func TestSmallCheckoutLeavesPooledTrees(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", gitopsFiles(20, "v1"))
	r.Branch("stage", r.Head("main"))
	stage, err := r.Apply(gittest.Change{Branch: "stage", Message: "rendered",
		Files: map[string]string{"manifests.yaml": "kind: Deployment\n"}, Delete: keys(gitopsFiles(20, "v1"))})
	if err != nil {
		t.Fatal(err)
	}
	c := pooledCache(t, 0)
	work := t.TempDir()
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(work, "src"), Commit: r.Head("main")}); err != nil {
		t.Fatal(err)
	}
	c.Reclaim(work)
	w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "out"), Branch: "stage"})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, w, "manifests.yaml"); got != "kind: Deployment\n" {
		t.Errorf("manifests.yaml = %q", got)
	}
	if head, _ := w.Head(); head != stage {
		t.Errorf("head = %s, want %s", head, stage)
	}
	if n := c.PooledTrees(); n != 1 {
		t.Errorf("pooled trees = %d after a small checkout, want the tree still there", n)
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The pools of earlier runs are removed at start: their records were in
// memory. Nothing else in the directory is touched.
func TestPoolTreesRemovesOldPools(t *testing.T) {
	parent := t.TempDir()
	for _, d := range []string{"git-trees-old/1/apps", "promotion-u1/src"} {
		if err := os.MkdirAll(filepath.Join(parent, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c := newCache(t, 0)
	if err := c.PoolTrees(parent, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(parent, "git-trees-old")); !os.IsNotExist(err) {
		t.Errorf("an old pool is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(parent, "promotion-u1", "src")); err != nil {
		t.Errorf("a Promotion's work directory was touched: %v", err)
	}
}

// A checkout made from a pooled tree keeps the permissions of the
// directory it was asked for: a Promotion's work directory is 0700.
func TestPooledCheckoutKeepsTheDirectoryMode(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", gitopsFiles(20, "v1"))
	c := pooledCache(t, 0)
	work := t.TempDir()
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(work, "src"), Commit: r.Head("main")}); err != nil {
		t.Fatal(err)
	}
	c.Reclaim(work)
	private := filepath.Join(t.TempDir(), "promotion")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: private, Commit: r.Head("main")}); err != nil {
		t.Fatal(err)
	}
	if n := c.PooledTrees(); n != 0 {
		t.Fatalf("the pooled tree was not used (%d left)", n)
	}
	fi, err := os.Stat(private)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode = %v, want 0700", fi.Mode().Perm())
	}
}

// lstatAt, which verify uses, stamps an entry exactly as stampOf stamps
// what os.Lstat says, which is how the record's stamps were taken: any
// difference would make every pooled entry look changed.
func TestLstatAtStampsAsLstat(t *testing.T) {
	dir := t.TempDir()
	create := map[string]func(p string) error{
		"file":       func(p string) error { return os.WriteFile(p, []byte("x"), 0o644) },
		"executable": func(p string) error { return os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755) },
		"directory":  func(p string) error { return os.Mkdir(p, 0o755) },
		"link":       func(p string) error { return os.Symlink("file", p) },
		"dangling":   func(p string) error { return os.Symlink("nowhere", p) },
		"fifo":       func(p string) error { return syscall.Mkfifo(p, 0o600) },
		"sticky":     func(p string) error { return errors.Join(os.Mkdir(p, 0o755), os.Chmod(p, 0o755|os.ModeSticky)) },
		"setgid":     func(p string) error { return errors.Join(os.Mkdir(p, 0o755), os.Chmod(p, 0o755|os.ModeSetgid)) },
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Close() }()
	for _, name := range []string{"file", "executable", "directory", "link", "dangling", "fifo", "sticky", "setgid"} {
		p := filepath.Join(dir, name)
		if err := create[name](p); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := stampOf(fi)
		if !ok {
			t.Fatalf("%s: no stamp", name)
		}
		got, err := lstatAt(int(d.Fd()), name)
		if err != nil || got != want {
			t.Errorf("%s: lstatAt = %+v, %v; os.Lstat's stamp %+v", name, got, err, want)
		}
	}
	if _, err := lstatAt(int(d.Fd()), "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("lstatAt of a missing entry = %v, want fs.ErrNotExist", err)
	}
}
