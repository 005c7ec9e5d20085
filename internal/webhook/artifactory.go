package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// artifactory handles JFrog Artifactory "docker" domain webhooks. With a
// secret configured, Artifactory sends the hex HMAC-SHA256 of the body in
// X-Jfrog-Event-Auth, keyed by the Secret's "secret-token" (as Kargo).
//
// The receiver's virtualRepoName, when set, replaces the payload's repo_key
// (the local repository pushed to) in the repository named, so Warehouses
// subscribing through the virtual repository clients pull from match, as in
// Kargo.
type artifactory struct{}

func init() { register(artifactory{}) }

func (artifactory) Name() string      { return "artifactory" }
func (artifactory) SecretKey() string { return "secret-token" }

func (a artifactory) Verify(req *http.Request, body []byte, secret map[string][]byte) error {
	key, err := secretValue(secret, a.SecretKey())
	if err != nil {
		return err
	}
	sig := req.Header.Get("X-Jfrog-Event-Auth")
	if strings.Contains(sig, "=") {
		return ErrForbidden // a bare hex digest is the only form Artifactory sends
	}
	return verifyHMAC(sig, body, key)
}

func (a artifactory) Parse(req *http.Request, body []byte) (Event, error) {
	return a.ParseConfig(req, body, railyard.WebhookReceiverConfig{})
}

// ParseConfig parses a delivery with the receiver's virtualRepoName.
func (artifactory) ParseConfig(_ *http.Request, body []byte, cfg railyard.WebhookReceiverConfig) (Event, error) {
	var p struct {
		Domain    string `json:"domain"`
		EventType string `json:"event_type"`
		Origin    string `json:"jpd_origin"`
		Data      struct {
			Path      string `json:"path"`
			RepoKey   string `json:"repo_key"`
			ImageType string `json:"image_type"`
			Tag       string `json:"tag"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	ev := Event{Type: p.Domain + "/" + p.EventType}
	if p.Domain != "docker" || p.EventType != "pushed" {
		ev.Ignored = true
		return ev, nil
	}
	origin, err := url.Parse(p.Origin)
	if err != nil || origin.Host == "" {
		return ev, fmt.Errorf("%w: jpd_origin %q is not a URL", ErrBadPayload, p.Origin)
	}
	// data.path is "<image path>/<tag>/manifest.json".
	sections := strings.Split(strings.Trim(p.Data.Path, "/"), "/")
	if len(sections) < 3 || p.Data.RepoKey == "" {
		return ev, fmt.Errorf("%w: data.path %q or data.repo_key does not name an image", ErrBadPayload, p.Data.Path)
	}
	repoKey := p.Data.RepoKey
	if cfg.Artifactory != nil && cfg.Artifactory.VirtualRepoName != "" {
		repoKey = cfg.Artifactory.VirtualRepoName
	}
	repo := strings.Join(append([]string{origin.Host, repoKey}, sections[:len(sections)-2]...), "/")
	switch p.Data.ImageType {
	case "docker":
		ev.ImageRepos = compact([]string{NormalizeImageRepo(repo)})
	case "oci":
		// Artifactory reports Helm OCI charts as "oci".
		ev.ChartRepos = compact([]string{NormalizeImageRepo(repo)})
	default:
		ev.Ignored = true
		return ev, nil
	}
	ev.Refs = compact([]string{p.Data.Tag})
	return ev, nil
}
