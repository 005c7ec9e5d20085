package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

func TestHTTPTokenAuth(t *testing.T) {
	const token = "ghp_railyardTestToken42"
	s := gittest.NewServer(t, gittest.WithBasicAuth("x-access-token", token), gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})

	e := newEnv(t, Options{}, fakeCreds{r.URL: {Username: "x-access-token", Password: token}})
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	e.commit("with token")
	out := e.push(nil)
	if r.Head("main") != out["commit"] {
		t.Fatal("push with token did not land")
	}

	const wrong = "ghp_wrongTokenValue99"
	tests := []struct {
		name  string
		creds promotion.CredentialsProvider
	}{
		{"wrong token", fakeCreds{r.URL: {Username: "x-access-token", Password: wrong}}},
		{"no credentials", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, tt.creds)
			res, err := e.run("git-clone", map[string]any{
				"repoURL": r.URL, "checkout": []any{map[string]any{"path": "out"}},
			})
			if !errors.Is(err, git.ErrAuthentication) || res.Status != railyard.StepStatusFailed {
				t.Fatalf("err = %v, status %s", err, res.Status)
			}
			if strings.Contains(err.Error(), wrong) || strings.Contains(res.Message, wrong) {
				t.Fatalf("secret leaked: %q", res.Message)
			}
		})
	}
}

func TestSSHKeyAuth(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	key, pub := gittest.GenerateKey(t)
	ss := s.StartSSH(pub)
	url := ss.RepoURL("app")

	e := newEnv(t, Options{SSHKnownHosts: ss.KnownHosts()}, fakeCreds{url: {SSHPrivateKey: string(key)}})
	e.cloneMain(url)
	e.write("out/a", "ssh")
	e.commit("over ssh")
	out := e.push(nil)
	if r.Head("main") != out["commit"] || r.ReadFile("main", "a") != "ssh" {
		t.Fatal("push over ssh did not land")
	}

	wrongKey, _ := gittest.GenerateKey(t)
	e = newEnv(t, Options{SSHKnownHosts: ss.KnownHosts()}, fakeCreds{url: {SSHPrivateKey: string(wrongKey)}})
	res, err := e.run("git-clone", map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "out"}}})
	if !errors.Is(err, git.ErrAuthentication) {
		t.Fatalf("wrong key: %v", err)
	}
	if strings.Contains(res.Message, "PRIVATE KEY") {
		t.Fatalf("key material leaked: %q", res.Message)
	}
}

func TestURLWithPasswordRefused(t *testing.T) {
	for _, url := range []string{
		"https://user:s3cretPassw0rd@example.invalid/app.git",
		"ssh://user:s3cretPassw0rd@example.invalid/app.git",
		"https://user:31337/s3cretPassw0rd@example.invalid/app.git",
		"user:s3cretPassw0rd@example.invalid:app.git",
	} {
		e := newEnv(t, Options{}, nil)
		res, err := e.run("git-clone", map[string]any{"repoURL": url, "checkout": []any{map[string]any{"path": "out"}}})
		if !promotion.IsTerminal(err) || strings.Contains(res.Message, "s3cretPassw0rd") || strings.Contains(err.Error(), "s3cretPassw0rd") {
			t.Errorf("%s: err = %v, message %q", url, err, res.Message)
		}
	}
}

// quotingCreds fails its lookups with a message quoting the URL, as a
// careless provider would.
type quotingCreds struct{}

func (quotingCreds) Get(_ context.Context, _, _, repoURL string) (*promotion.Credentials, error) {
	return nil, fmt.Errorf("no Secret matches %s", repoURL)
}

func TestCredentialLookupErrorsAreRedacted(t *testing.T) {
	e := newEnv(t, Options{}, quotingCreds{})
	res, err := e.run("git-clone", map[string]any{
		"repoURL":  "https://user:31337/s3cretPassw0rd@example.invalid/app.git",
		"checkout": []any{map[string]any{"path": "out"}},
	})
	if err == nil || strings.Contains(err.Error(), "s3cretPassw0rd") || strings.Contains(res.Message, "s3cretPassw0rd") {
		t.Fatalf("err = %v, message %q", err, res.Message)
	}
}
