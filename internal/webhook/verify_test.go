package webhook

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the algorithm under test
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

const testSecret = "s3cr3t-Shared-Value"

func TestVerify(t *testing.T) {
	body := readTestdata(t, "github/push.json")
	type tc struct {
		name    string
		secret  map[string][]byte
		auth    string // secret the sender signs with; "" sends no auth
		tamper  bool   // body changed after signing
		headers map[string]string
		wantErr error
	}
	for _, p := range []string{"github", "gitlab", "gitea", "bitbucket", "harbor", "artifactory", "dockerhub", "quay", "azure", "generic", "ecr"} {
		prov := mustProvider(t, p)
		good := map[string][]byte{prov.SecretKey(): []byte(testSecret)}
		cases := []tc{
			{name: "good", secret: good, auth: testSecret},
			{name: "secret key absent", secret: map[string][]byte{"other": []byte(testSecret)}, auth: testSecret, wantErr: ErrMisconfigured},
		}
		switch p {
		case "dockerhub", "quay", "azure", "generic":
			// Authenticated by the path only: any request reaching the receiver passes.
			cases = append(cases, tc{name: "no header needed", secret: good})
		default:
			cases = append(cases,
				tc{name: "missing", secret: good, wantErr: ErrUnauthenticated},
				tc{name: "wrong secret", secret: good, auth: testSecret + "x", wantErr: ErrForbidden},
				tc{name: "prefix of secret", secret: good, auth: testSecret[:5], wantErr: ErrForbidden},
			)
		}
		if p == "ecr" {
			cases = append(cases,
				tc{name: "bare secret", secret: good, headers: map[string]string{"Authorization": testSecret}},
				tc{name: "bearer, any case", secret: good, headers: map[string]string{"Authorization": "bearer " + testSecret}},
				tc{name: "other scheme", secret: good, headers: map[string]string{"Authorization": "Basic " + testSecret}, wantErr: ErrForbidden},
				tc{name: "bearer, no token", secret: good, headers: map[string]string{"Authorization": "Bearer "}, wantErr: ErrForbidden},
			)
		}
		switch p {
		case "github", "gitea", "bitbucket", "artifactory":
			cases = append(cases,
				tc{name: "tampered body", secret: good, auth: testSecret, tamper: true, wantErr: ErrForbidden},
				tc{name: "not hex", secret: good, headers: map[string]string{"X-Hub-Signature-256": "sha256=zz", "X-Hub-Signature": "sha256=zz", "X-Jfrog-Event-Auth": "zz"}, wantErr: ErrForbidden},
				tc{name: "unknown algorithm", secret: good, headers: map[string]string{"X-Hub-Signature-256": "md5=00", "X-Hub-Signature": "md5=00", "X-Jfrog-Event-Auth": "md5=00"}, wantErr: ErrForbidden},
			)
		}
		for _, c := range cases {
			t.Run(p+"/"+c.name, func(t *testing.T) {
				req := httptest.NewRequest("POST", "/x", nil)
				if c.auth != "" {
					authorize(p, req.Header, body, c.auth)
				}
				for k, v := range c.headers {
					req.Header.Set(k, v)
				}
				b := body
				if c.tamper {
					b = []byte(strings.Replace(string(body), "refs/heads/main", "refs/heads/evil", 1))
				}
				err := prov.Verify(req, b, c.secret)
				if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
					t.Fatalf("Verify() = %v, want %v", err, c.wantErr)
				}
				if err != nil && strings.Contains(err.Error(), testSecret) {
					t.Fatalf("error leaks the secret: %v", err)
				}
			})
		}
	}
}

func TestVerifyGiteaBareSignature(t *testing.T) {
	body := readTestdata(t, "gitea/push.json")
	req := httptest.NewRequest("POST", "/x", nil)
	req.Header.Set("X-Gitea-Signature", hmacHex(testSecret, body))
	if err := mustProvider(t, "gitea").Verify(req, body, map[string][]byte{"secret": []byte(testSecret)}); err != nil {
		t.Fatalf("X-Gitea-Signature alone: %v", err)
	}
}

func TestVerifyBitbucketSHA1(t *testing.T) {
	// Bitbucket Data Center can sign with HMAC-SHA1 ("sha1=<hex>").
	body := readTestdata(t, "bitbucket/repo_push.json")
	m := hmac.New(sha1.New, []byte(testSecret))
	m.Write(body)
	secret := map[string][]byte{"secret": []byte(testSecret)}
	prov := mustProvider(t, "bitbucket")

	req := httptest.NewRequest("POST", "/x", nil)
	req.Header.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(m.Sum(nil)))
	if err := prov.Verify(req, body, secret); err != nil {
		t.Fatalf("good sha1 signature: %v", err)
	}
	if err := prov.Verify(req, append([]byte(" "), body...), secret); !errors.Is(err, ErrForbidden) {
		t.Fatalf("sha1 signature of another body: %v", err)
	}
}
