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

// countingLister stands in for the network in RefCache's own tests (the
// gittest server is used below, through Discover); it answers after release
// is closed, if set.
type countingLister struct {
	calls   atomic.Int32
	release chan struct{}
	err     error
}

func (l *countingLister) list(ctx context.Context, _ string, _ gitpkg.Credentials) (*gitpkg.Refs, error) {
	l.calls.Add(1)
	if l.release != nil {
		select {
		case <-l.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if l.err != nil {
		return nil, l.err
	}
	return &gitpkg.Refs{HeadBranch: "main"}, nil
}

func TestRefCache(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const url = "https://git.example.com/org/gitops.git"
	alice := gitpkg.Credentials{Username: "alice", Password: "a"}
	tests := []struct {
		name string
		// second is the second listing: after, its credentials, and how old
		// a listing it accepts.
		after     time.Duration
		url       string
		creds     gitpkg.Credentials
		notBefore time.Duration // relative to the first listing's start
		wantCalls int32
	}{
		{name: "shared when begun after notBefore", after: 5 * time.Second, url: url, creds: alice, notBefore: -time.Second, wantCalls: 1},
		{name: "shared at exactly notBefore", after: 5 * time.Second, url: url, creds: alice, notBefore: 0, wantCalls: 1},
		{name: "fresh when begun before notBefore", after: 5 * time.Second, url: url, creds: alice, notBefore: time.Second, wantCalls: 2},
		{name: "the URL as written does not matter", after: time.Second, url: "  " + url, creds: alice, notBefore: 0, wantCalls: 1},
		{name: "other credentials list themselves", after: time.Second, url: url, creds: gitpkg.Credentials{Username: "alice", Password: "b"}, notBefore: 0, wantCalls: 2},
		{name: "no credentials list themselves", after: time.Second, url: url, notBefore: 0, wantCalls: 2},
		{name: "another remote", after: time.Second, url: "https://git.example.com/org/other.git", creds: alice, notBefore: 0, wantCalls: 2},
		{name: "kept no longer than MaxAge", after: 31 * time.Second, url: url, creds: alice, notBefore: -time.Hour, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			l := &countingLister{}
			c := &RefCache{List: l.list, Now: func() time.Time { return now }, MaxAge: 30 * time.Second}
			if _, err := c.ListRefs(context.Background(), url, alice, t0); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(tt.after)
			// A listing of another remote in between sweeps what is too old.
			if _, err := c.ListRefs(context.Background(), "https://elsewhere.example.com/x.git", alice, now); err != nil {
				t.Fatal(err)
			}
			l.calls.Add(-1)
			refs, err := c.ListRefs(context.Background(), tt.url, tt.creds, t0.Add(tt.notBefore))
			if err != nil || refs.HeadBranch != "main" {
				t.Fatalf("refs %+v, %v", refs, err)
			}
			if got := l.calls.Load(); got != tt.wantCalls {
				t.Errorf("%d listings, want %d", got, tt.wantCalls)
			}
		})
	}
}

// Discoveries asking at once share one listing in flight.
func TestRefCacheInFlight(t *testing.T) {
	l := &countingLister{release: make(chan struct{})}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := &RefCache{List: l.list, Now: func() time.Time { return now }, MaxAge: time.Minute}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.ListRefs(context.Background(), "https://git.example.com/a.git", gitpkg.Credentials{}, now)
			errs <- err
		})
	}
	for l.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(l.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := l.calls.Load(); got != 1 {
		t.Errorf("%d listings for 8 discoveries at once, want 1", got)
	}
}

// A failed listing is not kept: whoever waited on it lists itself, and the
// next discovery does not get the error either.
func TestRefCacheFailure(t *testing.T) {
	boom := errors.New("connection refused")
	l := &countingLister{release: make(chan struct{}), err: boom}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := &RefCache{List: l.list, Now: func() time.Time { return now }, MaxAge: time.Minute}
	first := make(chan error, 1)
	go func() {
		_, err := c.ListRefs(context.Background(), "https://git.example.com/a.git", gitpkg.Credentials{}, now)
		first <- err
	}()
	for l.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		_, err := c.ListRefs(context.Background(), "https://git.example.com/a.git", gitpkg.Credentials{}, now)
		second <- err
	}()
	time.Sleep(10 * time.Millisecond) // let the second wait on the first
	close(l.release)
	if err := <-first; !errors.Is(err, boom) {
		t.Fatalf("first: %v", err)
	}
	if err := <-second; !errors.Is(err, boom) {
		t.Fatalf("second: %v", err)
	}
	if got := l.calls.Load(); got != 2 {
		t.Errorf("%d listings, want 2 (the waiter lists again)", got)
	}
	l.err = nil
	if _, err := c.ListRefs(context.Background(), "https://git.example.com/a.git", gitpkg.Credentials{}, now); err != nil {
		t.Fatalf("after the failure: %v", err)
	}
}

// A discovery waiting on another's listing gives up with its own context.
func TestRefCacheWaiterCancelled(t *testing.T) {
	l := &countingLister{release: make(chan struct{})}
	defer close(l.release)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := &RefCache{List: l.list, Now: func() time.Time { return now }, MaxAge: time.Minute}
	go func() {
		_, _ = c.ListRefs(context.Background(), "https://git.example.com/a.git", gitpkg.Credentials{}, now)
	}()
	for l.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.ListRefs(ctx, "https://git.example.com/a.git", gitpkg.Credentials{}, now); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the waiter's deadline", err)
	}
}

// Through Discover against a real git server: two discoveries of one
// repository share a listing; one that must be fresh lists again.
func TestDiscoverSharesRefs(t *testing.T) {
	s, r := fixture(t)
	paths := []string{"apps/web", "docs"}
	fingerprints := map[string]string{}
	for _, path := range paths {
		res, err := Discover(context.Background(), Options{RepoURL: r.URL, IncludePaths: []string{path}}, gitpkg.Credentials{}, "")
		if err != nil {
			t.Fatal(err)
		}
		fingerprints[path] = res.Fingerprint
	}
	s.ResetStats()
	refs := &RefCache{MaxAge: time.Minute}
	start := time.Now()
	for _, path := range paths {
		opts := Options{RepoURL: r.URL, IncludePaths: []string{path}, Refs: refs, RefsNotBefore: start}
		if _, err := Discover(context.Background(), opts, gitpkg.Credentials{}, fingerprints[path]); !errors.Is(err, ErrUnchanged) {
			t.Fatalf("%s: %v, want unchanged", path, err)
		}
	}
	if st := s.Stats(); st.RefLists != 1 || st.Fetches != 0 {
		t.Errorf("two discoveries of one repository made %+v, want one ref listing", st)
	}
	// A discovery that must see the remote as it is now does not get the
	// listing from before this commit.
	r.Commit("main", "c5 web", map[string]string{"apps/web/a.yaml": "5"})
	opts := Options{RepoURL: r.URL, IncludePaths: []string{"apps/web"}, Refs: refs, RefsNotBefore: time.Now()}
	res, err := Discover(context.Background(), opts, gitpkg.Credentials{}, fingerprints["apps/web"])
	if err != nil {
		t.Fatalf("fresh discovery: %v", err)
	}
	if res.Commits[0].Subject != "c5 web" {
		t.Errorf("fresh discovery: newest %q, want c5", res.Commits[0].Subject)
	}
}
