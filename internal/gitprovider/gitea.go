package gitprovider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"code.gitea.io/sdk/gitea"
)

// giteaMergeStyles are the styles Gitea accepts; it does not validate them
// itself.
var giteaMergeStyles = map[string]bool{
	"merge": true, "rebase": true, "rebase-merge": true, "squash": true,
	"fast-forward-only": true, "manually-merged": true,
}

// giteaProvider drives Gitea (and Forgejo) with the Gitea SDK.
type giteaProvider struct {
	base, owner, repo string
	opts              []gitea.ClientOption
}

func newGitea(ref repoRef, opts Options) (Interface, error) {
	owner, repo, err := ref.ownerRepo(Gitea)
	if err != nil {
		return nil, err
	}
	base := ref.base()
	if opts.APIURL != "" {
		base = strings.TrimSuffix(strings.TrimSuffix(opts.APIURL, "/"), "/api/v1")
	}
	co := []gitea.ClientOption{
		gitea.SetHTTPClient(apiClient(Gitea, opts)),
		// Skip the SDK's server version probe: no request at construction,
		// and every feature used here exists on all supported versions.
		gitea.SetGiteaVersion(""),
	}
	if opts.Token != "" {
		co = append(co, gitea.SetToken(opts.Token))
	}
	return &giteaProvider{base: base, owner: owner, repo: repo, opts: co}, nil
}

// client returns an SDK client bound to ctx. The SDK carries the context on
// the client, so each call gets its own (construction does no I/O).
func (p *giteaProvider) client(ctx context.Context) (*gitea.Client, error) {
	c, err := gitea.NewClient(p.base, slices.Concat(p.opts, []gitea.ClientOption{gitea.SetContext(ctx)})...)
	if err != nil {
		return nil, fmt.Errorf("gitea: %w", err)
	}
	return c, nil
}

func giteaErr(resp *gitea.Response, err error) error {
	if resp != nil && resp.Response != nil && resp.StatusCode >= 400 {
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		return apiError(Gitea, resp.Response, msg)
	}
	if err != nil {
		if rl := asRateLimited(err); rl != nil {
			return rl
		}
		if na := notAPI(Gitea, err); na != nil {
			return na
		}
		return fmt.Errorf("gitea: %w", err)
	}
	return nil
}

func (p *giteaProvider) CreatePullRequest(ctx context.Context, o CreateOpts) (*PullRequest, error) {
	c, err := p.client(ctx)
	if err != nil {
		return nil, err
	}
	labels, err := p.labelIDs(c, o.Labels)
	if err != nil {
		return nil, err
	}
	title := o.Title
	if o.Draft && !strings.HasPrefix(title, "WIP:") {
		title = "WIP: " + title // Gitea's default work-in-progress prefix
	}
	g, resp, err := c.CreatePullRequest(p.owner, p.repo, gitea.CreatePullRequestOption{
		Head: o.Head, Base: o.Base, Title: title, Body: o.Description, Labels: labels,
	})
	if err != nil {
		return nil, giteaErr(resp, err)
	}
	pr := giteaPR(g)
	return &pr, nil
}

// labelIDs resolves label names to the repository's label IDs.
func (p *giteaProvider) labelIDs(c *gitea.Client, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	byName := map[string]int64{}
	for page := 1; page > 0; {
		ls, resp, err := c.ListRepoLabels(p.owner, p.repo, gitea.ListLabelsOptions{ListOptions: gitea.ListOptions{Page: page, PageSize: 50}})
		if err != nil {
			return nil, giteaErr(resp, err)
		}
		for _, l := range ls {
			byName[l.Name] = l.ID
		}
		page = 0
		if resp != nil {
			page = resp.NextPage
		}
	}
	var ids []int64
	var missing []string
	for _, n := range names {
		if id, ok := byName[n]; ok {
			ids = append(ids, id)
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		// Gitea adds only labels the repository defines; no retry defines
		// them.
		return nil, fmt.Errorf("gitea: labels not defined in %s/%s: %s: %w", p.owner, p.repo, strings.Join(missing, ", "), ErrNotFound)
	}
	return ids, nil
}

func (p *giteaProvider) GetPullRequest(ctx context.Context, n int64) (*PullRequest, error) {
	c, err := p.client(ctx)
	if err != nil {
		return nil, err
	}
	g, resp, err := c.GetPullRequest(p.owner, p.repo, n)
	if err != nil {
		return nil, giteaErr(resp, err)
	}
	pr := giteaPR(g)
	return &pr, nil
}

func (p *giteaProvider) ListPullRequests(ctx context.Context, o ListOpts) ([]PullRequest, error) {
	c, err := p.client(ctx)
	if err != nil {
		return nil, err
	}
	lo := gitea.ListPullRequestsOptions{ListOptions: gitea.ListOptions{Page: 1, PageSize: 50}}
	switch o.State {
	case StateOpen, "":
		lo.State = gitea.StateOpen
	case StateClosed:
		lo.State = gitea.StateClosed
	case StateAny:
		lo.State = gitea.StateAll
	default:
		return nil, fmt.Errorf("%w: pull request state %q", ErrUnsupported, o.State)
	}
	// The list endpoint cannot filter by branch: filter locally.
	var out []PullRequest
	for {
		page, resp, err := c.ListRepoPullRequests(p.owner, p.repo, lo)
		if err != nil {
			return nil, giteaErr(resp, err)
		}
		for _, g := range page {
			if pr := giteaPR(g); o.keep(pr) {
				out = append(out, pr)
			}
		}
		if resp == nil || resp.NextPage == 0 || len(page) == 0 {
			return out, nil
		}
		lo.Page = resp.NextPage
	}
}

func (p *giteaProvider) MergePullRequest(ctx context.Context, n int64, o MergeOpts) (*PullRequest, bool, error) {
	c, err := p.client(ctx)
	if err != nil {
		return nil, false, err
	}
	g, resp, err := c.GetPullRequest(p.owner, p.repo, n)
	if err != nil {
		return nil, false, giteaErr(resp, err)
	}
	pr := giteaPR(g)
	switch {
	case pr.Merged:
		return &pr, true, nil
	case !pr.Open:
		return nil, false, fmt.Errorf("gitea: pull request #%d: %w", n, ErrClosed)
	case g.Draft || !g.Mergeable:
		return nil, false, nil
	}
	style := o.Method
	if style == "" {
		style = "merge"
	}
	if !giteaMergeStyles[style] {
		return nil, false, fmt.Errorf("%w: Gitea merge method %q", ErrUnsupported, o.Method)
	}
	ok, resp, err := c.MergePullRequest(p.owner, p.repo, n, gitea.MergePullRequestOption{
		Style: gitea.MergeStyle(style), HeadCommitId: o.HeadSHA,
	})
	if err := giteaErr(resp, err); err != nil {
		return nil, false, fmt.Errorf("merging pull request #%d: %w", n, err)
	}
	if !ok {
		return nil, false, fmt.Errorf("gitea: merge of pull request #%d refused (HTTP %d)", n, giteaStatus(resp))
	}
	merged, err := p.GetPullRequest(ctx, n)
	if err != nil {
		return nil, false, err
	}
	return merged, true, nil
}

func giteaStatus(r *gitea.Response) int {
	if r == nil || r.Response == nil {
		return 0
	}
	return r.StatusCode
}

func giteaPR(g *gitea.PullRequest) PullRequest {
	pr := PullRequest{
		Number:    g.Index,
		URL:       g.HTMLURL,
		Open:      g.State == gitea.StateOpen,
		Merged:    g.HasMerged,
		Draft:     g.Draft,
		CreatedAt: g.Created,
	}
	if g.HasMerged && g.MergedCommitID != nil {
		pr.MergeCommitSHA = *g.MergedCommitID
	}
	if g.Head != nil {
		pr.Head, pr.HeadSHA = g.Head.Ref, g.Head.Sha
	}
	if g.Base != nil {
		pr.Base = g.Base.Ref
	}
	return pr
}
