package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

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
	current := c.Branch()
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
	if err := git.ValidBranchName(target); err != nil {
		// Only a generated name can get here, from an odd Promotion name.
		return failed(promotion.Terminalf("invalid target branch %q: %w", target, err))
	}
	head, err := c.Head()
	if err != nil {
		return errored(err)
	}
	if head == "" {
		return failed(promotion.Terminalf("nothing to push: branch %q of the checkout at %q has no commits", current, cfg.Path))
	}
	attempts := git.DefaultPushAttempts
	if cfg.MaxAttempts != nil {
		attempts = *cfg.MaxAttempts
	}
	var pushed string
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
func pushResult(c *git.WorkTree, cfg pushConfig, commit, branch string) (promotion.Result, error) {
	out := map[string]any{"commit": commit}
	if branch != "" {
		out["branch"] = branch
	}
	if repoURL, err := c.OriginURL(); err == nil {
		if u := commitURL(repoURL, cfg.Provider, commit); u != "" {
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
	case cfg.Tag != "" && (git.ValidTagName(cfg.Tag) != nil || strings.HasPrefix(cfg.Tag, "-")):
		return promotion.Terminalf("invalid config: field %q: %q is not a valid tag name", "tag", cfg.Tag)
	case cfg.Provider != "" && !slices.Contains(providers, cfg.Provider):
		return promotion.Terminalf("invalid config: field %q: %q is not one of %s", "provider", cfg.Provider,
			strings.Join(providers, ", "))
	case cfg.MaxAttempts != nil && *cfg.MaxAttempts < 1:
		return promotion.Terminalf("invalid config: field %q must be at least 1", "maxAttempts")
	case cfg.TargetBranch != "" && git.ValidBranchName(cfg.TargetBranch) != nil:
		return promotion.Terminalf("invalid config: field %q: %q is not a valid branch name", "targetBranch", cfg.TargetBranch)
	}
	return nil
}

// push lands the checkout's changes on target and returns the remote head
// that holds them. sameBranch says the checkout is on target, so its
// branch follows the pushed commit.
func (s *Push) push(ctx context.Context, sc *promotion.StepContext, c *git.WorkTree, head string,
	target string, sameBranch bool, attempts int) (_ string, err error) {
	repoURL, creds, err := s.remoteAccess(ctx, sc, c)
	if repoURL != "" {
		defer func() { err = scrubErr(err, repoURL) }()
	}
	if err != nil {
		return "", err
	}
	if sameBranch {
		// The common case: nobody moved the branch since git-clone, so the
		// checkout's commits go straight up. Only when the server refuses
		// a non-fast-forward is the remote head cloned and replayed onto.
		err := pushHead(ctx, c, repoURL, creds, head, target, false, true)
		if err == nil {
			s.opts.learn(ctx, repoURL, creds, c.Dir(), target, head)
		}
		if !errors.Is(err, git.ErrNonFastForward) {
			return head, err
		}
	}
	scratch, err := os.MkdirTemp(sc.WorkDir, ".git-push-")
	if err != nil {
		return "", fmt.Errorf("create scratch directory: %w", err)
	}
	defer os.RemoveAll(scratch)
	wt, err := s.opts.clone(ctx, repoURL, creds, git.CloneOptions{Dir: scratch, Branch: target, OrphanIfMissing: true})
	if err != nil {
		return "", err
	}
	remote, err := wt.Head()
	if err != nil {
		return "", err
	}
	if remote == "" {
		// A new branch starts from the checkout's history, as `git push
		// origin HEAD:<target>` would. Someone creating it meanwhile makes
		// this attempt fail, and the next one replays onto theirs.
		return head, pushHead(ctx, c, repoURL, creds, head, target, false, sameBranch)
	}
	key, err := signingKey(c, nil)
	if err != nil {
		return "", err
	}
	wt.SetSigningKey(key)
	pushed, err := transplantAndPush(ctx, c, wt, head, remote, attempts)
	if err != nil {
		return "", err
	}
	// Open the scratch clone again: go-git caches the pack list, and the
	// push may have fetched new packs.
	dst, err := git.Open(scratch)
	if err != nil {
		return "", err
	}
	if err := advance(c, dst, pushed, sameBranch); err != nil {
		return "", err
	}
	c.SetSigningKey(key)
	return pushed, c.MoveTags(head, pushed)
}

// transplantAndPush brings the checkout's changes onto wt, the scratch
// clone of the existing branch (remote is its head), and pushes them,
// unless the remote already has them.
func transplantAndPush(ctx context.Context, c, wt *git.WorkTree, head, remote string, attempts int) (string, error) {
	if wt.Contains(remote, head) {
		return remote, nil
	}
	if c.Contains(head, remote) {
		// The checkout descends from the remote head: push its commits as
		// they are, signatures and all, rather than a squashed copy.
		if err := wt.CopyHistoryFrom(c, head); err != nil {
			return "", err
		}
		if err := wt.ResetTo(head); err != nil {
			return "", err
		}
		res, err := wt.Push(ctx, git.PushOptions{MaxAttempts: attempts})
		if err != nil {
			return "", err
		}
		return res.Commit, nil
	}
	// Only what the checkout changed since its base, as one commit that
	// keeps the last commit's message, author and date (identical to the
	// checkout's when the remote has not moved).
	id, err := wt.Transplant(c, c.RecordedBase(), head)
	if err != nil {
		return "", err
	}
	if id == remote {
		return remote, nil
	}
	res, err := wt.Push(ctx, git.PushOptions{MaxAttempts: attempts})
	if err != nil {
		return "", err
	}
	return res.Commit, nil
}

// advance copies pushed from src into the checkout and, when the checkout
// is on the pushed branch, records it as the new base and moves the branch
// and work tree to it.
func advance(c, src *git.WorkTree, pushed string, sameBranch bool) error {
	if err := c.CopyHistoryFrom(src, pushed); err != nil {
		return err
	}
	if !sameBranch {
		return nil
	}
	if err := c.RecordBase(pushed); err != nil {
		return err
	}
	return c.ResetTo(pushed)
}
