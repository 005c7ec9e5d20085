package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hmacHex(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// authorize sets the headers provider p sends when configured with secret.
func authorize(p string, h http.Header, body []byte, secret string) {
	switch p {
	case "github":
		h.Set("X-Hub-Signature-256", "sha256="+hmacHex(secret, body))
	case "gitea":
		h.Set("X-Hub-Signature-256", "sha256="+hmacHex(secret, body))
		h.Set("X-Gitea-Signature", hmacHex(secret, body))
	case "bitbucket":
		h.Set("X-Hub-Signature", "sha256="+hmacHex(secret, body))
	case "artifactory":
		h.Set("X-Jfrog-Event-Auth", hmacHex(secret, body))
	case "gitlab":
		h.Set("X-Gitlab-Token", secret)
	case "harbor":
		h.Set("Authorization", secret)
	case "ecr":
		h.Set("Authorization", "Bearer "+secret)
	}
}

// eventHeader is the header naming the event type, per provider.
var eventHeader = map[string]string{
	"github":    "X-GitHub-Event",
	"gitlab":    "X-Gitlab-Event",
	"gitea":     "X-Gitea-Event",
	"bitbucket": "X-Event-Key",
}

func mustProvider(t *testing.T, name string) Provider {
	t.Helper()
	p, ok := ProviderByName(name)
	if !ok {
		t.Fatalf("provider %q not registered", name)
	}
	return p
}
