package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// Author names who commits. SigningKey is an ASCII-armored OpenPGP private
// key (no passphrase) that signs the commits and tags made in the checkout.
type Author struct {
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	SigningKey string `json:"signingKey,omitempty"`
}

// signature is the name and email of a, nil for no author.
func (a *Author) signature() *git.Signature {
	if a == nil {
		return nil
	}
	return &git.Signature{Name: a.Name, Email: a.Email}
}

type cloneConfig struct {
	RepoURL               string           `json:"repoURL"`
	Checkout              []checkoutConfig `json:"checkout"`
	Author                *Author          `json:"author,omitempty"`
	InsecureSkipTLSVerify bool             `json:"insecureSkipTLSVerify,omitempty"`
	RecurseSubmodules     bool             `json:"recurseSubmodules,omitempty"`
	// Blobless is accepted for Kargo compatibility; clones are full.
	Blobless bool `json:"blobless,omitempty"`
}

type checkoutConfig struct {
	Path   string   `json:"path"`
	Branch string   `json:"branch,omitempty"`
	Commit string   `json:"commit,omitempty"`
	Tag    string   `json:"tag,omitempty"`
	Create bool     `json:"create,omitempty"`
	Sparse []string `json:"sparse,omitempty"`
	As     string   `json:"as,omitempty"`
}

var commitID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Clone is the git-clone step: one or more checkouts of a repository, each
// in its own directory. Output: commits {<as or path>: <HEAD commit>}.
type Clone struct {
	networkDefaults
	opts Options
}

// Name implements promotion.Step.
func (*Clone) Name() string { return "git-clone" }

// Run implements promotion.Step.
func (s *Clone) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg cloneConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	res, err := s.run(ctx, sc, cfg)
	return scrubbed(res, err, cfg.RepoURL)
}

func (s *Clone) run(ctx context.Context, sc *promotion.StepContext, cfg cloneConfig) (promotion.Result, error) {
	dirs, err := validateClone(sc, &cfg)
	if err != nil {
		return failed(err)
	}
	creds, err := credentials(ctx, sc, s.opts, cfg.RepoURL, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return errored(err)
	}
	commits := map[string]any{}
	// Every checkout sees the remote as of this run or later, and they
	// share one listing of it.
	since := time.Now()
	for i, co := range cfg.Checkout {
		head, err := s.cloneOne(ctx, sc, cfg, co, dirs[i], creds, since)
		if err != nil {
			return errored(fmt.Errorf("checkout[%d] (%s): %w", i, co.Path, err))
		}
		key := co.As
		if key == "" {
			key = co.Path
		}
		commits[key] = head
	}
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{"commits": commits}}, nil
}

// validateClone checks the config and resolves every checkout directory.
func validateClone(sc *promotion.StepContext, cfg *cloneConfig) ([]string, error) {
	switch {
	case strings.TrimSpace(cfg.RepoURL) == "":
		return nil, promotion.Terminalf("invalid config: field %q is required", "repoURL")
	case len(cfg.Checkout) == 0:
		return nil, promotion.Terminalf("invalid config: field %q must list at least one checkout", "checkout")
	}
	if cfg.Author != nil && cfg.Author.SigningKey != "" {
		if _, err := parseSigningKey("author.signingKey", cfg.Author.SigningKey); err != nil {
			return nil, err
		}
	}
	root, err := sc.Path(".")
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(cfg.Checkout))
	keys := map[string]bool{}
	for i, co := range cfg.Checkout {
		field := func(name string) string { return fmt.Sprintf("checkout[%d].%s", i, name) }
		refs := 0
		for _, r := range []string{co.Branch, co.Commit, co.Tag} {
			if r != "" {
				refs++
			}
		}
		switch {
		case co.Path == "":
			return nil, promotion.Terminalf("invalid config: field %q is required", field("path"))
		case refs > 1:
			return nil, promotion.Terminalf("invalid config: only one of %q, %q and %q may be set",
				field("branch"), field("commit"), field("tag"))
		case co.Create && co.Branch == "":
			return nil, promotion.Terminalf("invalid config: field %q requires %q", field("create"), field("branch"))
		case co.Commit != "" && !commitID.MatchString(co.Commit):
			return nil, promotion.Terminalf("invalid config: field %q must be a full 40-character commit id, not %q",
				field("commit"), co.Commit)
		}
		key := co.As
		if key == "" {
			key = co.Path
		}
		if keys[key] {
			return nil, promotion.Terminalf("invalid config: field %q: %q is used by two checkouts", field("as"), key)
		}
		keys[key] = true
		dir, err := sc.Path(co.Path)
		if err != nil {
			return nil, promotion.Terminalf("invalid config: field %q: %w", field("path"), err)
		}
		if dir == root {
			return nil, promotion.Terminalf("invalid config: field %q must name a directory inside the work directory", field("path"))
		}
		for j := 0; j < i; j++ {
			if dir == dirs[j] || strings.HasPrefix(dir, dirs[j]+string(filepath.Separator)) ||
				strings.HasPrefix(dirs[j], dir+string(filepath.Separator)) {
				return nil, promotion.Terminalf("invalid config: field %q: checkouts %d and %d overlap", field("path"), j, i)
			}
		}
		dirs[i] = dir
	}
	return dirs, nil
}

// cloneOne clones one checkout and records its base; returns its HEAD.
func (s *Clone) cloneOne(ctx context.Context, sc *promotion.StepContext, cfg cloneConfig, co checkoutConfig, dir string,
	creds git.Credentials, since time.Time) (string, error) {
	if err := prepareDir(dir); err != nil {
		return "", err
	}
	wt, err := s.opts.clone(ctx, cfg.RepoURL, creds, git.CloneOptions{
		Dir:             dir,
		Branch:          co.Branch,
		Tag:             co.Tag,
		Commit:          co.Commit,
		OrphanIfMissing: co.Create,
		ListedSince:     since,
	})
	if err != nil {
		// Leave nothing half-cloned behind for the next attempt to trip on.
		_ = os.RemoveAll(dir)
		return "", err
	}
	head, err := wt.Head()
	if err != nil {
		return "", err
	}
	// The steps after this one reopen the checkout from disk; so does
	// this one, to record what they need the same way.
	c, err := git.Open(dir)
	if err != nil {
		return "", err
	}
	if err := c.RecordBase(head); err != nil {
		return "", err
	}
	if err := c.SaveSettings(cfg.InsecureSkipTLSVerify, cfg.Author.signature()); err != nil {
		return "", err
	}
	if cfg.Author != nil {
		if err := saveSigningKey(c, cfg.Author.SigningKey); err != nil {
			return "", err
		}
	}
	if cfg.RecurseSubmodules && head != "" {
		if err := s.updateSubmodules(ctx, sc, cfg, dir, creds); err != nil {
			_ = os.RemoveAll(dir)
			return "", err
		}
	}
	if len(co.Sparse) > 0 {
		if err := c.Sparse(co.Sparse); err != nil {
			return "", err
		}
	}
	return head, nil
}

// prepareDir makes dir ready for a clone. A checkout left by an earlier run
// of this step (a resumed Promotion) is removed; anything else is refused
// rather than deleted.
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(filepath.Dir(dir), 0o755)
	case err != nil:
		return fmt.Errorf("inspect target directory: %w", err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return promotion.Terminalf("target directory is not empty and is not a git checkout")
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove previous checkout: %w", err)
	}
	return nil
}
