package chart

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/helmtest"
)

// recordSleeps replaces waiting with recording, so retry tests are instant
// and can check the requested delays.
type recordSleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recordSleeps) option() Option {
	return func(c *config) {
		c.sleep = func(_ context.Context, d time.Duration) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.waits = append(r.waits, d)
			return nil
		}
	}
}

func newRepo(t *testing.T, opts ...helmtest.RepoOption) *helmtest.Repo {
	t.Helper()
	repo := helmtest.NewRepo(t, opts...)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1", "2.0.0"} {
		repo.AddChart(helmtest.ChartSpec{Name: "app", Version: v})
	}
	repo.AddChart(helmtest.ChartSpec{Name: "other", Version: "9.9.9"})
	return repo
}

func TestDiscoverClassic(t *testing.T) {
	repo := newRepo(t)
	d := New()
	tests := []struct {
		name       string
		constraint string
		limit      int
		want       []string
	}{
		{name: "newest stable first", want: []string{"2.0.0", "1.2.0", "1.1.0", "1.0.0"}},
		{name: "constraint and limit", constraint: "^1.0.0", limit: 2, want: []string{"1.2.0", "1.1.0"}},
		{name: "pre-release when admitted", constraint: ">=2.0.0-0", want: []string{"2.0.0", "2.0.0-rc.1"}},
		{name: "no match", constraint: ">3", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Discover(t.Context(), Options{RepoURL: repo.URL(), Name: "app", SemverConstraint: tt.constraint, DiscoveryLimit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiscoverClassicConditionalRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []helmtest.RepoOption
	}{
		{name: "ETag and Last-Modified"},
		{name: "ETag only", opts: []helmtest.RepoOption{helmtest.WithoutLastModified()}},
		{name: "Last-Modified only", opts: []helmtest.RepoOption{helmtest.WithoutETag()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := newRepo(t, tc.opts...)
			d := New()
			opts := Options{RepoURL: repo.URL(), Name: "app", DiscoveryLimit: 1}

			assertDiscover(t, d, opts, "2.0.0")
			assertDiscover(t, d, opts, "2.0.0")
			if s := repo.Stats(); s.IndexDownloads != 1 || s.NotModified != 1 {
				t.Fatalf("after an unchanged repeat: downloads=%d notModified=%d, want 1 and 1", s.IndexDownloads, s.NotModified)
			}
			// The cached list is unfiltered: another constraint still works on 304.
			opts2 := opts
			opts2.SemverConstraint = "~1.1"
			assertDiscover(t, d, opts2, "1.1.0")
			if s := repo.Stats(); s.IndexDownloads != 1 {
				t.Fatalf("a constraint change downloaded the index again (%d downloads)", s.IndexDownloads)
			}

			repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "2.1.0"})
			assertDiscover(t, d, opts, "2.1.0")
			if s := repo.Stats(); s.IndexDownloads != 2 {
				t.Fatalf("a changed index was not downloaded (%d downloads)", s.IndexDownloads)
			}
		})
	}
}

func assertDiscover(t *testing.T, d *Discoverer, o Options, want ...string) {
	t.Helper()
	got, err := d.Discover(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDiscoverClassicBasicAuth(t *testing.T) {
	repo := newRepo(t, helmtest.WithBasicAuth("alice", secret))
	d := New()
	opts := Options{RepoURL: repo.URL(), Name: "app", DiscoveryLimit: 1}

	for _, creds := range []*Credentials{nil, {Username: "alice", Password: "wrong-" + secret}} {
		o := opts
		o.Credentials = creds
		_, err := d.Discover(t.Context(), o)
		if !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrTransient) {
			t.Fatalf("credentials %v: error = %v, want ErrUnauthorized only", creds != nil, err)
		}
		if containsSecret(err) {
			t.Fatalf("error leaks the password: %v", err)
		}
	}
	opts.Credentials = &Credentials{Username: "alice", Password: secret}
	assertDiscover(t, d, opts, "2.0.0")
}

func TestDiscoverClassicErrors(t *testing.T) {
	repo := newRepo(t)
	d := New(WithRetry(1, time.Minute))
	tests := []struct {
		name    string
		setup   func()
		opts    Options
		wantErr error
	}{
		{name: "chart not in index", opts: Options{RepoURL: repo.URL(), Name: "missing"}, wantErr: ErrNotFound},
		{name: "no index at URL", opts: Options{RepoURL: repo.URL() + "/nope", Name: "app"}, wantErr: ErrNotFound},
		{name: "invalid constraint", opts: Options{RepoURL: repo.URL(), Name: "app", SemverConstraint: "1.x.y.z"}, wantErr: ErrInvalidSubscription},
		{name: "missing name", opts: Options{RepoURL: repo.URL()}, wantErr: ErrInvalidSubscription},
		{name: "malformed index", setup: func() { repo.SetRawIndex([]byte("<html>oops</html>\n")) }, opts: Options{RepoURL: repo.URL(), Name: "app"}, wantErr: ErrMalformedIndex},
		{name: "server error", setup: func() { repo.SetRawIndex(nil); repo.FailNext(1, http.StatusBadGateway, "") }, opts: Options{RepoURL: repo.URL(), Name: "app"}, wantErr: ErrTransient},
		{name: "unreachable", opts: Options{RepoURL: "http://127.0.0.1:1", Name: "app"}, wantErr: ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			_, err := d.Discover(t.Context(), tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			t.Log(err)
		})
	}
	// Fixed input recovers without a new Discoverer.
	assertDiscover(t, d, Options{RepoURL: repo.URL(), Name: "app", DiscoveryLimit: 1}, "2.0.0")
}

func TestDiscoverClassicRetries(t *testing.T) {
	t.Run("honours Retry-After then succeeds", func(t *testing.T) {
		repo := newRepo(t)
		var rec recordSleeps
		d := New(rec.option())
		repo.FailNext(2, http.StatusTooManyRequests, "7")
		assertDiscover(t, d, Options{RepoURL: repo.URL(), Name: "app", DiscoveryLimit: 1}, "2.0.0")
		if want := []time.Duration{7 * time.Second, 7 * time.Second}; !slices.Equal(rec.waits, want) {
			t.Fatalf("waits = %v, want %v", rec.waits, want)
		}
	})
	t.Run("bounded attempts", func(t *testing.T) {
		repo := newRepo(t)
		var rec recordSleeps
		d := New(rec.option(), WithRetry(3, time.Minute))
		repo.FailNext(5, http.StatusServiceUnavailable, "")
		_, err := d.Discover(t.Context(), Options{RepoURL: repo.URL(), Name: "app"})
		if !errors.Is(err, ErrTransient) {
			t.Fatalf("error = %v, want ErrTransient", err)
		}
		if got := repo.Stats().Requests["/index.yaml"]; got != 3 || len(rec.waits) != 2 {
			t.Fatalf("requests = %d, waits = %v; want 3 requests and 2 waits", got, rec.waits)
		}
	})
	t.Run("long Retry-After is returned, not slept", func(t *testing.T) {
		repo := newRepo(t)
		var rec recordSleeps
		d := New(rec.option(), WithRetry(3, 10*time.Second))
		repo.FailNext(1, http.StatusTooManyRequests, "120")
		_, err := d.Discover(t.Context(), Options{RepoURL: repo.URL(), Name: "app"})
		if ra, ok := RetryAfter(err); !errors.Is(err, ErrTransient) || !ok || ra != 2*time.Minute {
			t.Fatalf("error = %v (retry after %v), want ErrTransient with 2m", err, ra)
		}
		if len(rec.waits) != 0 {
			t.Fatalf("slept %v", rec.waits)
		}
	})
}

func TestDiscoverClassicTLS(t *testing.T) {
	repo := newRepo(t, helmtest.WithTLS())
	d := New()
	opts := Options{RepoURL: repo.URL(), Name: "app", DiscoveryLimit: 1}
	if _, err := d.Discover(t.Context(), opts); err == nil {
		t.Fatal("self-signed certificate accepted without insecureSkipTLSVerify")
	}
	opts.InsecureSkipTLSVerify = true
	assertDiscover(t, d, opts, "2.0.0")
}

func TestDiscoverConcurrentUse(t *testing.T) {
	repo := newRepo(t)
	d := New()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			limit := 1 + i%2
			got, err := d.Discover(t.Context(), Options{RepoURL: repo.URL(), Name: "app", DiscoveryLimit: limit})
			if err == nil && len(got) != limit {
				err = errors.New("wrong number of versions")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
