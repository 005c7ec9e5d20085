package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The Azure DevOps tests run the provider against a stand-in for the Git
// pull requests REST API 7.1 (learn.microsoft.com/rest/api/azure/devops/
// git/pull-requests), JSON written by hand as Microsoft documents it; the
// stand-in serves the URL's own host as an Azure DevOps Server would.

const adoRepo = "/acme/web/_apis/git/repositories/app"

func adoJSON(id int, status, mergeStatus string, lastMerge string) string {
	lm := "null"
	if lastMerge != "" {
		lm = fmt.Sprintf(`{"commitId":%q}`, lastMerge)
	}
	return fmt.Sprintf(`{"pullRequestId":%d,"status":%q,"isDraft":false,"mergeStatus":%q,
		"sourceRefName":"refs/heads/promo","targetRefName":"refs/heads/main","creationDate":"2026-01-01T00:00:00Z",
		"lastMergeSourceCommit":{"commitId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"lastMergeCommit":%s,
		"repository":{"id":"3411ebc1-d5aa-464f-9615-0b527bc66719","name":"app","webUrl":"https://dev.azure.com/acme/web/_git/app"}}`,
		id, status, mergeStatus, lm)
}

func newAzureStandIn(t *testing.T, routes map[string]http.HandlerFunc) (*standIn, Interface) {
	t.Helper()
	s := newStandIn(t, routes)
	p, err := New(s.URL+"/acme/web/_git/app", Options{Provider: Azure, Token: "ado-pat"})
	if err != nil {
		t.Fatal(err)
	}
	p.(*azureProvider).pollDelay = time.Millisecond
	return s, p
}

func TestAzureCreateAndList(t *testing.T) {
	_, p := newAzureStandIn(t, map[string]http.HandlerFunc{
		"POST " + adoRepo + "/pullrequests": func(w http.ResponseWriter, r *http.Request) {
			if u, pw, ok := r.BasicAuth(); !ok || u != "" || pw != "ado-pat" || r.URL.Query().Get("api-version") != "7.1" {
				t.Errorf("auth/api-version wrong")
			}
			b := decode(t, r)
			if b["sourceRefName"] != "refs/heads/promo" || b["targetRefName"] != "refs/heads/main" || fmt.Sprint(b["labels"]) != "[map[name:kargo]]" {
				t.Errorf("create body %v", b)
			}
			reply(201, adoJSON(21, "active", "queued", ""))(w, r)
		},
		"GET " + adoRepo + "/pullrequests": func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("searchCriteria.sourceRefName") != "refs/heads/promo" || q.Get("searchCriteria.targetRefName") != "refs/heads/main" || q.Get("searchCriteria.status") != "active" {
				t.Errorf("list query %v", q)
			}
			reply(200, `{"value":[`+adoJSON(21, "active", "succeeded", "")+`],"count":1}`)(w, r)
		},
	})
	ctx := context.Background()
	pr, err := p.CreatePullRequest(ctx, CreateOpts{Title: "t", Head: "promo", Base: "main", Labels: []string{"kargo"}})
	if err != nil || pr.Number != 21 || pr.URL != "https://dev.azure.com/acme/web/_git/app/pullrequest/21" {
		t.Fatalf("create = %+v, %v", pr, err)
	}
	prs, err := p.ListPullRequests(ctx, ListOpts{Head: "promo", Base: "main"})
	if err != nil || len(prs) != 1 || prs[0].Head != "promo" {
		t.Fatalf("list = %+v, %v", prs, err)
	}
}

func TestAzureMerge(t *testing.T) {
	done := "dddddddddddddddddddddddddddddddddddddddd"
	for _, tc := range []struct {
		name    string
		routes  map[string]http.HandlerFunc
		merged  bool
		wantErr error
	}{
		{"already completed", map[string]http.HandlerFunc{
			"GET " + adoRepo + "/pullrequests/21": reply(200, adoJSON(21, "completed", "succeeded", done)),
		}, true, nil},
		{"policy pending", map[string]http.HandlerFunc{
			"GET " + adoRepo + "/pullrequests/21": reply(200, adoJSON(21, "active", "queued", "")),
		}, false, nil},
		{"abandoned", map[string]http.HandlerFunc{
			"GET " + adoRepo + "/pullrequests/21": reply(200, adoJSON(21, "abandoned", "notSet", "")),
		}, false, ErrClosed},
		{"not found", map[string]http.HandlerFunc{
			"GET " + adoRepo + "/pullrequests/21": reply(404, `{"$id":"1","message":"TF401180: The requested pull request was not found.","typeKey":"GitPullRequestNotFoundException"}`),
		}, false, ErrNotFound},
		{"PAT rejected (203 sign-in page)", map[string]http.HandlerFunc{
			"GET " + adoRepo + "/pullrequests/21": reply(203, `<html>Azure DevOps Services | Sign In</html>`),
		}, false, ErrAccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := newAzureStandIn(t, tc.routes)
			pr, ok, err := p.MergePullRequest(context.Background(), 21, MergeOpts{})
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if ok != tc.merged || (ok && pr.MergeCommitSHA != done) {
				t.Fatalf("merge = %+v, %v", pr, ok)
			}
		})
	}
	t.Run("complete and poll", func(t *testing.T) {
		var s *standIn
		s, p := newAzureStandIn(t, map[string]http.HandlerFunc{
			"GET " + adoRepo + "/pullrequests/21": reply(200, adoJSON(21, "active", "succeeded", "")),
		})
		s.set("PATCH "+adoRepo+"/pullrequests/21", func(w http.ResponseWriter, r *http.Request) {
			b := decode(t, r)
			if b["status"] != "completed" || fmt.Sprint(b["lastMergeSourceCommit"]) != "map[commitId:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]" ||
				fmt.Sprint(b["completionOptions"]) != "map[mergeStrategy:squash]" {
				t.Errorf("patch body %v", b)
			}
			reply(200, adoJSON(21, "active", "succeeded", ""))(w, r)
			s.set("GET "+adoRepo+"/pullrequests/21", reply(200, adoJSON(21, "completed", "succeeded", done)))
		})
		pr, ok, err := p.MergePullRequest(context.Background(), 21, MergeOpts{Method: "squash"})
		if err != nil || !ok || pr.MergeCommitSHA != done {
			t.Fatalf("merge = %+v, %v, %v", pr, ok, err)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		_, p := newAzureStandIn(t, map[string]http.HandlerFunc{
			"GET " + adoRepo + "/pullrequests/21": reply(429, `{"message":"Request was blocked due to exceeding usage of resource"}`, "Retry-After", "9"),
		})
		_, err := p.GetPullRequest(context.Background(), 21)
		var rl *RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter != 9*time.Second {
			t.Fatalf("err = %v", err)
		}
	})
}
