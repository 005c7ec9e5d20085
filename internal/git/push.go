package git

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// DefaultPushAttempts bounds Push retries when no limit is given.
const DefaultPushAttempts = 10

// PushOptions tunes Push.
type PushOptions struct {
	// MaxAttempts bounds push tries; DefaultPushAttempts when <= 0.
	MaxAttempts int
}

// PushResult reports what Push did.
type PushResult struct {
	// Pushed is false when the remote already had our commit(s).
	Pushed bool
	// Commit is the remote branch head after the push.
	Commit string
	// Attempts is the number of push tries made.
	Attempts int
}

// Push pushes the checked-out branch to the same branch on origin. When
// someone else pushed first, it fetches their head, replays our commits on
// top (as a rebase would) and tries again, up to MaxAttempts.
func (w *WorkTree) Push(ctx context.Context, opts PushOptions) (PushResult, error) {
	if w.branch == "" {
		return PushResult{}, errors.New("push: no branch checked out")
	}
	if w.rem == nil {
		// Open gives no credentials; PushCommit takes them.
		return PushResult{}, errors.New("push: work tree was opened, not cloned; use PushCommit")
	}
	maxAttempts := opts.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultPushAttempts
	}
	head, err := w.Head()
	if err != nil {
		return PushResult{}, err
	}
	if head == "" {
		return PushResult{}, fmt.Errorf("push: branch %s has no commits", w.branch)
	}
	ref := plumbing.NewBranchReferenceName(w.branch)
	var lastErr error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		res := PushResult{Commit: head, Attempts: attempt}
		err := w.pushOnce(ctx, ref)
		switch {
		case err == nil:
			w.base = plumbing.NewHash(head)
			res.Pushed = true
			return res, nil
		case errors.Is(err, gogit.NoErrAlreadyUpToDate):
			// An earlier failed-looking attempt may in fact have landed.
			res.Pushed = attempt > 1
			return res, nil
		}
		lastErr = err
		if errors.Is(err, ErrAuthentication) || errors.Is(err, ErrRepositoryNotFound) ||
			errors.Is(err, ErrTimeout) || errors.Is(err, ErrUnreachable) || ctx.Err() != nil {
			// Not a race with another pusher: the caller decides on retries.
			return res, err
		}
		remoteHead, err := w.fetchBranch(ctx)
		if err != nil {
			return res, err
		}
		local := plumbing.NewHash(head)
		if !remoteHead.IsZero() && w.isAncestor(local, remoteHead) {
			res.Commit = remoteHead.String()
			res.Pushed = attempt > 1
			return res, nil
		}
		if remoteHead == w.base {
			// The remote did not move, so the failure was not a race.
			return res, lastErr
		}
		if head, err = w.rebase(remoteHead); err != nil {
			return res, err
		}
		if head == remoteHead.String() {
			// Every change of ours is already upstream.
			res.Commit = head
			return res, nil
		}
	}
	return PushResult{Commit: head, Attempts: maxAttempts},
		fmt.Errorf("%w: gave up after %d attempts: %w", ErrPushConflict, maxAttempts, lastErr)
}

// pushOnce makes one bounded push attempt; go-git's "already up to date"
// comes back as is, other errors classified.
func (w *WorkTree) pushOnce(ctx context.Context, ref plumbing.ReferenceName) error {
	ctx, proxy, end := w.rem.begin(ctx)
	defer end()
	pushed, err := pushBranches(ctx, w.repo, w.rem, proxy, []RefUpdate{{Local: ref, Remote: ref}})
	switch {
	case err != nil:
		return wrapErr(ctx, "push to", w.rem, err)
	case !pushed:
		return gogit.NoErrAlreadyUpToDate
	}
	return nil
}

// fetchBranch fetches the remote head of our branch and returns it (zero
// if the branch does not exist remotely).
func (w *WorkTree) fetchBranch(ctx context.Context) (plumbing.Hash, error) {
	tracking := plumbing.NewRemoteReferenceName("origin", w.branch)
	ctx, proxy, end := w.rem.begin(ctx)
	defer end()
	err := w.repo.FetchContext(ctx, &gogit.FetchOptions{
		ProxyOptions:    proxy,
		RemoteName:      "origin",
		RefSpecs:        []config.RefSpec{config.RefSpec(fmt.Sprintf("+refs/heads/%s:%s", w.branch, tracking))},
		Depth:           w.depth,
		Tags:            gogit.NoTags,
		Auth:            w.rem.auth,
		InsecureSkipTLS: w.rem.insecure,
		Force:           true,
	})
	var noMatch gogit.NoMatchingRefSpecError
	switch {
	case errors.As(err, &noMatch):
		return plumbing.ZeroHash, nil
	case err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return plumbing.ZeroHash, wrapErr(ctx, "fetch", w.rem, err)
	}
	r, err := w.repo.Reference(tracking, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", tracking, err)
	}
	return r.Hash(), nil
}

// rebase replays our local commits onto remoteHead, moves the branch and
// the work tree there, and returns the new head.
func (w *WorkTree) rebase(remoteHead plumbing.Hash) (string, error) {
	head, err := w.Head()
	if err != nil {
		return "", err
	}
	commits, err := w.localCommits(plumbing.NewHash(head))
	if err != nil {
		return "", err
	}
	newHead, err := w.replay(commits, remoteHead)
	if err != nil {
		return "", err
	}
	if err := w.wt.Reset(&gogit.ResetOptions{Commit: newHead, Mode: gogit.HardReset}); err != nil {
		return "", fmt.Errorf("reset to rebased head: %w", err)
	}
	w.base = remoteHead
	return newHead.String(), nil
}
