package gitprovider

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// bitbucketStrategies are the merge_strategy values Bitbucket Cloud
// documents for POST .../pullrequests/{id}/merge.
var bitbucketStrategies = map[string]bool{
	"merge_commit": true, "squash": true, "fast_forward": true,
	"squash_fast_forward": true, "rebase_fast_forward": true, "rebase_merge": true,
}

// bitbucketProvider drives Bitbucket Cloud's REST API 2.0 (Bitbucket Data
// Center has a different API and is not supported).
type bitbucketProvider struct {
	rest     restClient
	repoPath string // /repositories/{workspace}/{slug}
}

func newBitbucket(ref repoRef, opts Options) (Interface, error) {
	ws, slug, err := ref.ownerRepo(Bitbucket)
	if err != nil {
		return nil, err
	}
	base := "https://api.bitbucket.org/2.0"
	if opts.APIURL != "" {
		base = strings.TrimSuffix(opts.APIURL, "/")
	} else if !strings.EqualFold(ref.hostname(), "bitbucket.org") {
		return nil, fmt.Errorf("%w: only Bitbucket Cloud (bitbucket.org) is supported, not %q", ErrUnsupported, ref.host)
	}
	user, token := opts.Username, opts.Token
	return &bitbucketProvider{
		rest: restClient{provider: Bitbucket, base: base, hc: apiClient(Bitbucket, opts), auth: func(r *http.Request) {
			switch {
			case token == "":
			case user != "" && user != "x-token-auth":
				r.SetBasicAuth(user, token) // app password / API token
			default:
				// Repository/workspace access token (git user x-token-auth).
				r.Header.Set("Authorization", "Bearer "+token)
			}
		}},
		repoPath: "/repositories/" + url.PathEscape(ws) + "/" + url.PathEscape(slug),
	}, nil
}

type bbPR struct {
	ID          int64      `json:"id"`
	State       string     `json:"state"` // OPEN, MERGED, DECLINED, SUPERSEDED
	Draft       bool       `json:"draft"`
	CreatedOn   *time.Time `json:"created_on"`
	Source      bbEnd      `json:"source"`
	Destination bbEnd      `json:"destination"`
	MergeCommit *bbCommit  `json:"merge_commit"`
	Links       struct {
		HTML struct {
			Href string `json:"href"`
		} `json:"html"`
	} `json:"links"`
}

type bbEnd struct {
	Branch struct {
		Name string `json:"name"`
	} `json:"branch"`
	Commit *bbCommit `json:"commit,omitempty"`
}

type bbCommit struct {
	Hash string `json:"hash"`
}

// pr converts, resolving the abbreviated merge commit hash Bitbucket
// returns into the full SHA.
func (p *bitbucketProvider) pr(ctx context.Context, b *bbPR) (*PullRequest, error) {
	pr := &PullRequest{
		Number:    b.ID,
		URL:       b.Links.HTML.Href,
		Open:      b.State == "OPEN",
		Merged:    b.State == "MERGED",
		Head:      b.Source.Branch.Name,
		Base:      b.Destination.Branch.Name,
		Draft:     b.Draft,
		CreatedAt: b.CreatedOn,
	}
	if b.Source.Commit != nil {
		pr.HeadSHA = b.Source.Commit.Hash
	}
	if b.MergeCommit != nil && b.MergeCommit.Hash != "" {
		pr.MergeCommitSHA = b.MergeCommit.Hash
		if len(pr.MergeCommitSHA) < 40 {
			var c bbCommit
			if _, err := p.rest.do(ctx, http.MethodGet, p.repoPath+"/commit/"+url.PathEscape(pr.MergeCommitSHA), nil, &c); err != nil {
				return nil, fmt.Errorf("resolving merge commit of pull request #%d: %w", b.ID, err)
			}
			if c.Hash != "" {
				pr.MergeCommitSHA = c.Hash
			}
		}
	}
	return pr, nil
}

func (p *bitbucketProvider) CreatePullRequest(ctx context.Context, o CreateOpts) (*PullRequest, error) {
	// Bitbucket has no pull request labels; o.Labels is ignored.
	body := map[string]any{
		"title":       o.Title,
		"description": o.Description,
		"source":      map[string]any{"branch": map[string]string{"name": o.Head}},
		"destination": map[string]any{"branch": map[string]string{"name": o.Base}},
		"draft":       o.Draft,
	}
	var b bbPR
	if _, err := p.rest.do(ctx, http.MethodPost, p.repoPath+"/pullrequests", body, &b); err != nil {
		return nil, err
	}
	return p.pr(ctx, &b)
}

func (p *bitbucketProvider) get(ctx context.Context, n int64) (*bbPR, error) {
	var b bbPR
	if _, err := p.rest.do(ctx, http.MethodGet, fmt.Sprintf("%s/pullrequests/%d", p.repoPath, n), nil, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (p *bitbucketProvider) GetPullRequest(ctx context.Context, n int64) (*PullRequest, error) {
	b, err := p.get(ctx, n)
	if err != nil {
		return nil, err
	}
	return p.pr(ctx, b)
}

func (p *bitbucketProvider) ListPullRequests(ctx context.Context, o ListOpts) ([]PullRequest, error) {
	q := url.Values{"pagelen": {"50"}}
	switch o.State {
	case StateOpen, "":
		q["state"] = []string{"OPEN"}
	case StateClosed:
		q["state"] = []string{"MERGED", "DECLINED", "SUPERSEDED"}
	case StateAny:
		q["state"] = []string{"OPEN", "MERGED", "DECLINED", "SUPERSEDED"}
	default:
		return nil, fmt.Errorf("%w: pull request state %q", ErrUnsupported, o.State)
	}
	var filters []string
	if o.Head != "" {
		filters = append(filters, "source.branch.name = "+bbqlString(o.Head))
	}
	if o.Base != "" {
		filters = append(filters, "destination.branch.name = "+bbqlString(o.Base))
	}
	if len(filters) > 0 {
		q.Set("q", strings.Join(filters, " AND "))
	}
	var out []PullRequest
	next := p.repoPath + "/pullrequests?" + q.Encode()
	for next != "" {
		var page struct {
			Values []bbPR `json:"values"`
			Next   string `json:"next"`
		}
		if _, err := p.rest.do(ctx, http.MethodGet, next, nil, &page); err != nil {
			return nil, err
		}
		for i := range page.Values {
			pr, err := p.pr(ctx, &page.Values[i])
			if err != nil {
				return nil, err
			}
			if o.keep(*pr) {
				out = append(out, *pr)
			}
		}
		next = page.Next
	}
	return out, nil
}

// bbqlString quotes a value for Bitbucket's query language.
func bbqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (p *bitbucketProvider) MergePullRequest(ctx context.Context, n int64, o MergeOpts) (*PullRequest, bool, error) {
	b, err := p.get(ctx, n)
	if err != nil {
		return nil, false, err
	}
	switch {
	case b.State == "MERGED":
		pr, err := p.pr(ctx, b)
		return pr, err == nil, err
	case b.State != "OPEN":
		return nil, false, fmt.Errorf("bitbucket: pull request #%d (%s): %w", n, b.State, ErrClosed)
	case b.Draft:
		return nil, false, nil
	}
	// Bitbucket offers no mergeability check: attempt the merge.
	body := map[string]any{"type": "pullrequest"}
	if o.Method != "" {
		if !bitbucketStrategies[o.Method] {
			return nil, false, fmt.Errorf("%w: Bitbucket merge strategy %q", ErrUnsupported, o.Method)
		}
		body["merge_strategy"] = o.Method
	}
	var merged bbPR
	status, err := p.rest.do(ctx, http.MethodPost, fmt.Sprintf("%s/pullrequests/%d/merge", p.repoPath, n), body, &merged)
	if err != nil {
		return nil, false, fmt.Errorf("merging pull request #%d: %w", n, err)
	}
	if status == http.StatusAccepted || merged.State != "MERGED" {
		// Merging asynchronously: the next call finds it MERGED.
		return nil, false, nil
	}
	pr, err := p.pr(ctx, &merged)
	return pr, err == nil, err
}
