package prsteps

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// These tests use a stand-in for GitHub's REST API (an httptest server
// answering the few endpoints go-github calls, shaped as GitHub documents
// them), because GitHub cannot run here. The steps run the real go-github
// client through internal/gitprovider against it.

// standIn serves /api/v3/repos/org/repo/pulls/{n} with a fixed answer.
func standIn(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(handle))
	t.Cleanup(srv.Close)
	return srv.URL + "/org/repo.git"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func tokenRunner(t *testing.T, prefix string) *runner {
	return newRunner(t, Options{Timeout: 5 * time.Second},
		fakeCreds{prefix: prefix, creds: promotion.Credentials{Password: "ghp_token"}})
}

func TestBadInput(t *testing.T) {
	// A stand-in GitHub that knows pull request 7 only.
	repoURL := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v3/") {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
			return
		}
		if r.Header.Get("Authorization") != "Bearer ghp_token" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials"})
			return
		}
		switch r.URL.Path {
		case "/api/v3/repos/org/repo/pulls/7":
			writeJSON(w, http.StatusOK, map[string]any{"number": 7, "state": "open",
				"html_url": "https://github.example/org/repo/pull/7"})
		default:
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		}
	})
	base := strings.TrimSuffix(repoURL, "/org/repo.git")
	// A web site, not a forge: every path is an HTML page.
	site := standIn(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Welcome</body></html>"))
	})
	r := tokenRunner(t, base)
	tests := []struct {
		name string
		step string
		cfg  map[string]any
		want []string
	}{
		{"unknown provider", "git-wait-for-pr",
			map[string]any{"repoURL": repoURL, "provider": "gitbucket", "prNumber": 7},
			[]string{`unknown Git provider "gitbucket"`, "github, gitlab"}},
		{"provider not inferable", "git-merge-pr",
			map[string]any{"repoURL": repoURL, "prNumber": 7},
			[]string{"cannot infer the Git provider", "set the provider"}},
		{"url the provider does not serve (path)", "git-wait-for-pr",
			map[string]any{"repoURL": base + "/org/group/repo.git", "provider": "github", "prNumber": 7},
			[]string{"github repository URLs have the form", "org/group/repo"}},
		{"url the provider does not serve (not a gitlab)", "git-wait-for-pr",
			map[string]any{"repoURL": repoURL, "provider": "gitlab", "prNumber": 7},
			[]string{"#7", "not found"}},
		{"url the provider does not serve (a web site)", "git-wait-for-pr",
			map[string]any{"repoURL": site, "provider": "gitlab", "prNumber": 7},
			[]string{"does not answer as the GitLab API", "check the provider"}},
		{"url the provider does not serve (a web site, merge)", "git-merge-pr",
			map[string]any{"repoURL": site, "provider": "github", "prNumber": 7, "wait": true},
			[]string{"does not answer as the GitHub API"}},
		{"pull request that does not exist", "git-wait-for-pr",
			map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 8},
			[]string{"pull request #8 of " + repoURL, "HTTP 404", "not found"}},
		{"merge of a pull request that does not exist", "git-merge-pr",
			map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 8, "wait": true},
			[]string{"merging pull request #8", "not found"}},
		{"missing prNumber", "git-merge-pr",
			map[string]any{"repoURL": repoURL, "provider": "github"},
			[]string{`field "prNumber" is required`}},
		{"bad pollInterval", "git-wait-for-pr",
			map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 7, "pollInterval": "soon"},
			[]string{`field "pollInterval"`}},
		{"missing targetBranch", "git-open-pr",
			map[string]any{"repoURL": repoURL, "sourceBranch": "a"},
			[]string{`field "targetBranch" is required`}},
		{"unknown field", "git-open-pr",
			map[string]any{"repoURL": repoURL, "sourceBranch": "a", "targetBranch": "b", "reviewers": []string{"x"}},
			[]string{`unknown field "reviewers"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.run(tt.step, tt.cfg)
			if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) {
				t.Fatalf("status %s, err %v (terminal %t), want Failed and terminal", res.Status, err, promotion.IsTerminal(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Message, w) {
					t.Errorf("message %q lacks %q", res.Message, w)
				}
			}
			if strings.Contains(res.Message, "ghp_token") {
				t.Errorf("message shows the token: %q", res.Message)
			}
		})
	}
}

// TestTokenWithoutRights: GitHub's 403 for a token lacking the rights
// fails the steps at once, naming the cause.
func TestTokenWithoutRights(t *testing.T) {
	repoURL := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by personal access token"})
	})
	r := tokenRunner(t, strings.TrimSuffix(repoURL, "/org/repo.git"))
	for _, step := range []string{"git-wait-for-pr", "git-merge-pr"} {
		cfg := map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 7}
		if step == "git-merge-pr" {
			cfg["wait"] = true
		}
		res, err := r.run(step, cfg)
		if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) {
			t.Fatalf("%s: status %s, err %v, want Failed and terminal", step, res.Status, err)
		}
		for _, w := range []string{"HTTP 403", "access denied", "Resource not accessible"} {
			if !strings.Contains(res.Message, w) {
				t.Errorf("%s: message %q lacks %q", step, res.Message, w)
			}
		}
	}
}

// TestRateLimited: a 429 with GitHub's reset header, or GitHub's secondary
// limit (403 with Retry-After), makes the steps Running with that wait, not
// Failed; an answer that leaves no requests (X-RateLimit-Remaining: 0 on a
// 200) holds the next poll back until the reset without sending it; a 5xx
// is a retryable error. Each case has its own stand-in, as the limits are
// per host and token.
func TestRateLimited(t *testing.T) {
	reset := time.Now().Add(2 * time.Minute).Unix()
	limitHeaders := func(w http.ResponseWriter) {
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	}
	for _, tc := range []struct {
		name     string
		answer   func(w http.ResponseWriter)
		min, max time.Duration
	}{
		{"429 with reset header", func(w http.ResponseWriter) {
			limitHeaders(w)
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "API rate limit exceeded"})
		}, 100 * time.Second, 121 * time.Second},
		{"secondary limit", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "90")
			writeJSON(w, http.StatusForbidden, map[string]any{"message": "You have exceeded a secondary rate limit"})
		}, 90 * time.Second, 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repoURL := standIn(t, func(w http.ResponseWriter, _ *http.Request) { tc.answer(w) })
			r := tokenRunner(t, strings.TrimSuffix(repoURL, "/org/repo.git"))
			for _, step := range []string{"git-wait-for-pr", "git-merge-pr"} {
				res, err := r.run(step, map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 7})
				if err != nil || res.Status != railyard.StepStatusRunning {
					t.Fatalf("%s: status %s, err %v, want Running", step, res.Status, err)
				}
				if res.RetryAfter < tc.min || res.RetryAfter > tc.max || !strings.Contains(res.Message, "rate limited") {
					t.Fatalf("%s: RetryAfter %s (want %s..%s), message %q", step, res.RetryAfter, tc.min, tc.max, res.Message)
				}
			}
		})
	}

	t.Run("last request used up", func(t *testing.T) {
		var calls atomic.Int32
		repoURL := standIn(t, func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			limitHeaders(w)
			writeJSON(w, http.StatusOK, map[string]any{"number": 7, "state": "open",
				"html_url": "https://github.example/org/repo/pull/7"})
		})
		r := tokenRunner(t, strings.TrimSuffix(repoURL, "/org/repo.git"))
		cfg := map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 7}
		res, err := r.run("git-wait-for-pr", cfg)
		if err != nil || res.Status != railyard.StepStatusRunning || calls.Load() != 1 {
			t.Fatalf("first poll: %s %q %v after %d requests", res.Status, res.Message, err, calls.Load())
		}
		res, err = r.run("git-wait-for-pr", cfg)
		if err != nil || res.Status != railyard.StepStatusRunning || res.RetryAfter < 100*time.Second ||
			!strings.Contains(res.Message, "rate limited") {
			t.Fatalf("second poll: %s, RetryAfter %s, %q, %v; want Running until the reset", res.Status, res.RetryAfter, res.Message, err)
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("%d requests reached GitHub, want the second held back until the reset", n)
		}
	})

	t.Run("5xx", func(t *testing.T) {
		repoURL := standIn(t, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusBadGateway, map[string]any{"message": "Server Error"})
		})
		r := tokenRunner(t, strings.TrimSuffix(repoURL, "/org/repo.git"))
		res, err := r.run("git-wait-for-pr", map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 7})
		if err == nil || promotion.IsTerminal(err) || res.Status != railyard.StepStatusErrored || !strings.Contains(res.Message, "HTTP 502") {
			t.Fatalf("502: status %s, err %v, want a retryable error", res.Status, err)
		}
	})
}

// TestMergeStandIn covers GitHub's merge paths the Gitea tests cannot:
// a pull request still being checked (wait → Running with pollInterval;
// no wait → Failed), and a merge performed with the method asked for.
func TestMergeStandIn(t *testing.T) {
	var state atomic.Value
	state.Store("unknown")
	var method atomic.Value
	method.Store("")
	repoURL := standIn(t, func(w http.ResponseWriter, r *http.Request) {
		pr := map[string]any{"number": 7, "state": "open", "html_url": "https://github.example/org/repo/pull/7",
			"mergeable_state": state.Load(), "mergeable": state.Load() == "clean"}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v3/repos/org/repo/pulls/7":
			if state.Load() == "merged" {
				pr["state"], pr["merged"], pr["merged_at"], pr["merge_commit_sha"] = "closed", true, time.Now().Format(time.RFC3339), "abc123"
			}
			writeJSON(w, http.StatusOK, pr)
		case r.Method == http.MethodPut && r.URL.Path == "/api/v3/repos/org/repo/pulls/7/merge":
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			method.Store(fmt.Sprint(body["merge_method"]))
			state.Store("merged")
			writeJSON(w, http.StatusOK, map[string]any{"merged": true, "sha": "abc123"})
		default:
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		}
	})
	r := tokenRunner(t, strings.TrimSuffix(repoURL, "/org/repo.git"))
	cfg := map[string]any{"repoURL": repoURL, "provider": "github", "prNumber": 7, "mergeMethod": "squash"}
	res, err := r.run("git-merge-pr", cfg)
	if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) || !strings.Contains(res.Message, "wait is false") {
		t.Fatalf("not ready without wait: %s %q %v", res.Status, res.Message, err)
	}
	cfg["wait"], cfg["pollInterval"] = true, "20s"
	res, err = r.run("git-merge-pr", cfg)
	if res.Status != railyard.StepStatusRunning || err != nil || res.RetryAfter != 20*time.Second {
		t.Fatalf("not ready with wait: %s %s %q %v", res.Status, res.RetryAfter, res.Message, err)
	}
	state.Store("clean")
	res, err = r.run("git-merge-pr", cfg)
	if res.Status != railyard.StepStatusSucceeded || err != nil || res.Output["commit"] != "abc123" || method.Load() != "squash" {
		t.Fatalf("merge: %s %v %q %v, method %v", res.Status, res.Output, res.Message, err, method.Load())
	}
	cfg["mergeMethod"] = "fast-forward"
	res, err = r.run("git-merge-pr", cfg)
	if res.Status != railyard.StepStatusSucceeded || res.Output["commit"] != "abc123" {
		t.Fatalf("already merged: %s %v %v", res.Status, res.Output, err)
	}
}

func TestBackoff(t *testing.T) {
	got := []time.Duration{}
	for i := range 12 {
		got = append(got, backoff(30*time.Second, i))
	}
	if got[0] != 30*time.Second || got[1] != 45*time.Second || got[11] != MaxPollInterval {
		t.Fatalf("backoff = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] || got[i] > MaxPollInterval {
			t.Fatalf("backoff not growing within bounds: %v", got)
		}
	}
	if d := backoff(10*time.Minute, 5); d != 10*time.Minute {
		t.Fatalf("a pollInterval above the bound is kept: %s", d)
	}
}

// TestChooseProvider: the step's provider field wins; then the host; then
// the provider the credentials Secret names.
func TestChooseProvider(t *testing.T) {
	for _, tc := range []struct {
		step, repoURL, secret, want string
	}{
		{"gitea", "https://github.com/org/repo.git", "gitlab", "gitea"},
		{"", "https://github.com/org/repo.git", "gitlab", "github"},
		{"", "https://gitlab.com/grp/sub/repo.git", "", "gitlab"},
		{"", "https://gitea.com/org/repo.git", "github", "gitea"},
		{"", "https://bitbucket.org/org/repo.git", "gitea", "bitbucket"},
		{"", "https://dev.azure.com/org/proj/_git/repo", "", "azure"},
		{"", "https://org.visualstudio.com/proj/_git/repo", "", "azure"},
		{"", "https://git.example.com/org/repo.git", "gitea", "gitea"},
		{"", "https://git.example.com/org/repo.git", "", ""},
	} {
		if got := chooseProvider(tc.step, tc.repoURL, tc.secret); got != tc.want {
			t.Errorf("chooseProvider(%q, %q, %q) = %q, want %q", tc.step, tc.repoURL, tc.secret, got, tc.want)
		}
	}
}
