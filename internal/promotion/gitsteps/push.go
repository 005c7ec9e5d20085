package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// GeneratedBranchPrefix starts the branch that generateTargetBranch pushes
// to, followed by the Promotion name (as Kargo does).
const GeneratedBranchPrefix = "kargo/promotion/"

type pushConfig struct {
	Path                 string `json:"path"`
	TargetBranch         string `json:"targetBranch,omitempty"`
	GenerateTargetBranch bool   `json:"generateTargetBranch,omitempty"`
	MaxAttempts          *int   `json:"maxAttempts,omitempty"`
	// Force overwrites the target branch with the checkout's history.
	Force bool `json:"force,omitempty"`
	// Tag pushes this tag of the checkout (see git-tag) instead of a branch.
	Tag string `json:"tag,omitempty"`
	// Provider only selects how the commitURL output is built.
	Provider string `json:"provider,omitempty"`
}

// Push is the git-push step. It pushes the checkout's changes since
// git-clone (or the last push) to its branch, targetBranch, or a branch
// generated from the Promotion name. Someone else's push in between is
// handled by replaying on their head, up to maxAttempts times; local tags
// on the replayed commit follow it. A push that already happened is not
// repeated. With force (and for a generated branch, as in Kargo), the
// checkout's history replaces the branch's as is, with no replay. A new
// branch starts from the checkout's history. With tag, only that tag (and the objects it needs)
// is pushed, as Kargo does. Output: commit (the remote head that holds our
// change, or the tagged commit), branch, and commitURL when the provider
// is known or inferable from the host.
//
// An existing branch is cloned afresh into a scratch directory, because the
// git layer replays only in a work tree it cloned itself: the checkout's
// commits go there as they are when they descend from the branch head, and
// are otherwise transplanted as one commit (signed again with git-clone's
// key, if any); the checkout is then moved to the pushed commit.
type Push struct {
	networkDefaults
	opts Options
}

// Name implements promotion.Step.
func (*Push) Name() string { return "git-push" }

// Run implements promotion.Step.
func (s *Push) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg pushConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	if err := validatePush(cfg); err != nil {
		return failed(err)
	}
	c, err := openCheckout(sc, "path", cfg.Path)
	if err != nil {
		return errored(err)
	}
	if cfg.Tag != "" {
		return s.pushTag(ctx, sc, c, cfg)
	}
	current, err := c.branch()
	if err != nil {
		return errored(err)
	}
	target := current
	switch {
	case cfg.TargetBranch != "":
		target = cfg.TargetBranch
	case cfg.GenerateTargetBranch:
		target = GeneratedBranchPrefix + sc.Promotion
	}
	if target == "" {
		return failed(promotion.Terminalf("the checkout at %q is not on a branch; set targetBranch or generateTargetBranch", cfg.Path))
	}
	if err := plumbing.NewBranchReferenceName(target).Validate(); err != nil {
		// Only a generated name can get here, from an odd Promotion name.
		return failed(promotion.Terminalf("invalid target branch %q: %w", target, err))
	}
	head, err := c.head()
	if err != nil {
		return errored(err)
	}
	if head.IsZero() {
		return failed(promotion.Terminalf("nothing to push: branch %q of the checkout at %q has no commits", current, cfg.Path))
	}
	attempts := git.DefaultPushAttempts
	if cfg.MaxAttempts != nil {
		attempts = *cfg.MaxAttempts
	}
	var pushed plumbing.Hash
	// Kargo force-pushes a generated branch: its name is the Promotion's,
	// so only an earlier run of this Promotion can have pushed it.
	if cfg.Force || cfg.GenerateTargetBranch {
		pushed, err = s.forcePush(ctx, sc, c, head, target, current == target)
	} else {
		pushed, err = s.push(ctx, sc, c, head, target, current == target, attempts)
	}
	if err != nil {
		return errored(err)
	}
	return pushResult(c, cfg, pushed, target)
}

// pushResult is the step's success with Kargo's outputs.
func pushResult(c *checkout, cfg pushConfig, commit plumbing.Hash, branch string) (promotion.Result, error) {
	out := map[string]any{"commit": commit.String()}
	if branch != "" {
		out["branch"] = branch
	}
	if repoURL, err := c.originURL(); err == nil {
		if u := commitURL(repoURL, cfg.Provider, commit.String()); u != "" {
			out["commitURL"] = u
		}
	}
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: out}, nil
}

func validatePush(cfg pushConfig) error {
	switch {
	case cfg.TargetBranch != "" && cfg.GenerateTargetBranch:
		return promotion.Terminalf("invalid config: fields %q and %q are mutually exclusive", "targetBranch", "generateTargetBranch")
	case cfg.Tag != "" && (cfg.TargetBranch != "" || cfg.GenerateTargetBranch || cfg.Force):
		return promotion.Terminalf("invalid config: field %q is mutually exclusive with %q, %q and %q",
			"tag", "targetBranch", "generateTargetBranch", "force")
	case cfg.Tag != "" && (plumbing.NewTagReferenceName(cfg.Tag).Validate() != nil || strings.HasPrefix(cfg.Tag, "-")):
		return promotion.Terminalf("invalid config: field %q: %q is not a valid tag name", "tag", cfg.Tag)
	case cfg.Provider != "" && !slices.Contains(providers, cfg.Provider):
		return promotion.Terminalf("invalid config: field %q: %q is not one of %s", "provider", cfg.Provider,
			strings.Join(providers, ", "))
	case cfg.MaxAttempts != nil && *cfg.MaxAttempts < 1:
		return promotion.Terminalf("invalid config: field %q must be at least 1", "maxAttempts")
	case cfg.TargetBranch != "" && plumbing.NewBranchReferenceName(cfg.TargetBranch).Validate() != nil:
		return promotion.Terminalf("invalid config: field %q: %q is not a valid branch name", "targetBranch", cfg.TargetBranch)
	}
	return nil
}

// push lands the checkout's changes on target and returns the remote head
// that holds them. sameBranch says the checkout is on target, so its
// branch follows the pushed commit.
func (s *Push) push(ctx context.Context, sc *promotion.StepContext, c *checkout, head plumbing.Hash,
	target string, sameBranch bool, attempts int) (_ plumbing.Hash, err error) {
	repoURL, err := c.originURL()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer func() { err = scrubErr(err, repoURL) }()
	insecure, _, err := c.settings()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	creds, err := credentials(ctx, sc, s.opts, repoURL, insecure)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if sameBranch {
		// The common case: nobody moved the branch since git-clone, so the
		// checkout's commits go straight up. Only when the server refuses
		// a non-fast-forward is the remote head cloned and replayed onto.
		err := pushHead(ctx, c, repoURL, creds, head, target, false, true)
		if err == nil {
			s.opts.learn(ctx, repoURL, creds, c.dir, target, head.String())
		}
		if !errors.Is(err, git.ErrNonFastForward) {
			return head, err
		}
	}
	scratch, err := os.MkdirTemp(sc.WorkDir, ".git-push-")
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("create scratch directory: %w", err)
	}
	defer os.RemoveAll(scratch)
	wt, err := s.opts.clone(ctx, repoURL, creds, git.CloneOptions{Dir: scratch, Branch: target, OrphanIfMissing: true})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	remoteID, err := wt.Head()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	remote := hashOf(remoteID)
	if remote.IsZero() {
		// A new branch starts from the checkout's history, as `git push
		// origin HEAD:<target>` would. Someone creating it meanwhile makes
		// this attempt fail, and the next one replays onto theirs.
		return head, pushHead(ctx, c, repoURL, creds, head, target, false, sameBranch)
	}
	dst, err := reopen(scratch)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	key, err := c.signingKey(nil)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	wt.SetSigningKey(key)
	pushed, err := transplantAndPush(ctx, c, dst, wt, head, remote, attempts)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	// Open the scratch clone again: go-git caches the pack list, and the
	// push may have fetched new packs.
	if dst, err = reopen(scratch); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := c.advance(dst, pushed, target, sameBranch); err != nil {
		return plumbing.ZeroHash, err
	}
	return pushed, c.retag(head, pushed, key)
}

// transplantAndPush brings the checkout's changes onto the scratch clone of
// the existing branch (remote is its head) and pushes them, unless the
// remote already has them.
func transplantAndPush(ctx context.Context, c, dst *checkout, wt *git.WorkTree, head, remote plumbing.Hash,
	attempts int) (plumbing.Hash, error) {
	if !remote.IsZero() && contains(dst.repo, head, remote) {
		return remote, nil
	}
	if !remote.IsZero() && contains(c.repo, remote, head) {
		// The checkout descends from the remote head: push its commits as
		// they are, signatures and all, rather than a squashed copy.
		if err := copyHistory(dst.repo, c.repo, head); err != nil {
			return plumbing.ZeroHash, err
		}
		if err := wt.FastForward(head.String()); err != nil {
			return plumbing.ZeroHash, err
		}
		res, err := wt.Push(ctx, git.PushOptions{MaxAttempts: attempts})
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return hashOf(res.Commit), nil
	}
	// Only what the checkout changed since its base.
	if _, err := transplant(c, dst, c.base(), head, remote); err != nil {
		return plumbing.ZeroHash, err
	}
	last, err := c.repo.CommitObject(head)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", head, err)
	}
	// Keeping the author and date makes the commit identical to the
	// checkout's when the remote has not moved.
	_, err = wt.CommitAll(last.Message, git.Signature{Name: last.Author.Name, Email: last.Author.Email, When: last.Author.When})
	if errors.Is(err, git.ErrNothingToCommit) {
		return remote, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	res, err := wt.Push(ctx, git.PushOptions{MaxAttempts: attempts})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return hashOf(res.Commit), nil
}

// advance records pushed as the checkout's new base and, when the checkout
// is on the pushed branch, moves the branch and work tree to it.
func (c *checkout) advance(src *checkout, pushed plumbing.Hash, target string, sameBranch bool) error {
	if err := copyHistory(c.repo, src.repo, pushed); err != nil {
		return err
	}
	if !sameBranch {
		return nil
	}
	if err := c.setBase(pushed); err != nil {
		return err
	}
	ref := plumbing.NewBranchReferenceName(target)
	if err := c.repo.Storer.SetReference(plumbing.NewHashReference(ref, pushed)); err != nil {
		return fmt.Errorf("move %s to pushed commit: %w", target, err)
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return fmt.Errorf("open worktree: %w", err)
	}
	if err := wt.Reset(&gogit.ResetOptions{Commit: pushed, Mode: gogit.HardReset}); err != nil {
		return fmt.Errorf("reset checkout to pushed commit: %w", err)
	}
	return nil
}
