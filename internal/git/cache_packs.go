package git

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Every fetch and every push the cache learns adds a small pack to an
// entry, and every checkout copies each pack and reads each index, so the
// number of packs is what a checkout costs. Rewriting the whole repository
// into one pack costs in proportion to its size, which for a large GitOps
// repository is more than the copies it saves. So the packs are merged
// geometrically: past maxSmallPacks, the smallest packs are merged, each
// next one as long as it is under twice what is merged so far, so a pack
// is rewritten only when as much again has come after it (merging every
// pack but the largest rewrote the same merged pack at every fourth push);
// once the small packs together reach half of the largest, everything is
// merged into one pack.
const maxSmallPacks = 3

// packFile is a pack of an entry and its size.
type packFile struct {
	hash plumbing.Hash
	size int64
}

// consolidatePacks merges the entry's packs as described above and says
// whether it did. dir is the entry's directory; repo is it opened.
func consolidatePacks(repo *gogit.Repository, dir string) (bool, error) {
	packs, err := entryPacks(dir)
	if err != nil || len(packs) <= maxSmallPacks+1 {
		return false, err
	}
	largest, small := packs[0], packs[1:]
	var smallSize int64
	for _, p := range small {
		smallSize += p.size
	}
	if smallSize*2 >= largest.size {
		return true, repo.RepackObjects(&gogit.RepackConfig{})
	}
	small = geometricRun(small)
	var objects []plumbing.Hash
	for _, p := range small {
		hs, err := packObjects(dir, p.hash)
		if err != nil {
			return true, err
		}
		objects = append(objects, hs...)
	}
	if err := writePack(repo.Storer, repo.Storer, objects); err != nil {
		return true, fmt.Errorf("merging %d packs: %w", len(small), err)
	}
	pos, ok := repo.Storer.(storer.PackedObjectStorer)
	if !ok {
		return true, fmt.Errorf("merging packs: %w", gogit.ErrPackedObjectsNotSupported)
	}
	for _, p := range small {
		// Every object of p is in the new pack now.
		if err := pos.DeleteOldObjectPackAndIndex(p.hash, time.Time{}); err != nil {
			return true, fmt.Errorf("removing merged pack %s: %w", p.hash, err)
		}
	}
	return true, nil
}

// geometricRun picks from packs (largest first, at least two) the ones to
// merge: the two smallest, then each next larger one while it is under
// twice their sum.
func geometricRun(packs []packFile) []packFile {
	n := len(packs)
	if n <= 2 {
		return packs
	}
	i := n - 2
	sum := packs[n-1].size + packs[n-2].size
	for i > 0 && packs[i-1].size < 2*sum {
		i--
		sum += packs[i].size
	}
	return packs[i:]
}

// entryPacks lists the entry's packs, largest first.
func entryPacks(dir string) ([]packFile, error) {
	names, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "pack-*.pack"))
	if err != nil {
		return nil, err
	}
	packs := make([]packFile, 0, len(names))
	for _, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		base := filepath.Base(name)
		h := plumbing.NewHash(base[len("pack-") : len(base)-len(".pack")])
		packs = append(packs, packFile{hash: h, size: fi.Size()})
	}
	sort.Slice(packs, func(i, j int) bool { return packs[i].size > packs[j].size })
	return packs, nil
}

// packObjects lists the objects of a pack from its index.
func packObjects(dir string, pack plumbing.Hash) ([]plumbing.Hash, error) {
	b, err := os.ReadFile(filepath.Join(dir, "objects", "pack", "pack-"+pack.String()+".idx"))
	if err != nil {
		return nil, err
	}
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bytes.NewReader(b)).Decode(idx); err != nil {
		return nil, fmt.Errorf("reading index of pack %s: %w", pack, err)
	}
	entries, err := idx.Entries()
	if err != nil {
		return nil, err
	}
	defer func() { _ = entries.Close() }()
	var out []plumbing.Hash
	for {
		e, err := entries.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading index of pack %s: %w", pack, err)
		}
		out = append(out, e.Hash)
	}
	return out, nil
}
