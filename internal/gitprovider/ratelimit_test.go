package gitprovider

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestLastRequestUsedUp: when an answer says no request is left (GitHub's
// X-RateLimit-*, GitLab's RateLimit-* headers on a 200), the next request
// with the same token is not sent and fails with a *RateLimitedError that
// waits until the announced reset; another token is not held back. Each
// provider runs its real client against its stand-in.
func TestLastRequestUsedUp(t *testing.T) {
	reset := strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)
	gh := []string{"X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset}
	gl := []string{"RateLimit-Limit", "600", "RateLimit-Remaining", "0", "RateLimit-Reset", reset}
	for _, tc := range []struct {
		provider string
		route    string
		body     string
		headers  []string
		number   int64
		open     func(base, token string) (Interface, error)
	}{
		{GitHub, "GET " + ghRepo + "/pulls/4", ghPR(4, "open", false, "h", "b", "clean"), gh, 4, func(base, token string) (Interface, error) {
			return New(base+"/acme/app.git", Options{Provider: GitHub, Token: token})
		}},
		{GitLab, "GET " + glProject + "/9", glMR(9, "opened", "mergeable", "", ""), gl, 9, func(base, token string) (Interface, error) {
			return New(base+"/grp/sub/app.git", Options{Provider: GitLab, Token: token})
		}},
		{Gitea, "GET " + gtRepo + "/pulls/3", gtPR(3, "open", false, true, "h", "b"), gh, 3, func(base, token string) (Interface, error) {
			return New(base+"/acme/app", Options{Provider: Gitea, Token: token})
		}},
		{Bitbucket, "GET " + bbRepo + "/pullrequests/8", bbJSON(8, "OPEN", "promo", "main", ""), gh, 8, func(base, token string) (Interface, error) {
			return New("https://bitbucket.org/acme/app.git", Options{Token: token, APIURL: base + "/2.0"})
		}},
		{Azure, "GET " + adoRepo + "/pullrequests/21", adoJSON(21, "active", "succeeded", ""), gh, 21, func(base, token string) (Interface, error) {
			return New(base+"/acme/web/_git/app", Options{Provider: Azure, Token: token})
		}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			s := newStandIn(t, map[string]http.HandlerFunc{tc.route: reply(200, tc.body, tc.headers...)})
			p, err := tc.open(s.URL, "the-token")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.GetPullRequest(context.Background(), tc.number); err != nil {
				t.Fatalf("first request: %v", err)
			}
			_, err = p.GetPullRequest(context.Background(), tc.number)
			var rl *RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter < 9*time.Minute || rl.RetryAfter > 10*time.Minute {
				t.Fatalf("second request: err %v, want a rate limit until the reset", err)
			}
			if n := s.count(tc.route); n != 1 {
				t.Fatalf("%d requests reached the stand-in, want the second held back", n)
			}
			// Another token has its own limit.
			other, err := tc.open(s.URL, "another-token")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.GetPullRequest(context.Background(), tc.number); err != nil || s.count(tc.route) != 2 {
				t.Fatalf("another token: err %v after %d requests", err, s.count(tc.route))
			}
		})
	}
}
