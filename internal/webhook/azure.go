package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// azure handles Azure Container Registry and Azure DevOps service hooks on
// one receiver, telling them apart by User-Agent as Kargo does. Neither
// signs, so the receiver is authenticated by its path; the Secret's
// "secret" only feeds Path.
type azure struct{ pathAuthenticated }

func init() { register(azure{}) }

func (azure) Name() string { return "azure" }

func (azure) Parse(req *http.Request, body []byte) (Event, error) {
	switch ua := req.UserAgent(); {
	case strings.HasPrefix(ua, "AzureContainerRegistry"):
		return parseACR(body)
	case strings.HasPrefix(ua, "VSServices"):
		return parseAzureDevOps(body)
	default:
		return Event{}, fmt.Errorf("%w: User-Agent %q is neither Azure Container Registry nor Azure DevOps", ErrBadPayload, ua)
	}
}

func parseACR(body []byte) (Event, error) {
	var p struct {
		Action string `json:"action"`
		Target struct {
			MediaType  string `json:"mediaType"`
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
		} `json:"target"`
		Request struct {
			Host string `json:"host"`
		} `json:"request"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	ev := Event{Type: p.Action}
	switch p.Action {
	case "ping":
		ev.Ping = true
		return ev, nil
	case "push":
	default:
		ev.Ignored = true // delete, quarantine, legacy Helm repository events
		return ev, nil
	}
	if p.Request.Host == "" || p.Target.Repository == "" {
		return ev, fmt.Errorf("%w: push names no request.host or target.repository", ErrBadPayload)
	}
	setRegistryArtifact(&ev, p.Request.Host+"/"+p.Target.Repository, p.Target.MediaType)
	ev.Refs = compact([]string{p.Target.Tag})
	return ev, nil
}

func parseAzureDevOps(body []byte) (Event, error) {
	var p struct {
		EventType string `json:"eventType"`
		Resource  struct {
			RefUpdates []struct {
				Name        string `json:"name"`
				NewObjectID string `json:"newObjectId"`
			} `json:"refUpdates"`
			Repository struct {
				RemoteURL string `json:"remoteUrl"`
				SSHURL    string `json:"sshUrl"`
				WebURL    string `json:"webUrl"`
			} `json:"repository"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	ev := Event{Type: p.EventType}
	if p.EventType == "git.pullrequest.merged" || p.EventType == "git.pullrequest.updated" {
		return parseAzurePullRequest(ev, body)
	}
	if p.EventType != "git.push" {
		ev.Ignored = true
		return ev, nil
	}
	r := p.Resource.Repository
	ev.GitURLs = normalizeAll(NormalizeGitURL, r.RemoteURL, r.SSHURL, r.WebURL)
	if len(ev.GitURLs) == 0 {
		return ev, fmt.Errorf("%w: push names no repository", ErrBadPayload)
	}
	for _, u := range p.Resource.RefUpdates {
		if strings.Trim(u.NewObjectID, "0") != "" {
			ev.Refs = append(ev.Refs, u.Name)
		}
	}
	ev.Refs = compact(ev.Refs)
	if len(ev.Refs) == 0 {
		ev.Ignored = true // only deletions
	}
	return ev, nil
}
