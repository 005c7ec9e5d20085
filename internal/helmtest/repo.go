package helmtest

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Repo is a classic Helm chart repository served over HTTP on 127.0.0.1.
// It serves /index.yaml and /charts/<name>-<version>.tgz.
type Repo struct {
	t   testing.TB
	cfg repoConfig
	srv *httptest.Server

	mu          sync.Mutex
	entries     map[string][]indexEntry
	archives    map[string][]byte // URL path -> archive
	index       []byte
	rawIndex    []byte
	etag        string
	modified    time.Time
	failures    []failure
	requests    map[string]int
	indexBodies int
	notModified int
	unauthed    int
}

type failure struct {
	status     int
	retryAfter string
}

type repoConfig struct {
	username, password string
	tls                bool
	noETag             bool
	noLastModified     bool
}

// RepoOption configures a Repo.
type RepoOption func(*repoConfig)

// WithBasicAuth makes every request require HTTP basic auth.
func WithBasicAuth(username, password string) RepoOption {
	return func(c *repoConfig) { c.username, c.password = username, password }
}

// WithTLS serves HTTPS with httptest's self-signed certificate.
func WithTLS() RepoOption { return func(c *repoConfig) { c.tls = true } }

// WithoutETag stops sending ETag (Last-Modified only).
func WithoutETag() RepoOption { return func(c *repoConfig) { c.noETag = true } }

// WithoutLastModified stops sending Last-Modified (ETag only).
func WithoutLastModified() RepoOption { return func(c *repoConfig) { c.noLastModified = true } }

// NewRepo starts an empty repository; it is closed when the test ends.
func NewRepo(t testing.TB, opts ...RepoOption) *Repo {
	t.Helper()
	r := &Repo{
		t:        t,
		entries:  map[string][]indexEntry{},
		archives: map[string][]byte{},
		requests: map[string]int{},
	}
	for _, o := range opts {
		o(&r.cfg)
	}
	if r.cfg.tls {
		r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	} else {
		r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	}
	t.Cleanup(r.srv.Close)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.rebuildLocked(); err != nil {
		t.Fatal(err)
	}
	return r
}

// URL is the repository URL (what goes in a chart subscription's repoURL).
func (r *Repo) URL() string { return r.srv.URL }

// Client returns an HTTP client trusting the server's certificate (WithTLS).
func (r *Repo) Client() *http.Client { return r.srv.Client() }

// AddChart packages spec, stores the archive and adds it to the index, which
// gets a new ETag and a later Last-Modified. It must be called from the test
// goroutine (failures call t.Fatal). Adding an existing version replaces it.
func (r *Repo) AddChart(spec ChartSpec) {
	r.t.Helper()
	s, err := spec.withDefaults()
	if err != nil {
		r.t.Fatal(err)
	}
	archive, err := BuildChart(s)
	if err != nil {
		r.t.Fatal(err)
	}
	p := chartPath(s.Name, s.Version)
	entry := indexEntry{
		APIVersion: "v2", AppVersion: s.AppVersion, Created: archiveTime,
		Description: s.Description, Digest: Digest(archive), Name: s.Name,
		Type: "application", URLs: []string{r.srv.URL + p}, Version: s.Version,
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.entries[s.Name][:0:0]
	for _, e := range r.entries[s.Name] {
		if e.Version != s.Version {
			list = append(list, e)
		}
	}
	r.entries[s.Name] = append(list, entry)
	r.archives[p] = archive
	if err := r.rebuildLocked(); err != nil {
		r.t.Fatal(err)
	}
}

// ChartURL is the absolute download URL of a chart version.
func (r *Repo) ChartURL(name, version string) string { return r.srv.URL + chartPath(name, version) }

// ChartDigest is the sha256 (hex) of a stored chart archive, "" if absent.
func (r *Repo) ChartDigest(name, version string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.archives[chartPath(name, version)]; ok {
		return Digest(a)
	}
	return ""
}

// Index returns the index.yaml currently served.
func (r *Repo) Index() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.servedIndexLocked())
}

// SetRawIndex serves b verbatim as index.yaml (e.g. a malformed one); nil
// goes back to the generated index. Validators change either way.
func (r *Repo) SetRawIndex(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rawIndex = bytes.Clone(b)
	r.touchLocked()
}

// FailNext answers the next n requests (any path) with status and, if
// retryAfter is not empty, a Retry-After header.
func (r *Repo) FailNext(n, status int, retryAfter string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range n {
		r.failures = append(r.failures, failure{status: status, retryAfter: retryAfter})
	}
}

func chartPath(name, version string) string {
	return fmt.Sprintf("/charts/%s-%s.tgz", name, version)
}

func (r *Repo) rebuildLocked() error {
	idx, err := renderIndex(r.entries, archiveTime)
	if err != nil {
		return err
	}
	r.index = idx
	r.touchLocked()
	return nil
}

// touchLocked recomputes validators. Last-Modified has one-second resolution,
// so it always moves forward by at least a second on change; otherwise a
// client relying on If-Modified-Since alone could miss a change.
func (r *Repo) touchLocked() {
	r.etag = `"` + Digest(r.servedIndexLocked())[:32] + `"`
	now := time.Now().UTC().Truncate(time.Second)
	if !now.After(r.modified) {
		now = r.modified.Add(time.Second)
	}
	r.modified = now
}

func (r *Repo) servedIndexLocked() []byte {
	if r.rawIndex != nil {
		return r.rawIndex
	}
	return r.index
}

func (r *Repo) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests[req.URL.Path]++
	if len(r.failures) > 0 {
		f := r.failures[0]
		r.failures = r.failures[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	if !r.authorized(req) {
		r.unauthed++
		w.Header().Set("WWW-Authenticate", `Basic realm="helmtest"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case req.URL.Path == "/index.yaml":
		r.serveIndexLocked(w, req)
	case strings.HasPrefix(req.URL.Path, "/charts/"):
		a, ok := r.archives[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		_, _ = w.Write(a)
	default:
		http.NotFound(w, req)
	}
}

func (r *Repo) serveIndexLocked(w http.ResponseWriter, req *http.Request) {
	if !r.cfg.noETag {
		w.Header().Set("ETag", r.etag)
	}
	if !r.cfg.noLastModified {
		w.Header().Set("Last-Modified", r.modified.Format(http.TimeFormat))
	}
	if r.notModifiedLocked(req) {
		r.notModified++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if req.Method == http.MethodGet {
		r.indexBodies++
	}
	w.Header().Set("Content-Type", "application/x-yaml")
	_, _ = w.Write(r.servedIndexLocked())
}

// notModifiedLocked applies RFC 9110: If-None-Match wins over
// If-Modified-Since.
func (r *Repo) notModifiedLocked(req *http.Request) bool {
	if inm := req.Header.Get("If-None-Match"); inm != "" {
		if r.cfg.noETag {
			return false
		}
		for _, tag := range strings.Split(inm, ",") {
			if t := strings.TrimSpace(tag); t == r.etag || t == "W/"+r.etag || t == "*" {
				return true
			}
		}
		return false
	}
	ims := req.Header.Get("If-Modified-Since")
	if ims == "" || r.cfg.noLastModified {
		return false
	}
	since, err := http.ParseTime(ims)
	return err == nil && !r.modified.After(since)
}

func (r *Repo) authorized(req *http.Request) bool {
	if r.cfg.username == "" && r.cfg.password == "" {
		return true
	}
	u, p, ok := req.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(u), []byte(r.cfg.username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(r.cfg.password)) == 1
}
