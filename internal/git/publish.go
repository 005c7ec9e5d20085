package git

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// RefUpdate is one ref PushRefs sets on the remote.
type RefUpdate struct {
	// Local is the ref of the local repository whose object is pushed.
	Local plumbing.ReferenceName
	// Commit, when set, is the commit pushed to a branch in Local's place:
	// no local ref has to be written (and removed again) for it.
	Commit plumbing.Hash
	// Remote is the ref set on the remote.
	Remote plumbing.ReferenceName
	// Force overwrites Remote whatever it points at, like `git push
	// --force`; without it the server refuses anything but a fast-forward
	// of a branch or the creation of a tag.
	Force bool
	// Expect, when set, is the commit the caller saw Remote at (from the
	// listing its checkout was made from). A push of a branch that only
	// moves forward from there may skip the server's ref advertisement;
	// if the branch has moved since, the server refuses the update and the
	// push is tried again the usual way.
	Expect plumbing.Hash
}

// PushRefs pushes refs of the repository at dir, and the objects they need,
// to repoURL in one bounded attempt, without any replay: for force pushes
// and tags. It reports false when the remote already had every ref as is.
func PushRefs(ctx context.Context, dir, repoURL string, creds Credentials, updates ...RefUpdate) (bool, error) {
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return false, err
	}
	if len(updates) == 0 {
		return false, errors.New("push: no refs to push")
	}
	repo, release, err := openHeld(dir, false)
	if err != nil {
		return false, fmt.Errorf("open repository: %w", err)
	}
	defer release()
	specs := make([]config.RefSpec, 0, len(updates))
	for _, u := range updates {
		spec := config.RefSpec(u.Local + ":" + u.Remote)
		if u.Force {
			spec = "+" + spec
		}
		if err := spec.Validate(); err != nil {
			return false, fmt.Errorf("push %s: %w", u.Remote, err)
		}
		specs = append(specs, spec)
	}
	ctx, proxy, end := rem.begin(ctx)
	defer end()
	if branchesOnly(updates) {
		pushed, err := pushBranches(ctx, repo, rem, proxy, updates)
		if err != nil {
			return false, wrapErr(ctx, "push to", rem, err)
		}
		return pushed, nil
	}
	err = repo.PushContext(ctx, &gogit.PushOptions{
		RemoteName:      "origin",
		RemoteURL:       rem.url,
		RefSpecs:        specs,
		Auth:            rem.auth,
		InsecureSkipTLS: rem.insecure,
		ProxyOptions:    proxy,
		// Tags travel only as named in specs.
		FollowTags: false,
	})
	switch {
	case errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return false, nil
	case err != nil:
		return false, wrapErr(ctx, "push to", rem, err)
	}
	return true, nil
}

// branchesOnly says whether every update sets a branch (pushBranches);
// tags and anything else go through go-git's push.
func branchesOnly(updates []RefUpdate) bool {
	for _, u := range updates {
		if !u.Remote.IsBranch() {
			return false
		}
	}
	return true
}

// pushScratchRef is the local ref PushCommit pushes from to a ref that is
// not a branch, so any commit, a detached HEAD's too, can be pushed; it is
// removed afterwards.
const pushScratchRef = plumbing.ReferenceName("refs/railyard/push")

// PushCommit sets remoteRef (a full ref name, such as refs/heads/main) on
// repoURL to the work tree's commit id, sending the objects it needs, in
// one attempt and without a replay; with force whatever remoteRef held is
// dropped, like `git push --force`. A refused non-fast-forward is
// ErrNonFastForward.
func (w *WorkTree) PushCommit(ctx context.Context, repoURL string, creds Credentials, id, remoteRef string, force bool) error {
	return w.pushCommit(ctx, repoURL, creds, RefUpdate{Local: pushScratchRef, Remote: plumbing.ReferenceName(remoteRef), Force: force}, id)
}

// PushCommitFrom is PushCommit without force for a branch the caller saw
// at expect (the checkout's base): when the push only moves it forward
// from there, the server's ref advertisement is not asked for (RefUpdate's
// Expect). An empty expect is a plain PushCommit.
func (w *WorkTree) PushCommitFrom(ctx context.Context, repoURL string, creds Credentials, id, remoteRef, expect string) error {
	return w.pushCommit(ctx, repoURL, creds, RefUpdate{Local: pushScratchRef, Remote: plumbing.ReferenceName(remoteRef), Expect: hashOf(expect)}, id)
}

func (w *WorkTree) pushCommit(ctx context.Context, repoURL string, creds Credentials, u RefUpdate, id string) error {
	commit := hashOf(id)
	if commit.IsZero() {
		return fmt.Errorf("push %s: no commit given", u.Remote)
	}
	if u.Remote.IsBranch() {
		// Branches are pushed by commit id (pushBranches): writing the
		// scratch ref and removing it cost two rewrites of packed-refs.
		u.Commit = commit
		_, err := PushRefs(ctx, w.dir, repoURL, creds, u)
		return err
	}
	if err := w.repo.Storer.SetReference(plumbing.NewHashReference(pushScratchRef, commit)); err != nil {
		return fmt.Errorf("prepare push: %w", err)
	}
	defer func() { _ = w.repo.Storer.RemoveReference(pushScratchRef) }()
	_, err := PushRefs(ctx, w.dir, repoURL, creds, u)
	return err
}

// PushTag pushes the work tree's tag, and the objects it needs, to the
// same tag on repoURL in one attempt. The server refuses to move an
// existing tag.
func (w *WorkTree) PushTag(ctx context.Context, repoURL string, creds Credentials, tag string) error {
	name := plumbing.NewTagReferenceName(tag)
	_, err := PushRefs(ctx, w.dir, repoURL, creds, RefUpdate{Local: name, Remote: name})
	return err
}
