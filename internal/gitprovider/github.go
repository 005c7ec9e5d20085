package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v84/github"
)

// githubProvider drives GitHub and GitHub Enterprise with go-github.
type githubProvider struct {
	owner, repo string
	client      *github.Client
}

// githubAPIRoot is the REST root, ending in "/": api.github.com for
// github.com, <base>/api/v3/ for GitHub Enterprise Server.
func githubAPIRoot(ref repoRef, opts Options) string {
	switch {
	case opts.APIURL != "":
		return strings.TrimSuffix(opts.APIURL, "/") + "/"
	case strings.EqualFold(ref.hostname(), "github.com"):
		return "https://api.github.com/"
	case strings.HasSuffix(strings.ToLower(ref.hostname()), ".ghe.com"):
		return "https://api." + ref.host + "/" // GitHub Enterprise Cloud with data residency
	}
	return ref.base() + "/api/v3/"
}

func newGitHub(ref repoRef, opts Options) (Interface, error) {
	owner, repo, err := ref.ownerRepo(GitHub)
	if err != nil {
		return nil, err
	}
	hc := apiClient(GitHub, opts)
	if opts.GitHubApp != nil {
		src, err := NewAppTokenSource(ref.base()+"/"+owner+"/"+repo, opts.GitHubApp, opts)
		if err != nil {
			return nil, err
		}
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		hc.Transport = &appTransport{base: base, src: src}
	}
	c := github.NewClient(hc)
	if opts.GitHubApp == nil && opts.Token != "" {
		c = c.WithAuthToken(opts.Token)
	}
	root, err := url.Parse(githubAPIRoot(ref, opts))
	if err != nil {
		return nil, fmt.Errorf("%w: GitHub API URL: %w", ErrUnsupported, err)
	}
	c.BaseURL = root
	return &githubProvider{owner: owner, repo: repo, client: c}, nil
}

// githubErr classifies a go-github error.
func githubErr(err error) error {
	if err == nil {
		return nil
	}
	if rl := asRateLimited(err); rl != nil {
		return rl
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		wait := positive(time.Until(rl.Rate.Reset.Time))
		return &RateLimitedError{Provider: GitHub, StatusCode: statusOf(rl.Response), RetryAfter: wait}
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		wait := DefaultRetryAfter
		if abuse.RetryAfter != nil {
			wait = positive(*abuse.RetryAfter)
		}
		return &RateLimitedError{Provider: GitHub, StatusCode: statusOf(abuse.Response), RetryAfter: wait}
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		msg := er.Message
		for _, e := range er.Errors {
			if e.Message != "" {
				msg += "; " + e.Message
			}
		}
		return apiError(GitHub, er.Response, msg)
	}
	if na := notAPI(GitHub, err); na != nil {
		return na
	}
	return fmt.Errorf("github: %w", err)
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func (p *githubProvider) CreatePullRequest(ctx context.Context, o CreateOpts) (*PullRequest, error) {
	gpr, _, err := p.client.PullRequests.Create(ctx, p.owner, p.repo, &github.NewPullRequest{
		Title:               github.Ptr(o.Title),
		Body:                github.Ptr(o.Description),
		Head:                github.Ptr(o.Head),
		Base:                github.Ptr(o.Base),
		Draft:               github.Ptr(o.Draft),
		MaintainerCanModify: github.Ptr(false),
	})
	if err != nil {
		return nil, githubErr(err)
	}
	pr := githubPR(gpr)
	if len(o.Labels) > 0 {
		if _, _, err := p.client.Issues.AddLabelsToIssue(ctx, p.owner, p.repo, int(pr.Number), o.Labels); err != nil {
			return &pr, fmt.Errorf("labelling pull request #%d: %w", pr.Number, githubErr(err))
		}
	}
	return &pr, nil
}

func (p *githubProvider) GetPullRequest(ctx context.Context, n int64) (*PullRequest, error) {
	gpr, _, err := p.client.PullRequests.Get(ctx, p.owner, p.repo, int(n))
	if err != nil {
		return nil, githubErr(err)
	}
	pr := githubPR(gpr)
	return &pr, nil
}

func (p *githubProvider) ListPullRequests(ctx context.Context, o ListOpts) ([]PullRequest, error) {
	lo := &github.PullRequestListOptions{Base: o.Base, ListOptions: github.ListOptions{PerPage: 100}}
	if o.Head != "" {
		// GitHub filters on head only in the user:branch form; a bare
		// branch name is silently ignored.
		lo.Head = o.Head
		if !strings.Contains(o.Head, ":") {
			lo.Head = p.owner + ":" + o.Head
		}
	}
	switch o.State {
	case StateOpen, "":
		lo.State = "open"
	case StateClosed:
		lo.State = "closed"
	case StateAny:
		lo.State = "all"
	default:
		return nil, fmt.Errorf("%w: pull request state %q", ErrUnsupported, o.State)
	}
	var out []PullRequest
	for {
		page, resp, err := p.client.PullRequests.List(ctx, p.owner, p.repo, lo)
		if err != nil {
			return nil, githubErr(err)
		}
		for _, g := range page {
			if pr := githubPR(g); (o.HeadSHA == "" || pr.HeadSHA == o.HeadSHA) && (o.Base == "" || pr.Base == o.Base) {
				out = append(out, pr)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return out, nil
		}
		lo.Page = resp.NextPage
	}
}

func (p *githubProvider) MergePullRequest(ctx context.Context, n int64, o MergeOpts) (*PullRequest, bool, error) {
	gpr, _, err := p.client.PullRequests.Get(ctx, p.owner, p.repo, int(n))
	if err != nil {
		return nil, false, githubErr(err)
	}
	pr := githubPR(gpr)
	switch {
	case pr.Merged:
		return &pr, true, nil
	case !pr.Open:
		return nil, false, fmt.Errorf("github: pull request #%d: %w", n, ErrClosed)
	}
	switch o.Method {
	case "", "merge", "squash", "rebase":
	default:
		return nil, false, fmt.Errorf("%w: GitHub merge method %q (want merge, squash or rebase)", ErrUnsupported, o.Method)
	}
	// mergeable_state tells a conflict (never clears) from conditions that
	// may (checks pending, mergeability still being computed, draft).
	blocked := false
	switch gpr.GetMergeableState() {
	case "clean", "unstable", "has_hooks":
	case "dirty":
		return nil, false, fmt.Errorf("github: pull request #%d has conflicts", n)
	case "blocked", "behind":
		// Branch protection may still let this token through (bypass
		// actor): try, and read a refusal as "not ready".
		blocked = true
	case "draft", "unknown":
		return nil, false, nil
	default:
		if gpr.GetDraft() || !gpr.GetMergeable() {
			return nil, false, nil
		}
	}
	res, _, err := p.client.PullRequests.Merge(ctx, p.owner, p.repo, int(n), "",
		&github.PullRequestOptions{MergeMethod: o.Method, SHA: o.HeadSHA})
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusMethodNotAllowed &&
			githubMergeMayClear(er.Message, blocked) {
			return nil, false, nil
		}
		return nil, false, githubErr(err)
	}
	if !res.GetMerged() {
		return nil, false, fmt.Errorf("github: merge of pull request #%d refused: %s", n, shorten(res.GetMessage()))
	}
	merged, err := p.GetPullRequest(ctx, n)
	if err != nil {
		return nil, false, err
	}
	if merged.MergeCommitSHA == "" {
		merged.MergeCommitSHA = res.GetSHA()
	}
	merged.Merged, merged.Open = true, false
	return merged, true, nil
}

// githubMergeMayClear reads GitHub's 405 message: a disallowed merge method
// never clears, a moved base or a stale "not mergeable" may; anything else
// may only when branch protection was blocking.
func githubMergeMayClear(msg string, blocked bool) bool {
	switch {
	case strings.Contains(msg, "not allowed"):
		return false
	case strings.Contains(msg, "Base branch was modified"), strings.Contains(msg, "Pull Request is not mergeable"):
		return true
	}
	return blocked
}

func githubPR(g *github.PullRequest) PullRequest {
	pr := PullRequest{
		Number:         int64(g.GetNumber()),
		URL:            g.GetHTMLURL(),
		Open:           g.GetState() == "open",
		Merged:         g.MergedAt != nil || g.GetMerged(),
		MergeCommitSHA: g.GetMergeCommitSHA(),
		HeadSHA:        g.GetHead().GetSHA(),
		Head:           g.GetHead().GetRef(),
		Base:           g.GetBase().GetRef(),
		Draft:          g.GetDraft(),
	}
	if g.CreatedAt != nil {
		t := g.CreatedAt.Time
		pr.CreatedAt = &t
	}
	if !pr.Merged {
		// GitHub fills merge_commit_sha with a test merge while open.
		pr.MergeCommitSHA = ""
	}
	return pr
}
