package git

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// ErrNotFetched means a commit or object is not in the repository: a
// shallow history ends before it, or a ref moved since the fetch.
var ErrNotFetched = errors.New("git object not fetched")

// CommitInfo is what callers outside this package read of a commit.
type CommitInfo struct {
	ID      string
	Tree    string
	Parents []string
	Message string
	// Author and Committer carry their dates.
	Author    Signature
	Committer Signature

	obj *object.Commit
}

func commitInfo(c *object.Commit) CommitInfo {
	parents := make([]string, len(c.ParentHashes))
	for i, p := range c.ParentHashes {
		parents[i] = p.String()
	}
	return CommitInfo{
		ID:        c.Hash.String(),
		Tree:      c.TreeHash.String(),
		Parents:   parents,
		Message:   c.Message,
		Author:    Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When},
		Committer: Signature{Name: c.Committer.Name, Email: c.Committer.Email, When: c.Committer.When},
		obj:       c,
	}
}

// readCommit reads commit id of repo; a missing one is ErrNotFetched.
func readCommit(objects storer.EncodedObjectStorer, id string) (*object.Commit, error) {
	c, err := object.GetCommit(objects, hashOf(id))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: commit %s", ErrNotFetched, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", id, err)
	}
	return c, nil
}

// Commit reads commit id of the work tree's repository.
func (w *WorkTree) Commit(id string) (CommitInfo, error) {
	c, err := readCommit(w.repo.Storer, id)
	if err != nil {
		return CommitInfo{}, err
	}
	return commitInfo(c), nil
}

// Contains reports whether commit anc is tip or one of its ancestors, as
// far as the repository's history goes (a shallow end answers false).
func (w *WorkTree) Contains(tip, anc string) bool {
	return w.isAncestor(hashOf(anc), hashOf(tip))
}

// FirstParents returns the commits from tip back to, not including, stop
// along first parents, oldest first; stop "" means the whole history. It
// reads at most limit commits (no limit when <= 0) and reports whether
// more were left.
func (w *WorkTree) FirstParents(tip, stop string, limit int) (commits []CommitInfo, more bool, err error) {
	chain, more, err := w.firstParents(hashOf(tip), hashOf(stop), limit)
	if err != nil {
		return nil, false, err
	}
	commits = make([]CommitInfo, len(chain))
	for i, c := range chain {
		commits[i] = commitInfo(c)
	}
	return commits, more, nil
}

func (w *WorkTree) firstParents(tip, stop plumbing.Hash, limit int) ([]*object.Commit, bool, error) {
	var out []*object.Commit
	for h := tip; !h.IsZero() && h != stop; {
		if limit > 0 && len(out) == limit {
			reverse(out)
			return out, true, nil
		}
		c, err := w.repo.CommitObject(h)
		if err != nil {
			return nil, false, fmt.Errorf("read commit %s: %w", h, err)
		}
		out = append(out, c)
		h = plumbing.ZeroHash
		if len(c.ParentHashes) > 0 {
			h = c.ParentHashes[0]
		}
	}
	reverse(out)
	return out, false, nil
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// SignedBy reports whether the commit carries a valid signature made with
// key. A commit signed with another key, or unsigned, is not.
func (c CommitInfo) SignedBy(key *openpgp.Entity) bool {
	if key == nil || c.obj == nil || c.obj.PGPSignature == "" {
		return false
	}
	unsigned := &plumbing.MemoryObject{}
	if err := c.obj.EncodeWithoutSignature(unsigned); err != nil {
		return false
	}
	r, err := unsigned.Reader()
	if err != nil {
		return false
	}
	defer r.Close() //nolint:errcheck
	_, err = openpgp.CheckArmoredDetachedSignature(openpgp.EntityList{key}, r, strings.NewReader(c.obj.PGPSignature), nil)
	return err == nil
}
