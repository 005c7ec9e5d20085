package ecr

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
)

// Keys of a Secret's data that hold static AWS credentials. The names match
// Kargo's, so existing Secrets keep working.
const (
	SecretKeyAccessKeyID     = "awsAccessKeyID"
	SecretKeySecretAccessKey = "awsSecretAccessKey"
	SecretKeyRegion          = "awsRegion"
)

// Credentials selects the AWS identity used to call ECR. The zero value means
// ambient credentials (the SDK's default chain). Fields are unexported and
// every formatting method redacts, so a Credentials value can be logged.
type Credentials struct {
	accessKeyID     string
	secretAccessKey string
	region          string
}

// AmbientCredentials uses the SDK's default credential chain: environment
// variables, IRSA web identity, EKS pod identity, container or instance role.
func AmbientCredentials() Credentials { return Credentials{} }

// StaticCredentials uses an access key pair. region is informational (see
// CredentialsFromSecretData); it may be empty.
func StaticCredentials(accessKeyID, secretAccessKey, region string) (Credentials, error) {
	c := Credentials{
		accessKeyID:     strings.TrimSpace(accessKeyID),
		secretAccessKey: strings.TrimSpace(secretAccessKey),
		region:          strings.TrimSpace(region),
	}
	var missing []string
	if c.accessKeyID == "" {
		missing = append(missing, SecretKeyAccessKeyID)
	}
	if c.secretAccessKey == "" {
		missing = append(missing, SecretKeySecretAccessKey)
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("%w: AWS credentials are missing %s", ErrInvalidConfig, strings.Join(missing, " and "))
	}
	return c, nil
}

// CredentialsFromSecretData reads static keys from a Secret's data.
// awsAccessKeyID and awsSecretAccessKey are required (ErrInvalidConfig names
// the missing keys, never the values). awsRegion is optional: ECR tokens are
// regional, so requests always go to the region in the repository URL.
// Surrounding whitespace, such as a trailing newline, is ignored.
func CredentialsFromSecretData(data map[string][]byte) (Credentials, error) {
	return StaticCredentials(
		string(data[SecretKeyAccessKeyID]),
		string(data[SecretKeySecretAccessKey]),
		string(data[SecretKeyRegion]),
	)
}

// IsAmbient reports whether c uses the SDK's default credential chain.
func (c Credentials) IsAmbient() bool { return c.accessKeyID == "" }

// Region returns the awsRegion given with static credentials, if any.
func (c Credentials) Region() string { return c.region }

// identity is a stable, non-reversible key for caching per identity.
func (c Credentials) identity() string {
	if c.IsAmbient() {
		return "ambient"
	}
	sum := sha256.Sum256([]byte(c.accessKeyID + "\x00" + c.secretAccessKey))
	return hex.EncodeToString(sum[:16])
}

// redact removes the credentials from s.
func (c Credentials) redact(s string) string {
	for _, secret := range []string{c.secretAccessKey, c.accessKeyID} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// String never prints the keys.
func (c Credentials) String() string {
	if c.IsAmbient() {
		return "ambient AWS credentials"
	}
	return "static AWS credentials (id " + c.identity()[:8] + ")"
}

// GoString never prints the keys, also for %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue never logs the keys.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }
