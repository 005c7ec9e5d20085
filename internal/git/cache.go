package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// DefaultCacheBytes bounds a Cache when no limit is given.
const DefaultCacheBytes = 2 << 30

// Cache keeps one bare repository per remote and credentials on disk.
// Checkouts fetch into it and are made from it, so a promotion transfers
// only what changed since the last one and a commit seen before needs no
// network at all. Entries are keyed by URL and credentials, so a checkout
// is only ever served objects fetched with the same secret. The cache is
// bounded in size (least recently used entries go first), safe for
// concurrent use, and an entry that cannot be read is rebuilt.
//
// Nothing under the cache directory is ever handed to a step: checkouts
// get their own copy of the packs.
type Cache struct {
	dir      string
	maxBytes int64

	mu      sync.Mutex
	entries map[string]*cacheEntry

	// trees, when set (PoolTrees), keeps finished work trees for reuse.
	trees *treePool
}

type cacheEntry struct {
	dir string
	// lock serializes fetches and copies of one repository.
	lock sync.Mutex
	// looseRefs counts refs written since the last packRefs (under lock).
	looseRefs int
	// sizeStale says the entry's files changed since size was taken
	// (under lock): walking the entry after every checkout cost as much
	// as a tenth of a checkout in a repository with hundreds of branches.
	sizeStale bool
	// listing is the last listing of the remote's refs (under lock).
	listing *entryListing
	// Guarded by Cache.mu.
	busy     int
	lastUsed time.Time
	size     int64
}

// NewCache opens (creating it if needed) a cache in dir holding at most
// maxBytes (DefaultCacheBytes when <= 0). Entries left by an earlier run
// are kept and count against the bound.
func NewCache(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create git cache: %w", err)
	}
	c := &Cache{dir: dir, maxBytes: maxBytes, entries: map[string]*cacheEntry{}}
	list, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read git cache: %w", err)
	}
	for _, e := range list {
		if !e.IsDir() {
			continue
		}
		entry := &cacheEntry{dir: filepath.Join(dir, e.Name()), size: dirSize(filepath.Join(dir, e.Name())), looseRefs: maxLooseRefs}
		if info, err := e.Info(); err == nil {
			entry.lastUsed = info.ModTime()
		}
		c.entries[e.Name()] = entry
	}
	return c, nil
}

// Size is the bytes the cache holds now.
func (c *Cache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, e := range c.entries {
		n += e.size
	}
	return n
}

// Clone does what the package's Clone does, from the cache: a checkout of
// a branch or tag asks the remote only for what the cache lacks, and a
// checkout of a commit the cache already holds makes no request. A clone
// with a depth, or of the remote's default branch, is not cached.
func (c *Cache) Clone(ctx context.Context, repoURL string, creds Credentials, opts CloneOptions) (*WorkTree, error) {
	if opts.Depth > 0 || (opts.Branch == "" && opts.Tag == "" && opts.Commit == "") {
		return Clone(ctx, repoURL, creds, opts)
	}
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("clone: no target directory")
	}
	key := RemoteKey(rem.url, creds)
	asked := time.Now()
	if !opts.ListedSince.IsZero() && opts.ListedSince.Before(asked) {
		asked = opts.ListedSince
	}
	e := c.acquire(key)
	plan, rec, err := c.prepare(ctx, e, key, rem, opts, asked)
	c.release(e)
	if err != nil {
		return nil, err
	}
	w := &WorkTree{rem: rem, dir: opts.Dir, branch: opts.Branch, pool: c.trees, poolKey: key}
	if plan.missing {
		if !opts.OrphanIfMissing {
			return nil, fmt.Errorf("clone %s: %w: %s", RedactURL(rem.url), ErrRefNotFound, refLabel(opts))
		}
		if err := c.initOrphan(w, key, opts.Branch); err != nil {
			return nil, err
		}
		return w, nil
	}
	if err := w.checkoutPlan(plan, opts); err != nil {
		return nil, err
	}
	if rec != nil {
		readClock(opts.Dir, rec)
		c.trees.gits.register(opts.Dir, rec)
	}
	return w, nil
}

// initOrphan is WorkTree.initOrphan with the repository from the pool, as
// a checkout's: a Stage's first promotion makes its branch as an orphan,
// and making a repository's directories for it and removing them after the
// promotion cost more than the rest of its checkout. The pooled
// repository's packs stay (they only let a push that asked for the
// server's refs leave out objects the server has) and it goes back to the
// pool when the work directory is reclaimed.
func (c *Cache) initOrphan(w *WorkTree, key, branch string) error {
	if c.trees == nil {
		return w.initOrphan(branch)
	}
	if err := os.RemoveAll(filepath.Join(w.dir, gogit.GitDirName)); err != nil {
		return fmt.Errorf("init %s: %w", w.dir, err)
	}
	rec, err := c.newRepository(key, w.dir)
	if err != nil {
		return fmt.Errorf("init %s: %w", w.dir, err)
	}
	repo, err := OpenRepository(w.dir, false)
	if err != nil {
		return fmt.Errorf("open checkout: %w", err)
	}
	if err := w.startOrphan(repo, branch); err != nil {
		return err
	}
	if rec != nil {
		c.trees.gits.register(w.dir, rec)
	}
	return nil
}

// clonePlan is what prepare found: the commit to check out and the
// branch head, with the cache's objects already copied into the checkout.
type clonePlan struct {
	missing    bool
	commit     plumbing.Hash
	branchHead plumbing.Hash
}

// prepare brings the cache entry up to date for opts and copies its
// objects into a repository at opts.Dir, whose record it returns when the
// repository can be pooled. A cache entry that cannot be used is rebuilt
// once.
func (c *Cache) prepare(ctx context.Context, e *cacheEntry, key string, rem *remote, opts CloneOptions, asked time.Time) (clonePlan, *gitRecord, error) {
	plan, err := c.update(ctx, e, rem, opts, asked)
	if err != nil && errors.Is(err, errCorrupt) {
		_ = os.RemoveAll(e.dir)
		e.listing = nil
		plan, err = c.update(ctx, e, rem, opts, asked)
	}
	if err != nil || plan.missing {
		return plan, nil, err
	}
	rec, err := c.copyObjects(key, e.dir, opts.Dir)
	if err != nil {
		return plan, nil, err
	}
	c.measure(e)
	return plan, rec, nil
}

// measure takes the entry's size again if its files changed (under e.lock).
func (c *Cache) measure(e *cacheEntry) {
	if !e.sizeStale {
		return
	}
	size := dirSize(e.dir)
	e.sizeStale = false
	c.mu.Lock()
	e.size = size
	c.mu.Unlock()
}

// sizeWalks counts dirSize calls (tests).
var sizeWalks atomic.Int64

// errCorrupt marks a cache entry that could not be opened or read.
var errCorrupt = errors.New("git cache entry unreadable")

// update fetches what opts needs into the entry and resolves it; a branch
// is looked up in a listing of the remote begun at or after asked.
func (c *Cache) update(ctx context.Context, e *cacheEntry, rem *remote, opts CloneOptions, asked time.Time) (clonePlan, error) {
	repo, release, err := openCacheRepo(e.dir, rem.url)
	if err != nil {
		return clonePlan{}, err
	}
	defer release()
	var plan clonePlan
	switch {
	case opts.Tag != "":
		ref := plumbing.NewTagReferenceName(opts.Tag)
		if plan.missing, err = e.fetchRef(ctx, repo, rem, ref); err != nil || plan.missing {
			return plan, err
		}
		if plan.commit, err = peel(repo, ref); err != nil {
			return plan, err
		}
	case opts.Commit != "":
		plan.commit = plumbing.NewHash(opts.Commit)
		if len(opts.Commit) != 40 || plan.commit.IsZero() {
			return plan, fmt.Errorf("%w: invalid commit id %q", ErrRefNotFound, opts.Commit)
		}
		if opts.Branch != "" {
			ref := plumbing.NewBranchReferenceName(opts.Branch)
			head, _ := peel(repo, ref)
			if head.IsZero() || !hasCommit(repo, plan.commit) || !isAncestorIn(repo, plan.commit, head) {
				if plan.missing, err = e.fetchBranch(ctx, repo, rem, ref, asked); err != nil || plan.missing {
					return plan, err
				}
			}
			if plan.branchHead, err = peel(repo, ref); err != nil {
				return plan, err
			}
			if !isAncestorIn(repo, plan.commit, plan.branchHead) {
				return plan, fmt.Errorf("%w: commit %s is not in the history of branch %q", ErrRefNotFound, opts.Commit, opts.Branch)
			}
			break
		}
		if !hasCommit(repo, plan.commit) {
			// Any branch may hold it, as with a full clone.
			if _, err := e.fetchSpec(ctx, repo, rem, "+refs/heads/*:refs/heads/*"); err != nil {
				return plan, err
			}
		}
		if !hasCommit(repo, plan.commit) {
			return plan, fmt.Errorf("%w: commit %s is on no branch of %s", ErrRefNotFound, opts.Commit, RedactURL(rem.url))
		}
	default:
		ref := plumbing.NewBranchReferenceName(opts.Branch)
		if err := ref.Validate(); err != nil {
			return plan, fmt.Errorf("%w: invalid branch name %q", ErrRefNotFound, opts.Branch)
		}
		if plan.missing, err = e.fetchBranch(ctx, repo, rem, ref, asked); err != nil || plan.missing {
			return plan, err
		}
		if plan.commit, err = peel(repo, ref); err != nil {
			return plan, err
		}
		plan.branchHead = plan.commit
	}
	if opts.Commit == "" || opts.Branch != "" {
		e.wroteRef(repo)
	}
	merged, err := consolidatePacks(repo, e.dir)
	if err != nil {
		return plan, fmt.Errorf("%w: repack: %w", errCorrupt, err)
	}
	e.sizeStale = e.sizeStale || merged
	return plan, nil
}

// maxLooseRefs is how many refs an entry takes as loose files before they
// are packed: go-git reads every loose ref file on each fetch, and the
// entry of the users' repository holds a branch per app and Stage.
const maxLooseRefs = 16

// wroteRef counts a ref written into the entry (a fetch, or Learn) and
// packs the loose ones into packed-refs when there are enough. Failing to
// pack only costs reads later.
func (e *cacheEntry) wroteRef(repo *gogit.Repository) {
	e.looseRefs++
	if e.looseRefs < maxLooseRefs {
		return
	}
	if p, ok := repo.Storer.(interface{ PackRefs() error }); ok && p.PackRefs() == nil {
		e.looseRefs = 0
		e.sizeStale = true
	}
}

// openCacheRepo opens the bare repository of an entry, creating it with an
// origin remote at url when absent; its pack files stay open until release
// is called (openHeld).
func openCacheRepo(dir, url string) (repo *gogit.Repository, release func(), err error) {
	repo, release, err = openHeld(dir, true)
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		_ = os.RemoveAll(dir)
		if repo, err = gogit.PlainInit(dir, true); err != nil {
			return nil, nil, fmt.Errorf("create git cache entry: %w", err)
		}
		if _, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
			return nil, nil, fmt.Errorf("create git cache entry: %w", err)
		}
		return repo, func() {}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return repo, release, nil
}

// fetchBranch brings the branch ref up to date in the entry: from a
// listing of the remote begun at or after asked (one the last checkout of
// the entry made while this one waited for the entry, or a new one) when
// the entry already holds the commit it names, which it usually does (the
// entry learns what promotions push), else by a fetch. Checkouts that
// queue for the entry so share one listing, and none sees the remote
// older than when it asked.
func (e *cacheEntry) fetchBranch(ctx context.Context, repo *gogit.Repository, rem *remote, ref plumbing.ReferenceName, asked time.Time) (missing bool, err error) {
	refs, err := e.list(ctx, rem, asked)
	if err != nil {
		return false, err
	}
	b, ok := refs.Branch(ref.Short())
	if !ok {
		return true, nil
	}
	h := plumbing.NewHash(b.ID)
	if !hasCommit(repo, h) {
		return e.fetchRef(ctx, repo, rem, ref)
	}
	if cur, err := repo.Storer.Reference(ref); err == nil && cur.Hash() == h {
		return false, nil
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(ref, h)); err != nil {
		return false, fmt.Errorf("%w: set %s: %w", errCorrupt, ref, err)
	}
	return false, nil
}

// list returns a listing of the remote's refs begun at or after asked,
// the entry's last one if it qualifies (under e.lock).
func (e *cacheEntry) list(ctx context.Context, rem *remote, asked time.Time) (*Refs, error) {
	if e.listing != nil && !e.listing.started.Before(asked) {
		listingsShared.Add(1)
		return e.listing.refs, nil
	}
	started := time.Now()
	refs, err := listRemoteRefs(ctx, rem)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		refs, err = &Refs{}, nil
	}
	if err != nil {
		return nil, err
	}
	e.listing = &entryListing{started: started, refs: refs}
	return refs, nil
}

// listingsShared counts checkouts served by another's listing (tests).
var listingsShared atomic.Int64

// entryListing is a listing of the remote and when it was begun.
type entryListing struct {
	started time.Time
	refs    *Refs
}

// fetchRef fetches one ref into the same name; missing reports that the
// remote has no such ref (or no commits at all).
func (e *cacheEntry) fetchRef(ctx context.Context, repo *gogit.Repository, rem *remote, ref plumbing.ReferenceName) (missing bool, err error) {
	return e.fetchSpec(ctx, repo, rem, config.RefSpec("+"+ref+":"+ref))
}

// fetchSpec fetches spec into the entry; missing means the remote has no
// such ref.
func (e *cacheEntry) fetchSpec(ctx context.Context, repo *gogit.Repository, rem *remote, spec config.RefSpec) (missing bool, err error) {
	missing, fetched, err := fetchSpec(ctx, repo, rem, spec)
	e.sizeStale = e.sizeStale || fetched || err != nil
	return missing, err
}

// fetchSpec fetches spec; fetched says something was written.
func fetchSpec(ctx context.Context, repo *gogit.Repository, rem *remote, spec config.RefSpec) (missing, fetched bool, err error) {
	ctx, proxy, end := rem.begin(ctx)
	defer end()
	err = repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName:      "origin",
		RemoteURL:       rem.url,
		RefSpecs:        []config.RefSpec{spec},
		Auth:            rem.auth,
		InsecureSkipTLS: rem.insecure,
		ProxyOptions:    proxy,
		Tags:            gogit.NoTags,
		Force:           true,
	})
	var noMatch gogit.NoMatchingRefSpecError
	switch {
	case err == nil:
		return false, true, nil
	case errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return false, false, nil
	case errors.As(err, &noMatch), errors.Is(err, transport.ErrEmptyRemoteRepository):
		return true, false, nil
	case errors.Is(err, plumbing.ErrObjectNotFound):
		return false, false, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return false, false, wrapErr(ctx, "fetch", rem, err)
}

// peel resolves a ref to the commit it names, through an annotated tag.
func peel(repo *gogit.Repository, name plumbing.ReferenceName) (plumbing.Hash, error) {
	ref, err := repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %s: %w", errCorrupt, name, err)
	}
	h := ref.Hash()
	if tag, err := repo.TagObject(h); err == nil {
		c, err := tag.Commit()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%w: tag %s: %w", ErrRefNotFound, name.Short(), err)
		}
		return c.Hash, nil
	}
	return h, nil
}

func hasCommit(repo *gogit.Repository, h plumbing.Hash) bool {
	_, err := repo.CommitObject(h)
	return err == nil
}

// isAncestorIn says whether anc is head or one of its ancestors.
func isAncestorIn(repo *gogit.Repository, anc, head plumbing.Hash) bool {
	if anc == head {
		return true
	}
	a, err := repo.CommitObject(anc)
	if err != nil {
		return false
	}
	h, err := repo.CommitObject(head)
	if err != nil {
		return false
	}
	ok, err := a.IsAncestor(h)
	return err == nil && ok
}

// checkoutPlan makes opts.Dir, which holds the cache's objects, a checkout
// of plan as the package's Clone would leave it.
func (w *WorkTree) checkoutPlan(plan clonePlan, opts CloneOptions) error {
	repo, err := OpenRepository(opts.Dir, false)
	if err != nil {
		return fmt.Errorf("open checkout: %w", err)
	}
	w.repo = repo
	remote := &config.RemoteConfig{Name: "origin", URLs: []string{w.rem.url}}
	if opts.Branch != "" {
		remote.Fetch = []config.RefSpec{config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/origin/%s", opts.Branch, opts.Branch))}
	}
	if _, err := repo.CreateRemote(remote); err != nil {
		return fmt.Errorf("add remote: %w", err)
	}
	set := func(ref *plumbing.Reference) error {
		if err := repo.Storer.SetReference(ref); err != nil {
			return fmt.Errorf("set %s: %w", ref.Name(), err)
		}
		return nil
	}
	if w.wt, err = repo.Worktree(); err != nil {
		return fmt.Errorf("open worktree: %w", err)
	}
	if opts.Branch != "" && !plan.branchHead.IsZero() {
		branch := plumbing.NewBranchReferenceName(opts.Branch)
		if err := set(plumbing.NewHashReference(branch, plan.branchHead)); err != nil {
			return err
		}
		if err := set(plumbing.NewHashReference(plumbing.NewRemoteReferenceName("origin", opts.Branch), plan.branchHead)); err != nil {
			return err
		}
		cfg, err := repo.Config()
		if err != nil {
			return fmt.Errorf("read config: %w", err)
		}
		cfg.Branches[opts.Branch] = &config.Branch{Name: opts.Branch, Remote: "origin", Merge: branch}
		if err := repo.SetConfig(cfg); err != nil {
			return fmt.Errorf("write config: %w", err)
		}
	}
	if opts.Tag != "" {
		// A clone of a tag leaves it in refs/tags, as git does.
		if err := set(plumbing.NewHashReference(plumbing.NewTagReferenceName(opts.Tag), plan.commit)); err != nil {
			return err
		}
	}
	head := plumbing.NewHashReference(plumbing.HEAD, plan.commit)
	if opts.Tag == "" && opts.Commit == "" {
		head = plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(opts.Branch))
	} else {
		w.branch = ""
	}
	if err := set(head); err != nil {
		return err
	}
	if err := w.materialize(plan.commit); err != nil {
		return err
	}
	w.base = plan.commit
	return nil
}

// copyObjects gives the repository to be created at dir (from the pool
// when there is one) its own copy of the cache entry's packs and loose
// objects, and returns its record when it can be pooled. Copies, not
// links: a step that writes into its checkout's .git must never reach the
// cache.
func (c *Cache) copyObjects(key, entry, dir string) (*gitRecord, error) {
	rec, err := c.newRepository(key, dir)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	if err := syncPacks(entry, dir, rec); err != nil {
		return nil, err
	}
	src := filepath.Join(entry, "objects")
	dst := filepath.Join(dir, gogit.GitDirName, "objects")
	return rec, filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && rel == "info":
			// Alternates and the like stay the cache's own.
			return filepath.SkipDir
		case d.IsDir() && rel == "pack":
			return filepath.SkipDir // syncPacks copied them
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
}

// initRepository makes dir an empty repository with a work tree, as
// go-git's PlainInit does (the same files), without its path resolution
// through symbolic links, which made it a tenth of a checkout's time. The
// files are made through an os.Root on dir, so none can land outside it.
func initRepository(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	if err := root.Mkdir(gogit.GitDirName, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return gogit.ErrRepositoryAlreadyExists
		}
		return err
	}
	dotGit, err := root.OpenRoot(gogit.GitDirName)
	if err != nil {
		return err
	}
	defer func() { _ = dotGit.Close() }()
	for _, d := range skeleton {
		if err := dotGit.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	return writeGitFiles(dotGit)
}

func copyFile(from, to string) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copy from git cache: %w", err)
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if err != nil {
		return fmt.Errorf("copy from git cache: %w", err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("copy from git cache: %w", cerr)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return fmt.Errorf("copy from git cache: %w", err)
	}
	return nil
}

// acquire returns the locked entry for key, marked busy so it is not
// evicted.
func (c *Cache) acquire(key string) *cacheEntry {
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &cacheEntry{dir: filepath.Join(c.dir, key)}
		c.entries[key] = e
	}
	e.busy++
	e.lastUsed = time.Now()
	c.mu.Unlock()
	e.lock.Lock()
	return e
}

// release unlocks e and evicts least recently used idle entries while the
// cache is over its bound.
func (c *Cache) release(e *cacheEntry) {
	e.lock.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	e.busy--
	var total int64
	idle := make([]string, 0, len(c.entries))
	for key, entry := range c.entries {
		total += entry.size
		if entry.busy == 0 {
			idle = append(idle, key)
		}
	}
	sort.Slice(idle, func(i, j int) bool { return c.entries[idle[i]].lastUsed.Before(c.entries[idle[j]].lastUsed) })
	for _, key := range idle {
		if total <= c.maxBytes {
			break
		}
		entry := c.entries[key]
		if err := os.RemoveAll(entry.dir); err != nil {
			continue
		}
		total -= entry.size
		delete(c.entries, key)
	}
}

// keys lists the entries' keys, least recently used first (tests).
func (c *Cache) keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return c.entries[a].lastUsed.Compare(c.entries[b].lastUsed) })
	return keys
}

func dirSize(dir string) int64 {
	sizeWalks.Add(1)
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
