package gitprovider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAnswerNotFromTheAPI: a repository URL on a server that is not the
// provider's API (here an httptest server answering every request with an
// HTML page, as a web site or a login proxy does) is reported as such and
// wraps ErrUnsupported, so the steps fail at once instead of retrying; an
// answer that breaks off inside the JSON stays a retryable error. Each
// provider runs its real client (go-github, GitLab's client-go, Gitea's
// SDK, net/http for Bitbucket and Azure DevOps).
func TestAnswerNotFromTheAPI(t *testing.T) {
	for _, body := range []struct {
		name, contentType, body string
		permanent               bool
	}{
		{"html page", "text/html", "<html><body>Welcome</body></html>", true},
		{"truncated json", "application/json", `{"number": 7, "state": "op`, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", body.contentType)
			_, _ = io.WriteString(w, body.body)
		}))
		t.Cleanup(srv.Close)
		for _, tc := range []struct {
			provider, repoURL string
			opts              Options
			title             string
		}{
			{GitHub, srv.URL + "/acme/app.git", Options{Provider: GitHub, Token: "t"}, "GitHub"},
			{GitLab, srv.URL + "/grp/app.git", Options{Provider: GitLab, Token: "t"}, "GitLab"},
			{Gitea, srv.URL + "/acme/app.git", Options{Provider: Gitea, Token: "t"}, "Gitea"},
			{Bitbucket, "https://bitbucket.org/acme/app.git", Options{Token: "t", APIURL: srv.URL + "/2.0"}, "Bitbucket"},
			{Azure, srv.URL + "/acme/web/_git/app", Options{Provider: Azure, Token: "t"}, "Azure DevOps"},
		} {
			t.Run(body.name+"/"+tc.provider, func(t *testing.T) {
				p, err := New(tc.repoURL, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				_, err = p.GetPullRequest(context.Background(), 7)
				if err == nil {
					t.Fatal("no error")
				}
				if got := errors.Is(err, ErrUnsupported); got != body.permanent {
					t.Fatalf("errors.Is(%v, ErrUnsupported) = %t, want %t", err, got, body.permanent)
				}
				if body.permanent && !strings.Contains(err.Error(), "does not answer as the "+tc.title+" API") {
					t.Fatalf("error %q does not say the server is not the %s API", err, tc.title)
				}
			})
		}
	}
}
