package ecr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const (
	testKeyID  = "AKIAEXAMPLEKEYID0001"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func TestCredentialsFromSecretData(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		missing []string // nil: valid
		region  string
	}{
		{"all keys", map[string][]byte{"awsAccessKeyID": []byte(testKeyID), "awsSecretAccessKey": []byte(testSecret), "awsRegion": []byte("eu-west-1")}, nil, "eu-west-1"},
		{"trailing newlines", map[string][]byte{"awsAccessKeyID": []byte(testKeyID + "\n"), "awsSecretAccessKey": []byte(testSecret + "\n")}, nil, ""},
		{"no secret key", map[string][]byte{"awsAccessKeyID": []byte(testKeyID)}, []string{"awsSecretAccessKey"}, ""},
		{"no key id", map[string][]byte{"awsSecretAccessKey": []byte(testSecret)}, []string{"awsAccessKeyID"}, ""},
		{"blank key id", map[string][]byte{"awsAccessKeyID": []byte("  "), "awsSecretAccessKey": []byte(testSecret)}, []string{"awsAccessKeyID"}, ""},
		{"image secret, not AWS", map[string][]byte{"username": []byte("u"), "password": []byte(testSecret)}, []string{"awsAccessKeyID", "awsSecretAccessKey"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CredentialsFromSecretData(tt.data)
			if tt.missing == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.IsAmbient() || c.accessKeyID != testKeyID || c.secretAccessKey != testSecret || c.Region() != tt.region {
					t.Fatalf("credentials not read as given: ambient=%v region=%q", c.IsAmbient(), c.Region())
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			for _, k := range tt.missing {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name missing key %s", err, k)
				}
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testKeyID) {
				t.Errorf("error leaks a credential: %q", err)
			}
		})
	}
}

func TestCredentialsNeverFormatted(t *testing.T) {
	c, err := StaticCredentials(testKeyID, testSecret, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, testSecret) || strings.Contains(out, testKeyID) {
			t.Errorf("%s prints a credential: %q", verb, out)
		}
	}
	other, _ := StaticCredentials(testKeyID, testSecret+"x", "")
	if c.identity() == other.identity() || c.identity() == AmbientCredentials().identity() {
		t.Error("distinct identities share a cache key")
	}
}
