package prsteps

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/forgetest"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/promotion/gitsteps"
)

// appStandIn is a stand-in GitHub (GitHub cannot run here): its REST API
// part answers the GitHub App token exchange (checking the RS256 JWT with
// the App's public key) and the pull request endpoints go-github calls,
// shaped as GitHub documents them; its git part checks the installation
// token (user x-access-token) and forwards git's smart HTTP to a real
// Gitea holding the repository.
type appStandIn struct {
	t       *testing.T
	key     *rsa.PrivateKey
	forge   *forgetest.Forge
	owner   string
	mints   atomic.Int32
	creates atomic.Int32
	mu      sync.Mutex
	prs     []map[string]any
	url     string
	// gitData, when set, serves the Git Data API paths (/git/...).
	gitData func(w http.ResponseWriter, r *http.Request, rest string)
}

const installationToken = "ghs_installation_token"

func newAppStandIn(t *testing.T, f *forgetest.Forge) *appStandIn {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &appStandIn{t: t, key: key, forge: f, owner: f.Username()}
	target, _ := url.Parse(f.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v3/") {
			s.api(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != "x-access-token" || pass != installationToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		r.SetBasicAuth(f.Username(), f.Token())
		r.Host = target.Host
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *appStandIn) privateKeyPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.key)}))
}

// checkJWT verifies GitHub App JWT: RS256 over header.claims, issuer, times.
func (s *appStandIn) checkJWT(auth string) bool {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return false
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Iss string `json:"iss"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}
	now := time.Now().Unix()
	return json.Unmarshal(raw, &claims) == nil && claims.Iss == "Iv1.railyard" && claims.Iat <= now && claims.Exp > now
}

func (s *appStandIn) api(w http.ResponseWriter, r *http.Request) {
	repo := "/api/v3/repos/" + s.owner + "/app"
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v3/app/installations/42/access_tokens":
		if !s.checkJWT(r.Header.Get("Authorization")) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "A JSON web token could not be decoded"})
			return
		}
		s.mints.Add(1)
		writeJSON(w, http.StatusCreated, map[string]any{"token": installationToken,
			"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		return
	case r.Header.Get("Authorization") != "token "+installationToken:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials"})
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, repo); ok && strings.HasPrefix(rest, "/git/") && s.gitData != nil {
		s.gitData(w, r, rest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == repo+"/pulls":
		q := r.URL.Query()
		out := []map[string]any{}
		for _, pr := range s.prs {
			if q.Get("head") == s.owner+":"+pr["head"].(map[string]any)["ref"].(string) &&
				(q.Get("base") == "" || q.Get("base") == pr["base"].(map[string]any)["ref"]) {
				out = append(out, pr)
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodPost && r.URL.Path == repo+"/pulls":
		var in struct{ Title, Body, Head, Base string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		s.creates.Add(1)
		n := len(s.prs) + 1
		pr := map[string]any{
			"number": n, "state": "open", "title": in.Title, "body": in.Body,
			"html_url": s.url + "/" + s.owner + "/app/pull/" + strconv.Itoa(n),
			"head":     map[string]any{"ref": in.Head, "sha": s.forge.BranchHead(s.t, "app", in.Head)},
			"base":     map[string]any{"ref": in.Base},
		}
		s.prs = append(s.prs, pr)
		writeJSON(w, http.StatusCreated, pr)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
	}
}

// TestGitHubAppCredentials: with a Secret holding GitHub App keys,
// git-open-pr reads the branches over git and opens the pull request
// through the API as the App installation, exactly once across a restart,
// and git-clone and git-push authenticate as x-access-token with the
// installation token. Tokens are minted once and cached.
func TestGitHubAppCredentials(t *testing.T) {
	f := forgetest.Start(t)
	f.CreateRepo(t, "app", map[string]string{"values.yaml": "tag: v1\n"})
	f.PushBranch(t, "app", "kargo/app/prod-abc", "main", "Promote abc", map[string]string{"values.yaml": "tag: v2\n"})
	gh := newAppStandIn(t, f)
	repoURL := gh.url + "/" + f.Username() + "/app.git"
	creds := fakeCreds{prefix: gh.url, creds: promotion.Credentials{
		GitHubAppClientID: "Iv1.railyard", GitHubAppInstallationID: "42", GitHubAppPrivateKey: gh.privateKeyPEM(),
	}}
	r := newRunner(t, Options{}, creds)
	cfg := map[string]any{"repoURL": repoURL, "provider": "github", "sourceBranch": "kargo/app/prod-abc", "targetBranch": "main",
		"createTargetBranch": true}
	res, err := r.run("git-open-pr", cfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if prID(t, res) != 1 || gh.creates.Load() != 1 {
		t.Fatalf("output %v, %d pull requests created", res.Output, gh.creates.Load())
	}
	r.restart()
	res, err = r.run("git-open-pr", cfg)
	mustStatus(t, res, err, railyard.StepStatusSucceeded)
	if prID(t, res) != 1 || gh.creates.Load() != 1 {
		t.Fatalf("after restart: output %v, %d pull requests created", res.Output, gh.creates.Load())
	}

	// git-clone and git-push over HTTP as the App installation.
	work := t.TempDir()
	gitSteps := map[string]promotion.Step{}
	for _, s := range gitsteps.Steps(gitsteps.Options{}) {
		gitSteps[s.Name()] = s
	}
	runGit := func(name string, cfg map[string]any) promotion.Result {
		t.Helper()
		res, err := gitSteps[name].Run(t.Context(), &promotion.StepContext{WorkDir: work, Project: "demo", Promotion: "p", Alias: name,
			Credentials: creds, Config: cfg})
		if err != nil || res.Status != railyard.StepStatusSucceeded {
			t.Fatalf("%s with GitHub App credentials: %s %q %v", name, res.Status, res.Message, err)
		}
		return res
	}
	runGit("git-clone", map[string]any{"repoURL": repoURL, "checkout": []any{map[string]any{"branch": "main", "path": "out"}},
		"author": map[string]any{"name": "Railyard", "email": "railyard@example.com"}})
	if b, err := os.ReadFile(filepath.Join(work, "out", "values.yaml")); err != nil || string(b) != "tag: v1\n" {
		t.Fatalf("cloned values.yaml = %q, %v", b, err)
	}
	write(t, filepath.Join(work, "out", "values.yaml"), "tag: v3\n")
	runGit("git-commit", map[string]any{"path": "out", "message": "Promote v3"})
	pushed := runGit("git-push", map[string]any{"path": "out", "targetBranch": "kargo/app/prod-def"})
	if head := f.BranchHead(t, "app", "kargo/app/prod-def"); head == "" || head != pushed.Output["commit"] {
		t.Fatalf("git-push as the App: branch head %q, output %v", head, pushed.Output)
	}
	if n := gh.mints.Load(); n != 1 {
		t.Fatalf("installation token minted %d times, want once (cached)", n)
	}

	// A wrong private key: the token exchange is refused, the step fails
	// at once and says why, without showing the key.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad := creds
	bad.creds.GitHubAppPrivateKey = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}))
	r = newRunner(t, Options{}, bad)
	res, err = r.run("git-open-pr", cfg)
	if res.Status != railyard.StepStatusFailed || !promotion.IsTerminal(err) || !strings.Contains(res.Message, "installation token") ||
		strings.Contains(res.Message, "PRIVATE KEY") {
		t.Fatalf("wrong key: %s %q %v", res.Status, res.Message, err)
	}
}
