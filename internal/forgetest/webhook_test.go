package forgetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestWebhookDeliversPullRequestEvents: a webhook made with CreateWebhook
// delivers Gitea's signed pull_request events, with the clone URL under the
// forge's RootURL, for a merge and for a close without merge.
func TestWebhookDeliversPullRequestEvents(t *testing.T) {
	type delivery struct {
		event, action, cloneURL string
		merged, signed          bool
	}
	var mu sync.Mutex
	var got []delivery
	const secret = "hook-secret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		var p struct {
			Action      string `json:"action"`
			PullRequest struct {
				Merged bool `json:"merged"`
			} `json:"pull_request"`
			Repository struct {
				CloneURL string `json:"clone_url"`
			} `json:"repository"`
		}
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		got = append(got, delivery{r.Header.Get("X-Gitea-Event"), p.Action, p.Repository.CloneURL, p.PullRequest.Merged,
			r.Header.Get("X-Gitea-Signature") == hex.EncodeToString(mac.Sum(nil))})
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	const root = "http://forge.example:3000/"
	f := StartWith(t, Options{RootURL: root})
	f.CreateRepo(t, "app", map[string]string{"a.txt": "a\n"})
	f.CreateWebhook(t, "app", srv.URL, secret, "pull_request")

	f.PushBranch(t, "app", "one", "main", "one", map[string]string{"a.txt": "1\n"})
	f.PushBranch(t, "app", "two", "main", "two", map[string]string{"a.txt": "2\n"})
	merged := f.OpenPR(t, "app", "one", "main", "one")
	closed := f.OpenPR(t, "app", "two", "main", "two")
	f.MergePR(t, "app", merged.Number)
	f.ClosePR(t, "app", closed.Number)

	want := map[bool]bool{} // merged -> seen
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(want) < 2 {
		mu.Lock()
		for _, d := range got {
			if d.event == "pull_request" && d.action == "closed" && d.signed && d.cloneURL == root+f.Username()+"/app.git" {
				want[d.merged] = true
			}
		}
		mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	if !want[true] || !want[false] {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("deliveries %+v: want a signed pull_request closed event for the merge and for the close", got)
	}
}
