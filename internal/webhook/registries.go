package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// pathAuthenticated is embedded by providers that cannot sign: the
// receiver's path is derived from the secret (Path), so reaching the
// receiver is the proof. Verify only checks the Secret is usable.
type pathAuthenticated struct{}

func (pathAuthenticated) SecretKey() string { return "secret" }

func (a pathAuthenticated) Verify(_ *http.Request, _ []byte, secret map[string][]byte) error {
	_, err := secretValue(secret, a.SecretKey())
	return err
}

// dockerHub handles Docker Hub repository webhooks (a push of one tag).
// Docker Hub neither signs nor sends a token; authentication is the path.
type dockerHub struct{ pathAuthenticated }

func init() { register(dockerHub{}) }

func (dockerHub) Name() string { return "dockerhub" }

func (dockerHub) Parse(_ *http.Request, body []byte) (Event, error) {
	ev := Event{Type: "push"}
	var p struct {
		PushData struct {
			Tag       string `json:"tag"`
			MediaType string `json:"media_type"`
		} `json:"push_data"`
		Repository struct {
			RepoName string `json:"repo_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if p.Repository.RepoName == "" {
		return ev, fmt.Errorf("%w: repository.repo_name is empty", ErrBadPayload)
	}
	// repo_name is relative to Docker Hub ("nginx", "acme/api").
	setRegistryArtifact(&ev, "docker.io/"+p.Repository.RepoName, p.PushData.MediaType)
	ev.Refs = compact([]string{p.PushData.Tag})
	return ev, nil
}

// quay handles Quay "Push to Repository" notifications, authenticated by
// the path like Docker Hub. Quay's "Test Notification" sends the same shape
// with a sample repository.
type quay struct{ pathAuthenticated }

func init() { register(quay{}) }

func (quay) Name() string { return "quay" }

func (quay) Parse(_ *http.Request, body []byte) (Event, error) {
	ev := Event{Type: "repo_push"}
	var p struct {
		DockerURL   string   `json:"docker_url"`
		UpdatedTags []string `json:"updated_tags"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if p.DockerURL == "" {
		return ev, fmt.Errorf("%w: docker_url is empty", ErrBadPayload)
	}
	setRegistryArtifact(&ev, p.DockerURL, "")
	ev.Refs = compact(p.UpdatedTags)
	return ev, nil
}

// harbor handles Harbor project webhooks. Harbor sends the configured
// "Auth Header" verbatim in Authorization, compared with the Secret's
// "auth-header" (as Kargo).
type harbor struct{}

func init() { register(harbor{}) }

func (harbor) Name() string      { return "harbor" }
func (harbor) SecretKey() string { return "auth-header" }

func (h harbor) Verify(req *http.Request, _ []byte, secret map[string][]byte) error {
	key, err := secretValue(secret, h.SecretKey())
	if err != nil {
		return err
	}
	return verifyToken(req.Header.Get("Authorization"), key)
}

func (harbor) Parse(_ *http.Request, body []byte) (Event, error) {
	var p struct {
		Type      string `json:"type"`
		EventData struct {
			Resources []struct {
				Tag         string `json:"tag"`
				ResourceURL string `json:"resource_url"`
			} `json:"resources"`
		} `json:"event_data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	ev := Event{Type: p.Type}
	if p.Type != "PUSH_ARTIFACT" {
		ev.Ignored = true // pulls, deletions, scans, quota, replication
		return ev, nil
	}
	for _, r := range p.EventData.Resources {
		setRegistryArtifact(&ev, r.ResourceURL, "")
		ev.Refs = append(ev.Refs, r.Tag)
	}
	ev.ImageRepos, ev.ChartRepos, ev.Refs = compact(ev.ImageRepos), compact(ev.ChartRepos), compact(ev.Refs)
	if len(ev.ImageRepos) == 0 {
		return ev, fmt.Errorf("%w: push names no resource_url", ErrBadPayload)
	}
	return ev, nil
}
