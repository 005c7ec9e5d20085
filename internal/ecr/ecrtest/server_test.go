package ecrtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// post sends a DescribeImages request signed with the given key; tamper
// changes the body after signing.
func post(t *testing.T, s *Server, id, secret, body string, tamper bool) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+OpDescribeImages)
	if id != "" {
		sum := sha256.Sum256([]byte(body))
		err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), "ecr", s.Region, time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	if tamper {
		req.Body, req.ContentLength = http.NoBody, 0
		req.Header.Del("Content-Length")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Type string `json:"__type"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Type
}

func TestServerChecksRequests(t *testing.T) {
	const id, secret = "AKIASTANDINTEST00001", "stand-in-secret"
	tests := []struct {
		name       string
		id, secret string
		body       string
		tamper     bool
		wantStatus int
		wantType   string
	}{
		{"signed", id, secret, `{"repositoryName":"app"}`, false, http.StatusOK, ""},
		{"unsigned", "", "", `{"repositoryName":"app"}`, false, http.StatusBadRequest, "MissingAuthenticationTokenException"},
		{"unknown key", "AKIAUNKNOWN000000001", secret, `{"repositoryName":"app"}`, false, http.StatusBadRequest, "UnrecognizedClientException"},
		{"wrong secret", id, "guess", `{"repositoryName":"app"}`, false, http.StatusBadRequest, "InvalidSignatureException"},
		{"body changed after signing", id, secret, `{"repositoryName":"app"}`, true, http.StatusBadRequest, "InvalidSignatureException"},
		{"bad nextToken", id, secret, `{"repositoryName":"app","nextToken":"bm9wZQ"}`, false, http.StatusBadRequest, "InvalidParameterException"},
		{"maxResults too big", id, secret, `{"repositoryName":"app","maxResults":1001}`, false, http.StatusBadRequest, "InvalidParameterException"},
		{"unknown repository", id, secret, `{"repositoryName":"nope"}`, false, http.StatusBadRequest, "RepositoryNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, WithAccessKey(id, secret))
			s.SetImages("app", nil)
			status, typ := post(t, s, tt.id, tt.secret, tt.body, tt.tamper)
			if status != tt.wantStatus || typ != tt.wantType {
				t.Fatalf("got %d %q, want %d %q", status, typ, tt.wantStatus, tt.wantType)
			}
			if n := s.Calls(OpDescribeImages); n != 1 {
				t.Errorf("Calls = %d, want 1", n)
			}
		})
	}
}
