package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// bitbucket handles Bitbucket Cloud (repo:push) and Bitbucket Data Center
// (repo:refs_changed) webhooks. Both sign with an HMAC of the body, keyed
// by the Secret's "secret" (as Kargo), in X-Hub-Signature: "sha256=<hex>",
// or "sha1=<hex>" on older Data Center versions. Data Center's "Test
// connection" sends diagnostics:ping.
type bitbucket struct{}

func init() { register(bitbucket{}) }

func (bitbucket) Name() string      { return "bitbucket" }
func (bitbucket) SecretKey() string { return "secret" }

func (b bitbucket) Verify(req *http.Request, body []byte, secret map[string][]byte) error {
	key, err := secretValue(secret, b.SecretKey())
	if err != nil {
		return err
	}
	return verifyHMAC(req.Header.Get("X-Hub-Signature"), body, key)
}

type bitbucketLink struct {
	Href string `json:"href"`
}

func (bitbucket) Parse(req *http.Request, body []byte) (Event, error) {
	ev := Event{Type: req.Header.Get("X-Event-Key")}
	switch ev.Type {
	case "diagnostics:ping":
		ev.Ping = true
		return ev, nil
	case "repo:push", "repo:refs_changed":
	case "pullrequest:fulfilled", "pullrequest:rejected":
		return parseBitbucketPullRequest(ev, body)
	default:
		ev.Ignored = true
		return ev, nil
	}
	var p struct {
		Push struct { // Cloud
			Changes []struct {
				New *struct {
					Type string `json:"type"`
					Name string `json:"name"`
				} `json:"new"`
			} `json:"changes"`
		} `json:"push"`
		Changes []struct { // Data Center
			Ref struct {
				ID string `json:"id"`
			} `json:"ref"`
			Type string `json:"type"`
		} `json:"changes"`
		Repository struct {
			FullName string `json:"full_name"`
			Links    struct {
				HTML  bitbucketLink   `json:"html"`
				Clone []bitbucketLink `json:"clone"`
			} `json:"links"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	r := p.Repository
	urls := []string{r.Links.HTML.Href}
	for _, l := range r.Links.Clone {
		urls = append(urls, l.Href)
	}
	// Cloud sends only the web URL; its clone URLs follow from it.
	if u, err := url.Parse(r.Links.HTML.Href); err == nil && u.Host != "" && r.FullName != "" {
		urls = append(urls, "git@"+u.Host+":"+r.FullName+".git")
	}
	ev.GitURLs = normalizeAll(NormalizeGitURL, urls...)
	if len(ev.GitURLs) == 0 {
		return ev, fmt.Errorf("%w: push names no repository", ErrBadPayload)
	}
	for _, c := range p.Push.Changes {
		switch {
		case c.New == nil || c.New.Name == "": // deletion
		case c.New.Type == "tag":
			ev.Refs = append(ev.Refs, "refs/tags/"+c.New.Name)
		default:
			ev.Refs = append(ev.Refs, "refs/heads/"+c.New.Name)
		}
	}
	for _, c := range p.Changes {
		if c.Type != "DELETE" {
			ev.Refs = append(ev.Refs, c.Ref.ID)
		}
	}
	ev.Refs = compact(ev.Refs)
	if len(ev.Refs) == 0 {
		ev.Ignored = true // only deletions
	}
	return ev, nil
}
