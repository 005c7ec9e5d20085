package git

import (
	"context"
	"sync"
	"time"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// RefCache shares ref listings of one remote among discoveries. The users
// keep every app in one GitOps repository, so a thousand Warehouses list the
// same refs every interval; a periodic discovery may reuse a listing begun
// shortly before it, which is the same as having run a little earlier. A
// refresh asks for a listing begun after it was requested, so it always
// sees the remote as it is now. Listings are keyed by URL and by a hash of
// the credentials, so one set of credentials never answers for another.
// Refs handed out are shared and must not be modified.
type RefCache struct {
	// List does the listing; gitpkg.ListRefs when nil.
	List func(ctx context.Context, repoURL string, creds gitpkg.Credentials) (*gitpkg.Refs, error)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxAge is how long a listing is kept for anyone to reuse.
	MaxAge time.Duration

	mu      sync.Mutex
	entries map[string]*refListing
}

// refListing is one listing, in flight until done is closed.
type refListing struct {
	started time.Time
	done    chan struct{}
	refs    *gitpkg.Refs
	err     error
}

// ListRefs returns a listing of the remote's branches and tags begun at or
// after notBefore: one in flight or kept, or a new one. A failed listing is
// not kept; those waiting on it list again themselves, so one caller's
// cancellation is not another's error.
func (c *RefCache) ListRefs(ctx context.Context, repoURL string, creds gitpkg.Credentials, notBefore time.Time) (*gitpkg.Refs, error) {
	key := gitpkg.RemoteKey(repoURL, creds)
	c.mu.Lock()
	if e := c.entries[key]; e != nil && !e.started.Before(notBefore) {
		c.mu.Unlock()
		if err := await(ctx, e.done); err != nil {
			return nil, err
		}
		if e.err == nil {
			return e.refs, nil
		}
		c.mu.Lock()
	}
	e := &refListing{started: c.now(), done: make(chan struct{})}
	c.sweep(e.started)
	if c.entries == nil {
		c.entries = map[string]*refListing{}
	}
	c.entries[key] = e
	c.mu.Unlock()

	list := c.List
	if list == nil {
		list = gitpkg.ListRefs
	}
	e.refs, e.err = list(ctx, repoURL, creds)
	close(e.done)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.refs, e.err
}

// sweep drops finished listings older than MaxAge, so the cache holds at most
// the remotes listed within the last MaxAge.
func (c *RefCache) sweep(now time.Time) {
	for k, e := range c.entries {
		select {
		case <-e.done:
			if now.Sub(e.started) > c.MaxAge {
				delete(c.entries, k)
			}
		default:
		}
	}
}

func (c *RefCache) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// await waits until done is closed or ctx ends, whichever comes first.
func await(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
