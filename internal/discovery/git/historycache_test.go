package git

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// countingFetch fetches from the real server and counts the fetches; fail,
// while set, makes a fetch fail without asking the server.
type countingFetch struct {
	n    atomic.Int64
	fail atomic.Bool
	gate chan struct{}
}

func (f *countingFetch) fetch(ctx context.Context, url string, creds gitpkg.Credentials, opts gitpkg.HistoryOptions) (*gitpkg.History, error) {
	f.n.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	if f.fail.Load() {
		return nil, errors.New("unreachable")
	}
	return gitpkg.FetchHistory(ctx, url, creds, opts)
}

func TestHistoryCache(t *testing.T) {
	ctx := context.Background()
	_, r := fixture(t)
	head := r.Head("main")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &countingFetch{}
	c := &HistoryCache{Fetch: f.fetch, Now: func() time.Time { return now }, MaxAge: time.Minute, MaxEntries: 2}
	branch := func(creds gitpkg.Credentials, branch, head string, depth, wantFetches int) {
		t.Helper()
		h, err := c.Branch(ctx, r.URL, creds, branch, head, depth)
		if err != nil {
			t.Fatalf("Branch(%s, %d): %v", branch, depth, err)
		}
		if got, _ := h.BranchHead(branch); got != head {
			t.Errorf("history of %s at %s, want %s", branch, got, head)
		}
		if h.Depth() < depth {
			t.Errorf("history %d deep, want at least %d", h.Depth(), depth)
		}
		if got := f.n.Load(); got != int64(wantFetches) {
			t.Fatalf("%d fetches so far, want %d", got, wantFetches)
		}
	}
	none := gitpkg.Credentials{}
	branch(none, "main", head, 2, 1)
	branch(none, "main", head, 2, 1) // shared
	branch(none, "main", head, 1, 1) // shallower: shared
	branch(none, "main", head, 4, 2) // deeper: fetched, and kept instead
	branch(none, "main", head, 3, 2)
	// Other credentials never share (the server here ignores them).
	branch(gitpkg.Credentials{Username: "u", Password: "p"}, "main", head, 1, 3)

	// The branch moved: a listing naming the new tip fetches anew.
	moved := r.Commit("main", "c5 web", map[string]string{"apps/web/a.yaml": "5"})
	branch(none, "main", moved, 2, 4)

	// The branch moved after the listing: the fetch brings the new tip,
	// kept under that tip, where the next listing looks.
	listed := moved
	tip := r.Commit("main", "c6 docs", map[string]string{"docs/readme.md": "6"})
	h, err := c.Branch(ctx, r.URL, none, "main", listed, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := h.BranchHead("main"); got != tip || f.n.Load() != 5 {
		t.Fatalf("history at %s after %d fetches, want %s after 5", got, f.n.Load(), tip)
	}
	branch(none, "main", tip, 3, 5)
	moved = tip

	// A failed fetch is not kept.
	f.fail.Store(true)
	if _, err := c.Branch(ctx, r.URL, none, "release", r.Head("release"), 1); err == nil {
		t.Fatal("a failed fetch returned no error")
	}
	f.fail.Store(false)
	branch(none, "release", r.Head("release"), 1, 7)

	// None is kept past MaxAge unused.
	now = now.Add(2 * time.Minute)
	branch(none, "main", moved, 2, 8)

	// At most MaxEntries are kept: the least recently used goes first.
	now = now.Add(time.Second)
	branch(none, "release", r.Head("release"), 1, 9)
	now = now.Add(time.Second)
	branch(none, "main", moved, 2, 9) // used again: now the most recent
	now = now.Add(time.Second)
	branch(gitpkg.Credentials{Username: "u", Password: "p"}, "main", moved, 1, 10) // a third: release goes
	branch(none, "main", moved, 2, 10)
	branch(none, "release", r.Head("release"), 1, 11)
}

// Discoveries that ask while a fetch of the same history is under way
// wait for it instead of fetching too.
func TestHistoryCacheInFlight(t *testing.T) {
	ctx := context.Background()
	_, r := fixture(t)
	f := &countingFetch{gate: make(chan struct{})}
	c := &HistoryCache{Fetch: f.fetch, MaxAge: time.Minute}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Branch(ctx, r.URL, gitpkg.Credentials{}, "main", r.Head("main"), 2)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := f.n.Load(); n != 1 {
		t.Errorf("%d fetches for three discoveries at once, want 1", n)
	}
}

// Warehouses following different paths of one repository read one
// fetched history: the real server sees one fetch, and each gets its own
// commits. A commit on the branch is seen by the next discovery.
func TestDiscoverSharesHistory(t *testing.T) {
	s, r := fixture(t)
	refs := &RefCache{MaxAge: time.Minute}
	hist := &HistoryCache{MaxAge: time.Minute}
	start := time.Now()
	want := map[string]string{"apps/web": "c3", "docs": "c2"}
	for path, newest := range want {
		opts := Options{RepoURL: r.URL, IncludePaths: []string{path}, Refs: refs, RefsNotBefore: start, Histories: hist}
		res, err := Discover(context.Background(), opts, gitpkg.Credentials{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(res.Commits[:1]); got != newest {
			t.Errorf("%s: newest %s, want %s", path, got, newest)
		}
	}
	if st := s.Stats(); st.Fetches != 1 {
		t.Errorf("two first discoveries of one repository made %d fetches, want 1", st.Fetches)
	}
	r.Commit("main", "c5 web", map[string]string{"apps/web/a.yaml": "5"})
	opts := Options{RepoURL: r.URL, IncludePaths: []string{"apps/web"}, Refs: refs, RefsNotBefore: time.Now(), Histories: hist}
	res, err := Discover(context.Background(), opts, gitpkg.Credentials{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(res.Commits[:1]); got != "c5" {
		t.Errorf("after a commit: newest %s, want c5", got)
	}
}
