package git

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// A push that says where it saw its branch skips the server's ref
// advertisement once the server's capabilities are known: one request
// instead of two. Whenever the branch is not where the push expects it, the
// server refuses that request and the push goes on as without Expect, so
// the outcome is the same as an advertised push's in every case.
func TestPushFromExpectedBase(t *testing.T) {
	ctx := context.Background()
	type want struct {
		err              error
		refLists, pushes int
		mainIsOurs       bool
	}
	tests := []struct {
		name string
		// before runs after our commit, before the push; it returns the
		// base the push expects.
		before func(t *testing.T, r *gittest.Repo, w *WorkTree, base, ours string) string
		known  bool // the server's capabilities are known from a push before
		want   want
	}{
		{
			name:   "first push to a server asks for its refs",
			before: func(_ *testing.T, _ *gittest.Repo, _ *WorkTree, base, _ string) string { return base },
			want:   want{refLists: 1, pushes: 1, mainIsOurs: true},
		},
		{
			name:   "known server, branch where the checkout found it",
			known:  true,
			before: func(_ *testing.T, _ *gittest.Repo, _ *WorkTree, base, _ string) string { return base },
			want:   want{refLists: 0, pushes: 1, mainIsOurs: true},
		},
		{
			name:  "someone pushed meanwhile: refused, then a non-fast-forward as without Expect",
			known: true,
			before: func(_ *testing.T, r *gittest.Repo, _ *WorkTree, base, _ string) string {
				r.Commit("main", "theirs", map[string]string{"b": "theirs"})
				return base
			},
			want: want{err: ErrNonFastForward, refLists: 1, pushes: 1},
		},
		{
			name:  "an earlier attempt landed already",
			known: true,
			before: func(t *testing.T, r *gittest.Repo, w *WorkTree, base, ours string) string {
				if err := w.PushCommit(ctx, r.URL, Credentials{}, ours, "refs/heads/main", false); err != nil {
					t.Fatal(err)
				}
				return base
			},
			want: want{refLists: 1, pushes: 1, mainIsOurs: true},
		},
		{
			name:   "no base (a new branch) asks for the refs",
			known:  true,
			before: func(*testing.T, *gittest.Repo, *WorkTree, string, string) string { return "" },
			want:   want{refLists: 1, pushes: 1, mainIsOurs: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gittest.NewServer(t, gittest.WithPush())
			r := s.CreateRepo("gitops", map[string]string{"a": "1"})
			w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt"), Branch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			base := r.Head("main")
			if tt.known {
				// Any push before teaches the capabilities.
				writeFile(t, w, "a", "0")
				first, err := w.CommitAll("first", bot)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.PushCommitFrom(ctx, r.URL, Credentials{}, first, "refs/heads/main", base); err != nil {
					t.Fatal(err)
				}
				base = first
			}
			writeFile(t, w, "a", "2")
			ours, err := w.CommitAll("ours", bot)
			if err != nil {
				t.Fatal(err)
			}
			expect := tt.before(t, r, w, base, ours)
			s.ResetStats()

			err = w.PushCommitFrom(ctx, r.URL, Credentials{}, ours, "refs/heads/main", expect)
			if !errors.Is(err, tt.want.err) || (tt.want.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want.err)
			}
			st := s.Stats()
			if st.RefLists != tt.want.refLists || st.Pushes != tt.want.pushes {
				t.Errorf("ref lists %d, pushes %d; want %d, %d", st.RefLists, st.Pushes, tt.want.refLists, tt.want.pushes)
			}
			if got := r.Head("main") == ours; got != tt.want.mainIsOurs {
				t.Errorf("main at %s, ours %s, want ours: %v", r.Head("main"), ours, tt.want.mainIsOurs)
			}
		})
	}
}
