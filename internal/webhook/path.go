package webhook

import (
	"crypto/sha256"
	"encoding/hex"
)

// Path is the secret-derived part of a receiver's URL, computed as Kargo
// does: the hex SHA-256 of project, receiver name and secret value
// concatenated. Because it depends on the secret, it is unguessable and
// changes when the secret is rotated; that is what authenticates providers
// that cannot sign (Docker Hub, Quay).
func Path(project, name string, secret []byte) string {
	h := sha256.New()
	h.Write([]byte(project))
	h.Write([]byte(name))
	h.Write(secret)
	return hex.EncodeToString(h.Sum(nil))
}

// ReceiverPath is the full path Kargo serves a receiver on,
// "/<provider>/<Path>", mirrored so a URL registered with a provider for
// Kargo only needs its host changed.
func ReceiverPath(provider, project, name string, secret []byte) string {
	return "/" + provider + "/" + Path(project, name, secret)
}
