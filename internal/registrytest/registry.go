// Package registrytest runs go-containerregistry's in-process OCI registry on
// 127.0.0.1 for tests, wrapped to behave more like a production registry:
//
//   - tags/list pages carry a `Link: <...>; rel="next"` header while more tags
//     remain (the in-process registry never sends one, so clients that follow
//     only Link would otherwise see just the first page);
//   - optional HTTP basic auth (WithBasicAuth) and TLS (WithTLS);
//   - fault injection: the next N requests answer a given status, e.g. 429
//     with Retry-After (InjectErrors);
//   - request counters by kind (Counts / ResetCounts).
//
// Setup helpers (PushImage, PushIndex, NewImage, ...) talk to the registry over
// HTTP but mark their requests so that they are neither counted nor subject to
// fault injection. Typical use:
//
//	reg := registrytest.New(t, registrytest.WithBasicAuth("u", "p"))
//	reg.PushImage(t, "app", "v1.2.3", registrytest.NewImage(t, registrytest.ImageSpec{OS: "linux", Arch: "amd64"}))
//	reg.ResetCounts()
//	// ... discover against reg.Repo("app") with authn.Basic{Username: "u", Password: "p"}
//	c := reg.Counts()
package registrytest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// setupHeader marks requests made by the setup helpers.
const setupHeader = "X-Registrytest-Setup"

// Registry is a running test registry. Create it with New; it is closed by
// t.Cleanup.
type Registry struct {
	// URL is the base URL, e.g. http://127.0.0.1:PORT (https with WithTLS).
	URL string
	// Host is host:port, the registry part of image references.
	Host string

	cfg    config
	server *httptest.Server
	inner  http.Handler

	mu      sync.Mutex
	counts  Counts
	inject  []injected
	setupRT http.RoundTripper
	onList  func(repo string)
	onReq   func(*http.Request)
}

// OnTagsList calls f with the repository (such as "apps/web") of every tag
// listing that is not a setup helper's: each discovery of a repository
// starts with one, so a benchmark can tell when it was discovered without
// asking the discoverer.
func (r *Registry) OnTagsList(f func(repo string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onList = f
}

// OnRequest calls f before serving every request that is not a setup
// helper's; f may block to hold the request (a registry that is slow to
// answer some requests).
func (r *Registry) OnRequest(f func(*http.Request)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onReq = f
}

type config struct {
	username, password string
	tls                bool
}

type injected struct {
	status     int
	retryAfter string
}

// Option configures a Registry.
type Option func(*config)

// WithBasicAuth requires HTTP basic auth on every /v2/ request; a missing or
// wrong Authorization header gets 401 with a Basic challenge.
func WithBasicAuth(username, password string) Option {
	return func(c *config) { c.username, c.password = username, password }
}

// WithTLS serves HTTPS with httptest's self-signed certificate, so clients
// need to skip verification (or trust Registry.Certificate).
func WithTLS() Option {
	return func(c *config) { c.tls = true }
}

// Counts is the number of requests per kind since start or ResetCounts.
// Setup helper requests are not counted.
type Counts struct {
	Ping         int // GET /v2/
	TagsList     int // GET /v2/<repo>/tags/list (each page)
	ManifestGet  int // GET /v2/<repo>/manifests/<ref>
	ManifestHead int // HEAD /v2/<repo>/manifests/<ref>
	BlobGet      int // GET /v2/<repo>/blobs/<digest> (config blobs, layers)
	BlobHead     int // HEAD /v2/<repo>/blobs/<digest>
	Other        int // everything else (uploads, deletes, ...)
	Unauthorized int // requests rejected with 401 (also counted above)
	Injected     int // requests answered by InjectErrors (also counted above)
}

// Total is the number of counted requests.
func (c Counts) Total() int {
	return c.Ping + c.TagsList + c.ManifestGet + c.ManifestHead + c.BlobGet + c.BlobHead + c.Other
}

// New starts a registry on 127.0.0.1 and registers its shutdown with t.Cleanup.
func New(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	r := &Registry{inner: registry.New(registry.Logger(discardLogger()))}
	for _, o := range opts {
		o(&r.cfg)
	}
	if r.cfg.tls {
		r.server = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	} else {
		r.server = httptest.NewServer(http.HandlerFunc(r.serve))
	}
	t.Cleanup(r.server.Close)
	r.URL = r.server.URL
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatalf("registrytest: parse server URL: %v", err)
	}
	r.Host = u.Host
	r.setupRT = &setupTransport{inner: r.server.Client().Transport, user: r.cfg.username, pass: r.cfg.password}
	return r
}

// Repo returns the repository reference "<host>/<name>", e.g. the repoURL of
// an image subscription.
func (r *Registry) Repo(name string) string { return r.Host + "/" + name }

// Client returns an *http.Client trusting the server's certificate (useful
// with WithTLS).
func (r *Registry) Client() *http.Client { return r.server.Client() }

// Counts returns a snapshot of the request counters.
func (r *Registry) Counts() Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts
}

// ResetCounts zeroes the request counters.
func (r *Registry) ResetCounts() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts = Counts{}
}

// InjectErrors makes the next n (non-setup) requests answer status with an
// OCI error body and, when retryAfter is not empty, a Retry-After header
// (e.g. "0", "2" or an HTTP date). Calls queue up.
func (r *Registry) InjectErrors(status, n int, retryAfter string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range n {
		r.inject = append(r.inject, injected{status: status, retryAfter: retryAfter})
	}
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	setup := req.Header.Get(setupHeader) != ""
	if !setup {
		r.mu.Lock()
		hold := r.onReq
		r.mu.Unlock()
		if hold != nil {
			hold(req)
		}
		if inj, ok := r.account(req); ok {
			if inj.retryAfter != "" {
				w.Header().Set("Retry-After", inj.retryAfter)
			}
			code := "UNAVAILABLE"
			if inj.status == http.StatusTooManyRequests {
				code = "TOOMANYREQUESTS"
			}
			writeError(w, inj.status, code, "injected failure")
			return
		}
	}
	if r.cfg.username != "" && !r.authorized(req) {
		if !setup {
			r.mu.Lock()
			r.counts.Unauthorized++
			r.mu.Unlock()
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
		return
	}
	if req.Method == http.MethodGet && isTagsList(req.URL.Path) {
		r.mu.Lock()
		f := r.onList
		r.mu.Unlock()
		if f != nil && !setup {
			f(strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/v2/"), "/tags/list"))
		}
		r.serveTags(w, req)
		return
	}
	r.inner.ServeHTTP(w, req)
}

// account counts a request and pops an injected failure, if any.
func (r *Registry) account(req *http.Request) (injected, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := req.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		r.counts.Ping++
	case req.Method == http.MethodGet && isTagsList(p):
		r.counts.TagsList++
	case strings.Contains(p, "/manifests/") && req.Method == http.MethodGet:
		r.counts.ManifestGet++
	case strings.Contains(p, "/manifests/") && req.Method == http.MethodHead:
		r.counts.ManifestHead++
	case strings.Contains(p, "/blobs/") && !strings.Contains(p, "/blobs/uploads") && req.Method == http.MethodGet:
		r.counts.BlobGet++
	case strings.Contains(p, "/blobs/") && req.Method == http.MethodHead:
		r.counts.BlobHead++
	default:
		r.counts.Other++
	}
	if len(r.inject) == 0 {
		return injected{}, false
	}
	inj := r.inject[0]
	r.inject = r.inject[1:]
	r.counts.Injected++
	return inj, true
}

func (r *Registry) authorized(req *http.Request) bool {
	u, p, ok := req.BasicAuth()
	return ok &&
		subtle.ConstantTimeCompare([]byte(u), []byte(r.cfg.username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(r.cfg.password)) == 1
}

func isTagsList(p string) bool {
	return strings.HasPrefix(p, "/v2/") && strings.HasSuffix(p, "/tags/list")
}

// serveTags asks the inner registry for the whole sorted list and pages it
// itself: the inner registry ignores a `last` beyond the final tag (it then
// returns everything again) and never sends Link.
func (r *Registry) serveTags(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	innerReq := req.Clone(req.Context())
	innerReq.URL.RawQuery = ""
	rec := httptest.NewRecorder()
	r.inner.ServeHTTP(rec, innerReq)
	if rec.Code != http.StatusOK {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	var list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", "decode inner tag list")
		return
	}
	tags := list.Tags
	sort.Strings(tags)
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(tags, last)
		for i < len(tags) && tags[i] <= last {
			i++
		}
		tags = tags[i:]
	}
	if ns := q.Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid n")
			return
		}
		if n > 0 && n < len(tags) {
			tags = tags[:n]
			next := url.Values{"n": {ns}, "last": {tags[len(tags)-1]}}
			w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, req.URL.Path, next.Encode()))
		}
	}
	if tags == nil {
		tags = []string{}
	}
	body, _ := json.Marshal(struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{list.Name, tags})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func writeError(w http.ResponseWriter, status int, code, msg string) {
	body, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.Copy(w, bytes.NewReader(body))
}

// setupTransport marks setup requests and adds basic auth when configured.
type setupTransport struct {
	inner      http.RoundTripper
	user, pass string
}

func (s *setupTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(setupHeader, "1")
	if s.user != "" {
		req.SetBasicAuth(s.user, s.pass)
	}
	return s.inner.RoundTrip(req)
}
