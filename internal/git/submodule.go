package git

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// ErrSubmodule means a submodule of the checkout cannot be used as
// declared: its path leaves the checkout, its URL is not a network URL, or
// its commit does not exist. Retrying does not help.
var ErrSubmodule = errors.New("invalid submodule")

// ErrSubmodulePath is the ErrSubmodule of a path that leaves the checkout.
var ErrSubmodulePath = fmt.Errorf("%w path", ErrSubmodule)

// MaxSubmoduleDepth bounds submodule nesting, as a loop of submodules
// pointing at each other would otherwise never end.
const MaxSubmoduleDepth = 8

// SubmoduleCredentials returns the credentials for a submodule's URL,
// already resolved against its superproject's.
type SubmoduleCredentials func(ctx context.Context, repoURL string) (Credentials, error)

// UpdateSubmodules initializes the submodules of the work tree at dir,
// whose origin is repoURL, checks each out at the commit its superproject
// records, and does the same inside them: `git submodule update --init
// --recursive`. Each submodule is fetched in its own bounded operation with
// the credentials creds returns for its URL. Relative URLs resolve against
// the superproject's; other than http(s) and ssh URLs are refused, as is a
// path that leaves the checkout through a symbolic link.
func UpdateSubmodules(ctx context.Context, dir, repoURL string, creds SubmoduleCredentials) error {
	repo, err := gogit.PlainOpen(dir)
	if err != nil {
		return fmt.Errorf("open repository: %w", err)
	}
	return updateSubmodules(ctx, repo, dir, NormalizeURL(repoURL), creds, "", 1)
}

func updateSubmodules(ctx context.Context, repo *gogit.Repository, dir, parentURL string,
	creds SubmoduleCredentials, prefix string, depth int) error {
	wt, err := repo.Worktree()
	if err != nil {
		return fmt.Errorf("open worktree: %w", err)
	}
	subs, err := wt.Submodules()
	if err != nil {
		return fmt.Errorf("%w: read .gitmodules of %s: %w", ErrSubmodule, labelOf(prefix), err)
	}
	if len(subs) > 0 && depth > MaxSubmoduleDepth {
		return fmt.Errorf("%w: %s: submodules nest deeper than %d levels", ErrSubmodule, labelOf(prefix), MaxSubmoduleDepth)
	}
	for _, sub := range subs {
		c := sub.Config()
		name := prefix + c.Path
		if err := checkSubmodulePath(dir, c.Path); err != nil {
			return fmt.Errorf("%w: submodule %q: %w", ErrSubmodulePath, name, err)
		}
		subURL, err := resolveSubmoduleURL(parentURL, c.URL)
		if err != nil {
			return fmt.Errorf("%w: submodule %q: %w", ErrSubmodule, name, err)
		}
		status, err := sub.Status()
		if err != nil {
			return fmt.Errorf("submodule %q: %w", name, err)
		}
		if status.Expected.IsZero() {
			// Listed in .gitmodules but not recorded in the tree: git skips it too.
			continue
		}
		c.URL = subURL
		if err := sub.Init(); err != nil && !errors.Is(err, gogit.ErrSubmoduleAlreadyInitialized) {
			return fmt.Errorf("submodule %q: init: %w", name, err)
		}
		sr, err := sub.Repository()
		if err != nil {
			return fmt.Errorf("submodule %q: %w", name, err)
		}
		cred, err := creds(ctx, subURL)
		if err != nil {
			return fmt.Errorf("submodule %q: %w", name, err)
		}
		if err := fetchCommit(ctx, sr, subURL, cred, status.Expected); err != nil {
			return fmt.Errorf("submodule %q: %w", name, err)
		}
		swt, err := sr.Worktree()
		if err != nil {
			return fmt.Errorf("submodule %q: open worktree: %w", name, err)
		}
		if err := swt.Checkout(&gogit.CheckoutOptions{Hash: status.Expected, Force: true}); err != nil {
			return fmt.Errorf("submodule %q: checkout %s: %w", name, status.Expected, err)
		}
		if err := updateSubmodules(ctx, sr, filepath.Join(dir, filepath.FromSlash(c.Path)), subURL, creds,
			name+"/", depth+1); err != nil {
			return err
		}
	}
	return nil
}

func labelOf(prefix string) string {
	if prefix == "" {
		return "the checkout"
	}
	return "submodule " + strings.TrimSuffix(prefix, "/")
}

// checkSubmodulePath refuses a path whose existing components include a
// symbolic link or a .git directory: the submodule's files would be written
// through it, possibly outside the checkout. go-git already refuses ".."
// and absolute paths.
func checkSubmodulePath(dir, p string) error {
	if p == "" || path.IsAbs(p) || strings.Contains(p, "\\") {
		return fmt.Errorf("path %q is not relative", p)
	}
	parts := strings.Split(path.Clean(p), "/")
	for _, part := range parts {
		if part == ".." || part == "." || strings.EqualFold(part, ".git") {
			return fmt.Errorf("path %q leaves the checkout or enters .git", p)
		}
	}
	cur := dir
	for _, part := range parts {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("path %q: %w", p, err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("path %q goes through a symbolic link, which could lead outside the checkout", p)
		}
	}
	return nil
}

// resolveSubmoduleURL resolves a .gitmodules URL against the
// superproject's (normalized) URL, as git does for "./" and "../" URLs,
// and refuses anything but http(s) and ssh: a file URL or a local path would
// let a repository read other repositories on the manager's disk.
func resolveSubmoduleURL(parentURL, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("no url in .gitmodules")
	}
	resolved := NormalizeURL(raw)
	if strings.HasPrefix(raw, "./") || strings.HasPrefix(raw, "../") {
		base, err := url.Parse(parentURL)
		if err != nil || base.Host == "" {
			return "", fmt.Errorf("relative url %q needs a network superproject URL", raw)
		}
		segs := strings.FieldsFunc(base.Path, func(r rune) bool { return r == '/' })
		for _, part := range strings.Split(raw, "/") {
			switch part {
			case "", ".":
			case "..":
				if len(segs) == 0 {
					return "", fmt.Errorf("relative url %q leaves the server's path", raw)
				}
				segs = segs[:len(segs)-1]
			default:
				segs = append(segs, part)
			}
		}
		if len(segs) == 0 {
			return "", fmt.Errorf("relative url %q leaves the server's path", raw)
		}
		rel := *base
		rel.Path = "/" + strings.Join(segs, "/")
		resolved = rel.String()
	}
	u, err := url.Parse(resolved)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("url %q is not a network URL; only http(s) and ssh submodules are supported", RedactURL(raw))
	}
	switch u.Scheme {
	case "http", "https", "ssh", "git+ssh":
		return resolved, nil
	}
	return "", fmt.Errorf("url %q uses scheme %q; only http(s) and ssh submodules are supported", RedactURL(raw), u.Scheme)
}

// fetchCommit makes sure commit id is in repo: it fetches the branches and
// tags of origin, then the commit itself if no ref leads to it.
func fetchCommit(ctx context.Context, repo *gogit.Repository, repoURL string, creds Credentials, id plumbing.Hash) error {
	if _, err := repo.CommitObject(id); err == nil {
		return nil
	}
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return err
	}
	fetch := func(specs ...config.RefSpec) error {
		ctx, proxy, end := rem.begin(ctx)
		defer end()
		err := repo.FetchContext(ctx, &gogit.FetchOptions{
			RemoteName:      "origin",
			RemoteURL:       rem.url,
			RefSpecs:        specs,
			Auth:            rem.auth,
			InsecureSkipTLS: rem.insecure,
			ProxyOptions:    proxy,
			Tags:            gogit.NoTags,
			Force:           true,
		})
		var noMatch gogit.NoMatchingRefSpecError
		if err == nil || errors.Is(err, gogit.NoErrAlreadyUpToDate) || errors.As(err, &noMatch) {
			return nil
		}
		return wrapErr(ctx, "fetch", rem, err)
	}
	if err := fetch("+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"); err != nil {
		return err
	}
	if _, err := repo.CommitObject(id); err == nil {
		return nil
	}
	// Servers that allow fetching any reachable commit (uploadpack
	// allowReachableSHA1InWant, GitHub) serve one no ref points at.
	if err := fetch(config.RefSpec(id.String() + ":refs/railyard/submodule")); err != nil {
		return fmt.Errorf("%w: commit %s not found on %s: %w", ErrSubmodule, id, RedactURL(rem.url), err)
	}
	if _, err := repo.CommitObject(id); err != nil {
		return fmt.Errorf("%w: commit %s not found on %s", ErrSubmodule, id, RedactURL(rem.url))
	}
	return nil
}
