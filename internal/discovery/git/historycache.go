package git

import (
	"context"
	"sync"
	"time"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// HistoryCache shares fetched branch histories among discoveries. The users
// keep every app in one GitOps repository, so when its branch moves, every
// Warehouse that follows a path of it must read the same commits: each
// fetched them itself, a hundred fetches of one history in a wave of new
// apps. A history is keyed by the remote, the credentials (hashed, so one
// set never answers for another), the branch and the commit at its tip;
// commits are immutable, so a history fetched for that tip, at least as
// deep as asked, is the one a fetch would bring now. Cached histories are
// only read: a discovery that needs more depth fetches a deeper one, which
// replaces the entry. The cache holds at most MaxEntries histories, each
// for at most MaxAge after its last use.
type HistoryCache struct {
	// Fetch does the fetching; gitpkg.FetchHistory when nil.
	Fetch func(ctx context.Context, repoURL string, creds gitpkg.Credentials, opts gitpkg.HistoryOptions) (*gitpkg.History, error)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxAge is how long an unused history is kept.
	MaxAge time.Duration
	// MaxEntries bounds the histories kept (the least recently used go
	// first); 0 means DefaultHistoryEntries.
	MaxEntries int

	mu      sync.Mutex
	entries map[string]*historyEntry
}

// DefaultHistoryEntries is how many histories a HistoryCache keeps unless
// told otherwise: a few repositories' main branches.
const DefaultHistoryEntries = 8

// historyEntry is one fetch, in flight until done is closed.
type historyEntry struct {
	depth int
	done  chan struct{}
	hist  *gitpkg.History
	err   error
	used  time.Time
}

// Branch returns a history of branch whose tip is head, at least depth
// commits deep: one fetched or being fetched for another discovery, or a
// new fetch. The history returned must not be deepened in place. A fetch
// that finds the branch moved past head returns what it found, cached
// under the tip it found. A failed fetch is not kept; those waiting on it
// fetch again themselves, so one caller's cancellation is not another's
// error.
func (c *HistoryCache) Branch(ctx context.Context, repoURL string, creds gitpkg.Credentials, branch, head string, depth int) (*gitpkg.History, error) {
	depth = max(depth, 1)
	prefix := gitpkg.RemoteKey(repoURL, creds) + "\x00" + branch + "\x00"
	c.mu.Lock()
	if e := c.entries[prefix+head]; e != nil && e.depth >= depth && !c.expired(e, c.now()) {
		c.mu.Unlock()
		if err := await(ctx, e.done); err != nil {
			return nil, err
		}
		if e.err == nil {
			c.mu.Lock()
			e.used = c.now()
			c.mu.Unlock()
			return e.hist, nil
		}
		c.mu.Lock()
	}
	e := &historyEntry{depth: depth, done: make(chan struct{}), used: c.now()}
	c.sweep(e.used)
	if c.entries == nil {
		c.entries = map[string]*historyEntry{}
	}
	c.entries[prefix+head] = e
	c.mu.Unlock()

	fetch := c.Fetch
	if fetch == nil {
		fetch = gitpkg.FetchHistory
	}
	e.hist, e.err = fetch(ctx, repoURL, creds, gitpkg.HistoryOptions{Branch: branch, Depth: depth})
	tip := head
	if e.err == nil {
		if id, err := e.hist.BranchHead(branch); err == nil {
			tip = id
		}
	}
	close(e.done)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[prefix+head] == e && (e.err != nil || tip != head) {
		delete(c.entries, prefix+head)
	}
	if e.err == nil && tip != head {
		// The branch moved between the listing and the fetch: the history
		// belongs to the tip it has, where the next listing will look.
		if old := c.entries[prefix+tip]; old == nil || old.depth <= e.depth {
			c.entries[prefix+tip] = e
		}
	}
	return e.hist, e.err
}

// sweep drops finished histories unused for MaxAge, then the least
// recently used ones until there is room for one more (under c.mu).
func (c *HistoryCache) sweep(now time.Time) {
	limit := c.MaxEntries
	if limit <= 0 {
		limit = DefaultHistoryEntries
	}
	for k, e := range c.entries {
		if c.expired(e, now) {
			delete(c.entries, k)
		}
	}
	for len(c.entries) >= limit {
		var oldestKey string
		var oldest *historyEntry
		for k, e := range c.entries {
			if e.finished() && (oldest == nil || e.used.Before(oldest.used)) {
				oldestKey, oldest = k, e
			}
		}
		if oldest == nil {
			// All in flight: they are dropped when they fail, kept when
			// they succeed, and swept by the next fetch.
			return
		}
		delete(c.entries, oldestKey)
	}
}

// expired says whether e is finished and unused for longer than MaxAge.
func (c *HistoryCache) expired(e *historyEntry, now time.Time) bool {
	return e.finished() && now.Sub(e.used) > c.MaxAge
}

func (e *historyEntry) finished() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

func (c *HistoryCache) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}
