package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The GitLab tests run client-go against a stand-in for GitLab's REST API
// v4 merge request endpoints (docs.gitlab.com/api/merge_requests), JSON
// written by hand as GitLab documents it. gitlab.com cannot be reached here.

const glProject = "/api/v4/projects/grp%2Fsub%2Fapp/merge_requests"

func glMR(iid int, state, detailed, mergeSHA, squashSHA string) string {
	return fmt.Sprintf(`{"id":%d,"iid":%d,"project_id":3,"title":"t","state":%q,"draft":false,
		"source_branch":"promo/dev","target_branch":"env/dev","sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"merge_commit_sha":%s,"squash_commit_sha":%s,"detailed_merge_status":%q,
		"web_url":"https://gitlab.acme.io/grp/sub/app/-/merge_requests/%d","created_at":"2026-01-01T00:00:00Z"}`,
		1000+iid, iid, state, jsonOrNull(mergeSHA), jsonOrNull(squashSHA), detailed, iid)
}

func jsonOrNull(s string) string {
	if s == "" {
		return "null"
	}
	return strconv.Quote(s)
}

func newGitLabStandIn(t *testing.T, routes map[string]http.HandlerFunc) (*standIn, Interface) {
	t.Helper()
	s := newStandIn(t, routes)
	p, err := New(s.URL+"/grp/sub/app.git", Options{Provider: GitLab, Token: "glpat-secret"})
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestGitLabCreateAndList(t *testing.T) {
	_, p := newGitLabStandIn(t, map[string]http.HandlerFunc{
		"POST " + glProject: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("PRIVATE-TOKEN") != "glpat-secret" {
				t.Errorf("PRIVATE-TOKEN = %q", r.Header.Get("PRIVATE-TOKEN"))
			}
			b := decode(t, r)
			if b["source_branch"] != "promo/dev" || b["target_branch"] != "env/dev" || b["title"] != "Draft: t" || b["labels"] != "a,b" {
				t.Errorf("create body %v", b)
			}
			reply(201, glMR(4, "opened", "checking", "", ""))(w, r)
		},
		"GET " + glProject: func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("source_branch") != "promo/dev" || q.Get("target_branch") != "env/dev" || q.Get("state") != "" {
				t.Errorf("list query %v", q)
			}
			if q.Get("page") == "" {
				w.Header().Set("X-Next-Page", "2")
				reply(200, "["+glMR(4, "opened", "mergeable", "", "")+"]")(w, r)
				return
			}
			reply(200, "["+glMR(2, "merged", "not_open", "cccccccccccccccccccccccccccccccccccccccc", "")+","+glMR(1, "closed", "not_open", "", "")+"]")(w, r)
		},
	})
	ctx := context.Background()
	pr, err := p.CreatePullRequest(ctx, CreateOpts{Title: "t", Head: "promo/dev", Base: "env/dev", Labels: []string{"a", "b"}, Draft: true})
	if err != nil || pr.Number != 4 || !pr.Open {
		t.Fatalf("create = %+v, %v", pr, err)
	}
	prs, err := p.ListPullRequests(ctx, ListOpts{Head: "promo/dev", Base: "env/dev", State: StateClosed})
	if err != nil || len(prs) != 2 || prs[0].Number != 2 || !prs[0].Merged || prs[0].MergeCommitSHA == "" {
		t.Fatalf("list = %+v, %v", prs, err)
	}
}

func TestGitLabMerge(t *testing.T) {
	reset := time.Now().Add(30 * time.Second).Unix()
	for _, tc := range []struct {
		name    string
		routes  map[string]http.HandlerFunc
		merged  bool
		sha     string
		wantErr error
	}{
		{"already merged", map[string]http.HandlerFunc{
			"GET " + glProject + "/9": reply(200, glMR(9, "merged", "not_open", "cccccccccccccccccccccccccccccccccccccccc", "")),
		}, true, "cccccccccccccccccccccccccccccccccccccccc", nil},
		{"squash fast-forward", map[string]http.HandlerFunc{
			"GET " + glProject + "/9": reply(200, glMR(9, "opened", "mergeable", "", "")),
			"PUT " + glProject + "/9/merge": func(w http.ResponseWriter, r *http.Request) {
				if b := decode(t, r); b["squash"] != true || b["sha"] != "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
					t.Errorf("accept body %v", b)
				}
				reply(200, glMR(9, "merged", "not_open", "", "dddddddddddddddddddddddddddddddddddddddd"))(w, r)
			},
		}, true, "dddddddddddddddddddddddddddddddddddddddd", nil},
		{"pipeline running", map[string]http.HandlerFunc{
			"GET " + glProject + "/9": reply(200, glMR(9, "opened", "ci_still_running", "", "")),
		}, false, "", nil},
		{"closed", map[string]http.HandlerFunc{
			"GET " + glProject + "/9": reply(200, glMR(9, "closed", "not_open", "", "")),
		}, false, "", ErrClosed},
		{"not found", map[string]http.HandlerFunc{
			"GET " + glProject + "/9": reply(404, `{"message":"404 Not found"}`),
		}, false, "", ErrNotFound},
		{"forbidden", map[string]http.HandlerFunc{
			"GET " + glProject + "/9": reply(403, `{"message":"403 Forbidden"}`),
		}, false, "", ErrAccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := newGitLabStandIn(t, tc.routes)
			pr, ok, err := p.MergePullRequest(context.Background(), 9,
				MergeOpts{Method: "squash", HeadSHA: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if ok != tc.merged || (ok && pr.MergeCommitSHA != tc.sha) {
				t.Fatalf("merge = %+v, %v", pr, ok)
			}
		})
	}
	t.Run("rate limited", func(t *testing.T) {
		s, p := newGitLabStandIn(t, map[string]http.HandlerFunc{
			"GET " + glProject + "/9": reply(429, `{"message":"Retry later"}`,
				"RateLimit-Limit", "600", "RateLimit-Remaining", "0", "RateLimit-Reset", strconv.FormatInt(reset, 10)),
		})
		_, err := p.GetPullRequest(context.Background(), 9)
		var rl *RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter < 25*time.Second || rl.RetryAfter > 31*time.Second {
			t.Fatalf("err = %v, want RateLimitedError ~30s", err)
		}
		if n := s.count("GET " + glProject + "/9"); n != 1 {
			t.Fatalf("%d requests: the client retried instead of reporting the rate limit", n)
		}
	})
}
