package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The Gitea tests run the Gitea SDK against a stand-in for Gitea's API v1
// pull request endpoints (gitea.com/api/swagger), JSON written by hand as
// Gitea documents it. A test against a real Gitea follows separately.

const gtRepo = "/api/v1/repos/acme/app"

func gtPR(n int, state string, merged, mergeable bool, head, base string) string {
	sha := "null"
	if merged {
		sha = `"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"`
	}
	return fmt.Sprintf(`{"id":%d,"number":%d,"state":%q,"title":"t","draft":false,
		"html_url":"https://gitea.acme.io/acme/app/pulls/%d","mergeable":%t,"merged":%t,"merge_commit_sha":%s,
		"head":{"label":%q,"ref":%q,"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		"base":{"label":%q,"ref":%q,"sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
		"created_at":"2026-01-01T00:00:00Z"}`, 100+n, n, state, n, mergeable, merged, sha, head, head, base, base)
}

func newGiteaStandIn(t *testing.T, routes map[string]http.HandlerFunc) (*standIn, Interface) {
	t.Helper()
	s := newStandIn(t, routes)
	p, err := New(s.URL+"/acme/app", Options{Provider: Gitea, Token: "gitea-secret"})
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestGiteaCreateAndList(t *testing.T) {
	s, p := newGiteaStandIn(t, map[string]http.HandlerFunc{
		"GET " + gtRepo + "/labels": reply(200, `[{"id":11,"name":"kargo","color":"00aabb"},{"id":12,"name":"other","color":"000000"}]`),
		"POST " + gtRepo + "/pulls": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "token gitea-secret" {
				t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
			}
			b := decode(t, r)
			if b["head"] != "promo" || b["base"] != "main" || fmt.Sprint(b["labels"]) != "[11]" {
				t.Errorf("create body %v", b)
			}
			reply(201, gtPR(3, "open", false, false, "promo", "main"))(w, r)
		},
		"GET " + gtRepo + "/pulls": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("state") != "open" {
				t.Errorf("list query %v", r.URL.Query())
			}
			reply(200, "["+gtPR(3, "open", false, true, "promo", "main")+","+gtPR(2, "open", false, true, "other", "main")+"]")(w, r)
		},
	})
	ctx := context.Background()
	pr, err := p.CreatePullRequest(ctx, CreateOpts{Title: "t", Head: "promo", Base: "main", Labels: []string{"kargo"}})
	if err != nil || pr.Number != 3 || pr.Head != "promo" {
		t.Fatalf("create = %+v, %v", pr, err)
	}
	prs, err := p.ListPullRequests(ctx, ListOpts{Head: "promo", Base: "main"})
	if err != nil || len(prs) != 1 || prs[0].Number != 3 {
		t.Fatalf("list = %+v, %v", prs, err)
	}
	if s.count("GET /api/v1/version") != 0 {
		t.Error("the SDK probed the server version")
	}
}

func TestGiteaMerge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		routes  map[string]http.HandlerFunc
		merged  bool
		wantErr error
	}{
		{"already merged", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3": reply(200, gtPR(3, "closed", true, false, "h", "b")),
		}, true, nil},
		{"merge", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3": reply(200, gtPR(3, "open", false, true, "h", "b")),
			"POST " + gtRepo + "/pulls/3/merge": func(w http.ResponseWriter, r *http.Request) {
				if b := decode(t, r); b["Do"] != "squash" {
					t.Errorf("merge body %v", b)
				}
				w.WriteHeader(200)
			},
		}, true, nil},
		{"not mergeable yet", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3": reply(200, gtPR(3, "open", false, false, "h", "b")),
		}, false, nil},
		{"closed", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3": reply(200, gtPR(3, "closed", false, false, "h", "b")),
		}, false, ErrClosed},
		{"not found", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3": reply(404, `{"message":"pull request does not exist"}`),
		}, false, ErrNotFound},
		{"forbidden", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3": reply(403, `{"message":"token does not have at least one of required scope(s): [read:repository]"}`),
		}, false, ErrAccessDenied},
		{"rate limited (a proxy in front of Gitea)", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3": reply(429, `{"message":"Too Many Requests"}`, "Retry-After", "42"),
		}, false, &RateLimitedError{RetryAfter: 42 * time.Second}},
		{"merge refused", map[string]http.HandlerFunc{
			"GET " + gtRepo + "/pulls/3":        reply(200, gtPR(3, "open", false, true, "h", "b")),
			"POST " + gtRepo + "/pulls/3/merge": reply(405, `{"message":"Please try again later"}`),
		}, false, errors.New("any")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, p := newGiteaStandIn(t, tc.routes)
			if tc.name == "merge" { // the re-read after merging sees it merged
				merge := tc.routes["POST "+gtRepo+"/pulls/3/merge"]
				s.set("POST "+gtRepo+"/pulls/3/merge", func(w http.ResponseWriter, r *http.Request) {
					merge(w, r)
					s.set("GET "+gtRepo+"/pulls/3", reply(200, gtPR(3, "closed", true, false, "h", "b")))
				})
			}
			pr, ok, err := p.MergePullRequest(context.Background(), 3, MergeOpts{Method: "squash"})
			var want, got *RateLimitedError
			if errors.As(tc.wantErr, &want) {
				if !errors.As(err, &got) || got.RetryAfter != want.RetryAfter || got.StatusCode != http.StatusTooManyRequests {
					t.Fatalf("err = %v, want a rate limit of %s", err, want.RetryAfter)
				}
				return
			}
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && tc.wantErr.Error() != "any" && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if ok != tc.merged || (ok && pr.MergeCommitSHA != "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee") {
				t.Fatalf("merge = %+v, %v", pr, ok)
			}
		})
	}
}
