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
			files := map[string]string{}
			for i := range apps {
				app := fmt.Sprintf("apps/app-%03d", i)
				files[app+"/base/kustomization.yaml"] = "resources: [deployment.yaml]\n"
				files[app+"/base/deployment.yaml"] = "kind: Deployment\nmetadata: {name: " + app + "}\n"
				for _, env := range []string{"test", "staging", "prod"} {
					files[app+"/overlays/"+env+"/kustomization.yaml"] = "resources: [../../base]\n"
				}
			}
			s := gittest.NewServer(b)
			r := s.CreateRepo("gitops", files)
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
