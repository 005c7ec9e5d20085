package git

import (
	"context"
	"os"
	"path/filepath"
	"testing"

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
			wantFetches := map[bool]int{true: 0, false: 1}[learn]
			if st := s.Stats(); st.Fetches != wantFetches || st.RefLists != 1 {
				t.Errorf("the clone after the push cost %+v, want one ref list and %d fetches", st, wantFetches)
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
