package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/gitprovider"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// MaxGitHubReplay caps how many commits github-push replays through the
// API in one push (Kargo's default).
const MaxGitHubReplay = 10

// stagingRefPrefix holds the invisible ref github-push uploads the
// checkout's objects to before replaying its commits through the API.
const stagingRefPrefix = "refs/railyard/staging/"

type githubPushConfig struct {
	Path                  string `json:"path"`
	TargetBranch          string `json:"targetBranch,omitempty"`
	GenerateTargetBranch  bool   `json:"generateTargetBranch,omitempty"`
	MaxAttempts           *int   `json:"maxAttempts,omitempty"`
	Force                 bool   `json:"force,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
}

// GitHubPush is the github-push step, a drop-in replacement for git-push
// on GitHub: the checkout's changes are integrated with the branch as
// git-push does, its objects are pushed to an invisible staging ref, and
// its commits are then created again through GitHub's Git Data API and the
// branch moved to the last of them. A commit whose signature verifies with
// the checkout's signing key (trusted) is created without author and
// committer, so GitHub attributes it to the authenticated App or user and
// signs it (verified), with a Co-authored-by trailer when its author is not
// the key's owner; any other commit, unsigned or signed with another key,
// keeps its author and committer. At most
// MaxGitHubReplay commits are replayed. When the branch moved meanwhile
// (not a fast-forward), the push starts again, up to maxAttempts times.
// The checkout then follows the replayed commits. Outputs: commit, branch,
// commitURL.
type GitHubPush struct {
	networkDefaults
	opts Options
}

// Name implements promotion.Step.
func (*GitHubPush) Name() string { return "github-push" }

// ConfigType implements promotion.ConfigSchema.
func (*GitHubPush) ConfigType() any { return githubPushConfig{} }

// Run implements promotion.Step.
func (s *GitHubPush) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg githubPushConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	pcfg := pushConfig{Path: cfg.Path, TargetBranch: cfg.TargetBranch, GenerateTargetBranch: cfg.GenerateTargetBranch,
		MaxAttempts: cfg.MaxAttempts, Force: cfg.Force, Provider: gitprovider.GitHub}
	if err := validatePush(pcfg); err != nil {
		return failed(err)
	}
	c, err := openCheckout(sc, "path", cfg.Path)
	if err != nil {
		return errored(err)
	}
	current := c.Branch()
	target := current
	switch {
	case cfg.TargetBranch != "":
		target = cfg.TargetBranch
	case cfg.GenerateTargetBranch:
		target = GeneratedBranchPrefix + sc.Promotion
	}
	if target == "" {
		return failed(promotion.Terminalf("the checkout at %q is not on a branch; set targetBranch or generateTargetBranch", cfg.Path))
	}
	if err := git.ValidBranchName(target); err != nil {
		return failed(promotion.Terminalf("invalid target branch %q: %w", target, err))
	}
	head, err := c.Head()
	if err != nil {
		return errored(err)
	}
	if head == "" {
		return failed(promotion.Terminalf("nothing to push: branch %q of the checkout at %q has no commits", current, cfg.Path))
	}
	repoURL, err := c.OriginURL()
	if err != nil {
		return errored(err)
	}
	settings, err := c.Settings()
	if err != nil {
		return errored(err)
	}
	insecure := settings.InsecureSkipTLSVerify || cfg.InsecureSkipTLSVerify
	creds, api, err := LookupCredentials(ctx, sc, s.opts, repoURL, insecure)
	if err != nil {
		res, err := errored(err)
		return scrubbed(res, err, repoURL)
	}
	po := gitprovider.Options{Provider: gitprovider.GitHub, InsecureSkipTLSVerify: insecure,
		HTTPClient: s.opts.HTTPClient, APIURL: s.opts.GitHubAPIURL}
	api.Apply(&po)
	gh, err := gitprovider.NewGitHubGit(repoURL, po)
	if err != nil {
		res, err := failed(fmt.Errorf("github-push: %w", err))
		return scrubbed(res, err, repoURL)
	}
	attempts := git.DefaultPushAttempts
	if cfg.MaxAttempts != nil {
		attempts = *cfg.MaxAttempts
	}
	p := &githubPush{sc: sc, c: c, gh: gh, repoURL: repoURL, creds: creds, target: target, head: head,
		force: cfg.Force || cfg.GenerateTargetBranch, sameBranch: current == target}
	var pushed string
	for attempt := 1; ; attempt++ {
		pushed, err = p.once(ctx)
		if err == nil || !errors.Is(err, gitprovider.ErrConflict) || p.force || attempt >= attempts {
			break
		}
	}
	if err != nil {
		var rl *gitprovider.RateLimitedError
		if errors.As(err, &rl) {
			return errored(err)
		}
		if errors.Is(err, gitprovider.ErrAccessDenied) || errors.Is(err, gitprovider.ErrNotFound) ||
			errors.Is(err, gitprovider.ErrUnsupported) {
			err = promotion.Terminal(err)
		}
		res, err := errored(fmt.Errorf("github-push to %s: %w", target, err))
		return scrubbed(res, err, repoURL)
	}
	return pushResult(c, pcfg, pushed, target)
}

// githubPush is one github-push run.
type githubPush struct {
	sc                *promotion.StepContext
	c                 *git.WorkTree
	gh                *gitprovider.GitHubGit
	repoURL           string
	creds             git.Credentials
	target            string
	head              string
	force, sameBranch bool
}

// once makes one attempt and returns the branch's new head.
func (p *githubPush) once(ctx context.Context) (string, error) {
	scratch, err := os.MkdirTemp(p.sc.WorkDir, ".github-push-")
	if err != nil {
		return "", fmt.Errorf("create scratch directory: %w", err)
	}
	defer os.RemoveAll(scratch)
	dst, err := git.Clone(ctx, p.repoURL, p.creds, git.CloneOptions{Dir: scratch, Branch: p.target, OrphanIfMissing: true})
	if err != nil {
		return "", err
	}
	remote, err := dst.Head()
	if err != nil {
		return "", err
	}
	if remote != "" && (dst.Contains(remote, p.head) || sameTree(p.c, dst, p.head, remote)) {
		// The branch already holds the change (an earlier run pushed it).
		return remote, advance(p.c, dst, remote, p.sameBranch)
	}

	// What to replay, from which repository, onto which parent.
	src, tip, onto := p.c, p.head, remote
	switch {
	case remote == "" || p.force:
		onto = p.c.RecordedBase()
	case p.c.Contains(p.head, remote):
		// The checkout descends from the branch head: its own commits.
	default:
		// Someone else pushed: bring the change onto their head, as
		// git-push does, as one commit.
		key, err := signingKey(p.c, nil)
		if err != nil {
			return "", err
		}
		dst.SetSigningKey(key)
		id, err := dst.Transplant(p.c, p.c.RecordedBase(), p.head)
		if err != nil {
			return "", err
		}
		if id == remote {
			return remote, advance(p.c, dst, remote, p.sameBranch)
		}
		src, tip = dst, id
	}
	commits, more, err := src.FirstParents(tip, onto, MaxGitHubReplay)
	if err != nil {
		return "", err
	}
	if more {
		return "", promotion.Terminalf("github-push replays at most %d commits through GitHub's API; the checkout has more since %s",
			MaxGitHubReplay, zeroIfNone(onto))
	}

	// Upload the objects: the API then only names trees that exist.
	staging := stagingRefPrefix + p.sc.Promotion
	if err := src.PushCommit(ctx, p.repoURL, p.creds, tip, staging, true); err != nil {
		return "", err
	}
	defer func() { _ = p.gh.DeleteRef(context.WithoutCancel(ctx), staging) }()

	key, err := signingKey(p.c, nil)
	if err != nil {
		return "", err
	}
	parent := onto
	for _, cm := range commits {
		nc := gitprovider.NewCommit{Message: cm.Message, Tree: cm.Tree}
		for i, ph := range cm.Parents {
			if i == 0 {
				ph = parent
			}
			if ph != "" {
				nc.Parents = append(nc.Parents, ph)
			}
		}
		if cm.SignedBy(key) {
			// Trusted: GitHub attributes the commit to the App or user and
			// signs it; an author other than the key's owner is credited.
			nc.Message = coAuthored(cm, key)
		} else {
			// Untrusted: keep the provenance exactly, GitHub will not sign.
			nc.Author = &gitprovider.CommitIdentity{Name: cm.Author.Name, Email: cm.Author.Email, When: cm.Author.When}
			nc.Committer = &gitprovider.CommitIdentity{Name: cm.Committer.Name, Email: cm.Committer.Email, When: cm.Committer.When}
		}
		id, err := p.gh.CreateCommit(ctx, nc)
		if err != nil {
			return "", err
		}
		parent = id
	}
	if err := p.gh.SetBranch(ctx, p.target, parent, p.force, remote != ""); err != nil {
		return "", err
	}

	// The replayed commits have new ids: follow them.
	again := scratch + ".sync"
	defer os.RemoveAll(again)
	synced, err := git.Clone(ctx, p.repoURL, p.creds, git.CloneOptions{Dir: again, Branch: p.target})
	if err != nil {
		return "", err
	}
	return parent, advance(p.c, synced, parent, p.sameBranch)
}

// zeroIfNone prints a missing commit as git does, all zeros.
func zeroIfNone(id string) string {
	if id == "" {
		return strings.Repeat("0", 40)
	}
	return id
}

// coAuthored is cm's message, with a Co-authored-by trailer naming its
// author when the author is known and is not the signing key's owner:
// GitHub shows the App as the author of a trusted replayed commit, and the
// trailer keeps who wrote it.
func coAuthored(cm git.CommitInfo, key *openpgp.Entity) string {
	name, email := cm.Author.Name, cm.Author.Email
	if name == "" || email == "" {
		return cm.Message
	}
	if id := key.PrimaryIdentity(); id != nil && id.UserId != nil &&
		id.UserId.Name == name && strings.EqualFold(id.UserId.Email, email) {
		return cm.Message
	}
	return strings.TrimRight(cm.Message, "\n") + "\n\nCo-authored-by: " + name + " <" + email + ">\n"
}

// sameTree reports whether commits a (of c) and b (of d) hold the same
// files, so pushing a would change nothing.
func sameTree(c, d *git.WorkTree, a, b string) bool {
	ca, err := c.Commit(a)
	if err != nil {
		return false
	}
	cb, err := d.Commit(b)
	return err == nil && ca.Tree == cb.Tree
}
