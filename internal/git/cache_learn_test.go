package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// After a push from a checkout, Learn spares the next checkout of that
// branch the fetch of what was pushed: one ref list, no fetch, and the
// checkout holds the pushed files. Without Learn the same clone fetches.
func TestCacheLearnsPushes(t *testing.T) {
	for _, learn := range []bool{true, false} {
		t.Run(map[bool]string{true: "learned", false: "not learned"}[learn], func(t *testing.T) {
			s := gittest.NewServer(t, gittest.WithPush())
			r := s.CreateRepo("app", map[string]string{"v": "1"})
			c := newCache(t, 0)
			dir := filepath.Join(t.TempDir(), "co")
			w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, body := range map[string]string{"v": "2", "sub/new": "added"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			pushed, err := w.CommitAll("two", Signature{Name: "t", Email: "t@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Push(context.Background(), PushOptions{}); err != nil {
				t.Fatal(err)
			}
			if learn {
				if err := c.Learn(r.URL, Credentials{}, dir, "main", pushed); err != nil {
					t.Fatal(err)
				}
			}
			s.ResetStats()
			again := filepath.Join(t.TempDir(), "again")
			w2, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: again})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := w2.Head(); got != pushed || readFile(t, w2, "v") != "2" || readFile(t, w2, "sub/new") != "added" {
				t.Fatalf("checkout at %s with v=%q, want %s with the pushed files", got, readFile(t, w2, "v"), pushed)
			}
			// Without Learn the listing names a commit the cache lacks, and
			// the fetch lists the refs again.
			want := map[bool]gittest.Stats{true: {RefLists: 1}, false: {RefLists: 2, Fetches: 1}}[learn]
			if st := s.Stats(); st != want {
				t.Errorf("the clone after the push cost %+v, want %+v", st, want)
			}
		})
	}
}

// Learn of a repository nothing was cached for, or of a commit the
// checkout does not have, leaves the cache as it was.
func TestCacheLearnRefusesWhatItCannotCopy(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	c := newCache(t, 0)
	dir := filepath.Join(t.TempDir(), "co")
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := c.Learn(r.URL, Credentials{Username: "other"}, dir, "main", r.Head("main")); err != nil {
		t.Errorf("learning for an entry that does not exist: %v", err)
	}
	if err := c.Learn(r.URL, Credentials{}, dir, "main", "0123456789012345678901234567890123456789"); err == nil {
		t.Error("a commit the checkout lacks was learned")
	}
	if err := c.Learn(r.URL, Credentials{}, dir, "bad..name", r.Head("main")); err == nil {
		t.Error("an invalid branch name was learned")
	}
	s.ResetStats()
	w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: filepath.Join(t.TempDir(), "again")})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := w.Head(); got != r.Head("main") {
		t.Errorf("checkout at %s, want %s", got, r.Head("main"))
	}
}

// Checkouts of branches that queue for a cache entry share the listing of
// the remote the first of them makes once it has the entry, which began
// after they all asked; a checkout that asks after a listing began makes
// its own, so none sees the remote older than when it asked.
func TestQueuedCheckoutsShareOneListing(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	for _, b := range []string{"a", "b", "c"} {
		if _, err := r.Apply(gittest.Change{Branch: b, Files: map[string]string{"v": b}}); err != nil {
			t.Fatal(err)
		}
	}
	c := newCache(t, 0)
	// Fill the entry, so the checkouts below need no objects.
	if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Commit: r.Head("c"), Dir: filepath.Join(t.TempDir(), "co")}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"a", "b"} {
		if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Commit: r.Head(b), Dir: filepath.Join(t.TempDir(), "co")}); err != nil {
			t.Fatal(err)
		}
	}
	key := RemoteKey(r.URL, Credentials{})
	s.ResetStats()
	shared := listingsShared.Load()

	e := c.acquire(key)
	errs := make(chan error, 3)
	for _, b := range []string{"a", "b", "c"} {
		go func() {
			w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: b, Dir: filepath.Join(t.TempDir(), "co")})
			if err == nil && readFile(t, w, "v") != b {
				err = fmt.Errorf("branch %s checked out with v=%q", b, readFile(t, w, "v"))
			}
			errs <- err
		}()
	}
	for busy := 0; busy < 4; {
		time.Sleep(time.Millisecond)
		c.mu.Lock()
		busy = e.busy
		c.mu.Unlock()
	}
	c.release(e)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.RefLists != 1 || st.Fetches != 0 {
		t.Errorf("three queued checkouts cost %+v, want one ref list", st)
	}
	if n := listingsShared.Load() - shared; n != 2 {
		t.Errorf("checkouts served by another's listing = %d, want 2", n)
	}

	// One that asks afterwards lists again, and sees a branch moved since.
	moved, err := r.Apply(gittest.Change{Branch: "a", Files: map[string]string{"v": "a2"}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "a", Dir: filepath.Join(t.TempDir(), "co")})
	if err != nil {
		t.Fatal(err)
	}
	if head, _ := w.Head(); head != moved {
		t.Errorf("head = %s, want the moved branch %s", head, moved)
	}
	if st := s.Stats(); st.RefLists != 3 {
		t.Errorf("ref lists = %d, want 3 (its own listing and the fetch's)", st.RefLists)
	}
}

// The checkouts of one git-clone step share a listing of the remote begun
// after the step started (ListedSince); without it, or with a time after
// the call, a checkout lists the remote again.
func TestListedSinceSharesAListing(t *testing.T) {
	tests := []struct {
		name  string
		since func(start time.Time) time.Time
		want  int // ref lists for the two checkouts
	}{
		{"each checkout on its own", func(time.Time) time.Time { return time.Time{} }, 2},
		{"both since the step started", func(start time.Time) time.Time { return start }, 1},
		{"since later than each call", func(time.Time) time.Time { return time.Now().Add(time.Millisecond) }, 2},
		{"since in the future counts as now", func(time.Time) time.Time { return time.Now().Add(time.Hour) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gittest.NewServer(t, gittest.WithPush())
			r := s.CreateRepo("app", map[string]string{"v": "1"})
			if _, err := r.Apply(gittest.Change{Branch: "stage", Files: map[string]string{"v": "stage"}}); err != nil {
				t.Fatal(err)
			}
			c := newCache(t, 0)
			for _, b := range []string{"main", "stage"} {
				// The entry holds both branches' commits: only listings remain.
				if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Commit: r.Head(b), Dir: filepath.Join(t.TempDir(), "co")}); err != nil {
					t.Fatal(err)
				}
			}
			s.ResetStats()
			start := time.Now()
			time.Sleep(2 * time.Millisecond)
			w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: filepath.Join(t.TempDir(), "src"), ListedSince: tt.since(start)})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
			o, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "stage", Dir: filepath.Join(t.TempDir(), "out"), ListedSince: tt.since(start)})
			if err != nil {
				t.Fatal(err)
			}
			if readFile(t, w, "v") != "1" || readFile(t, o, "v") != "stage" {
				t.Errorf("checked out v=%q and v=%q", readFile(t, w, "v"), readFile(t, o, "v"))
			}
			if st := s.Stats(); st.RefLists != tt.want || st.Fetches != 0 {
				t.Errorf("two checkouts cost %+v, want %d ref lists and no fetch", st, tt.want)
			}
		})
	}
}
