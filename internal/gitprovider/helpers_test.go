package gitprovider

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// standIn is an httptest server answering "METHOD /escaped/path" routes
// with handlers; anything else is a 404 the test fails on. The providers'
// tests use it as a stand-in for a forge's REST API (the forges cannot be
// reached from the test environment).
type standIn struct {
	*httptest.Server
	t      *testing.T
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	calls  []string
}

func newStandIn(t *testing.T, routes map[string]http.HandlerFunc) *standIn {
	t.Helper()
	s := &standIn{t: t, routes: routes}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.EscapedPath()
		s.mu.Lock()
		s.calls = append(s.calls, key)
		h := s.routes[key]
		s.mu.Unlock()
		if h == nil {
			t.Errorf("stand-in: unexpected request %s?%s", key, r.URL.RawQuery)
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) set(key string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[key] = h
}

func (s *standIn) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c == key {
			n++
		}
	}
	return n
}

// reply answers with status and a JSON body written by hand in the shape
// the provider documents.
func reply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// decode reads a JSON request body.
func decode(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		t.Errorf("request body: %v", err)
	}
	return m
}
