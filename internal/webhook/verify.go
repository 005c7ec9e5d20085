package webhook

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // SHA-1 HMAC is what Bitbucket Server and GitHub's legacy header use.
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// secretValue returns the receiver Secret's value under key.
func secretValue(secret map[string][]byte, key string) ([]byte, error) {
	v := secret[key]
	if len(v) == 0 {
		return nil, fmt.Errorf("%w: key %q", ErrMisconfigured, key)
	}
	return v, nil
}

// verifyHMAC checks a "sha256=<hex>" or "sha1=<hex>" signature of body; a
// bare hex value is read as SHA-256 (Gitea's X-Gitea-Signature).
func verifyHMAC(sig string, body, key []byte) error {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return ErrUnauthenticated
	}
	newHash := sha256.New
	algo, digest, found := strings.Cut(sig, "=")
	if found {
		switch strings.ToLower(algo) {
		case "sha256":
		case "sha1":
			newHash = func() hash.Hash { return sha1.New() } //nolint:gosec // see import
		default:
			return ErrForbidden
		}
	} else {
		digest = algo
	}
	got, err := hex.DecodeString(digest)
	if err != nil {
		return ErrForbidden
	}
	mac := hmac.New(newHash, key)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrForbidden
	}
	return nil
}

// verifyToken compares a token header with the secret in constant time.
func verifyToken(got string, want []byte) error {
	if got == "" {
		return ErrUnauthenticated
	}
	if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
		return ErrForbidden
	}
	return nil
}
