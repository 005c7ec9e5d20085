package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// updateSubmodules checks out the submodules of the checkout at dir,
// recursively (recurseSubmodules). Each submodule URL goes through the
// same credential lookup as repoURL; one on the superproject's host
// without credentials of its own uses repoURL's, as git's credential
// helpers would, and no other host ever sees them.
func (s *Clone) updateSubmodules(ctx context.Context, sc *promotion.StepContext, cfg cloneConfig, dir string,
	superCreds git.Credentials) error {
	lookup := func(ctx context.Context, subURL string) (git.Credentials, error) {
		c, err := credentials(ctx, sc, s.opts, subURL, cfg.InsecureSkipTLSVerify)
		if err != nil {
			return c, err
		}
		if c.Username == "" && c.Password == "" && len(c.SSHPrivateKey) == 0 && sameHost(cfg.RepoURL, subURL) {
			return superCreds, nil
		}
		return c, nil
	}
	err := git.UpdateSubmodules(ctx, dir, cfg.RepoURL, lookup)
	if errors.Is(err, git.ErrSubmodulePath) {
		return promotion.Terminal(fmt.Errorf("recurseSubmodules: %w: %w", workdir.ErrPathEscapes, err))
	}
	if errors.Is(err, git.ErrSubmodule) {
		return promotion.Terminal(fmt.Errorf("recurseSubmodules: %w", err))
	}
	return err
}

// sameHost reports whether two repository URLs name the same scheme and
// host (with port).
func sameHost(a, b string) bool {
	ua, err := url.Parse(git.NormalizeURL(a))
	if err != nil {
		return false
	}
	ub, err := url.Parse(git.NormalizeURL(b))
	if err != nil {
		return false
	}
	return ua.Host != "" && ua.Scheme == ub.Scheme && ua.Host == ub.Host
}
