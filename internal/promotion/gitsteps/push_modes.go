package gitsteps

import (
	"context"
	"errors"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// pushRef is the scratch ref a force push sends from, so a detached
// checkout can be pushed too.
const pushRef = plumbing.ReferenceName("refs/railyard/push")

// remoteAccess returns the checkout's origin and the credentials for it.
func (s *Push) remoteAccess(ctx context.Context, sc *promotion.StepContext, c *checkout) (string, git.Credentials, error) {
	repoURL, err := c.originURL()
	if err != nil {
		return "", git.Credentials{}, err
	}
	insecure, _, err := c.settings()
	if err != nil {
		return "", git.Credentials{}, err
	}
	creds, err := credentials(ctx, sc, s.opts, repoURL, insecure)
	return repoURL, creds, err
}

// forcePush makes target hold exactly the checkout's HEAD, as `git push
// --force` does: whatever the branch held is dropped, so there is no
// replay and no retry loop. Pushing again is a no-op.
func (s *Push) forcePush(ctx context.Context, sc *promotion.StepContext, c *checkout, head plumbing.Hash,
	target string, sameBranch bool) (_ plumbing.Hash, err error) {
	repoURL, creds, err := s.remoteAccess(ctx, sc, c)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer func() { err = scrubErr(err, repoURL) }()
	return head, pushHead(ctx, c, repoURL, creds, head, target, true, sameBranch)
}

// pushHead pushes the checkout's commit head, with its history, to branch
// target in one attempt.
func pushHead(ctx context.Context, c *checkout, repoURL string, creds git.Credentials, head plumbing.Hash,
	target string, force, sameBranch bool) error {
	if err := c.repo.Storer.SetReference(plumbing.NewHashReference(pushRef, head)); err != nil {
		return fmt.Errorf("prepare push: %w", err)
	}
	defer func() { _ = c.repo.Storer.RemoveReference(pushRef) }()
	if _, err := git.PushRefs(ctx, c.dir, repoURL, creds,
		git.RefUpdate{Local: pushRef, Remote: plumbing.NewBranchReferenceName(target), Force: force}); err != nil {
		return err
	}
	if sameBranch {
		// Later pushes build on what the remote now holds.
		return c.setBase(head)
	}
	return nil
}

// pushTag pushes the checkout's tag cfg.Tag and the objects it needs. A
// tag of that name already on the remote is fine when it names the same
// commit (a resumed Promotion) and an error otherwise: tags are not moved.
func (s *Push) pushTag(ctx context.Context, sc *promotion.StepContext, c *checkout, cfg pushConfig) (promotion.Result, error) {
	ref, err := c.repo.Tag(cfg.Tag)
	if errors.Is(err, gogit.ErrTagNotFound) {
		return failed(promotion.Terminalf("field %q: the checkout at %q has no tag %q; create it with git-tag first",
			"tag", cfg.Path, cfg.Tag))
	}
	if err != nil {
		return errored(fmt.Errorf("read tag %q: %w", cfg.Tag, err))
	}
	commit, err := peel(c.repo, ref.Hash())
	if err != nil {
		return errored(fmt.Errorf("tag %q: %w", cfg.Tag, err))
	}
	repoURL, creds, err := s.remoteAccess(ctx, sc, c)
	if err != nil {
		return errored(err)
	}
	if err := pushTagRef(ctx, c, repoURL, creds, cfg.Tag, ref.Name(), commit); err != nil {
		res, err := errored(err)
		return scrubbed(res, err, repoURL)
	}
	branch, err := c.branch()
	if err != nil {
		return errored(err)
	}
	return pushResult(c, cfg, commit, branch)
}

func pushTagRef(ctx context.Context, c *checkout, repoURL string, creds git.Credentials, tag string,
	name plumbing.ReferenceName, commit plumbing.Hash) error {
	refs, err := git.ListRefs(ctx, repoURL, creds)
	if err != nil {
		return err
	}
	if theirs, ok := refs.Tag(tag); ok {
		if theirs.ID == commit.String() {
			return nil
		}
		return promotion.Terminalf("tag %q already exists on the remote and points at %s, not at %s; tags are never moved",
			tag, theirs.ID, commit)
	}
	_, err = git.PushRefs(ctx, c.dir, repoURL, creds, git.RefUpdate{Local: name, Remote: name})
	return err
}

// peel returns the commit an annotated or lightweight tag names.
func peel(repo *gogit.Repository, h plumbing.Hash) (plumbing.Hash, error) {
	for range 10 {
		t, err := repo.TagObject(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return h, nil
		}
		if err != nil {
			return plumbing.ZeroHash, err
		}
		h = t.Target
	}
	return plumbing.ZeroHash, errors.New("tag chain too long")
}

// retag moves the checkout's tags on old, which git-push replaced by
// pushed (a replay onto someone else's push), to pushed, so a tag pushed
// later names the commit the branch really holds. Annotated tags keep
// their tagger and message and are signed again with key.
func (c *checkout) retag(old, pushed plumbing.Hash, key *openpgp.Entity) error {
	if old == pushed {
		return nil
	}
	iter, err := c.repo.Tags()
	if err != nil {
		return fmt.Errorf("list tags: %w", err)
	}
	var refs []*plumbing.Reference
	if err := iter.ForEach(func(r *plumbing.Reference) error { refs = append(refs, r); return nil }); err != nil {
		return fmt.Errorf("list tags: %w", err)
	}
	for _, ref := range refs {
		target, err := peel(c.repo, ref.Hash())
		if err != nil || target != old {
			continue
		}
		name := ref.Name().Short()
		obj, err := c.repo.TagObject(ref.Hash())
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			if err := c.repo.Storer.SetReference(plumbing.NewHashReference(ref.Name(), pushed)); err != nil {
				return fmt.Errorf("move tag %q: %w", name, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read tag %q: %w", name, err)
		}
		if err := c.repo.DeleteTag(name); err != nil {
			return fmt.Errorf("move tag %q: %w", name, err)
		}
		tagger := obj.Tagger
		if _, err := c.repo.CreateTag(name, pushed, &gogit.CreateTagOptions{
			Tagger: &tagger, Message: obj.Message, SignKey: key,
		}); err != nil {
			return fmt.Errorf("move tag %q: %w", name, err)
		}
	}
	return nil
}
