package git

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// BenchmarkCachedCheckout is one promotion's git-clone of the users' shape
// of GitOps repository (one directory per app, five files each) once the
// cache holds it: copying the packs and writing every file. Apps sets the
// repository's size.
//
//	go test ./internal/git -run '^$' -bench CachedCheckout -benchmem
func BenchmarkCachedCheckout(b *testing.B) {
	for _, apps := range []int{10, 100} {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) {
			s := gittest.NewServer(b)
			r := s.CreateRepo("gitops", usersRepo(apps))
			c, err := NewCache(filepath.Join(b.TempDir(), "cache"), 0)
			if err != nil {
				b.Fatal(err)
			}
			dirs := b.TempDir()
			// The first clone fills the cache.
			if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(dirs, "first"), Branch: "main"}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				opts := CloneOptions{Dir: filepath.Join(dirs, fmt.Sprint(i)), Branch: "main"}
				if _, err := c.Clone(context.Background(), r.URL, Credentials{}, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPooledCheckout is the same checkout of a commit when the cache
// pools work trees, as the manager's does: each takes the tree the last
// one left, checks every entry of it against the record (verify) and
// hands it back, as a promotion does when it ends.
//
//	go test ./internal/git -run '^$' -bench PooledCheckout -benchmem
func BenchmarkPooledCheckout(b *testing.B) {
	s := gittest.NewServer(b)
	r := s.CreateRepo("gitops", usersRepo(100))
	commit := r.Head("main")
	c, err := NewCache(filepath.Join(b.TempDir(), "cache"), 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.PoolTrees(b.TempDir(), 0); err != nil {
		b.Fatal(err)
	}
	clone := func() {
		work := b.TempDir()
		if _, err := c.Clone(context.Background(), r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(work, "src"), Commit: commit}); err != nil {
			b.Fatal(err)
		}
		c.Reclaim(work)
	}
	clone()
	before := dirReads.Load()
	for b.Loop() {
		clone()
	}
	b.ReportMetric(float64(dirReads.Load()-before)/float64(b.N), "dir-reads/op")
}

// usersRepo is the users' shape of GitOps repository: one directory per
// app, five files each.
func usersRepo(apps int) map[string]string {
	files := map[string]string{}
	for i := range apps {
		app := fmt.Sprintf("apps/app-%03d", i)
		files[app+"/base/kustomization.yaml"] = "resources: [deployment.yaml]\n"
		files[app+"/base/deployment.yaml"] = "kind: Deployment\nmetadata: {name: " + app + "}\n"
		for _, env := range []string{"test", "staging", "prod"} {
			files[app+"/overlays/"+env+"/kustomization.yaml"] = "resources: [../../base]\n"
		}
	}
	return files
}
