package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// FindOpen returns the open pull request from head into base, the most
// recently created when there are several, or nil when there is none.
func FindOpen(ctx context.Context, p Interface, head, base string) (*PullRequest, error) {
	prs, err := p.ListPullRequests(ctx, ListOpts{Head: head, Base: base, State: StateOpen})
	if err != nil {
		return nil, err
	}
	if len(prs) == 0 {
		return nil, nil
	}
	sort.SliceStable(prs, func(i, j int) bool { return prs[i].Number > prs[j].Number })
	return &prs[0], nil
}

// OpenPullRequest opens a pull request unless one from opts.Head into
// opts.Base is already open, in which case that one is returned with
// created=false. A step that crashed after opening, or raced another
// attempt, thus ends up with exactly one pull request. When creation fails
// with a conflict (the provider saw an existing one first), it looks again.
func OpenPullRequest(ctx context.Context, p Interface, opts CreateOpts) (pr *PullRequest, created bool, err error) {
	if opts.Head == "" || opts.Base == "" {
		return nil, false, errors.New("opening a pull request needs a head and a base branch")
	}
	if pr, err = FindOpen(ctx, p, opts.Head, opts.Base); err != nil || pr != nil {
		return pr, false, err
	}
	pr, err = p.CreatePullRequest(ctx, opts)
	if err == nil {
		return pr, true, nil
	}
	if pr != nil {
		// Created, but a follow-up (labels) failed.
		return pr, true, err
	}
	if errors.Is(err, ErrConflict) {
		if again, ferr := FindOpen(ctx, p, opts.Head, opts.Base); ferr == nil && again != nil {
			return again, false, nil
		}
	}
	return nil, false, fmt.Errorf("opening pull request %s -> %s: %w", opts.Head, opts.Base, err)
}
