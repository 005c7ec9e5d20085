package git

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
				first := commitFile(t, w, "a", "0", "first")
				if err := w.PushCommitFrom(ctx, r.URL, Credentials{}, first, "refs/heads/main", base); err != nil {
					t.Fatal(err)
				}
				base = first
			}
			ours := commitFile(t, w, "a", "2", "ours")
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

// A repository URL that redirects (a renamed repository) is asked for its
// refs on every push: go-git follows a redirect only for the advertisement,
// so a push without it would be refused every time and cost a request.
// An endpoint that answered a push without the advertisement with anything
// but a report on its refs (here a 502 from a proxy) is asked from then on.
func TestPushesThatMustAskForRefs(t *testing.T) {
	tests := []struct {
		name string
		// serve answers requests to the old URL; backend is the git
		// server's URL of the repository; post counts its POSTs.
		serve     func(w http.ResponseWriter, req *http.Request, backend *url.URL, post int64)
		wantPosts []int64 // POSTs reaching the old URL after each push
	}{
		{
			name: "redirected",
			serve: func(w http.ResponseWriter, req *http.Request, backend *url.URL, _ int64) {
				target := *backend
				target.Path = strings.Replace(req.URL.Path, "/old.git", backend.Path, 1)
				target.RawQuery = req.URL.RawQuery
				http.Redirect(w, req, target.String(), http.StatusMovedPermanently)
			},
			wantPosts: []int64{0, 0, 0},
		},
		{
			name: "proxy failing once",
			serve: func(w http.ResponseWriter, req *http.Request, backend *url.URL, post int64) {
				if post == 2 {
					http.Error(w, "bad gateway", http.StatusBadGateway)
					return
				}
				proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: backend.Scheme, Host: backend.Host})
				req.URL.Path = strings.Replace(req.URL.Path, "/old.git", backend.Path, 1)
				proxy.ServeHTTP(w, req)
			},
			// push 2 without the advertisement (502), then with it;
			// push 3 with it straight away.
			wantPosts: []int64{1, 3, 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gittest.NewServer(t, gittest.WithPush())
			r := s.CreateRepo("gitops", map[string]string{"a": "1"})
			backend, err := url.Parse(r.URL)
			if err != nil {
				t.Fatal(err)
			}
			var posts atomic.Int64
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				var n int64
				if req.Method == http.MethodPost {
					n = posts.Add(1)
				}
				tt.serve(w, req, backend, n)
			}))
			t.Cleanup(front.Close)
			oldURL := front.URL + "/old.git"
			ctx := context.Background()
			w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt"), Branch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			base := r.Head("main")
			for i := range tt.wantPosts {
				id := commitFile(t, w, "a", strconv.Itoa(i+2), "change")
				s.ResetStats()
				if err := w.PushCommitFrom(ctx, oldURL, Credentials{}, id, "refs/heads/main", base); err != nil {
					t.Fatalf("push %d: %v", i+1, err)
				}
				if got := r.Head("main"); got != id {
					t.Fatalf("push %d: main at %s, want %s", i+1, got, id)
				}
				// Every push asked for the refs: once a push without
				// them failed, never one again.
				if got := s.Stats().RefLists; got != 1 {
					t.Errorf("push %d asked for the refs %d times, want 1", i+1, got)
				}
				if got := posts.Load(); got != tt.wantPosts[i] {
					t.Errorf("after push %d the old URL saw %d pushes, want %d", i+1, got, tt.wantPosts[i])
				}
				base = id
			}
		})
	}
}
