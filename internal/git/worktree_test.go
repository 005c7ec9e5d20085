package git

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

var bot = Signature{Name: "bot", Email: "bot@example.com"}

func writeFile(t *testing.T, w *WorkTree, path, content string) {
	t.Helper()
	full := filepath.Join(w.Dir(), path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// commitFile writes path and commits everything in w, returning the commit.
func commitFile(t *testing.T, w *WorkTree, path, content, message string) string {
	t.Helper()
	writeFile(t, w, path, content)
	id, err := w.CommitAll(message, bot)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func readFile(t *testing.T, w *WorkTree, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(w.Dir(), path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestClone(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"v": "1"})
	first := r.Head("main")
	r.Tag("v1", first)
	r.Commit("main", "two", map[string]string{"v": "2"})
	r.Branch("stage", first)
	r.Commit("stage", "stage", map[string]string{"v": "stage"})

	tests := []struct {
		name       string
		opts       CloneOptions
		wantV      string
		wantBranch string
		wantErr    error
	}{
		{name: "default branch", wantV: "2", wantBranch: "main"},
		{name: "branch", opts: CloneOptions{Branch: "stage", Depth: 1}, wantV: "stage", wantBranch: "stage"},
		{name: "tag", opts: CloneOptions{Tag: "v1", Depth: 1}, wantV: "1"},
		{name: "commit", opts: CloneOptions{Branch: "main", Commit: first}, wantV: "1"},
		{name: "commit beyond depth", opts: CloneOptions{Branch: "main", Commit: first, Depth: 1}, wantErr: ErrRefNotFound},
		{name: "missing branch", opts: CloneOptions{Branch: "nope"}, wantErr: ErrRefNotFound},
		{name: "missing branch as orphan", opts: CloneOptions{Branch: "nope", OrphanIfMissing: true}, wantBranch: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = filepath.Join(t.TempDir(), "wt")
			w, err := Clone(context.Background(), r.URL, Credentials{}, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if w.Branch() != tt.wantBranch {
				t.Errorf("Branch = %q, want %q", w.Branch(), tt.wantBranch)
			}
			if tt.wantV == "" {
				if entries, _ := os.ReadDir(w.Dir()); len(entries) != 1 {
					t.Errorf("orphan work tree not empty: %v", entries)
				}
				return
			}
			if got := readFile(t, w, "v"); got != tt.wantV {
				t.Errorf("v = %q, want %q", got, tt.wantV)
			}
		})
	}
}

func TestCommitAllAndPush(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"keep": "k", "drop": "d"})
	ctx := context.Background()
	w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: t.TempDir(), Branch: "main", Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CommitAll("noop", bot); !errors.Is(err, ErrNothingToCommit) {
		t.Fatalf("unchanged tree: err = %v, want ErrNothingToCommit", err)
	}
	writeFile(t, w, "dir/new.yaml", "x: 1")
	if err := os.Remove(filepath.Join(w.Dir(), "drop")); err != nil {
		t.Fatal(err)
	}
	id, err := w.CommitAll("update", bot)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Push(ctx, PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || res.Commit != id || r.Head("main") != id {
		t.Fatalf("push result %+v, remote head %s, want %s", res, r.Head("main"), id)
	}
	if r.HasFile("main", "drop") || !r.HasFile("main", "keep") || r.ReadFile("main", "dir/new.yaml") != "x: 1" {
		t.Fatal("remote content wrong")
	}
	// A second push of the same commit is a no-op.
	res, err = w.Push(ctx, PushOptions{})
	if err != nil || res.Pushed {
		t.Fatalf("repeated push: %+v, %v", res, err)
	}
}

func TestOrphanBranch(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"src/app.yaml": "a"})
	ctx := context.Background()
	w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: t.TempDir(), Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.CreateOrphanBranch("env/dev"); err != nil {
		t.Fatal(err)
	}
	if head, _ := w.Head(); head != "" {
		t.Fatalf("orphan head = %q", head)
	}
	if _, err := os.Stat(filepath.Join(w.Dir(), "src")); !os.IsNotExist(err) {
		t.Fatal("orphan work tree still has files")
	}
	writeFile(t, w, "manifests.yaml", "kind: List")
	if _, err := w.CommitAll("render", bot); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Push(ctx, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := r.CommitCount("env/dev"); n != 1 {
		t.Fatalf("env/dev has %d commits, want 1", n)
	}
	if got := r.ReadFile("env/dev", "manifests.yaml"); got != "kind: List" {
		t.Fatalf("content = %q", got)
	}
}

// Two promotions clone the same head and push to one branch; the loser
// replays its commit on the winner's and both commits land.
func TestPushRace(t *testing.T) {
	tests := []struct {
		name       string
		concurrent bool
	}{{"sequential", false}, {"concurrent", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gittest.NewServer(t, gittest.WithPush())
			r := s.CreateRepo("app", map[string]string{"shared": "base"})
			ctx := context.Background()
			var wts []*WorkTree
			for _, f := range []string{"a.yaml", "b.yaml"} {
				w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: t.TempDir(), Branch: "main", Depth: 1})
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, w, f, f)
				if _, err := w.CommitAll("add "+f, bot); err != nil {
					t.Fatal(err)
				}
				wts = append(wts, w)
			}
			results := make([]PushResult, len(wts))
			errs := make([]error, len(wts))
			var wg sync.WaitGroup
			for i, w := range wts {
				push := func() { results[i], errs[i] = w.Push(ctx, PushOptions{MaxAttempts: 5}) }
				if !tt.concurrent {
					push()
					continue
				}
				wg.Add(1)
				go func() { defer wg.Done(); push() }()
			}
			wg.Wait()
			for i := range wts {
				if errs[i] != nil || !results[i].Pushed {
					t.Fatalf("pusher %d: %+v, %v", i, results[i], errs[i])
				}
			}
			if n := r.CommitCount("main"); n != 3 {
				t.Fatalf("main has %d commits, want 3", n)
			}
			if r.ReadFile("main", "a.yaml") != "a.yaml" || r.ReadFile("main", "b.yaml") != "b.yaml" {
				t.Fatal("a commit was lost")
			}
			if !tt.concurrent && results[1].Attempts < 2 {
				t.Fatalf("second pusher did not retry: %+v", results[1])
			}
		})
	}
}

func TestPushConflict(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"shared": "base"})
	ctx := context.Background()
	w, err := Clone(ctx, r.URL, Credentials{}, CloneOptions{Dir: t.TempDir(), Branch: "main", Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.Commit("main", "upstream edit", map[string]string{"shared": "theirs"})
	writeFile(t, w, "shared", "ours")
	if _, err := w.CommitAll("our edit", bot); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Push(ctx, PushOptions{}); !errors.Is(err, ErrPushConflict) {
		t.Fatalf("err = %v, want ErrPushConflict", err)
	}
	if r.ReadFile("main", "shared") != "theirs" {
		t.Fatal("upstream change overwritten")
	}
}
