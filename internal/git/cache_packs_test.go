package git

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// However many fetches an entry takes, it keeps at most maxSmallPacks+1
// packs, and every checkout holds what the remote holds.
// A repository whose history is large next to each fetch has its small
// packs merged among themselves (the largest stays as it is); a small one
// is repacked whole.
func TestCachePacksStayFew(t *testing.T) {
	big := make([]byte, 256<<10)
	// Incompressible, so the first pack stays large.
	rnd := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // test data
	for i := range big {
		big[i] = byte(rnd.Uint32())
	}
	for name, first := range map[string]map[string]string{
		"small repository": {"v": "0"},
		"large first pack": {"v": "0", "blob": string(big)},
	} {
		t.Run(name, func(t *testing.T) { packsStayFew(t, first) })
	}
}

func packsStayFew(t *testing.T, first map[string]string) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", first)
	c := newCache(t, 0)
	var largest plumbing.Hash
	for i := range 3 * (maxSmallPacks + 2) {
		want := fmt.Sprint(i)
		head := r.Commit("main", "commit "+want, map[string]string{"v": want, fmt.Sprintf("f%d", i): want})
		w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Branch: "main", Dir: filepath.Join(t.TempDir(), "co")})
		if err != nil {
			t.Fatalf("clone %d: %v", i, err)
		}
		if got, _ := w.Head(); got != head || readFile(t, w, "v") != want || readFile(t, w, fmt.Sprintf("f%d", i)) != want {
			t.Fatalf("clone %d at %s with v=%q, want %s", i, got, readFile(t, w, "v"), head)
		}
		entries, _ := filepath.Glob(filepath.Join(c.dir, "*"))
		if len(entries) != 1 {
			t.Fatalf("%d cache entries, want 1", len(entries))
		}
		packs, err := entryPacks(entries[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(packs) > maxSmallPacks+1 {
			t.Fatalf("after clone %d the entry has %d packs, want at most %d", i, len(packs), maxSmallPacks+1)
		}
		if _, ok := first["blob"]; ok && i > 0 && packs[0].hash != largest {
			t.Fatalf("after clone %d the largest pack was rewritten", i)
		}
		largest = packs[0].hash
	}
}

// An entry holding a branch per app and Stage keeps its refs packed: go-git
// reads every loose ref file on each fetch. Every branch still checks out.
func TestCacheRefsStayPacked(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("gitops", map[string]string{"a": "1"})
	var branches []string
	for i := range 3 * maxLooseRefs {
		b := fmt.Sprintf("kargo/app%d/test", i)
		r.Commit(b, "rendered", map[string]string{"manifests.yaml": b})
		branches = append(branches, b)
	}
	c := newCache(t, 0)
	for round := range 2 {
		for _, b := range branches {
			w, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "co"), Branch: b})
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, b, err)
			}
			if got := readFile(t, w, "manifests.yaml"); got != b {
				t.Fatalf("round %d, %s: manifests.yaml = %q", round, b, got)
			}
		}
	}
	keys := c.keys()
	if len(keys) != 1 {
		t.Fatalf("cache entries = %v", keys)
	}
	loose := 0
	_ = filepath.WalkDir(filepath.Join(c.dir, keys[0], "refs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			loose++
		}
		return nil
	})
	if loose >= maxLooseRefs {
		t.Errorf("%d loose refs in the entry after %d branches, want fewer than %d", loose, len(branches), maxLooseRefs)
	}
}

// Small packs are merged geometrically: a merged pack is merged again only
// once what came after it is at least half its size.
func TestGeometricRun(t *testing.T) {
	packs := func(sizes ...int64) []packFile {
		out := make([]packFile, len(sizes))
		for i, s := range sizes {
			out[i] = packFile{hash: plumbing.NewHash(fmt.Sprintf("%040x", i+1)), size: s}
		}
		return out
	}
	sizes := func(ps []packFile) []int64 {
		out := make([]int64, len(ps))
		for i, p := range ps {
			out[i] = p.size
		}
		return out
	}
	tests := []struct {
		name  string
		small []packFile
		want  []int64
	}{
		{"a merged pack much larger than the new ones stays", packs(60, 2, 2, 2), []int64{2, 2, 2}},
		{"a merged pack as large as what came after it goes with them", packs(6, 2, 2, 2), []int64{6, 2, 2, 2}},
		{"the two smallest at least", packs(100, 50, 10, 1), []int64{10, 1}},
		{"each next one under twice the sum", packs(100, 30, 8, 3, 2), []int64{8, 3, 2}},
		{"two packs", packs(9, 1), []int64{9, 1}},
	}
	for _, tt := range tests {
		if got := sizes(geometricRun(tt.small)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: merged %v, want %v", tt.name, got, tt.want)
		}
	}
}
