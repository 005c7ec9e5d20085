package git

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// The first commit of a branch made as an orphan (git-clone's create) is
// pushed without asking for the server's refs once its capabilities are
// known: a root commit can only create the branch, and the server refuses
// to create one that exists, after which the push goes on as before.
func TestPushOrphanBranchWithoutRefs(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// exists creates the branch on the server before the push.
		exists       bool
		wantErr      error
		wantRefLists int
	}{
		{name: "a new branch", wantRefLists: 0},
		{name: "the branch was made meanwhile", exists: true, wantErr: ErrNonFastForward, wantRefLists: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gittest.NewServer(t, gittest.WithPush())
			r := s.CreateRepo("gitops", map[string]string{"a": "1"})
			// A push before teaches the server's capabilities.
			w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "main"), Branch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			first := commitFile(t, w, "a", "2", "first")
			if err := w.PushCommitFrom(ctx, r.URL, Credentials{}, first, "refs/heads/main", r.Head("main")); err != nil {
				t.Fatal(err)
			}

			orphan, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: filepath.Join(t.TempDir(), "out"), Branch: "kargo/app/test", OrphanIfMissing: true})
			if err != nil {
				t.Fatal(err)
			}
			ours := commitFile(t, orphan, "manifests.yaml", "kind: ConfigMap\n", "rendered")
			if tt.exists {
				r.Branch("kargo/app/test", "main")
			}
			s.ResetStats()
			err = orphan.PushCommitFrom(ctx, r.URL, Credentials{}, ours, "refs/heads/kargo/app/test", orphan.RecordedBase())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("push: %v, want %v", err, tt.wantErr)
			}
			if st := s.Stats(); st.RefLists != tt.wantRefLists {
				t.Errorf("the push asked for the refs %d times, want %d", st.RefLists, tt.wantRefLists)
			}
			if got := r.Head("kargo/app/test"); (got == ours) != (tt.wantErr == nil) {
				t.Errorf("branch at %s, ours %s", got, ours)
			}
			if tt.wantErr == nil && r.CommitCount("kargo/app/test") != 1 {
				t.Errorf("the branch has %d commits, want the one root commit", r.CommitCount("kargo/app/test"))
			}
		})
	}
}
