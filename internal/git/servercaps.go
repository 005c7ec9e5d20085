package git

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
)

// maxServerCaps bounds capsMemory; past it the memory starts over, which
// costs each server one advertisement.
const maxServerCaps = 4096

// capsMemory remembers the receive-pack capabilities each server (by
// repository endpoint) advertised, so a push that knows where its branch
// stands can skip the advertisement (pushExpected). Capabilities are what
// the server software supports, not secrets, and the same for every
// credential. An endpoint that did not take such a push (it redirects, as
// a renamed repository does, or answered something other than a report on
// the refs) is not tried that way again.
type capsMemory struct {
	mu      sync.Mutex
	entries map[string]capsEntry
}

type capsEntry struct {
	caps     *capability.List
	indirect bool
}

var serverCaps capsMemory

// get returns the capabilities to push to endpoint without asking, nil
// when they are unknown or the endpoint must be asked.
func (m *capsMemory) get(endpoint string) *capability.List {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[endpoint]; !e.indirect {
		return e.caps
	}
	return nil
}

func (m *capsMemory) remember(endpoint string, caps *capability.List) {
	m.update(endpoint, func(e *capsEntry) { e.caps = caps })
}

// indirect makes pushes to endpoint ask for the advertisement from now on.
func (m *capsMemory) indirect(endpoint string) {
	m.update(endpoint, func(e *capsEntry) { e.indirect = true })
}

func (m *capsMemory) update(endpoint string, change func(*capsEntry)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil || len(m.entries) >= maxServerCaps {
		m.entries = make(map[string]capsEntry)
	}
	e := m.entries[endpoint]
	change(&e)
	m.entries[endpoint] = e
}
