package gitsteps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

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
	current, err := c.branch()
	if err != nil {
		return errored(err)
	}
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
	if err := plumbing.NewBranchReferenceName(target).Validate(); err != nil {
		return failed(promotion.Terminalf("invalid target branch %q: %w", target, err))
	}
	head, err := c.head()
	if err != nil {
		return errored(err)
	}
	if head.IsZero() {
		return failed(promotion.Terminalf("nothing to push: branch %q of the checkout at %q has no commits", current, cfg.Path))
	}
	repoURL, err := c.originURL()
	if err != nil {
		return errored(err)
	}
	insecure, _, err := c.settings()
	if err != nil {
		return errored(err)
	}
	insecure = insecure || cfg.InsecureSkipTLSVerify
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
	var pushed plumbing.Hash
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
	c                 *checkout
	gh                *gitprovider.GitHubGit
	repoURL           string
	creds             git.Credentials
	target            string
	head              plumbing.Hash
	force, sameBranch bool
}

// once makes one attempt and returns the branch's new head.
func (p *githubPush) once(ctx context.Context) (plumbing.Hash, error) {
	scratch, err := os.MkdirTemp(p.sc.WorkDir, ".github-push-")
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("create scratch directory: %w", err)
	}
	defer os.RemoveAll(scratch)
	wt, err := git.Clone(ctx, p.repoURL, p.creds, git.CloneOptions{Dir: scratch, Branch: p.target, OrphanIfMissing: true})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	remoteID, err := wt.Head()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	remote := hashOf(remoteID)
	dst, err := reopen(scratch)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !remote.IsZero() && (contains(dst.repo, p.head, remote) || sameTree(p.c, dst, p.head, remote)) {
		// The branch already holds the change (an earlier run pushed it).
		return remote, p.c.advance(dst, remote, p.target, p.sameBranch)
	}

	// What to replay, from which repository, onto which parent.
	src, tip, onto := p.c, p.head, remote
	switch {
	case remote.IsZero() || p.force:
		onto = p.c.base()
	case contains(p.c.repo, remote, p.head):
		// The checkout descends from the branch head: its own commits.
	default:
		// Someone else pushed: bring the change onto their head, as
		// git-push does, as one commit.
		if _, err := transplant(p.c, dst, p.c.base(), p.head, remote); err != nil {
			return plumbing.ZeroHash, err
		}
		last, err := p.c.repo.CommitObject(p.head)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", p.head, err)
		}
		key, err := p.c.signingKey(nil)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		wt.SetSigningKey(key)
		id, err := wt.CommitAll(last.Message, git.Signature{Name: last.Author.Name, Email: last.Author.Email, When: last.Author.When})
		if errors.Is(err, git.ErrNothingToCommit) {
			return remote, p.c.advance(dst, remote, p.target, p.sameBranch)
		}
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if dst, err = reopen(scratch); err != nil {
			return plumbing.ZeroHash, err
		}
		src, tip = dst, hashOf(id)
	}
	commits, err := replayList(src, tip, onto)
	if err != nil {
		return plumbing.ZeroHash, err
	}

	// Upload the objects: the API then only names trees that exist.
	staging := plumbing.ReferenceName(stagingRefPrefix + p.sc.Promotion)
	local := plumbing.ReferenceName("refs/railyard/github-push")
	if err := src.repo.Storer.SetReference(plumbing.NewHashReference(local, tip)); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("prepare push: %w", err)
	}
	defer func() { _ = src.repo.Storer.RemoveReference(local) }()
	if _, err := git.PushRefs(ctx, src.dir, p.repoURL, p.creds, git.RefUpdate{Local: local, Remote: staging, Force: true}); err != nil {
		return plumbing.ZeroHash, err
	}
	defer func() { _ = p.gh.DeleteRef(context.WithoutCancel(ctx), staging.String()) }()

	key, err := p.c.signingKey(nil)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	parent := onto
	for _, cm := range commits {
		nc := gitprovider.NewCommit{Message: cm.Message, Tree: cm.TreeHash.String()}
		for i, ph := range cm.ParentHashes {
			if i == 0 {
				ph = parent
			}
			if !ph.IsZero() {
				nc.Parents = append(nc.Parents, ph.String())
			}
		}
		if trusted(cm, key) {
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
			return plumbing.ZeroHash, err
		}
		parent = plumbing.NewHash(id)
	}
	if err := p.gh.SetBranch(ctx, p.target, parent.String(), p.force, !remote.IsZero()); err != nil {
		return plumbing.ZeroHash, err
	}

	// The replayed commits have new ids: follow them.
	again := scratch + ".sync"
	defer os.RemoveAll(again)
	if _, err := git.Clone(ctx, p.repoURL, p.creds, git.CloneOptions{Dir: again, Branch: p.target}); err != nil {
		return plumbing.ZeroHash, err
	}
	synced, err := reopen(again)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return parent, p.c.advance(synced, parent, p.target, p.sameBranch)
}

// trusted reports whether cm carries a valid signature by key, the
// checkout's signing key: only such a commit is created without author and
// committer. A commit signed with any other key, or not signed, is not.
func trusted(cm *object.Commit, key *openpgp.Entity) bool {
	if key == nil || cm.PGPSignature == "" {
		return false
	}
	unsigned := &plumbing.MemoryObject{}
	if err := cm.EncodeWithoutSignature(unsigned); err != nil {
		return false
	}
	r, err := unsigned.Reader()
	if err != nil {
		return false
	}
	defer r.Close() //nolint:errcheck
	_, err = openpgp.CheckArmoredDetachedSignature(openpgp.EntityList{key}, r, strings.NewReader(cm.PGPSignature), nil)
	return err == nil
}

// coAuthored is cm's message, with a Co-authored-by trailer naming its
// author when the author is known and is not the signing key's owner:
// GitHub shows the App as the author of a trusted replayed commit, and the
// trailer keeps who wrote it.
func coAuthored(cm *object.Commit, key *openpgp.Entity) string {
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
func sameTree(c, d *checkout, a, b plumbing.Hash) bool {
	ca, err := c.repo.CommitObject(a)
	if err != nil {
		return false
	}
	cb, err := d.repo.CommitObject(b)
	return err == nil && ca.TreeHash == cb.TreeHash
}

// replayList returns the commits from onto (exclusive) to tip along first
// parents, oldest first; onto zero means the whole history.
func replayList(src *checkout, tip, onto plumbing.Hash) ([]*object.Commit, error) {
	var out []*object.Commit
	for h := tip; !h.IsZero() && h != onto; {
		if len(out) == MaxGitHubReplay {
			return nil, promotion.Terminalf("github-push replays at most %d commits through GitHub's API; the checkout has more since %s",
				MaxGitHubReplay, onto)
		}
		cm, err := src.repo.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		out = append(out, cm)
		h = plumbing.ZeroHash
		if len(cm.ParentHashes) > 0 {
			h = cm.ParentHashes[0]
		}
	}
	slices.Reverse(out)
	return out, nil
}
