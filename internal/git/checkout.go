package git

import (
	"errors"
	"fmt"
	"strconv"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// BaseRef names the remote commit a checkout's local commits sit on. The
// promotion steps record it at clone time and move it on every push, so a
// step run by another process (a resumed Promotion) knows what is local.
const BaseRef = "refs/railyard/base"

// Settings kept in a checkout's .git/config for later steps.
const (
	configSection  = "railyard"
	configInsecure = "insecureSkipTLSVerify"
)

// Open reopens the checkout at dir, as Clone or an earlier step left it,
// so steps that run later (possibly in another process) work on the same
// WorkTree type as the step that cloned it. It has no credentials: push
// through PushCommit and PushRefs, which take them.
func Open(dir string) (*WorkTree, error) {
	repo, err := OpenRepository(dir, false)
	if err != nil {
		return nil, fmt.Errorf("open repository: %w", err)
	}
	w := &WorkTree{repo: repo, dir: dir}
	if w.wt, err = repo.Worktree(); err != nil {
		return nil, fmt.Errorf("open worktree: %w", err)
	}
	head, err := repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return nil, fmt.Errorf("read HEAD: %w", err)
	}
	if head.Type() == plumbing.SymbolicReference && head.Target().IsBranch() {
		w.branch = head.Target().Short()
	}
	w.base = plumbing.NewHash(w.RecordedBase())
	return w, nil
}

// OriginURL is the URL the checkout was cloned from.
func (w *WorkTree) OriginURL() (string, error) {
	r, err := w.repo.Remote("origin")
	if err != nil || len(r.Config().URLs) == 0 {
		return "", errors.New("checkout has no origin remote")
	}
	return r.Config().URLs[0], nil
}

// RecordedBase is the commit recorded in BaseRef, "" when there is none
// (a new branch, or a checkout not made by the steps).
func (w *WorkTree) RecordedBase() string {
	ref, err := w.repo.Storer.Reference(BaseRef)
	if err != nil || ref.Hash().IsZero() {
		return ""
	}
	return ref.Hash().String()
}

// RecordBase records id in BaseRef; "" removes the record.
func (w *WorkTree) RecordBase(id string) error {
	h := hashOf(id)
	if h.IsZero() {
		err := w.repo.Storer.RemoveReference(BaseRef)
		if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return fmt.Errorf("clear base: %w", err)
		}
		return nil
	}
	if err := w.repo.Storer.SetReference(plumbing.NewHashReference(BaseRef, h)); err != nil {
		return fmt.Errorf("record base: %w", err)
	}
	return nil
}

// CheckoutSettings is what a checkout remembers for the steps after the
// clone: how to reach its remote and who commits by default.
type CheckoutSettings struct {
	InsecureSkipTLSVerify bool
	// Author has no When; either field may be empty.
	Author Signature
}

// Settings reads what SaveSettings stored (git's user.name and user.email
// for the author).
func (w *WorkTree) Settings() (CheckoutSettings, error) {
	cfg, err := w.repo.Config()
	if err != nil {
		return CheckoutSettings{}, fmt.Errorf("read checkout config: %w", err)
	}
	insecure, _ := strconv.ParseBool(cfg.Raw.Section(configSection).Option(configInsecure))
	return CheckoutSettings{
		InsecureSkipTLSVerify: insecure,
		Author:                Signature{Name: cfg.User.Name, Email: cfg.User.Email},
	}, nil
}

// SaveSettings stores s in the checkout's config. Only a true
// InsecureSkipTLSVerify and a non-nil author are written, so saving never
// erases what a clone recorded.
func (w *WorkTree) SaveSettings(insecureTLS bool, author *Signature) error {
	cfg, err := w.repo.Config()
	if err != nil {
		return fmt.Errorf("read checkout config: %w", err)
	}
	if insecureTLS {
		cfg.Raw.Section(configSection).SetOption(configInsecure, "true")
	}
	if author != nil {
		cfg.User.Name, cfg.User.Email = author.Name, author.Email
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("checkout config: %w", err)
	}
	if err := w.repo.SetConfig(cfg); err != nil {
		return fmt.Errorf("write checkout config: %w", err)
	}
	return nil
}

// ResetTo moves the checked-out branch and the work tree to commit id,
// which must be in the repository (for example copied in with
// CopyHistoryFrom), like `git reset --hard id`: a fast-forward to the
// checkout's own commits, or sideways to a push that replayed them onto
// someone else's.
func (w *WorkTree) ResetTo(id string) error {
	if w.branch == "" {
		return errors.New("reset: no branch checked out")
	}
	h := plumbing.NewHash(id)
	if _, err := w.repo.CommitObject(h); err != nil {
		return fmt.Errorf("reset to %s: %w", id, err)
	}
	ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName(w.branch), h)
	if err := w.repo.Storer.SetReference(ref); err != nil {
		return fmt.Errorf("move %s to %s: %w", w.branch, id, err)
	}
	if err := w.wt.Reset(&gogit.ResetOptions{Commit: h, Mode: gogit.HardReset}); err != nil {
		return fmt.Errorf("reset %s to %s: %w", w.branch, id, err)
	}
	return nil
}

// hashOf parses a commit id; "" gives the zero hash.
func hashOf(id string) plumbing.Hash {
	if id == "" {
		return plumbing.ZeroHash
	}
	return plumbing.NewHash(id)
}

// ValidBranchName reports whether name can be a branch.
func ValidBranchName(name string) error {
	return plumbing.NewBranchReferenceName(name).Validate()
}

// ValidTagName reports whether name can be a tag.
func ValidTagName(name string) error {
	return plumbing.NewTagReferenceName(name).Validate()
}
