package gitprovider

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// azureStrategies are Azure DevOps' GitPullRequestMergeStrategy values.
var azureStrategies = map[string]bool{
	"noFastForward": true, "rebase": true, "rebaseMerge": true, "squash": true,
}

const azureAPIVersion = "api-version=7.1"

// azureProvider drives Azure DevOps Services (and Server) through the Git
// pull requests REST API.
type azureProvider struct {
	rest restClient // base: .../{project}/_apis/git/repositories/{repo}
	// completion polling after a merge request (completion is asynchronous)
	polls     int
	pollDelay time.Duration
}

// azureAPIBase maps https://dev.azure.com/{org}/{project}/_git/{repo},
// https://{org}.visualstudio.com/{project}/_git/{repo} (any collection path
// before the project on a server) and git@ssh.dev.azure.com:v3/{org}/
// {project}/{repo} to the repository's API root.
func azureAPIBase(ref repoRef) (string, error) {
	p := ref.path
	if strings.EqualFold(ref.hostname(), "ssh.dev.azure.com") && len(p) == 4 && p[0] == "v3" {
		return "https://dev.azure.com/" + p[1] + "/" + p[2] + "/_apis/git/repositories/" + p[3], nil
	}
	i := len(p) - 2
	if i < 1 || p[i] != "_git" {
		return "", fmt.Errorf("%w: Azure DevOps repository URLs have the form https://dev.azure.com/<org>/<project>/_git/<repo>, got path %q",
			ErrUnsupported, strings.Join(p, "/"))
	}
	segs := make([]string, 0, i)
	for _, s := range p[:i] {
		segs = append(segs, url.PathEscape(s))
	}
	return ref.base() + "/" + strings.Join(segs, "/") + "/_apis/git/repositories/" + url.PathEscape(p[i+1]), nil
}

func newAzure(ref repoRef, opts Options) (Interface, error) {
	base, err := azureAPIBase(ref)
	if err != nil {
		return nil, err
	}
	if opts.APIURL != "" {
		base = strings.TrimSuffix(opts.APIURL, "/")
	}
	if opts.Token == "" {
		return nil, fmt.Errorf("azure: a personal access token is required")
	}
	token := opts.Token
	return &azureProvider{
		rest: restClient{provider: Azure, base: base, hc: apiClient(Azure, opts), auth: func(r *http.Request) {
			r.SetBasicAuth("", token)
		}},
		polls:     10,
		pollDelay: time.Second,
	}, nil
}

type adoPR struct {
	PullRequestID         int64      `json:"pullRequestId"`
	Status                string     `json:"status"` // active, abandoned, completed
	IsDraft               bool       `json:"isDraft"`
	MergeStatus           string     `json:"mergeStatus"`
	SourceRefName         string     `json:"sourceRefName"`
	TargetRefName         string     `json:"targetRefName"`
	CreationDate          *time.Time `json:"creationDate"`
	LastMergeSourceCommit *adoCommit `json:"lastMergeSourceCommit"`
	LastMergeCommit       *adoCommit `json:"lastMergeCommit"`
	Repository            struct {
		WebURL string `json:"webUrl"`
	} `json:"repository"`
}

type adoCommit struct {
	CommitID string `json:"commitId"`
}

func (a *adoPR) pr() *PullRequest {
	pr := &PullRequest{
		Number:    a.PullRequestID,
		Open:      a.Status == "active",
		Merged:    a.Status == "completed",
		Head:      strings.TrimPrefix(a.SourceRefName, "refs/heads/"),
		Base:      strings.TrimPrefix(a.TargetRefName, "refs/heads/"),
		Draft:     a.IsDraft,
		CreatedAt: a.CreationDate,
	}
	if a.Repository.WebURL != "" {
		pr.URL = fmt.Sprintf("%s/pullrequest/%d", a.Repository.WebURL, a.PullRequestID)
	}
	if a.LastMergeSourceCommit != nil {
		pr.HeadSHA = a.LastMergeSourceCommit.CommitID
	}
	if pr.Merged && a.LastMergeCommit != nil {
		pr.MergeCommitSHA = a.LastMergeCommit.CommitID
	}
	return pr
}

func (p *azureProvider) CreatePullRequest(ctx context.Context, o CreateOpts) (*PullRequest, error) {
	labels := make([]map[string]string, 0, len(o.Labels))
	for _, l := range o.Labels {
		labels = append(labels, map[string]string{"name": l})
	}
	var a adoPR
	_, err := p.rest.do(ctx, http.MethodPost, "/pullrequests?"+azureAPIVersion, map[string]any{
		"sourceRefName": "refs/heads/" + o.Head,
		"targetRefName": "refs/heads/" + o.Base,
		"title":         o.Title,
		"description":   o.Description,
		"isDraft":       o.Draft,
		"labels":        labels,
	}, &a)
	if err != nil {
		return nil, err
	}
	return a.pr(), nil
}

func (p *azureProvider) get(ctx context.Context, n int64) (*adoPR, error) {
	var a adoPR
	if _, err := p.rest.do(ctx, http.MethodGet, fmt.Sprintf("/pullrequests/%d?%s", n, azureAPIVersion), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func (p *azureProvider) GetPullRequest(ctx context.Context, n int64) (*PullRequest, error) {
	a, err := p.get(ctx, n)
	if err != nil {
		return nil, err
	}
	return a.pr(), nil
}

func (p *azureProvider) ListPullRequests(ctx context.Context, o ListOpts) ([]PullRequest, error) {
	q := url.Values{}
	switch o.State {
	case StateOpen, "":
		q.Set("searchCriteria.status", "active")
	case StateClosed, StateAny:
		q.Set("searchCriteria.status", "all") // closed = completed or abandoned
	default:
		return nil, fmt.Errorf("%w: pull request state %q", ErrUnsupported, o.State)
	}
	if o.Head != "" {
		q.Set("searchCriteria.sourceRefName", "refs/heads/"+o.Head)
	}
	if o.Base != "" {
		q.Set("searchCriteria.targetRefName", "refs/heads/"+o.Base)
	}
	const top = 100
	q.Set("$top", fmt.Sprint(top))
	var out []PullRequest
	for skip := 0; ; skip += top {
		q.Set("$skip", fmt.Sprint(skip))
		var page struct {
			Value []adoPR `json:"value"`
		}
		if _, err := p.rest.do(ctx, http.MethodGet, "/pullrequests?"+q.Encode()+"&"+azureAPIVersion, nil, &page); err != nil {
			return nil, err
		}
		for i := range page.Value {
			if pr := page.Value[i].pr(); o.keep(*pr) {
				out = append(out, *pr)
			}
		}
		if len(page.Value) < top {
			return out, nil
		}
	}
}

func (p *azureProvider) MergePullRequest(ctx context.Context, n int64, o MergeOpts) (*PullRequest, bool, error) {
	a, err := p.get(ctx, n)
	if err != nil {
		return nil, false, err
	}
	switch {
	case a.Status == "completed":
		return a.pr(), true, nil
	case a.Status == "abandoned":
		return nil, false, fmt.Errorf("azure: pull request %d is abandoned: %w", n, ErrClosed)
	case a.MergeStatus == "conflicts":
		return nil, false, fmt.Errorf("azure: pull request %d has conflicts", n)
	case a.Status != "active" || a.IsDraft || a.MergeStatus != "succeeded" || a.LastMergeSourceCommit == nil:
		return nil, false, nil
	case o.HeadSHA != "" && o.HeadSHA != a.LastMergeSourceCommit.CommitID:
		return nil, false, fmt.Errorf("azure: pull request %d head moved to %s: %w", n, a.LastMergeSourceCommit.CommitID, ErrConflict)
	}
	body := map[string]any{
		"status": "completed",
		// Azure DevOps refuses the completion if the head moved since.
		"lastMergeSourceCommit": a.LastMergeSourceCommit,
	}
	if o.Method != "" {
		if !azureStrategies[o.Method] {
			return nil, false, fmt.Errorf("%w: Azure DevOps merge strategy %q", ErrUnsupported, o.Method)
		}
		body["completionOptions"] = map[string]string{"mergeStrategy": o.Method}
	}
	if _, err := p.rest.do(ctx, http.MethodPatch, fmt.Sprintf("/pullrequests/%d?%s", n, azureAPIVersion), body, nil); err != nil {
		return nil, false, fmt.Errorf("merging pull request %d: %w", n, err)
	}
	// Completion is asynchronous: poll briefly, then leave it to a retry.
	for i := 0; i < p.polls; i++ {
		if a, err = p.get(ctx, n); err != nil {
			return nil, false, err
		}
		if a.Status == "completed" {
			return a.pr(), true, nil
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(p.pollDelay):
		}
	}
	return nil, false, nil
}
