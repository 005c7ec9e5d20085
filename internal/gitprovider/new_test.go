package gitprovider

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestInferProvider(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://github.com/o/r", GitHub},
		{"https://github.com/o/r.git", GitHub},
		{"git@github.com:o/r.git", GitHub},
		{"https://github.example.com/o/r", GitHub},
		{"https://acme.ghe.com/o/r", GitHub},
		{"https://gitlab.com/g/sub/p", GitLab},
		{"https://gitlab.acme.io/g/p", GitLab},
		{"https://gitea.com/o/r", Gitea},
		{"https://bitbucket.org/ws/r", Bitbucket},
		{"https://dev.azure.com/org/proj/_git/r", Azure},
		{"https://org.visualstudio.com/proj/_git/r", Azure},
		{"git@ssh.dev.azure.com:v3/org/proj/r", Azure},
		{"https://git.acme.io/o/r", ""},
		{"::not a url", ""},
	} {
		if got := InferProvider(tc.url); got != tc.want {
			t.Errorf("InferProvider(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		opts      Options
	}{
		{"host says nothing", "https://git.acme.io/o/r", Options{}},
		{"unknown provider", "https://github.com/o/r", Options{Provider: "sourcehut"}},
		{"unparseable URL", "https://exa mple.com/%zz", Options{}},
		{"no repository path", "https://github.com/", Options{}},
		{"github path too deep", "https://github.com/o/r/extra", Options{}},
		{"gitea path too short", "https://gitea.com/o", Options{}},
		{"bitbucket server", "https://bitbucket.acme.io/ws/r", Options{Provider: Bitbucket}},
		{"azure without _git", "https://dev.azure.com/org/proj/r", Options{Token: "t"}},
		{"azure without token", "https://dev.azure.com/org/proj/_git/r", Options{}},
		{"app credentials on gitlab", "https://gitlab.com/g/p", Options{GitHubApp: &AppCredentials{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.url, tc.opts)
			if err == nil {
				t.Fatalf("New(%q) = %T, want an error", tc.url, p)
			}
			if tc.name != "azure without token" && !errors.Is(err, ErrUnsupported) {
				t.Errorf("error %v does not wrap ErrUnsupported", err)
			}
		})
	}
}

func TestNewSecretsNotInErrors(t *testing.T) {
	_, err := New("https://user:s3cr3t-token@git.acme.io/o/r/x", Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	if got := err.Error(); strings.Contains(got, "s3cr3t-token") {
		t.Errorf("error leaks the password: %s", got)
	}
}

func TestFromResponse(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	reset := strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)
	for _, tc := range []struct {
		name   string
		status int
		h      http.Header
		wait   time.Duration // >0: want a RateLimitedError
		is     error
	}{
		{"429 Retry-After seconds", 429, hdr("Retry-After", "30"), 30 * time.Second, nil},
		{"429 Retry-After date", 429, hdr("Retry-After", now.Add(45*time.Second).UTC().Format(http.TimeFormat)), 45 * time.Second, nil},
		{"429 GitLab RateLimit-Reset", 429, hdr("RateLimit-Reset", reset), 90 * time.Second, nil},
		{"403 GitHub primary limit", 403, hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset), 90 * time.Second, nil},
		{"403 GitHub secondary limit", 403, hdr("Retry-After", "60"), time.Minute, nil},
		{"429 without hint", 429, hdr(), DefaultRetryAfter, nil},
		{"403 rights", 403, hdr("X-RateLimit-Remaining", "4999"), 0, ErrAccessDenied},
		{"401", 401, hdr(), 0, ErrAccessDenied},
		{"203 Azure sign-in page", 203, hdr(), 0, ErrAccessDenied},
		{"404", 404, hdr(), 0, ErrNotFound},
		{"422", 422, hdr(), 0, ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fromResponse("x", &http.Response{StatusCode: tc.status, Header: tc.h}, "msg", now)
			var rl *RateLimitedError
			if tc.wait > 0 {
				if !errors.As(err, &rl) || rl.RetryAfter != tc.wait {
					t.Fatalf("got %v, want RateLimitedError after %s", err, tc.wait)
				}
				return
			}
			if errors.As(err, &rl) || !errors.Is(err, tc.is) {
				t.Fatalf("got %v, want %v", err, tc.is)
			}
		})
	}
}
