package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The Bitbucket tests run the provider against a stand-in for Bitbucket
// Cloud's REST API 2.0 pull request endpoints
// (developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests),
// JSON written by hand as Atlassian documents it; api.bitbucket.org cannot
// be reached here, so Options.APIURL points at the stand-in.

const bbRepo = "/2.0/repositories/acme/app"

func bbJSON(id int, state, head, base, mergeHash string) string {
	mc := "null"
	if mergeHash != "" {
		mc = fmt.Sprintf(`{"type":"commit","hash":%q}`, mergeHash)
	}
	return fmt.Sprintf(`{"type":"pullrequest","id":%d,"title":"t","state":%q,"draft":false,
		"source":{"branch":{"name":%q},"commit":{"type":"commit","hash":"aaaaaaaaaaaa"}},
		"destination":{"branch":{"name":%q},"commit":{"type":"commit","hash":"bbbbbbbbbbbb"}},
		"merge_commit":%s,"created_on":"2026-01-01T00:00:00.000000+00:00",
		"links":{"html":{"href":"https://bitbucket.org/acme/app/pull-requests/%d"}}}`, id, state, head, base, mc, id)
}

func newBitbucketStandIn(t *testing.T, routes map[string]http.HandlerFunc) (*standIn, Interface) {
	t.Helper()
	s := newStandIn(t, routes)
	p, err := New("https://bitbucket.org/acme/app.git", Options{Token: "bb-secret", APIURL: s.URL + "/2.0"})
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestBitbucketCreateAndList(t *testing.T) {
	var s *standIn
	s, p := newBitbucketStandIn(t, map[string]http.HandlerFunc{
		"POST " + bbRepo + "/pullrequests": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer bb-secret" {
				t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
			}
			b := decode(t, r)
			if fmt.Sprint(b["source"]) != "map[branch:map[name:promo]]" || fmt.Sprint(b["destination"]) != "map[branch:map[name:main]]" {
				t.Errorf("create body %v", b)
			}
			reply(201, bbJSON(8, "OPEN", "promo", "main", ""))(w, r)
		},
		"GET " + bbRepo + "/pullrequests": func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("q") != `source.branch.name = "promo" AND destination.branch.name = "main"` || fmt.Sprint(q["state"]) != "[OPEN]" {
				t.Errorf("list query %v", q)
			}
			if q.Get("page") == "" {
				reply(200, fmt.Sprintf(`{"pagelen":1,"page":1,"values":[%s],"next":"%s%s/pullrequests?page=2&%s"}`,
					bbJSON(8, "OPEN", "promo", "main", ""), s.URL, bbRepo, r.URL.RawQuery))(w, r)
				return
			}
			reply(200, `{"pagelen":1,"page":2,"values":[`+bbJSON(6, "OPEN", "promo", "main", "")+`]}`)(w, r)
		},
	})
	ctx := context.Background()
	pr, err := p.CreatePullRequest(ctx, CreateOpts{Title: "t", Head: "promo", Base: "main", Labels: []string{"ignored"}})
	if err != nil || pr.Number != 8 || !pr.Open || pr.URL == "" {
		t.Fatalf("create = %+v, %v", pr, err)
	}
	prs, err := p.ListPullRequests(ctx, ListOpts{Head: "promo", Base: "main"})
	if err != nil || len(prs) != 2 {
		t.Fatalf("list = %+v, %v", prs, err)
	}
}

func TestBitbucketMerge(t *testing.T) {
	full := "cccccccccccccccccccccccccccccccccccccccc"
	commit := reply(200, `{"type":"commit","hash":"`+full+`"}`)
	for _, tc := range []struct {
		name    string
		routes  map[string]http.HandlerFunc
		merged  bool
		wantErr error
	}{
		{"already merged", map[string]http.HandlerFunc{
			"GET " + bbRepo + "/pullrequests/8":      reply(200, bbJSON(8, "MERGED", "promo", "main", "cccccccccccc")),
			"GET " + bbRepo + "/commit/cccccccccccc": commit,
		}, true, nil},
		{"merge", map[string]http.HandlerFunc{
			"GET " + bbRepo + "/pullrequests/8": reply(200, bbJSON(8, "OPEN", "promo", "main", "")),
			"POST " + bbRepo + "/pullrequests/8/merge": func(w http.ResponseWriter, r *http.Request) {
				if b := decode(t, r); b["merge_strategy"] != "squash" {
					t.Errorf("merge body %v", b)
				}
				reply(200, bbJSON(8, "MERGED", "promo", "main", "cccccccccccc"))(w, r)
			},
			"GET " + bbRepo + "/commit/cccccccccccc": commit,
		}, true, nil},
		{"merging asynchronously", map[string]http.HandlerFunc{
			"GET " + bbRepo + "/pullrequests/8":        reply(200, bbJSON(8, "OPEN", "promo", "main", "")),
			"POST " + bbRepo + "/pullrequests/8/merge": reply(202, `{"task_status":"PENDING"}`, "Location", "https://api.bitbucket.org/2.0/repositories/acme/app/pullrequests/8/merge/task-status/1"),
		}, false, nil},
		{"declined", map[string]http.HandlerFunc{
			"GET " + bbRepo + "/pullrequests/8": reply(200, bbJSON(8, "DECLINED", "promo", "main", "")),
		}, false, ErrClosed},
		{"not found", map[string]http.HandlerFunc{
			"GET " + bbRepo + "/pullrequests/8": reply(404, `{"type":"error","error":{"message":"Not found"}}`),
		}, false, ErrNotFound},
		{"forbidden", map[string]http.HandlerFunc{
			"GET " + bbRepo + "/pullrequests/8": reply(403, `{"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes."}}`),
		}, false, ErrAccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := newBitbucketStandIn(t, tc.routes)
			pr, ok, err := p.MergePullRequest(context.Background(), 8, MergeOpts{Method: "squash"})
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if ok != tc.merged || (ok && pr.MergeCommitSHA != full) {
				t.Fatalf("merge = %+v, %v", pr, ok)
			}
		})
	}
	t.Run("rate limited", func(t *testing.T) {
		_, p := newBitbucketStandIn(t, map[string]http.HandlerFunc{
			"GET " + bbRepo + "/pullrequests/8": reply(429, `{"type":"error","error":{"message":"Rate limit for this resource has been exceeded"}}`, "Retry-After", "17"),
		})
		_, err := p.GetPullRequest(context.Background(), 8)
		var rl *RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter != 17*time.Second {
			t.Fatalf("err = %v", err)
		}
	})
}
