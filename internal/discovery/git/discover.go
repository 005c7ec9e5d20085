package git

import (
	"context"
	"encoding/json"
	"fmt"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
)

// Discover lists the remote's refs and, unless the fingerprint of the refs
// and options equals previous (then it returns ErrUnchanged together with
// a Result holding only the fingerprint), fetches just the history needed
// to select up to DiscoveryLimit commits, newest (best) first.
func Discover(ctx context.Context, o Options, creds gitpkg.Credentials, previous string) (*Result, error) {
	sel, err := compile(o)
	if err != nil {
		return nil, err
	}
	var refs *gitpkg.Refs
	if o.Refs != nil {
		refs, err = o.Refs.ListRefs(ctx, o.RepoURL, creds, o.RefsNotBefore)
	} else {
		refs, err = gitpkg.ListRefs(ctx, o.RepoURL, creds)
	}
	if err != nil {
		return nil, err
	}
	key, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("fingerprint options: %w", err)
	}
	options := "options " + string(key)
	if sel.strategy == NewestFromBranch {
		return discoverBranch(ctx, o, creds, sel, refs, options, previous)
	}
	return discoverTags(ctx, o, creds, sel, refs, options, previous)
}

func discoverBranch(ctx context.Context, o Options, creds gitpkg.Credentials, sel *selector,
	refs *gitpkg.Refs, options, previous string) (*Result, error) {
	name := o.Branch
	if name == "" {
		name = refs.HeadBranch
	}
	ref, ok := refs.Branch(name)
	if !ok {
		return nil, fmt.Errorf("branch %q of %s: %w", name, gitpkg.RedactURL(o.RepoURL), gitpkg.ErrRefNotFound)
	}
	res := &Result{Fingerprint: gitpkg.Fingerprint(options, "branch "+name+" "+ref.ID)}
	if res.Fingerprint == previous {
		return res, ErrUnchanged
	}
	depth := min(sel.limit+1, MaxHistoryDepth)
	hist, err := o.fetchBranch(ctx, creds, name, ref.ID, depth, nil)
	if err != nil {
		return nil, err
	}
	for {
		w := &branchWalk{hist: hist, sel: sel, since: o.Since, branch: name}
		commits, truncated, err := w.run(ref.ID)
		if err != nil {
			return nil, err
		}
		if !truncated || len(commits) >= sel.limit || depth >= MaxHistoryDepth {
			res.Commits = commits
			return res, nil
		}
		depth = min(depth*2, MaxHistoryDepth)
		if hist, err = o.fetchBranch(ctx, creds, name, ref.ID, depth, hist); err != nil {
			return nil, err
		}
	}
}

// fetchBranch returns the branch's history at least depth commits deep:
// from o.Histories when set (shared, so never deepened in place), else
// fetched, or prev deepened.
func (o Options) fetchBranch(ctx context.Context, creds gitpkg.Credentials, branch, head string, depth int, prev *gitpkg.History) (*gitpkg.History, error) {
	if o.Histories != nil {
		return o.Histories.Branch(ctx, o.RepoURL, creds, branch, head, depth)
	}
	if prev != nil {
		return prev, prev.Deepen(ctx, depth)
	}
	return gitpkg.FetchHistory(ctx, o.RepoURL, creds, gitpkg.HistoryOptions{Branch: branch, Depth: depth})
}

func discoverTags(ctx context.Context, o Options, creds gitpkg.Credentials, sel *selector,
	refs *gitpkg.Refs, options, previous string) (*Result, error) {
	names := make([]string, 0, len(refs.Tags))
	for _, t := range refs.Tags {
		names = append(names, t.Name)
	}
	ordered := sel.orderTags(names)
	lines := []string{options}
	for _, n := range ordered {
		t, _ := refs.Tag(n)
		lines = append(lines, "tag "+n+" "+t.ID)
	}
	res := &Result{Fingerprint: gitpkg.Fingerprint(lines...)}
	if res.Fingerprint == previous {
		return res, ErrUnchanged
	}
	depth := 1
	if sel.filtersPaths() {
		depth = 2 // a tagged commit's diff needs its parent
	}
	batch := sel.limit
	if sel.strategy == NewestTag {
		// Ordering needs every candidate's date.
		batch = len(ordered)
	}
	for start := 0; start < len(ordered) && len(res.Commits) < sel.limit; start += batch {
		chunk := ordered[start:min(start+batch, len(ordered))]
		hist, err := gitpkg.FetchHistory(ctx, o.RepoURL, creds, gitpkg.HistoryOptions{Tags: chunk, Depth: depth})
		if err != nil {
			return nil, err
		}
		tags, err := readTags(hist, chunk)
		if err != nil {
			return nil, err
		}
		if sel.strategy == NewestTag {
			sortNewest(tags)
		}
		for _, t := range tags {
			if len(res.Commits) == sel.limit {
				break
			}
			ok, err := sel.acceptTag(hist, t, o.Since)
			if err != nil {
				return nil, err
			}
			if ok {
				res.Commits = append(res.Commits, t.Commit)
			}
		}
	}
	return res, nil
}
