package image

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// pingTTL is how long a registry's answer to the ping (GET /v2/) is
// replayed to the registry client. It pings before its first request to
// each repository, to learn how the host wants to be authenticated; the
// answer is the host's, not the repository's, and with an image per app
// on one registry, the pings were a third of the requests that made a
// wave of first discoveries wait on the host's rate limit.
const pingTTL = 10 * time.Minute

// pingCache holds one host's last ping answers, by scheme.
type pingCache struct {
	mu      sync.Mutex
	answers map[string]pingAnswer
}

// pingAnswer is what is replayed: the status and the headers (the
// WWW-Authenticate challenge), never a body.
type pingAnswer struct {
	status int
	header http.Header
	at     time.Time
}

// isPing says whether req is the registry client's ping: an
// unauthenticated GET of /v2/.
func isPing(req *http.Request) bool {
	return req.Method == http.MethodGet && req.URL.Path == "/v2/" && req.Header.Get("Authorization") == ""
}

// replay answers req from a ping answer younger than pingTTL.
func (c *pingCache) replay(req *http.Request, now time.Time) (*http.Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[req.URL.Scheme]
	if !ok || now.Sub(a.at) > pingTTL {
		return nil, false
	}
	return &http.Response{
		Status:        http.StatusText(a.status),
		StatusCode:    a.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        a.header.Clone(),
		Body:          io.NopCloser(strings.NewReader("")),
		ContentLength: 0,
		Request:       req,
	}, true
}

// record keeps an answer to a ping worth replaying: open (200) or a
// challenge (401).
func (c *pingCache) record(req *http.Request, resp *http.Response, now time.Time) {
	if resp == nil || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil {
		c.answers = map[string]pingAnswer{}
	}
	c.answers[req.URL.Scheme] = pingAnswer{status: resp.StatusCode, header: resp.Header.Clone(), at: now}
}

// forget drops the answers after the host refused a request (401): it may
// have changed how it wants to be authenticated.
func (c *pingCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answers = nil
}
