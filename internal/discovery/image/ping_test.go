package image

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"golang.org/x/time/rate"

	"github.com/railyard-dev/railyard/internal/registrytest"
)

// The registry client pings before its first request to each repository;
// the answer is the host's, so one ping serves every repository of it,
// with or without credentials.
func TestOnePingPerHost(t *testing.T) {
	for name, auth := range map[string][]registrytest.Option{
		"anonymous":  nil,
		"basic auth": {registrytest.WithBasicAuth("alice", "s3cret-pw")},
	} {
		t.Run(name, func(t *testing.T) {
			reg := registrytest.New(t, auth...)
			apps := []string{"app-1", "app-2", "app-3"}
			for _, app := range apps {
				pushTags(t, reg, app, "v1.0.0")
			}
			d := newTestDiscoverer(Config{})
			reg.ResetCounts()
			for _, app := range apps {
				o := Options{RepoURL: reg.Repo(app)}
				if auth != nil {
					o.Authenticator = &authn.Basic{Username: "alice", Password: "s3cret-pw"}
				}
				if got := tagsOf(discover(t, d, o)); !slices.Equal(got, []string{"v1.0.0"}) {
					t.Fatalf("%s: tags %v", app, got)
				}
			}
			if c := reg.Counts(); c.Ping != 1 || c.TagsList != len(apps) {
				t.Errorf("three repositories of one registry: %d pings and %d tag lists, want 1 and 3", c.Ping, c.TagsList)
			}
		})
	}
}

// A ping's answer is replayed only while young, only for its scheme, and
// not after the host refused a request: it may have changed how it wants
// to be authenticated.
func TestPingReplay(t *testing.T) {
	var pings atomic.Int64
	status := atomic.Int64{}
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			pings.Add(1)
			w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		}
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	tr := &hostTransport{host: "h", base: http.DefaultTransport, limiter: newHostLimiter(rate.NewLimiter(rate.Inf, 1), 0),
		sleep: func(context.Context, time.Duration) error { return nil }}
	get := func(path string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	for range 3 {
		if resp := get("/v2/", nil); resp.StatusCode != http.StatusOK || resp.Header.Get("Docker-Distribution-API-Version") == "" {
			t.Fatalf("ping answered %d %v", resp.StatusCode, resp.Header)
		}
	}
	if n := pings.Load(); n != 1 {
		t.Errorf("three pings reached the host %d times, want 1", n)
	}
	get("/v2/", map[string]string{"Authorization": "Basic eA=="}) // not a ping
	if n := pings.Load(); n != 2 {
		t.Errorf("an authenticated GET of /v2/ was answered from the cache")
	}
	status.Store(http.StatusUnauthorized)
	get("/v2/app/tags/list", nil)
	if resp := get("/v2/", nil); resp.StatusCode != http.StatusUnauthorized || pings.Load() != 3 {
		t.Errorf("after a refusal the ping answered %d from %d pings, want 401 from the host", resp.StatusCode, pings.Load())
	}
	tr.pings.answers["http"] = pingAnswer{status: http.StatusOK, at: time.Now().Add(-pingTTL - time.Second)}
	get("/v2/", nil)
	if n := pings.Load(); n != 4 {
		t.Errorf("an old answer was replayed")
	}
}
