package webhook

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// Pull-request events matter to Promotions waiting in git-wait-for-pr or
// git-merge-pr: a merge or a close ends their wait. Each parser below reads
// one provider's "pull request closed or merged" event into an Event with
// PullRequest set and GitURLs naming the repository; every other
// pull-request action is Ignored.

func parseGitHubPullRequest(ev Event, body []byte) (Event, error) {
	var p struct {
		Action     string `json:"action"`
		Repository struct {
			CloneURL string `json:"clone_url"`
			SSHURL   string `json:"ssh_url"`
			HTMLURL  string `json:"html_url"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	r := p.Repository
	return pullRequestEvent(ev, p.Action == "closed", r.CloneURL, r.SSHURL, r.HTMLURL)
}

func parseGitLabMergeRequest(ev Event, body []byte) (Event, error) {
	var p struct {
		Attributes struct {
			Action string `json:"action"`
		} `json:"object_attributes"`
		Project gitlabRepo `json:"project"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	a := p.Attributes.Action
	return pullRequestEvent(ev, a == "merge" || a == "close", p.Project.GitHTTPURL, p.Project.GitSSHURL, p.Project.WebURL)
}

// parseBitbucketPullRequest reads Cloud's pullrequest:fulfilled and
// pullrequest:rejected.
func parseBitbucketPullRequest(ev Event, body []byte) (Event, error) {
	var p struct {
		Repository struct {
			FullName string `json:"full_name"`
			Links    struct {
				HTML bitbucketLink `json:"html"`
			} `json:"links"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	urls := []string{p.Repository.Links.HTML.Href}
	if u, err := url.Parse(p.Repository.Links.HTML.Href); err == nil && u.Host != "" && p.Repository.FullName != "" {
		urls = append(urls, "https://"+u.Host+"/"+p.Repository.FullName+".git", "git@"+u.Host+":"+p.Repository.FullName+".git")
	}
	return pullRequestEvent(ev, true, urls...)
}

// parseAzurePullRequest reads Azure DevOps' git.pullrequest.merged and
// git.pullrequest.updated once the pull request is completed or abandoned.
func parseAzurePullRequest(ev Event, body []byte) (Event, error) {
	var p struct {
		Resource struct {
			Status     string `json:"status"`
			Repository struct {
				RemoteURL string `json:"remoteUrl"`
				SSHURL    string `json:"sshUrl"`
				WebURL    string `json:"webUrl"`
			} `json:"repository"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	done := ev.Type == "git.pullrequest.merged" || p.Resource.Status == "completed" || p.Resource.Status == "abandoned"
	r := p.Resource.Repository
	return pullRequestEvent(ev, done, r.RemoteURL, r.SSHURL, r.WebURL)
}

// pullRequestEvent marks ev a closed pull request of the repository, or
// Ignored when the action does not end one.
func pullRequestEvent(ev Event, closed bool, urls ...string) (Event, error) {
	if !closed {
		ev.Ignored = true
		return ev, nil
	}
	ev.GitURLs = normalizeAll(NormalizeGitURL, urls...)
	if len(ev.GitURLs) == 0 {
		return ev, fmt.Errorf("%w: pull request event names no repository", ErrBadPayload)
	}
	ev.PullRequest = true
	return ev, nil
}
