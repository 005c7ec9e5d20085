// Package gittest runs real git servers for tests: smart HTTP through
// `git http-backend` and, optionally, SSH through git-upload-pack and
// git-receive-pack. Repositories are bare directories under one root.
package gittest

import (
	"crypto/subtle"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Server is a smart-HTTP git server on 127.0.0.1 serving the bare
// repositories under Root.
type Server struct {
	// URL is the server base, e.g. http://127.0.0.1:PORT. A repository named
	// "app" is at URL + "/app.git" (see RepoURL).
	URL string
	// Root is the directory holding the bare repositories.
	Root string

	t        testing.TB
	cfg      config
	http     *httptest.Server
	refLists atomic.Int64
	fetches  atomic.Int64
	pushes   atomic.Int64
	denied   atomic.Int64
}

type config struct {
	username, password string
	push               bool
}

// Option configures a Server.
type Option func(*config)

// WithBasicAuth requires HTTP basic auth. A token is served the same way:
// pass any username and the token as password.
func WithBasicAuth(username, password string) Option {
	return func(c *config) { c.username, c.password = username, password }
}

// WithPush enables receive-pack so clients may push.
func WithPush() Option {
	return func(c *config) { c.push = true }
}

// Stats counts requests by kind since start or the last ResetStats.
type Stats struct {
	// RefLists counts ref advertisements (GET info/refs), i.e. ls-remote and
	// the first leg of every fetch or push.
	RefLists int
	// Fetches counts upload-pack POSTs: object transfers for protocol v0/v1
	// clients such as go-git. (The git binary's protocol v2 also POSTs for
	// ls-remote.)
	Fetches int
	// Pushes counts receive-pack POSTs.
	Pushes int
	// Denied counts requests refused for missing or wrong credentials.
	Denied int
}

// NewServer starts a server and stops it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("gittest: git binary not found: %v", err)
	}
	s := &Server{t: t, Root: t.TempDir()}
	for _, o := range opts {
		o(&s.cfg)
	}
	receive := "false"
	if s.cfg.push {
		receive = "true"
	}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Dir:  s.Root,
		// http-backend reports refusals on stderr; the client sees them too.
		Stderr: io.Discard,
		Env: append(isolatedGitEnv(t),
			"GIT_PROJECT_ROOT="+s.Root,
			"GIT_HTTP_EXPORT_ALL=1",
			// http-backend only enables receive-pack for authenticated users
			// by default; make the choice explicit either way.
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.receivepack",
			"GIT_CONFIG_VALUE_0="+receive,
		),
	}
	s.http = httptest.NewServer(s.wrap(backend))
	s.URL = s.http.URL
	t.Cleanup(s.http.Close)
	return s
}

// RepoURL returns the clone URL of the named repository.
func (s *Server) RepoURL(name string) string {
	return s.URL + "/" + strings.TrimSuffix(name, ".git") + ".git"
}

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	return Stats{
		RefLists: int(s.refLists.Load()),
		Fetches:  int(s.fetches.Load()),
		Pushes:   int(s.pushes.Load()),
		Denied:   int(s.denied.Load()),
	}
}

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() {
	s.refLists.Store(0)
	s.fetches.Store(0)
	s.pushes.Store(0)
	s.denied.Store(0)
}

func (s *Server) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.username != "" || s.cfg.password != "" {
			u, p, ok := r.BasicAuth()
			if !ok || !equal(u, s.cfg.username) || !equal(p, s.cfg.password) {
				s.denied.Add(1)
				w.Header().Set("WWW-Authenticate", `Basic realm="gittest"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/info/refs"):
			s.refLists.Add(1)
		case strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
			s.fetches.Add(1)
		case strings.HasSuffix(r.URL.Path, "/git-receive-pack"):
			s.pushes.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// isolatedGitEnv keeps the developer's git configuration out of the
// server and helper processes.
func isolatedGitEnv(t testing.TB) []string {
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatalf("gittest: %v", err)
	}
	return []string{
		"HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
	}
}
