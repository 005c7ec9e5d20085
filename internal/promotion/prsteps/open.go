package prsteps

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/gitprovider"
	"github.com/railyard-dev/railyard/internal/promotion"
)

type openConfig struct {
	repoConfig
	SourceBranch string `json:"sourceBranch"`
	TargetBranch string `json:"targetBranch"`
	// CreateTargetBranch is deprecated in Kargo and a no-op there too.
	CreateTargetBranch bool     `json:"createTargetBranch,omitempty"`
	Title              string   `json:"title,omitempty"`
	Description        string   `json:"description,omitempty"`
	Labels             []string `json:"labels,omitempty"`
}

// OpenPR is the git-open-pr step. It opens a pull request from
// sourceBranch into targetBranch and outputs pr.id and pr.url.
//
// A pull request from the same branch into the same target, open or
// merged, whose head is the source branch's head, is adopted instead of
// opening another: a manager that crashed after opening one, or a
// Promotion run again, ends with exactly one. When the two branches hold
// the same files the step is Skipped, as in Kargo (there is nothing to
// review). Without a title, the first line of the source branch's head
// commit message is the title and the rest the description.
type OpenPR struct {
	stepDefaults
	opts Options
}

// Name implements promotion.Step.
func (*OpenPR) Name() string { return "git-open-pr" }

// DefaultTimeout implements promotion.Defaults.
func (*OpenPR) DefaultTimeout() time.Duration { return OpenTimeout }

// Run implements promotion.Step.
func (s *OpenPR) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg openConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	if err := cfg.validate(); err != nil {
		return failed(err)
	}
	for field, v := range map[string]string{"sourceBranch": cfg.SourceBranch, "targetBranch": cfg.TargetBranch} {
		if strings.TrimSpace(v) == "" {
			return failed(promotion.Terminalf("invalid config: field %q is required", field))
		}
	}
	conn, err := connect(ctx, sc, s.opts, cfg.repoConfig)
	if err != nil {
		return outcome(err, cfg.RepoURL, "git-open-pr")
	}
	refs, err := git.ListRefs(ctx, cfg.RepoURL, conn.git)
	if err != nil {
		return outcome(err, cfg.RepoURL, "listing the branches of "+git.RedactURL(cfg.RepoURL))
	}
	src, ok := refs.Branch(cfg.SourceBranch)
	if !ok {
		return failed(fmt.Errorf("source branch %q does not exist in %s", cfg.SourceBranch, git.RedactURL(cfg.RepoURL)))
	}
	dst, ok := refs.Branch(cfg.TargetBranch)
	if !ok {
		return failed(fmt.Errorf("target branch %q does not exist in %s", cfg.TargetBranch, git.RedactURL(cfg.RepoURL)))
	}

	// Adopt the pull request an earlier run opened for this very head.
	if pr, err := s.existing(ctx, conn.provider, cfg, src.ID); err != nil {
		return outcome(err, cfg.RepoURL, "looking for an existing pull request")
	} else if pr != nil {
		return opened(pr, "adopted the existing "+describe(pr, pr.Number, cfg.RepoURL))
	}

	head, same, err := compare(ctx, cfg.RepoURL, conn.git, cfg.SourceBranch, cfg.TargetBranch, src.ID, dst.ID)
	if err != nil {
		return outcome(err, cfg.RepoURL, "comparing "+cfg.SourceBranch+" with "+cfg.TargetBranch)
	}
	if same {
		return promotion.Result{
			Status: railyard.StepStatusSkipped,
			Message: fmt.Sprintf("branches %q and %q hold the same files; there is nothing to open a pull request for",
				cfg.SourceBranch, cfg.TargetBranch),
		}, nil
	}
	title, description := titleAndDescription(cfg.Title, cfg.Description, head)
	pr, created, err := gitprovider.OpenPullRequest(ctx, conn.provider, gitprovider.CreateOpts{
		Title: title, Description: description, Head: cfg.SourceBranch, Base: cfg.TargetBranch, Labels: cfg.Labels,
	})
	if err != nil && pr == nil {
		return outcome(err, cfg.RepoURL, "opening a pull request from "+cfg.SourceBranch+" into "+cfg.TargetBranch)
	}
	msg := "opened " + describe(pr, pr.Number, cfg.RepoURL)
	switch {
	case err != nil:
		// Opened, but adding labels failed: the pull request stands.
		msg += "; " + git.RedactIn(err.Error(), cfg.RepoURL)
	case !created:
		msg = "adopted the open " + describe(pr, pr.Number, cfg.RepoURL)
	}
	return opened(pr, msg)
}

// opened is the step's success with Kargo's outputs.
func opened(pr *gitprovider.PullRequest, msg string) (promotion.Result, error) {
	return promotion.Result{
		Status:  railyard.StepStatusSucceeded,
		Message: msg,
		Output:  map[string]any{"pr": map[string]any{"id": pr.Number, "url": pr.URL}},
	}, nil
}

// existing returns a pull request from the source into the target branch
// at headSHA that is open (preferred) or merged, the newest first.
func (s *OpenPR) existing(ctx context.Context, p gitprovider.Interface, cfg openConfig, headSHA string) (*gitprovider.PullRequest, error) {
	prs, err := p.ListPullRequests(ctx, gitprovider.ListOpts{
		Head: cfg.SourceBranch, Base: cfg.TargetBranch, State: gitprovider.StateAny,
	})
	if err != nil {
		return nil, err
	}
	var keep []gitprovider.PullRequest
	for _, pr := range prs {
		if (pr.Open || pr.Merged) && pr.HeadSHA == headSHA {
			keep = append(keep, pr)
		}
	}
	if len(keep) == 0 {
		return nil, nil
	}
	sort.SliceStable(keep, func(i, j int) bool {
		if keep[i].Open != keep[j].Open {
			return keep[i].Open
		}
		return keep[i].Number > keep[j].Number
	})
	return &keep[0], nil
}

// compare fetches the heads of both branches and reports whether they hold
// the same files, with the source head's commit.
func compare(ctx context.Context, repoURL string, creds git.Credentials, source, target, srcID, dstID string) (*object, bool, error) {
	srcH, err := git.FetchHistory(ctx, repoURL, creds, git.HistoryOptions{Branch: source})
	if err != nil {
		return nil, false, err
	}
	head, err := srcH.Commit(srcID)
	if err != nil {
		return nil, false, fmt.Errorf("reading the head of %s: %w", source, err)
	}
	obj := &object{message: head.Message}
	if srcID == dstID {
		return obj, true, nil
	}
	dstH, err := git.FetchHistory(ctx, repoURL, creds, git.HistoryOptions{Branch: target})
	if err != nil {
		return nil, false, err
	}
	base, err := dstH.Commit(dstID)
	if err != nil {
		if errors.Is(err, git.ErrNotFetched) {
			// The target moved between ls-remote and the fetch; compare
			// again on the next run.
			return nil, false, fmt.Errorf("the head of %s moved; will look again", target)
		}
		return nil, false, fmt.Errorf("reading the head of %s: %w", target, err)
	}
	return obj, head.Tree == base.Tree, nil
}

type object struct{ message string }

// titleAndDescription applies Kargo's defaults: without a title, the first
// line of the head commit's message is the title and, without a
// description, the rest of the message the description; with a title, the
// description defaults to the whole message.
func titleAndDescription(title, description string, head *object) (string, string) {
	msg := strings.TrimSpace(head.message)
	if title != "" {
		if description == "" {
			description = msg
		}
		return title, description
	}
	first, rest, _ := strings.Cut(msg, "\n")
	if description == "" {
		description = strings.TrimSpace(rest)
	}
	title = strings.TrimSpace(first)
	if title == "" {
		title = "Promotion"
	}
	return title, description
}
