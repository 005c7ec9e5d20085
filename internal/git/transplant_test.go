package git

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// TestTransplant covers the squashed cherry-pick git-push and github-push
// make when the branch moved: the change since the base, onto the new
// head, by the same file rule as Push's replay.
func TestTransplant(t *testing.T) {
	when := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		mine     map[string]string // "" deletes
		upstream map[string]string
		wantErr  error
		wantSame bool // the branch already held the change
		want     map[string]string
		gone     []string
	}{
		{name: "disjoint files", mine: map[string]string{"a": "mine", "new/dir/c": "c"}, upstream: map[string]string{"b": "up"},
			want: map[string]string{"a": "mine", "b": "up", "new/dir/c": "c"}},
		{name: "deletion", mine: map[string]string{"a": ""}, upstream: map[string]string{"b": "up"},
			want: map[string]string{"b": "up"}, gone: []string{"a"}},
		{name: "same change upstream", mine: map[string]string{"a": "x"}, upstream: map[string]string{"a": "x"}, wantSame: true},
		{name: "conflict", mine: map[string]string{"a": "mine"}, upstream: map[string]string{"a": "theirs"}, wantErr: ErrPushConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			r := gittest.NewServer(t).CreateRepo("app", map[string]string{"a": "1", "b": "1"})
			base := r.Head("main")
			src, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "src"), Branch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			for p, content := range tt.mine {
				if content == "" {
					if err := os.Remove(filepath.Join(src.Dir(), p)); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, src, p, content)
			}
			mine, err := src.CommitAll("my change", Signature{Name: "me", Email: "me@example.com", When: when})
			if err != nil {
				t.Fatal(err)
			}
			upstream := r.Commit("main", "upstream", tt.upstream)
			dst, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "dst"), Branch: "main"})
			if err != nil {
				t.Fatal(err)
			}

			got, err := dst.Transplant(src, base, mine)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if tt.wantSame {
				if got != upstream {
					t.Fatalf("Transplant = %s, want the branch head %s", got, upstream)
				}
				return
			}
			c, err := dst.Commit(got)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Parents) != 1 || c.Parents[0] != upstream || c.Message != "my change" ||
				c.Author.Name != "me" || !c.Author.When.Equal(when) || c.Committer != c.Author {
				t.Errorf("commit = %+v; want my change, by me, on %s", c, upstream)
			}
			if head, _ := dst.Head(); head != got {
				t.Errorf("HEAD = %s, want %s", head, got)
			}
			for p, content := range tt.want {
				if s := readFile(t, dst, p); s != content {
					t.Errorf("%s = %q, want %q", p, s, content)
				}
			}
			for _, p := range tt.gone {
				if _, err := os.Stat(filepath.Join(dst.Dir(), p)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s still in the work tree", p)
				}
			}
		})
	}
}

// TestOpen reopens a checkout the way a later promotion step does and
// finds what the clone recorded.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	r := gittest.NewServer(t).CreateRepo("app", map[string]string{"a": "1"})
	w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt"), Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := w.Head()
	if err := w.RecordBase(head); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveSettings(true, &Signature{Name: "me", Email: "me@example.com"}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, w, "a", "2")
	second, err := w.CommitAll("second", bot)
	if err != nil {
		t.Fatal(err)
	}

	o, err := Open(w.Dir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := o.Settings()
	if err != nil {
		t.Fatal(err)
	}
	url, _ := o.OriginURL()
	if o.Branch() != "main" || o.RecordedBase() != head || !s.InsecureSkipTLSVerify || s.Author.Name != "me" || url != r.URL {
		t.Errorf("Open: branch %q, base %q, settings %+v, origin %q", o.Branch(), o.RecordedBase(), s, url)
	}
	local, more, err := o.FirstParents(second, o.RecordedBase(), 0)
	if err != nil || more || len(local) != 1 || local[0].ID != second {
		t.Errorf("FirstParents = %v, %v, %v; want [%s]", local, more, err, second)
	}
	if !o.Contains(second, head) || o.Contains(head, second) {
		t.Error("Contains does not follow the history")
	}
	if _, err := o.Push(ctx, PushOptions{}); err == nil {
		t.Error("Push of an opened work tree (no credentials) succeeded")
	}

	// A tag on the local commit follows it when a push replays it.
	if err := o.CreateTag("v1", second, "release", bot); err != nil {
		t.Fatal(err)
	}
	if err := o.MoveTags(second, head); err != nil {
		t.Fatal(err)
	}
	tag, found, err := o.Tag("v1")
	if err != nil || !found || tag.Commit != head || !tag.Annotated || tag.Message != "release\n" {
		t.Errorf("Tag = %+v, %v, %v; want annotated v1 on %s", tag, found, err, head)
	}
	if err := o.RecordBase(""); err != nil || o.RecordedBase() != "" {
		t.Errorf("RecordBase(\"\") left %q (%v)", o.RecordedBase(), err)
	}
}
