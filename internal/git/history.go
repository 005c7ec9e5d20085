package git

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// History is an in-memory, shallow copy of selected refs of a remote, for
// reading commits and tags during discovery. It never checks files out.
type History struct {
	rem   *remote
	repo  *gogit.Repository
	specs []config.RefSpec
	depth int
}

// HistoryOptions selects what FetchHistory transfers.
type HistoryOptions struct {
	// Branch to fetch (short name).
	Branch string
	// Tags to fetch (short names).
	Tags []string
	// Depth is the number of commits fetched per ref; 0 means 1.
	Depth int
}

// FetchHistory fetches the tips of the requested refs, Depth commits deep,
// into memory. Nothing else (no other branches, no tags) is transferred.
func FetchHistory(ctx context.Context, repoURL string, creds Credentials, opts HistoryOptions) (*History, error) {
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return nil, err
	}
	repo, err := gogit.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, fmt.Errorf("init in-memory repository: %w", err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{rem.url}}); err != nil {
		return nil, fmt.Errorf("add remote: %w", err)
	}
	h := &History{rem: rem, repo: repo, depth: max(opts.Depth, 1)}
	if opts.Branch != "" {
		h.specs = append(h.specs, config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/heads/%[1]s", opts.Branch)))
	}
	for _, t := range opts.Tags {
		h.specs = append(h.specs, config.RefSpec(fmt.Sprintf("+refs/tags/%s:refs/tags/%[1]s", t)))
	}
	if len(h.specs) == 0 {
		return h, nil
	}
	if err := h.fetch(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// Deepen fetches more history so every requested ref has depth commits.
func (h *History) Deepen(ctx context.Context, depth int) error {
	if depth <= h.depth || len(h.specs) == 0 {
		return nil
	}
	h.depth = depth
	return h.fetch(ctx)
}

// BranchHead is the commit a fetched branch points at.
func (h *History) BranchHead(name string) (string, error) {
	id, err := h.resolve(plumbing.NewBranchReferenceName(name))
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// Depth is the current fetch depth.
func (h *History) Depth() int { return h.depth }

// resolve returns the object a fetched branch or tag points at (for an
// annotated tag, the tag object).
func (h *History) resolve(name plumbing.ReferenceName) (plumbing.Hash, error) {
	ref, err := h.repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %s", ErrRefNotFound, name.Short())
	}
	return ref.Hash(), nil
}

// Commit reads a fetched commit; one beyond the fetched depth (or never
// fetched) is ErrNotFetched.
func (h *History) Commit(id string) (CommitInfo, error) {
	c, err := readCommit(h.repo.Storer, id)
	if err != nil {
		return CommitInfo{}, err
	}
	return commitInfo(c), nil
}

// Tag reads the fetched tag name and the commit it points at. An
// annotated tag must point at a commit directly.
func (h *History) Tag(name string) (TagInfo, CommitInfo, error) {
	id, err := h.resolve(plumbing.NewTagReferenceName(name))
	if err != nil {
		return TagInfo{}, CommitInfo{}, err
	}
	tag, err := h.repo.TagObject(id)
	switch {
	case err == nil:
		c, err := tag.Commit()
		if err != nil {
			return TagInfo{}, CommitInfo{}, fmt.Errorf("tag %s does not point at a commit: %w", name, err)
		}
		info := annotated(name, tag)
		info.Commit = c.Hash.String()
		return info, commitInfo(c), nil
	case errors.Is(err, plumbing.ErrObjectNotFound):
		c, err := h.repo.CommitObject(id)
		if err != nil {
			return TagInfo{}, CommitInfo{}, fmt.Errorf("read commit of tag %s: %w", name, err)
		}
		return TagInfo{Name: name, Commit: c.Hash.String()}, commitInfo(c), nil
	default:
		return TagInfo{}, CommitInfo{}, fmt.Errorf("read tag %s: %w", name, err)
	}
}

// ChangedPaths lists the files commit id changed against its first parent
// (all files for a root commit), for path filters. A parent beyond the
// fetched depth is ErrNotFetched: deepen and ask again.
func (h *History) ChangedPaths(id string) ([]string, error) {
	c, err := h.repo.CommitObject(hashOf(id))
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", id, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", c.Hash, err)
	}
	var parentTree *object.Tree
	if len(c.ParentHashes) > 0 {
		parent, err := h.repo.CommitObject(c.ParentHashes[0])
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("%w: parent of %s", ErrNotFetched, c.Hash)
		}
		if err != nil {
			return nil, fmt.Errorf("read parent of %s: %w", c.Hash, err)
		}
		if parentTree, err = parent.Tree(); err != nil {
			return nil, fmt.Errorf("read tree of %s: %w", parent.Hash, err)
		}
	}
	if parentTree == nil {
		var paths []string
		err := tree.Files().ForEach(func(f *object.File) error {
			paths = append(paths, f.Name)
			return nil
		})
		return paths, err
	}
	changes, err := object.DiffTree(parentTree, tree)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", c.Hash, err)
	}
	paths := make([]string, 0, len(changes))
	for _, ch := range changes {
		if ch.From.Name != "" {
			paths = append(paths, ch.From.Name)
		}
		if ch.To.Name != "" && ch.To.Name != ch.From.Name {
			paths = append(paths, ch.To.Name)
		}
	}
	return paths, nil
}

func (h *History) fetch(ctx context.Context) error {
	ctx, proxy, end := h.rem.begin(ctx)
	defer end()
	err := h.repo.FetchContext(ctx, &gogit.FetchOptions{
		ProxyOptions:    proxy,
		RemoteName:      "origin",
		RefSpecs:        h.specs,
		Depth:           h.depth,
		Tags:            gogit.NoTags,
		Auth:            h.rem.auth,
		InsecureSkipTLS: h.rem.insecure,
		Force:           true,
	})
	var noMatch gogit.NoMatchingRefSpecError
	switch {
	case err == nil, errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return nil
	case errors.As(err, &noMatch):
		return fmt.Errorf("fetch %s: %w: %s", RedactURL(h.rem.url), ErrRefNotFound, noMatch.Error())
	default:
		return wrapErr(ctx, "fetch", h.rem, err)
	}
}
