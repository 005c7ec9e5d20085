package gitprovider

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The GitHub App tests use a stand-in for GitHub's
// POST /app/installations/{id}/access_tokens (docs.github.com/rest/apps):
// it verifies the RS256 JWT against the App's public key and its iss, iat
// and exp claims, then returns an installation token shaped as documented.

func testKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// verifyJWT checks an App JWT and returns its claims.
func verifyJWT(t *testing.T, pub *rsa.PublicKey, auth string) map[string]any {
	t.Helper()
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		t.Errorf("Authorization is not a bearer JWT")
		return nil
	}
	enc := base64.RawURLEncoding
	var header, claims map[string]any
	hb, _ := enc.DecodeString(parts[0])
	cb, _ := enc.DecodeString(parts[1])
	sig, _ := enc.DecodeString(parts[2])
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil || header["alg"] != "RS256" {
		t.Errorf("bad JWT header %s or claims %s", hb, cb)
		return nil
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("JWT signature: %v", err)
	}
	return claims
}

func TestGitHubAppInstallationToken(t *testing.T) {
	key, pemKey := testKey(t)
	clock := time.Unix(1_800_000_000, 0)
	var minted atomic.Int32
	s := newStandIn(t, map[string]http.HandlerFunc{})
	s.set("POST /api/v3/app/installations/42/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		c := verifyJWT(t, &key.PublicKey, r.Header.Get("Authorization"))
		iat, _ := c["iat"].(float64)
		exp, _ := c["exp"].(float64)
		if c["iss"] != "Iv1.client" || int64(iat) > clock.Unix() || int64(exp) <= clock.Unix() || exp-iat > 600 {
			t.Errorf("claims %v at %d", c, clock.Unix())
		}
		if b := decode(t, r); fmt.Sprint(b["repositories"]) != "[app]" {
			t.Errorf("token not scoped to the repository: %v", b)
		}
		n := minted.Add(1)
		reply(201, fmt.Sprintf(`{"token":"ghs_token%d","expires_at":%q,"permissions":{"pull_requests":"write"},"repository_selection":"selected"}`,
			n, clock.Add(time.Hour).UTC().Format(time.RFC3339)))(w, r)
	})
	ref, _ := parseRepoURL(s.URL + "/acme/app")
	src, err := newAppTokenSource(ref, &AppCredentials{AppID: "1", ClientID: "Iv1.client", InstallationID: 42,
		PrivateKey: []byte(base64.StdEncoding.EncodeToString(pemKey))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	src.now = func() time.Time { return clock }
	ctx := context.Background()
	tok := func() string {
		t.Helper()
		v, err := src.InstallationToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := tok(); got != "ghs_token1" {
		t.Fatalf("token = %q", got)
	}
	clock = clock.Add(50 * time.Minute) // 10 min left: cached
	if got := tok(); got != "ghs_token1" || minted.Load() != 1 {
		t.Fatalf("token = %q after %d mints, want the cached one", got, minted.Load())
	}
	clock = clock.Add(6 * time.Minute) // 4 min left: refreshed
	if got := tok(); got != "ghs_token2" || minted.Load() != 2 {
		t.Fatalf("token = %q after %d mints, want a fresh one", got, minted.Load())
	}
}

func TestGitHubAppProvider(t *testing.T) {
	key, pemKey := testKey(t)
	s := newStandIn(t, map[string]http.HandlerFunc{})
	s.set("POST /api/v3/app/installations/7/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		if c := verifyJWT(t, &key.PublicKey, r.Header.Get("Authorization")); c["iss"] != "12345" {
			t.Errorf("iss = %v", c["iss"])
		}
		reply(201, fmt.Sprintf(`{"token":"ghs_inst","expires_at":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))(w, r)
	})
	s.set("GET "+ghRepo+"/pulls/5", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token ghs_inst" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		reply(200, ghPR(5, "open", false, "h", "b", "clean"))(w, r)
	})
	creds, err := CredentialsFromSecretData(map[string][]byte{
		"githubAppID": []byte("12345"), "githubAppInstallationID": []byte("7"), "githubAppPrivateKey": pemKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Provider: GitHub}
	creds.Apply(&opts)
	p, err := New(s.URL+"/acme/app", opts)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := p.GetPullRequest(context.Background(), 5); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.count("POST /api/v3/app/installations/7/access_tokens"); n != 1 {
		t.Fatalf("%d token exchanges, want 1 (cached)", n)
	}
	src, _ := NewAppTokenSource(s.URL+"/acme/app", creds.GitHubApp, opts)
	if tok, err := src.InstallationToken(context.Background()); err != nil || tok != "ghs_inst" {
		t.Fatalf("shared source token = %q, %v", tok, err)
	}
}

func TestGitHubAppExchangeDenied(t *testing.T) {
	_, pemKey := testKey(t)
	s := newStandIn(t, map[string]http.HandlerFunc{
		"POST /api/v3/app/installations/9/access_tokens": reply(401, `{"message":"A JSON web token could not be decoded"}`),
	})
	ref, _ := parseRepoURL(s.URL + "/acme/app")
	src, err := newAppTokenSource(ref, &AppCredentials{AppID: "1", InstallationID: 9, PrivateKey: pemKey}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.InstallationToken(context.Background())
	if !errors.Is(err, ErrAccessDenied) || strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "eyJ") {
		t.Fatalf("err = %v", err)
	}
}

func TestCredentialsFromSecretData(t *testing.T) {
	_, pemKey := testKey(t)
	c, err := CredentialsFromSecretData(map[string][]byte{"username": []byte("u"), "password": []byte("tok\n")})
	if err != nil || c.Token != "tok" || c.Username != "u" || c.GitHubApp != nil {
		t.Fatalf("token creds = %+v, %v", c, err)
	}
	c, err = CredentialsFromSecretData(map[string][]byte{"githubAppClientID": []byte("Iv1.x"), "githubAppInstallationID": []byte("3"), "githubAppPrivateKey": pemKey})
	if err != nil || c.GitHubApp == nil || c.GitHubApp.issuer() != "Iv1.x" || c.GitHubApp.InstallationID != 3 {
		t.Fatalf("app creds = %+v, %v", c, err)
	}
	for name, data := range map[string]map[string][]byte{
		"missing installation": {"githubAppID": []byte("1"), "githubAppPrivateKey": pemKey},
		"bad installation":     {"githubAppID": []byte("1"), "githubAppInstallationID": []byte("x"), "githubAppPrivateKey": pemKey},
		"bad key":              {"githubAppID": []byte("1"), "githubAppInstallationID": []byte("2"), "githubAppPrivateKey": []byte("-----BEGIN RSA PRIVATE KEY-----\nnot-a-key-s3cr3t\n-----END RSA PRIVATE KEY-----\n")},
	} {
		if _, err := CredentialsFromSecretData(data); err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
