package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// gitlabProvider drives gitlab.com and self-managed GitLab with client-go.
// Merge requests are addressed by iid.
type gitlabProvider struct {
	project string // full path, subgroups included
	mrs     gitlab.MergeRequestsServiceInterface
}

func newGitLab(ref repoRef, opts Options) (Interface, error) {
	if len(ref.path) < 2 {
		return nil, fmt.Errorf("%w: GitLab repository URLs have the form %s/<group>/<project>", ErrUnsupported, ref.base())
	}
	base := ref.base() + "/api/v4"
	if opts.APIURL != "" {
		base = opts.APIURL
	}
	// No retries: the library would otherwise sleep through 429s itself;
	// callers get a RateLimitedError and back off instead.
	c, err := gitlab.NewClient(opts.Token,
		gitlab.WithBaseURL(base),
		gitlab.WithHTTPClient(apiClient(GitLab, opts)),
		gitlab.WithoutRetries(),
	)
	if err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	return &gitlabProvider{project: strings.Join(ref.path, "/"), mrs: c.MergeRequests}, nil
}

func gitlabErr(err error) error {
	if err == nil {
		return nil
	}
	if rl := asRateLimited(err); rl != nil {
		return rl
	}
	var er *gitlab.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return apiError(GitLab, er.Response, er.Message)
	}
	if errors.Is(err, gitlab.ErrNotFound) { // returned for every 404
		return &APIError{Provider: GitLab, StatusCode: http.StatusNotFound}
	}
	if na := notAPI(GitLab, err); na != nil {
		return na
	}
	return fmt.Errorf("gitlab: %w", err)
}

func (p *gitlabProvider) CreatePullRequest(ctx context.Context, o CreateOpts) (*PullRequest, error) {
	title := o.Title
	if o.Draft && !strings.HasPrefix(strings.ToLower(title), "draft:") {
		title = "Draft: " + title // GitLab marks drafts by title prefix
	}
	opt := &gitlab.CreateMergeRequestOptions{
		Title:        &title,
		Description:  &o.Description,
		SourceBranch: &o.Head,
		TargetBranch: &o.Base,
	}
	if len(o.Labels) > 0 {
		l := gitlab.LabelOptions(o.Labels)
		opt.Labels = &l
	}
	mr, _, err := p.mrs.CreateMergeRequest(p.project, opt, gitlab.WithContext(ctx))
	if err != nil {
		return nil, gitlabErr(err)
	}
	pr := gitlabPR(&mr.BasicMergeRequest)
	return &pr, nil
}

func (p *gitlabProvider) GetPullRequest(ctx context.Context, n int64) (*PullRequest, error) {
	mr, _, err := p.mrs.GetMergeRequest(p.project, n, nil, gitlab.WithContext(ctx))
	if err != nil {
		return nil, gitlabErr(err)
	}
	pr := gitlabPR(&mr.BasicMergeRequest)
	return &pr, nil
}

func (p *gitlabProvider) ListPullRequests(ctx context.Context, o ListOpts) ([]PullRequest, error) {
	lo := &gitlab.ListProjectMergeRequestsOptions{ListOptions: gitlab.ListOptions{PerPage: 100}}
	if o.Head != "" {
		lo.SourceBranch = &o.Head
	}
	if o.Base != "" {
		lo.TargetBranch = &o.Base
	}
	switch o.State {
	case StateOpen, "":
		lo.State = gitlab.Ptr("opened")
	case StateClosed, StateAny:
		// GitLab's "closed" excludes merged; filter locally instead.
	default:
		return nil, fmt.Errorf("%w: pull request state %q", ErrUnsupported, o.State)
	}
	var out []PullRequest
	for {
		page, resp, err := p.mrs.ListProjectMergeRequests(p.project, lo, gitlab.WithContext(ctx))
		if err != nil {
			return nil, gitlabErr(err)
		}
		for _, mr := range page {
			if pr := gitlabPR(mr); o.keep(pr) {
				out = append(out, pr)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return out, nil
		}
		lo.Page = resp.NextPage
	}
}

func (p *gitlabProvider) MergePullRequest(ctx context.Context, n int64, o MergeOpts) (*PullRequest, bool, error) {
	mr, _, err := p.mrs.GetMergeRequest(p.project, n, nil, gitlab.WithContext(ctx))
	if err != nil {
		return nil, false, gitlabErr(err)
	}
	pr := gitlabPR(&mr.BasicMergeRequest)
	switch {
	case pr.Merged:
		return &pr, true, nil
	case !pr.Open:
		return nil, false, fmt.Errorf("gitlab: merge request !%d: %w", n, ErrClosed)
	case mr.DetailedMergeStatus == "conflict":
		return nil, false, fmt.Errorf("gitlab: merge request !%d has conflicts", n)
	case mr.Draft || mr.DetailedMergeStatus != "mergeable":
		return nil, false, nil // checks, approvals, mergeability still pending
	}
	// The accept endpoint knows a merge commit (default) or a squash.
	opt := &gitlab.AcceptMergeRequestOptions{}
	switch o.Method {
	case "", "merge":
	case "squash":
		opt.Squash = gitlab.Ptr(true)
	default:
		return nil, false, fmt.Errorf("%w: GitLab merge method %q (want merge or squash)", ErrUnsupported, o.Method)
	}
	if o.HeadSHA != "" {
		opt.SHA = &o.HeadSHA
	}
	done, _, err := p.mrs.AcceptMergeRequest(p.project, n, opt, gitlab.WithContext(ctx))
	if err != nil {
		return nil, false, gitlabErr(err)
	}
	merged := gitlabPR(&done.BasicMergeRequest)
	if !merged.Merged {
		// Accepted but not merged synchronously (e.g. merge trains).
		return nil, false, nil
	}
	return &merged, true, nil
}

func gitlabPR(mr *gitlab.BasicMergeRequest) PullRequest {
	pr := PullRequest{
		Number:         mr.IID,
		URL:            mr.WebURL,
		Open:           mr.State == "opened" || mr.State == "locked",
		Merged:         mr.State == "merged",
		MergeCommitSHA: mr.MergeCommitSHA,
		HeadSHA:        mr.SHA,
		Head:           mr.SourceBranch,
		Base:           mr.TargetBranch,
		Draft:          mr.Draft,
		CreatedAt:      mr.CreatedAt,
	}
	if pr.Merged && pr.MergeCommitSHA == "" {
		// Fast-forward merge: the squash commit, or the head itself.
		pr.MergeCommitSHA = mr.SquashCommitSHA
		if pr.MergeCommitSHA == "" {
			pr.MergeCommitSHA = mr.SHA
		}
	}
	return pr
}
