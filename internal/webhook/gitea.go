package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// gitea handles Gitea (and Forgejo) webhooks. Gitea signs with HMAC-SHA256
// of the body, keyed by the Secret's "secret" (as Kargo), in both
// X-Hub-Signature-256 ("sha256=<hex>") and X-Gitea-Signature (bare hex).
// Its "Test Delivery" sends an ordinary push event.
type gitea struct{}

func init() { register(gitea{}) }

func (gitea) Name() string      { return "gitea" }
func (gitea) SecretKey() string { return "secret" }

func (g gitea) Verify(req *http.Request, body []byte, secret map[string][]byte) error {
	key, err := secretValue(secret, g.SecretKey())
	if err != nil {
		return err
	}
	sig := req.Header.Get("X-Hub-Signature-256")
	if sig == "" {
		sig = req.Header.Get("X-Gitea-Signature")
	}
	return verifyHMAC(sig, body, key)
}

func (gitea) Parse(req *http.Request, body []byte) (Event, error) {
	ev := Event{Type: req.Header.Get("X-Gitea-Event")}
	if ev.Type == "" {
		ev.Type = req.Header.Get("X-Forgejo-Event")
	}
	if ev.Type == "pull_request" {
		// Gitea's pull-request payload has GitHub's shape.
		return parseGitHubPullRequest(ev, body)
	}
	if ev.Type != "push" {
		ev.Ignored = true
		return ev, nil
	}
	var p struct {
		Ref        string       `json:"ref"`
		After      string       `json:"after"`
		Total      int          `json:"total_commits"`
		Commits    []pushCommit `json:"commits"`
		Repository struct {
			CloneURL string `json:"clone_url"`
			SSHURL   string `json:"ssh_url"`
			HTMLURL  string `json:"html_url"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if p.After != "" && strings.Trim(p.After, "0") == "" {
		ev.Ignored = true
		return ev, nil
	}
	r := p.Repository
	ev.GitURLs = normalizeAll(NormalizeGitURL, r.CloneURL, r.SSHURL, r.HTMLURL)
	if len(ev.GitURLs) == 0 {
		return ev, fmt.Errorf("%w: push names no repository", ErrBadPayload)
	}
	ev.Refs = compact([]string{p.Ref})
	if p.Total <= len(p.Commits) { // Gitea truncates long pushes
		ev.ChangedFiles = changedFiles(p.Commits)
	}
	return ev, nil
}
