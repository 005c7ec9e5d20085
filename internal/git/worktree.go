package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// WorkTree is a checked-out clone on disk, the one working-copy type of
// the promotion steps: Clone (or Cache.Clone) makes it, and a later step,
// possibly in another process, reopens it with Open. A reopened WorkTree
// has no remote credentials (rem is nil), so it pushes through PushCommit
// and PushTag, which take them, rather than Push.
type WorkTree struct {
	rem    *remote
	repo   *gogit.Repository
	wt     *gogit.Worktree
	dir    string
	branch string
	depth  int
	// base is the remote commit our local commits sit on (zero for an
	// orphan branch); Push replays commits after it.
	base plumbing.Hash
	// signKey, when set, signs every commit CommitAll or a replay makes.
	signKey *openpgp.Entity
	// pool, when set, lends this checkout a finished one of the same
	// remote (poolKey) and takes it back when the work is done.
	pool    *treePool
	poolKey string
}

// SetSigningKey makes CommitAll and the commits Push replays signed with
// key (nil: unsigned), as Kargo re-signs rebased commits.
func (w *WorkTree) SetSigningKey(key *openpgp.Entity) { w.signKey = key }

// CloneOptions selects what Clone checks out. At most one of Tag and
// Commit applies; Commit is looked up in Branch (default branch if empty).
type CloneOptions struct {
	// Dir is the target directory; it must not exist or be empty.
	Dir    string
	Branch string
	Tag    string
	Commit string
	// Depth limits history; 0 clones full history of the one branch.
	Depth int
	// OrphanIfMissing makes a missing Branch (or an empty repository) an
	// empty orphan branch instead of an error, without fetching anything.
	OrphanIfMissing bool
	// ListedSince, when set and earlier than the call, lets a Cache take
	// where Branch stands from a listing of the remote begun at or after
	// it instead of after the call: the checkouts of one git-clone step
	// pass the step's start and so share one listing, as Kargo's step
	// checks them all out from one clone.
	ListedSince time.Time
}

// Clone clones a single branch (or tag) into opts.Dir and checks it out.
func Clone(ctx context.Context, repoURL string, creds Credentials, opts CloneOptions) (*WorkTree, error) {
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("clone: no target directory")
	}
	w := &WorkTree{rem: rem, dir: opts.Dir, branch: opts.Branch, depth: opts.Depth}
	ctx, proxy, end := rem.begin(ctx)
	defer end()
	co := &gogit.CloneOptions{
		ProxyOptions:    proxy,
		URL:             rem.url,
		Auth:            rem.auth,
		InsecureSkipTLS: rem.insecure,
		SingleBranch:    true,
		Depth:           opts.Depth,
		Tags:            gogit.NoTags,
	}
	switch {
	case opts.Tag != "":
		co.ReferenceName = plumbing.NewTagReferenceName(opts.Tag)
		w.branch = ""
	case opts.Branch != "":
		co.ReferenceName = plumbing.NewBranchReferenceName(opts.Branch)
	}
	w.repo, err = gogit.PlainCloneContext(ctx, opts.Dir, false, co)
	var noMatch gogit.NoMatchingRefSpecError
	switch {
	case err == nil:
	case opts.OrphanIfMissing && opts.Branch != "" &&
		(errors.As(err, &noMatch) || errors.Is(err, plumbing.ErrReferenceNotFound) ||
			errors.Is(err, transport.ErrEmptyRemoteRepository)):
		return w, w.initOrphan(opts.Branch)
	case errors.As(err, &noMatch), errors.Is(err, plumbing.ErrReferenceNotFound):
		return nil, fmt.Errorf("clone %s: %w: %s", RedactURL(rem.url), ErrRefNotFound, refLabel(opts))
	default:
		return nil, wrapErr(ctx, "clone", rem, err)
	}
	if w.wt, err = w.repo.Worktree(); err != nil {
		return nil, fmt.Errorf("open worktree: %w", err)
	}
	if w.branch == "" && opts.Tag == "" {
		if head, err := w.repo.Head(); err == nil && head.Name().IsBranch() {
			w.branch = head.Name().Short()
		}
	}
	if opts.Commit != "" {
		if err := w.checkoutCommit(opts.Commit); err != nil {
			return nil, err
		}
		w.branch = ""
	}
	if head, err := w.repo.Head(); err == nil {
		w.base = head.Hash()
	}
	return w, nil
}

func refLabel(o CloneOptions) string {
	if o.Tag != "" {
		return "tag " + o.Tag
	}
	return "branch " + o.Branch
}

// checkoutCommit detaches HEAD at a commit of the cloned branch's history.
// Such a work tree is for reading; Push needs a branch.
func (w *WorkTree) checkoutCommit(id string) error {
	h := plumbing.NewHash(id)
	if len(id) != 40 || h.IsZero() {
		return fmt.Errorf("%w: invalid commit id %q", ErrRefNotFound, id)
	}
	if _, err := w.repo.CommitObject(h); err != nil {
		return fmt.Errorf("%w: commit %s is not in the history of branch %q (depth %d)", ErrRefNotFound, id, w.branch, w.depth)
	}
	if err := w.wt.Checkout(&gogit.CheckoutOptions{Hash: h, Force: true}); err != nil {
		return fmt.Errorf("checkout %s: %w", id, err)
	}
	return nil
}

// initOrphan prepares an empty repository whose HEAD is the unborn branch.
func (w *WorkTree) initOrphan(branch string) error {
	_ = os.RemoveAll(filepath.Join(w.dir, ".git"))
	repo, err := gogit.PlainInit(w.dir, false)
	if err != nil {
		return fmt.Errorf("init %s: %w", w.dir, err)
	}
	return w.startOrphan(repo, branch)
}

// startOrphan makes the new, empty repository the work tree's, with origin
// as its remote and HEAD on the unborn branch.
func (w *WorkTree) startOrphan(repo *gogit.Repository, branch string) error {
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{w.rem.url}}); err != nil {
		return fmt.Errorf("add remote: %w", err)
	}
	w.repo = repo
	var err error
	if w.wt, err = repo.Worktree(); err != nil {
		return fmt.Errorf("open worktree: %w", err)
	}
	return w.CreateOrphanBranch(branch)
}

// Dir is the work tree directory.
func (w *WorkTree) Dir() string { return w.dir }

// Branch is the checked-out branch ("" when a tag or commit is checked out).
func (w *WorkTree) Branch() string { return w.branch }

// Head returns the checked-out commit id, "" on an unborn orphan branch.
func (w *WorkTree) Head() (string, error) {
	ref, err := w.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	return ref.Hash().String(), nil
}

// CreateOrphanBranch switches to a new branch without history and empties
// the work tree, like `git switch --orphan`.
func (w *WorkTree) CreateOrphanBranch(name string) error {
	ref := plumbing.NewBranchReferenceName(name)
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("invalid branch name %q: %w", name, err)
	}
	if err := w.repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
		return fmt.Errorf("switch to orphan branch %s: %w", name, err)
	}
	if err := w.repo.Storer.SetIndex(&index.Index{Version: 2}); err != nil {
		return fmt.Errorf("clear index: %w", err)
	}
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("clear work tree: %w", err)
	}
	for _, e := range entries {
		if e.Name() == ".git" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(w.dir, e.Name())); err != nil {
			return fmt.Errorf("clear work tree: %w", err)
		}
	}
	w.branch = name
	w.base = plumbing.ZeroHash
	return nil
}
