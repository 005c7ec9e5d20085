package argocdstep

import (
	"sync"
	"time"
)

// healthMemory holds the health last seen per Promotion step. Entries of
// Promotions that stopped polling (aborted, or ended elsewhere) are
// dropped after a day.
type healthMemory struct {
	mu      sync.Mutex
	entries map[string]healthEntry
}

type healthEntry struct {
	health map[string]string
	at     time.Time
}

const healthMemoryTTL = 24 * time.Hour

func (m *healthMemory) load(key string) map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries[key].health
}

func (m *healthMemory) store(key string, seen map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]healthEntry{}
	}
	now := time.Now()
	for k, e := range m.entries {
		if now.Sub(e.at) > healthMemoryTTL {
			delete(m.entries, k)
		}
	}
	h := make(map[string]string, len(seen))
	for k, v := range seen {
		h[k], _ = v.(string)
	}
	m.entries[key] = healthEntry{health: h, at: now}
}

func (m *healthMemory) forget(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
}
