package git

import (
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// maxLearnCommits bounds the history Learn copies; a longer one is left to
// the next fetch.
const maxLearnCommits = 64

// Learn records in the cache that the remote at repoURL, reached with
// creds, now holds branch at commit, which the checkout at dir has (it was
// just pushed from there). The objects of commit the cache entry lacks are
// copied into it and the entry's branch is set, so the next checkout of
// that branch asks the remote only for its refs instead of fetching what
// this manager pushed itself. A stage branch moves with every promotion,
// so that is one request less for each. An error leaves the entry as it
// was; the next checkout fetches as before.
func (c *Cache) Learn(repoURL string, creds Credentials, dir, branch, commit string) error {
	rem, err := newRemote(repoURL, creds)
	if err != nil {
		return err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("learn: invalid branch name %q", branch)
	}
	src, releaseSrc, err := openHeld(dir, false)
	if err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	defer releaseSrc()
	e := c.acquire(RemoteKey(rem.url, creds))
	defer c.release(e)
	dst, releaseDst, err := openHeld(e.dir, true)
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		return nil // nothing cached yet: the next clone fetches anyway
	}
	if err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	defer releaseDst()
	h := plumbing.NewHash(commit)
	missing, err := missingObjects(dst.Storer, src.Storer, h)
	if err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	if err := writePack(dst.Storer, src.Storer, missing); err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	if err := dst.Storer.SetReference(plumbing.NewHashReference(ref, h)); err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	e.wroteRef(dst)
	e.sizeStale = true
	c.measure(e)
	return nil
}

// missingObjects lists commit and its ancestors, with their trees and
// blobs, that dst lacks, stopping at objects dst has: a repository that
// has an object has everything it refers to.
func missingObjects(dst, src storer.EncodedObjectStorer, commit plumbing.Hash) ([]plumbing.Hash, error) {
	var out []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	has := func(h plumbing.Hash) bool { return seen[h] || dst.HasEncodedObject(h) == nil }
	var tree func(h plumbing.Hash) error
	tree = func(h plumbing.Hash) error {
		if has(h) {
			return nil
		}
		seen[h] = true
		t, err := object.GetTree(src, h)
		if err != nil {
			return err
		}
		out = append(out, h)
		for _, entry := range t.Entries {
			switch {
			case entry.Mode == filemode.Dir:
				if err := tree(entry.Hash); err != nil {
					return err
				}
			case entry.Mode == filemode.Submodule:
				// A commit of another repository, not an object of this one.
			case !has(entry.Hash):
				seen[entry.Hash] = true
				out = append(out, entry.Hash)
			}
		}
		return nil
	}
	queue := []plumbing.Hash{commit}
	for commits := 0; len(queue) > 0; {
		h := queue[0]
		queue = queue[1:]
		if has(h) {
			continue
		}
		if commits++; commits > maxLearnCommits {
			return nil, fmt.Errorf("more than %d commits to copy", maxLearnCommits)
		}
		seen[h] = true
		c, err := object.GetCommit(src, h)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
		if err := tree(c.TreeHash); err != nil {
			return nil, err
		}
		queue = append(queue, c.ParentHashes...)
	}
	return out, nil
}

// writePack writes objects of src into dst as one pack, as a fetch would:
// it lands whole or not at all, and the cache's repacking keeps counting
// packs (loose objects would be copied one file each into every checkout).
func writePack(dst, src storer.EncodedObjectStorer, objects []plumbing.Hash) (err error) {
	if len(objects) == 0 {
		return nil
	}
	pw, ok := dst.(storer.PackfileWriter)
	if !ok {
		return errors.New("the cache entry cannot take a pack")
	}
	w, err := pw.PackfileWriter()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = packfile.NewEncoder(w, src, false).Encode(objects, 10)
	return err
}
