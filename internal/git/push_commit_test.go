package git

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// refRecorder records which refs are written and removed through it.
type refRecorder struct {
	storage.Storer
	touched []string
}

func (r *refRecorder) SetReference(ref *plumbing.Reference) error {
	r.touched = append(r.touched, "set "+ref.Name().String())
	return r.Storer.SetReference(ref)
}

func (r *refRecorder) RemoveReference(name plumbing.ReferenceName) error {
	r.touched = append(r.touched, "remove "+name.String())
	return r.Storer.RemoveReference(name)
}

// A commit is pushed to a branch by its id: no scratch ref is written into
// the checkout and removed again (each a rewrite of packed-refs, on every
// promotion). Other refs still go through the scratch ref, which is gone
// afterwards; a push without a commit is refused before any request.
func TestPushCommitByID(t *testing.T) {
	ctx := context.Background()
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("gitops", map[string]string{"a": "1"})
	w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "wt"), Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &refRecorder{Storer: w.repo.Storer}
	w.repo.Storer = rec
	scratch := pushScratchRef.String()

	base := r.Head("main")
	first := commitFile(t, w, "a", "2", "first")
	if err := w.PushCommit(ctx, r.URL, Credentials{}, first, "refs/heads/main", false); err != nil {
		t.Fatal(err)
	}
	second := commitFile(t, w, "a", "3", "second")
	if err := w.PushCommitFrom(ctx, r.URL, Credentials{}, second, "refs/heads/main", first); err != nil {
		t.Fatal(err)
	}
	if got := r.Head("main"); got != second {
		t.Fatalf("main at %s, want %s (from %s)", got, second, base)
	}
	for _, op := range rec.touched {
		if op == "set "+scratch || op == "remove "+scratch {
			t.Errorf("a push to a branch touched the scratch ref: %v", rec.touched)
			break
		}
	}

	rec.touched = nil
	if err := w.PushCommit(ctx, r.URL, Credentials{}, second, "refs/tags/pushed", false); err != nil {
		t.Fatal(err)
	}
	if got := r.Resolve("refs/tags/pushed"); got != second {
		t.Errorf("tag at %q, want %s", got, second)
	}
	if want := []string{"set " + scratch, "remove " + scratch}; !slices.Equal(rec.touched, want) {
		t.Errorf("a push to a tag: refs touched %v, want %v", rec.touched, want)
	}
	if _, err := w.repo.Reference(pushScratchRef, false); err == nil {
		t.Error("the scratch ref was left behind")
	}

	s.ResetStats()
	if err := w.PushCommit(ctx, r.URL, Credentials{}, "", "refs/heads/main", false); err == nil {
		t.Error("a push without a commit was accepted")
	}
	if st := s.Stats(); st.RefLists+st.Pushes != 0 || r.Head("main") != second {
		t.Errorf("a push without a commit reached the server (%+v) or moved main to %s", st, r.Head("main"))
	}
}
