package chart

import (
	"crypto/sha256"
	"slices"
	"sync"
)

// cacheKey identifies what a cached version list answers: the index URL, the
// chart, and who asked (a hash of the credentials), so a server that
// answers 304 without checking auth cannot leak a private list to another
// tenant.
type cacheKey struct {
	url   string
	chart string
	who   [sha256.Size]byte
}

func newCacheKey(url, chart string, c *Credentials) cacheKey {
	k := cacheKey{url: url, chart: chart}
	if c != nil {
		k.who = sha256.Sum256([]byte(c.Username + "\x00" + c.Password))
	}
	return k
}

// cacheEntry is what the last 200 response told us.
type cacheEntry struct {
	etag         string
	lastModified string
	versions     []string
	used         uint64
}

// indexCache is a small LRU of version lists with their validators. It
// holds only version strings, never index bodies.
type indexCache struct {
	mu      sync.Mutex
	max     int
	tick    uint64
	entries map[cacheKey]*cacheEntry
}

func newIndexCache(max int) *indexCache {
	return &indexCache{max: max, entries: map[cacheKey]*cacheEntry{}}
}

func (c *indexCache) get(k cacheKey) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return cacheEntry{}, false
	}
	c.tick++
	e.used = c.tick
	return cacheEntry{etag: e.etag, lastModified: e.lastModified, versions: slices.Clone(e.versions)}, true
}

func (c *indexCache) put(k cacheKey, e cacheEntry) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.max {
		var oldest cacheKey
		first := true
		for key, v := range c.entries {
			if first || v.used < c.entries[oldest].used {
				oldest, first = key, false
			}
		}
		delete(c.entries, oldest)
	}
	c.tick++
	e.used = c.tick
	e.versions = slices.Clone(e.versions)
	c.entries[k] = &e
}

func (c *indexCache) delete(k cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}
