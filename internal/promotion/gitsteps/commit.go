package gitsteps

import (
	"context"
	"errors"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
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

// CommitDiffLimit bounds the diff git-commit publishes: outputs live in the
// Promotion's status, which must stay well under etcd's object size.
const CommitDiffLimit = 16 << 10

// Commit is the git-commit step: it stages every change in a checkout and
// commits it, signed with author.signingKey or the key git-clone was given.
// An unchanged tree is Skipped, not an error. Output: commit (the new
// commit, or the current HEAD when nothing changed) and, a Railyard
// addition, diff: the commit's unified diff against the commit it sits on,
// cut at CommitDiffLimit bytes with git.TruncatedMarker, so a finished
// Promotion can show what it committed.
type Commit struct{}

// Name implements promotion.Step.
func (Commit) Name() string { return "git-commit" }

// Run implements promotion.Step.
func (Commit) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
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
	key, err := signingKey(c, cfg.Author)
	if err != nil {
		return errored(err)
	}
	sig, err := author(c, cfg.Author)
	if err != nil {
		return errored(err)
	}
	c.SetSigningKey(key)
	base, err := c.Head()
	if err != nil {
		return errored(err)
	}
	id, err := c.CommitAll(cfg.Message, sig)
	if errors.Is(err, git.ErrNothingToCommit) {
		head, err := c.Head()
		if err != nil {
			return errored(err)
		}
		return promotion.Result{
			Status:  railyard.StepStatusSkipped,
			Message: "nothing to commit",
			Output:  map[string]any{"commit": head},
		}, nil
	}
	if err != nil {
		return errored(err)
	}
	out := map[string]any{"commit": id}
	// The commit is made: a diff that cannot be read (a shallow clone
	// missing the base's tree) costs the page its diff, not the promotion.
	if d, err := c.DiffCommits(ctx, base, id, CommitDiffLimit); err == nil {
		out["diff"] = d.Patch
	} else {
		log.FromContext(ctx).Info("git-commit: no diff for the commit", "commit", id, "error", err.Error())
	}
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: out}, nil
}

// author picks the step's author, else the one git-clone stored, else the
// default, field by field. Its date is now.
func author(c *git.WorkTree, a *Author) (git.Signature, error) {
	settings, err := c.Settings()
	if err != nil {
		return git.Signature{}, err
	}
	stored := settings.Author
	sig := git.Signature{Name: defaultAuthorName, Email: defaultAuthorEmail, When: time.Now()}
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
