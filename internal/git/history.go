package git

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
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

// Depth is the current fetch depth.
func (h *History) Depth() int { return h.depth }

// Repository gives read access to the fetched objects and refs.
func (h *History) Repository() *gogit.Repository { return h.repo }

// Resolve returns the object a fetched branch or tag points at (for an
// annotated tag, the tag object).
func (h *History) Resolve(name plumbing.ReferenceName) (plumbing.Hash, error) {
	ref, err := h.repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %s", ErrRefNotFound, name.Short())
	}
	return ref.Hash(), nil
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
