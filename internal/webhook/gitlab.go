package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// gitLab handles GitLab project and group webhooks. GitLab does not sign:
// it echoes the configured token in X-Gitlab-Token, compared with the
// Secret's "secret-token" (as Kargo). GitLab's "Test" button sends an
// ordinary Push Hook built from the latest commit.
type gitLab struct{}

func init() { register(gitLab{}) }

func (gitLab) Name() string      { return "gitlab" }
func (gitLab) SecretKey() string { return "secret-token" }

func (g gitLab) Verify(req *http.Request, _ []byte, secret map[string][]byte) error {
	key, err := secretValue(secret, g.SecretKey())
	if err != nil {
		return err
	}
	return verifyToken(req.Header.Get("X-Gitlab-Token"), key)
}

type gitlabRepo struct {
	GitHTTPURL string `json:"git_http_url"`
	GitSSHURL  string `json:"git_ssh_url"`
	WebURL     string `json:"web_url"`
	Homepage   string `json:"homepage"`
}

func (gitLab) Parse(req *http.Request, body []byte) (Event, error) {
	ev := Event{Type: req.Header.Get("X-Gitlab-Event")}
	if ev.Type == "Merge Request Hook" {
		return parseGitLabMergeRequest(ev, body)
	}
	if ev.Type != "Push Hook" && ev.Type != "Tag Push Hook" {
		ev.Ignored = true
		return ev, nil
	}
	var p struct {
		Ref        string       `json:"ref"`
		After      string       `json:"after"`
		Total      int          `json:"total_commits_count"`
		Commits    []pushCommit `json:"commits"`
		Project    gitlabRepo   `json:"project"`
		Repository gitlabRepo   `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if p.After != "" && strings.Trim(p.After, "0") == "" {
		ev.Ignored = true // branch or tag deleted
		return ev, nil
	}
	ev.GitURLs = normalizeAll(NormalizeGitURL,
		p.Project.GitHTTPURL, p.Project.GitSSHURL, p.Project.WebURL,
		p.Repository.GitHTTPURL, p.Repository.GitSSHURL, p.Repository.Homepage)
	if len(ev.GitURLs) == 0 {
		return ev, fmt.Errorf("%w: push names no repository", ErrBadPayload)
	}
	ev.Refs = compact([]string{p.Ref})
	if p.Total <= len(p.Commits) { // GitLab truncates long pushes (20 commits)
		ev.ChangedFiles = changedFiles(p.Commits)
	}
	return ev, nil
}
