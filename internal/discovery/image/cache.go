package image

import (
	"container/list"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// manifestMeta is what discovery needs from one manifest. Content addressed
// by digest, so it never goes stale; fields are filled lazily (e.g. the
// config is read only when a build time or platform is needed).
type manifestMeta struct {
	isIndex     bool
	annotations map[string]string
	// index only
	manifests []v1.Descriptor
	// image only
	config     v1.Hash
	configRead bool
	os, arch   string
	variant    string
	// created is the build time, from the OCI annotation or, once the config
	// has been read, the config.
	created *time.Time
}

// lru is a small, mutex-guarded least-recently-used map.
type lru[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, ll: list.New(), items: make(map[K]*list.Element)}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

func (c *lru[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry[K, V]).val = v
		c.ll.MoveToFront(e)
		return
	}
	c.items[k] = c.ll.PushFront(&lruEntry[K, V]{k, v})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*lruEntry[K, V]).key)
	}
}
