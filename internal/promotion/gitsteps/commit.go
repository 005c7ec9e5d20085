package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// Used when neither the step nor git-clone names an author.
const (
	defaultAuthorName  = "Railyard"
	defaultAuthorEmail = "no-reply@railyard.dev"
)

type commitConfig struct {
	Path    string  `json:"path"`
	Message string  `json:"message"`
	Author  *Author `json:"author,omitempty"`
}

// Commit is the git-commit step: it stages every change in a checkout and
// commits it, signed with author.signingKey or the key git-clone was given. An unchanged tree is Skipped, not an error. Output: commit
// (the new commit, or the current HEAD when nothing changed).
type Commit struct{}

// Name implements promotion.Step.
func (Commit) Name() string { return "git-commit" }

// Run implements promotion.Step.
func (Commit) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg commitConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	if strings.TrimSpace(cfg.Message) == "" {
		return failed(promotion.Terminalf("invalid config: field %q is required", "message"))
	}
	if cfg.Author != nil && cfg.Author.SigningKey != "" {
		if _, err := parseSigningKey("author.signingKey", cfg.Author.SigningKey); err != nil {
			return failed(err)
		}
	}
	c, err := openCheckout(sc, "path", cfg.Path)
	if err != nil {
		return errored(err)
	}
	key, err := c.signingKey(cfg.Author)
	if err != nil {
		return errored(err)
	}
	sig, err := c.author(cfg.Author)
	if err != nil {
		return errored(err)
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return errored(fmt.Errorf("open worktree: %w", err))
	}
	if err := wt.AddWithOptions(&gogit.AddOptions{All: true}); err != nil {
		return errored(fmt.Errorf("stage changes: %w", err))
	}
	h, err := wt.Commit(cfg.Message, &gogit.CommitOptions{Author: sig, Committer: sig, SignKey: key})
	if errors.Is(err, gogit.ErrEmptyCommit) {
		head, err := c.head()
		if err != nil {
			return errored(err)
		}
		out := ""
		if !head.IsZero() {
			out = head.String()
		}
		return promotion.Result{
			Status:  railyard.StepStatusSkipped,
			Message: "nothing to commit",
			Output:  map[string]any{"commit": out},
		}, nil
	}
	if err != nil {
		return errored(fmt.Errorf("commit: %w", err))
	}
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{"commit": h.String()}}, nil
}

// author picks the step's author, else the one git-clone stored, else the
// default, field by field.
func (c *checkout) author(a *Author) (*object.Signature, error) {
	_, stored, err := c.settings()
	if err != nil {
		return nil, err
	}
	sig := &object.Signature{Name: defaultAuthorName, Email: defaultAuthorEmail, When: time.Now()}
	for _, s := range []struct{ name, email string }{{stored.Name, stored.Email}, {authorName(a), authorEmail(a)}} {
		if s.name != "" {
			sig.Name = s.name
		}
		if s.email != "" {
			sig.Email = s.email
		}
	}
	return sig, nil
}

func authorName(a *Author) string {
	if a == nil {
		return ""
	}
	return a.Name
}

func authorEmail(a *Author) string {
	if a == nil {
		return ""
	}
	return a.Email
}
