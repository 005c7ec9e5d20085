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
// credential.
type capsMemory struct {
	mu   sync.Mutex
	caps map[string]*capability.List
}

var serverCaps capsMemory

func (m *capsMemory) get(endpoint string) *capability.List {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.caps[endpoint]
}

func (m *capsMemory) remember(endpoint string, caps *capability.List) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.caps == nil || len(m.caps) >= maxServerCaps {
		m.caps = make(map[string]*capability.List)
	}
	m.caps[endpoint] = caps
}

func (m *capsMemory) forget(endpoint string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.caps, endpoint)
}
