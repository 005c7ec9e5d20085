package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v84/github"
)

// GitHubGit is GitHub's Git Data API for one repository: what the
// github-push step needs to create commits through the API, so that GitHub
// attributes and signs them, and to move branches.
type GitHubGit struct {
	owner, repo string
	client      *github.Client
}

// NewGitHubGit returns the Git Data API of a GitHub or GitHub Enterprise
// repository, authenticated as New would for provider github (a token or
// GitHub App credentials in opts).
func NewGitHubGit(repoURL string, opts Options) (*GitHubGit, error) {
	ref, err := parseRepoURL(repoURL)
	if err != nil {
		return nil, err
	}
	p, err := newGitHub(ref, opts)
	if err != nil {
		return nil, err
	}
	gp := p.(*githubProvider)
	return &GitHubGit{owner: gp.owner, repo: gp.repo, client: gp.client}, nil
}

// CommitIdentity is a commit's author or committer.
type CommitIdentity struct {
	Name, Email string
	When        time.Time
}

// NewCommit describes a commit to create from a tree that already exists
// in the repository.
type NewCommit struct {
	Message string
	Tree    string
	Parents []string
	// Author and Committer, when nil, are left to GitHub: it attributes the
	// commit to the authenticated user or App and signs it (verified).
	Author, Committer *CommitIdentity
}

// BranchHead returns the commit branch points at, or "" when it does not
// exist.
func (g *GitHubGit) BranchHead(ctx context.Context, branch string) (string, error) {
	ref, _, err := g.client.Git.GetRef(ctx, g.owner, g.repo, "heads/"+branch)
	if err != nil {
		err = githubErr(err)
		if errors.Is(err, ErrNotFound) {
			return "", nil
		}
		return "", fmt.Errorf("reading branch %s: %w", branch, err)
	}
	return ref.GetObject().GetSHA(), nil
}

// CreateCommit creates a commit and returns its id.
func (g *GitHubGit) CreateCommit(ctx context.Context, c NewCommit) (string, error) {
	in := github.Commit{Message: github.Ptr(c.Message), Tree: &github.Tree{SHA: github.Ptr(c.Tree)}}
	for _, p := range c.Parents {
		in.Parents = append(in.Parents, &github.Commit{SHA: github.Ptr(p)})
	}
	ident := func(i *CommitIdentity) *github.CommitAuthor {
		if i == nil {
			return nil
		}
		return &github.CommitAuthor{Name: github.Ptr(i.Name), Email: github.Ptr(i.Email), Date: &github.Timestamp{Time: i.When}}
	}
	in.Author, in.Committer = ident(c.Author), ident(c.Committer)
	out, _, err := g.client.Git.CreateCommit(ctx, g.owner, g.repo, in, nil)
	if err != nil {
		return "", fmt.Errorf("creating a commit: %w", githubErr(err))
	}
	return out.GetSHA(), nil
}

// SetBranch points branch at sha, creating the branch when it does not
// exist. Without force, GitHub refuses anything but a fast-forward with
// an error wrapping ErrConflict.
func (g *GitHubGit) SetBranch(ctx context.Context, branch, sha string, force, exists bool) error {
	if !exists {
		_, _, err := g.client.Git.CreateRef(ctx, g.owner, g.repo, github.CreateRef{Ref: "refs/heads/" + branch, SHA: sha})
		if err != nil {
			return fmt.Errorf("creating branch %s: %w", branch, githubErr(err))
		}
		return nil
	}
	_, _, err := g.client.Git.UpdateRef(ctx, g.owner, g.repo, "heads/"+branch, github.UpdateRef{SHA: sha, Force: github.Ptr(force)})
	if err != nil {
		return fmt.Errorf("updating branch %s: %w", branch, githubErr(err))
	}
	return nil
}

// DeleteRef deletes a ref (full name, refs/...); a missing ref is not an
// error.
func (g *GitHubGit) DeleteRef(ctx context.Context, ref string) error {
	_, err := g.client.Git.DeleteRef(ctx, g.owner, g.repo, strings.TrimPrefix(ref, "refs/"))
	if err = githubErr(err); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("deleting %s: %w", ref, err)
	}
	return nil
}
