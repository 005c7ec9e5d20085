package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The GitHub tests run go-github against a stand-in for GitHub Enterprise
// Server's REST API (/api/v3): the pulls, issue labels and merge endpoints,
// with JSON written by hand in the shape GitHub documents
// (docs.github.com/rest/pulls). The real github.com cannot be reached here.

const ghRepo = "/api/v3/repos/acme/app"

func ghPR(n int, state string, merged bool, head, base, mergeableState string) string {
	mergedAt, sha := "null", `"0123456789abcdef0123456789abcdef01234567"`
	if merged {
		mergedAt = `"2026-01-02T03:04:05Z"`
	}
	return fmt.Sprintf(`{"number":%d,"state":%q,"html_url":"https://github.acme.io/acme/app/pull/%d",
		"draft":false,"merged":%t,"merged_at":%s,"merge_commit_sha":%s,"mergeable":true,"mergeable_state":%q,
		"created_at":"2026-01-01T00:00:00Z",
		"head":{"ref":%q,"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"base":{"ref":%q,"sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}}`,
		n, state, n, merged, mergedAt, sha, mergeableState, head, base)
}

func newGitHubStandIn(t *testing.T, routes map[string]http.HandlerFunc) (*standIn, Interface) {
	t.Helper()
	s := newStandIn(t, routes)
	p, err := New(s.URL+"/acme/app.git", Options{Provider: GitHub, Token: "ghp_secret"})
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestGitHubCreateListGet(t *testing.T) {
	var s *standIn
	s, p := newGitHubStandIn(t, map[string]http.HandlerFunc{
		"POST " + ghRepo + "/pulls": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer ghp_secret" {
				t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
			}
			b := decode(t, r)
			if b["head"] != "promo/dev" || b["base"] != "env/dev" || b["draft"] != true {
				t.Errorf("create body %v", b)
			}
			reply(201, ghPR(7, "open", false, "promo/dev", "env/dev", "unknown"))(w, r)
		},
		"POST " + ghRepo + "/issues/7/labels": reply(200, `[{"name":"kargo"}]`),
		"GET " + ghRepo + "/pulls": func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("head") != "acme:promo/dev" || q.Get("base") != "env/dev" || q.Get("state") != "open" {
				t.Errorf("list query %v", q)
			}
			if q.Get("page") == "" {
				w.Header().Set("Link", fmt.Sprintf(`<%s%s/pulls?page=2>; rel="next"`, s.URL, ghRepo))
				reply(200, "["+ghPR(7, "open", false, "promo/dev", "env/dev", "clean")+"]")(w, r)
				return
			}
			reply(200, "["+ghPR(3, "open", false, "promo/dev", "env/dev", "clean")+"]")(w, r)
		},
		"GET " + ghRepo + "/pulls/7": reply(200, ghPR(7, "open", false, "promo/dev", "env/dev", "clean")),
	})
	ctx := context.Background()
	pr, err := p.CreatePullRequest(ctx, CreateOpts{Title: "t", Head: "promo/dev", Base: "env/dev", Labels: []string{"kargo"}, Draft: true})
	if err != nil || pr.Number != 7 || !pr.Open || pr.Merged || pr.MergeCommitSHA != "" || pr.Head != "promo/dev" {
		t.Fatalf("create = %+v, %v", pr, err)
	}
	if s.count("POST "+ghRepo+"/issues/7/labels") != 1 {
		t.Error("labels not added")
	}
	prs, err := p.ListPullRequests(ctx, ListOpts{Head: "promo/dev", Base: "env/dev"})
	if err != nil || len(prs) != 2 {
		t.Fatalf("list = %+v, %v", prs, err)
	}
	got, err := FindOpen(ctx, p, "promo/dev", "env/dev")
	if err != nil || got.Number != 7 {
		t.Fatalf("FindOpen = %+v, %v", got, err)
	}
}

func TestGitHubMerge(t *testing.T) {
	ctx := context.Background()
	merged := ghPR(5, "closed", true, "h", "b", "unknown")
	for _, tc := range []struct {
		name       string
		routes     map[string]http.HandlerFunc
		wantMerged bool
		wantErr    error
		wantSHA    string
	}{
		{"already merged", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5": reply(200, merged),
		}, true, nil, "0123456789abcdef0123456789abcdef01234567"},
		{"clean", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5": reply(200, ghPR(5, "open", false, "h", "b", "clean")),
			"PUT " + ghRepo + "/pulls/5/merge": func(w http.ResponseWriter, r *http.Request) {
				if b := decode(t, r); b["merge_method"] != "squash" {
					t.Errorf("merge body %v", b)
				}
				reply(200, `{"sha":"0123456789abcdef0123456789abcdef01234567","merged":true,"message":"Pull Request successfully merged"}`)(w, r)
			},
		}, true, nil, "0123456789abcdef0123456789abcdef01234567"},
		{"mergeability unknown", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5": reply(200, ghPR(5, "open", false, "h", "b", "unknown")),
		}, false, nil, ""},
		{"blocked and refused", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5":       reply(200, ghPR(5, "open", false, "h", "b", "blocked")),
			"PUT " + ghRepo + "/pulls/5/merge": reply(405, `{"message":"Required status check \"ci\" is expected."}`),
		}, false, nil, ""},
		{"method not allowed", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5":       reply(200, ghPR(5, "open", false, "h", "b", "clean")),
			"PUT " + ghRepo + "/pulls/5/merge": reply(405, `{"message":"Squash merges are not allowed on this repository."}`),
		}, false, errors.New("any"), ""},
		{"conflicts", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5": reply(200, ghPR(5, "open", false, "h", "b", "dirty")),
		}, false, errors.New("any"), ""},
		{"closed", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5": reply(200, ghPR(5, "closed", false, "h", "b", "unknown")),
		}, false, ErrClosed, ""},
		{"not found", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5": reply(404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`),
		}, false, ErrNotFound, ""},
		{"no rights", map[string]http.HandlerFunc{
			"GET " + ghRepo + "/pulls/5": reply(403, `{"message":"Resource not accessible by integration"}`, "X-RateLimit-Remaining", "4000"),
		}, false, ErrAccessDenied, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := newGitHubStandIn(t, tc.routes)
			pr, ok, err := p.MergePullRequest(ctx, 5, MergeOpts{Method: "squash"})
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr != nil && err == nil:
				t.Fatalf("want an error, got %+v %v", pr, ok)
			case tc.wantErr != nil && tc.wantErr.Error() != "any" && !errors.Is(err, tc.wantErr):
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if ok != tc.wantMerged {
				t.Fatalf("merged = %v, want %v", ok, tc.wantMerged)
			}
			if ok && (pr == nil || pr.MergeCommitSHA != tc.wantSHA || !pr.Merged) {
				t.Fatalf("pr = %+v", pr)
			}
			if err != nil && strings.Contains(err.Error(), "ghp_secret") {
				t.Fatalf("error leaks the token: %v", err)
			}
		})
	}
}

func TestGitHubRateLimited(t *testing.T) {
	reset := time.Now().Add(120 * time.Second).Unix()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		min     time.Duration
		max     time.Duration
	}{
		{"429 with reset", reply(429, `{"message":"API rate limit exceeded"}`,
			"X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(reset, 10)), 115 * time.Second, 122 * time.Second},
		{"403 primary", reply(403, `{"message":"API rate limit exceeded for installation ID 1."}`,
			"X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(reset, 10)), 115 * time.Second, 122 * time.Second},
		{"403 secondary", reply(403, `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			"Retry-After", "42"), 42 * time.Second, 42 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := newGitHubStandIn(t, map[string]http.HandlerFunc{"GET " + ghRepo + "/pulls/1": tc.handler})
			_, err := p.GetPullRequest(context.Background(), 1)
			var rl *RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("err = %v (%T), want *RateLimitedError", err, err)
			}
			if rl.RetryAfter < tc.min || rl.RetryAfter > tc.max {
				t.Fatalf("RetryAfter = %s, want in [%s, %s]", rl.RetryAfter, tc.min, tc.max)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newStandIn(t, map[string]http.HandlerFunc{
		"GET " + ghRepo + "/pulls/1": func(http.ResponseWriter, *http.Request) { <-release },
	})
	defer close(release)
	p, err := New(s.URL+"/acme/app", Options{Provider: GitHub, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The handler never answers: only the client's timeout ends the call.
	var ne net.Error
	if _, err := p.GetPullRequest(context.Background(), 1); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p, _ = New(s.URL+"/acme/app", Options{Provider: GitHub})
	if _, err := p.GetPullRequest(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}
