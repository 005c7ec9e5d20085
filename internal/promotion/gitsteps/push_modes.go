package gitsteps

import (
	"context"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// remoteAccess returns the checkout's origin and the credentials for it.
func (s *Push) remoteAccess(ctx context.Context, sc *promotion.StepContext, c *git.WorkTree) (string, git.Credentials, error) {
	repoURL, err := c.OriginURL()
	if err != nil {
		return "", git.Credentials{}, err
	}
	settings, err := c.Settings()
	if err != nil {
		return "", git.Credentials{}, err
	}
	creds, err := credentials(ctx, sc, s.opts, repoURL, settings.InsecureSkipTLSVerify)
	return repoURL, creds, err
}

// forcePush makes target hold exactly the checkout's HEAD, as `git push
// --force` does: whatever the branch held is dropped, so there is no
// replay and no retry loop. Pushing again is a no-op.
func (s *Push) forcePush(ctx context.Context, sc *promotion.StepContext, c *git.WorkTree, head string,
	target string, sameBranch bool) (_ string, err error) {
	repoURL, creds, err := s.remoteAccess(ctx, sc, c)
	if err != nil {
		return "", err
	}
	defer func() { err = scrubErr(err, repoURL) }()
	return head, pushHead(ctx, c, repoURL, creds, head, target, true, sameBranch)
}

// pushHead pushes the checkout's commit head, with its history, to branch
// target in one attempt. On the checkout's own branch, the push says it
// expects the branch where git-clone found it (the recorded base), which
// lets it skip the server's ref advertisement (git.RefUpdate's Expect).
func pushHead(ctx context.Context, c *git.WorkTree, repoURL string, creds git.Credentials, head string,
	target string, force, sameBranch bool) error {
	ref := "refs/heads/" + target
	var err error
	if sameBranch && !force {
		err = c.PushCommitFrom(ctx, repoURL, creds, head, ref, c.RecordedBase())
	} else {
		err = c.PushCommit(ctx, repoURL, creds, head, ref, force)
	}
	if err != nil {
		return err
	}
	if sameBranch {
		// Later pushes build on what the remote now holds.
		return c.RecordBase(head)
	}
	return nil
}

// pushTag pushes the checkout's tag cfg.Tag and the objects it needs. A
// tag of that name already on the remote is fine when it names the same
// commit (a resumed Promotion) and an error otherwise: tags are not moved.
func (s *Push) pushTag(ctx context.Context, sc *promotion.StepContext, c *git.WorkTree, cfg pushConfig) (promotion.Result, error) {
	tag, found, err := c.Tag(cfg.Tag)
	if err != nil {
		return errored(err)
	}
	if !found {
		return failed(promotion.Terminalf("field %q: the checkout at %q has no tag %q; create it with git-tag first",
			"tag", cfg.Path, cfg.Tag))
	}
	repoURL, creds, err := s.remoteAccess(ctx, sc, c)
	if err != nil {
		return errored(err)
	}
	if err := pushTagRef(ctx, c, repoURL, creds, cfg.Tag, tag.Commit); err != nil {
		res, err := errored(err)
		return scrubbed(res, err, repoURL)
	}
	return pushResult(c, cfg, tag.Commit, c.Branch())
}

func pushTagRef(ctx context.Context, c *git.WorkTree, repoURL string, creds git.Credentials, tag, commit string) error {
	refs, err := git.ListRefs(ctx, repoURL, creds)
	if err != nil {
		return err
	}
	if theirs, ok := refs.Tag(tag); ok {
		if theirs.ID == commit {
			return nil
		}
		return promotion.Terminalf("tag %q already exists on the remote and points at %s, not at %s; tags are never moved",
			tag, theirs.ID, commit)
	}
	return c.PushTag(ctx, repoURL, creds, tag)
}
