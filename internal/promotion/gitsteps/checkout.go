package gitsteps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// baseRef names the remote commit a checkout's local commits sit on. It is
// written by git-clone and moved by git-push; absent for a new branch.
const baseRef = plumbing.ReferenceName("refs/railyard/base")

// Settings git-clone leaves in the checkout's .git/config for later steps.
const (
	configSection  = "railyard"
	configInsecure = "insecureSkipTLSVerify"
)

// checkout is a git-clone'd directory reopened from disk.
type checkout struct {
	dir  string
	repo *gogit.Repository
}

// openCheckout opens the checkout at the config path rel. A missing or
// non-git directory is a terminal error naming field.
func openCheckout(sc *promotion.StepContext, field, rel string) (*checkout, error) {
	if rel == "" {
		return nil, promotion.Terminalf("invalid config: field %q is required", field)
	}
	dir, err := sc.Path(rel)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, promotion.Terminalf("invalid config: field %q: %q is not a git checkout; clone it with git-clone first", field, rel)
	}
	c, err := reopen(dir)
	if err != nil {
		return nil, fmt.Errorf("open checkout %q: %w", rel, err)
	}
	return c, nil
}

// reopen opens the checkout rooted at dir.
func reopen(dir string) (*checkout, error) {
	repo, err := git.OpenRepository(dir, false)
	if err != nil {
		return nil, fmt.Errorf("open repository: %w", err)
	}
	return &checkout{dir: dir, repo: repo}, nil
}

// hashOf parses a commit id; "" gives the zero hash.
func hashOf(id string) plumbing.Hash {
	if id == "" {
		return plumbing.ZeroHash
	}
	return plumbing.NewHash(id)
}

// sparse limits the work tree to dirs; files elsewhere stay in the index
// (marked skip-worktree) so commits keep them.
func (c *checkout) sparse(dirs []string) error {
	head, err := c.head()
	if err != nil || head.IsZero() {
		return err
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return fmt.Errorf("open worktree: %w", err)
	}
	if err := wt.ResetSparsely(&gogit.ResetOptions{Commit: head, Mode: gogit.HardReset}, dirs); err != nil {
		return fmt.Errorf("sparse checkout: %w", err)
	}
	// go-git marks the other files skip-worktree but leaves them on disk.
	idx, err := c.repo.Storer.Index()
	if err != nil {
		return fmt.Errorf("read index: %w", err)
	}
	for _, e := range idx.Entries {
		if !e.SkipWorktree {
			continue
		}
		full, err := workdir.SecureJoin(c.dir, e.Name)
		if err != nil {
			return err
		}
		if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sparse checkout: %w", err)
		}
		removeEmptyParents(c.dir, filepath.Dir(full))
	}
	return nil
}

// removeEmptyParents removes dir and its empty parents up to root.
func removeEmptyParents(root, dir string) {
	for dir != root && len(dir) > len(root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// originURL is the URL the checkout was cloned from.
func (c *checkout) originURL() (string, error) {
	r, err := c.repo.Remote("origin")
	if err != nil || len(r.Config().URLs) == 0 {
		return "", errors.New("checkout has no origin remote")
	}
	return r.Config().URLs[0], nil
}

// branch is the checked-out branch, "" when HEAD is detached.
func (c *checkout) branch() (string, error) {
	head, err := c.repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	if head.Type() == plumbing.SymbolicReference && head.Target().IsBranch() {
		return head.Target().Short(), nil
	}
	return "", nil
}

// head is the checked-out commit, zero on an unborn branch.
func (c *checkout) head() (plumbing.Hash, error) {
	ref, err := c.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read HEAD: %w", err)
	}
	return ref.Hash(), nil
}

// base is the recorded base commit, zero when there is none.
func (c *checkout) base() plumbing.Hash {
	ref, err := c.repo.Storer.Reference(baseRef)
	if err != nil {
		return plumbing.ZeroHash
	}
	return ref.Hash()
}

func (c *checkout) setBase(h plumbing.Hash) error {
	if h.IsZero() {
		err := c.repo.Storer.RemoveReference(baseRef)
		if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return fmt.Errorf("clear base: %w", err)
		}
		return nil
	}
	if err := c.repo.Storer.SetReference(plumbing.NewHashReference(baseRef, h)); err != nil {
		return fmt.Errorf("record base: %w", err)
	}
	return nil
}

// settings reads what git-clone stored for later steps.
func (c *checkout) settings() (insecureTLS bool, author git.Signature, err error) {
	cfg, err := c.repo.Config()
	if err != nil {
		return false, git.Signature{}, fmt.Errorf("read checkout config: %w", err)
	}
	insecureTLS, _ = strconv.ParseBool(cfg.Raw.Section(configSection).Option(configInsecure))
	return insecureTLS, git.Signature{Name: cfg.User.Name, Email: cfg.User.Email}, nil
}

// saveSettings stores the clone's TLS choice and default author.
func (c *checkout) saveSettings(insecureTLS bool, author *Author) error {
	cfg, err := c.repo.Config()
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
	if err := c.repo.SetConfig(cfg); err != nil {
		return fmt.Errorf("write checkout config: %w", err)
	}
	return nil
}
