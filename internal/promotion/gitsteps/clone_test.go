package gitsteps

import (
	"os"
	"path/filepath"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

func TestCloneByRef(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"version": "1"})
	first := r.Head("main")
	r.Tag("v1", first)
	r.Commit("main", "second", map[string]string{"version": "2"})
	r.Commit("release", "release root", map[string]string{"version": "r"})

	tests := []struct {
		name     string
		checkout map[string]any
		want     string
		wantHead string
	}{
		{"default branch", map[string]any{}, "2", r.Head("main")},
		{"branch", map[string]any{"branch": "release"}, "r", r.Head("release")},
		{"commit", map[string]any{"commit": first}, "1", first},
		{"tag", map[string]any{"tag": "v1"}, "1", first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, nil)
			co := map[string]any{"path": "./src", "as": "source"}
			for k, v := range tt.checkout {
				co[k] = v
			}
			out := e.must("git-clone", map[string]any{"repoURL": r.URL, "checkout": []any{co}},
				railyard.StepStatusSucceeded)
			if got := e.read("src/version"); got != tt.want {
				t.Errorf("version = %q, want %q", got, tt.want)
			}
			if got := out["commits"].(map[string]any)["source"]; got != tt.wantHead {
				t.Errorf("output commit = %v, want %s", got, tt.wantHead)
			}
		})
	}
}

func TestCloneSeveralCheckoutsWithOrphanBranch(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"base/deploy.yaml": "image: v1\n"})
	e := newEnv(t, Options{}, nil)

	out := e.must("git-clone", map[string]any{
		"repoURL": r.URL,
		"checkout": []any{
			map[string]any{"branch": "main", "path": "./src"},
			map[string]any{"branch": "kargo/app/test", "create": true, "path": "./out"},
		},
	}, railyard.StepStatusSucceeded)
	commits := out["commits"].(map[string]any)
	if commits["./src"] != r.Head("main") || commits["./out"] != "" {
		t.Fatalf("commits = %v", commits)
	}
	if !e.exists("src/base/deploy.yaml") || e.exists("out/base") {
		t.Fatal("src must hold main and out must start empty")
	}

	e.must("git-clear", map[string]any{"path": "./out"}, railyard.StepStatusSucceeded)
	e.write("out/manifests.yaml", e.read("src/base/deploy.yaml"))
	commit := e.commit("render test")["commit"]
	pushed := e.push(nil)
	if pushed["branch"] != "kargo/app/test" || pushed["commit"] != commit {
		t.Fatalf("push output = %v, commit %v", pushed, commit)
	}
	if got := r.ReadFile("kargo/app/test", "manifests.yaml"); got != "image: v1" {
		t.Fatalf("pushed manifests = %q", got)
	}
	if r.CommitCount("kargo/app/test") != 1 || r.HasFile("kargo/app/test", "base/deploy.yaml") {
		t.Fatal("the stage branch must be an orphan holding only the rendered output")
	}
}

func TestCloneRerunReplacesEarlierCheckout(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/leftover", "from a killed run")
	e.restart()
	e.cloneMain(r.URL)
	if e.exists("out/leftover") || e.read("out/a") != "1" {
		t.Fatal("re-run must produce a fresh checkout")
	}

	// A non-empty directory that is not a checkout is never deleted.
	e.write("data/keep", "x")
	res, err := e.run("git-clone", map[string]any{
		"repoURL":  r.URL,
		"checkout": []any{map[string]any{"path": "data"}},
	})
	if !promotion.IsTerminal(err) || res.Status != railyard.StepStatusFailed || !e.exists("data/keep") {
		t.Fatalf("clone into foreign directory: %v %v", res.Status, err)
	}
}

func TestCloneSparse(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a/x": "1", "b/y": "2", "top": "3"})
	e := newEnv(t, Options{}, nil)
	e.must("git-clone", map[string]any{
		"repoURL":  r.URL,
		"checkout": []any{map[string]any{"path": "out", "sparse": []any{"a"}}},
	}, railyard.StepStatusSucceeded)
	if !e.exists("out/a/x") || e.exists("out/b/y") {
		t.Fatal("sparse checkout must hold only a/")
	}
	e.write("out/a/x", "changed")
	e.commit("change a")
	e.push(nil)
	if r.ReadFile("main", "a/x") != "changed" || r.ReadFile("main", "b/y") != "2" || r.ReadFile("main", "top") != "3" {
		t.Fatal("files outside the sparse paths must survive the commit")
	}
}

func TestGitClear(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1", "dir/b": "2", ".hidden": "3"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.must("git-clear", map[string]any{"path": "out"}, railyard.StepStatusSucceeded)
	entries, err := os.ReadDir(filepath.Join(e.workDir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != ".git" {
		t.Fatalf("after clear: %v", entries)
	}
	e.write("out/new", "n")
	e.commit("replace everything")
	e.push(nil)
	for _, f := range []string{"a", "dir/b", ".hidden"} {
		if r.HasFile("main", f) {
			t.Errorf("%s still on main after clear and push", f)
		}
	}
	if r.ReadFile("main", "new") != "n" {
		t.Error("new file missing")
	}
}

// The checkouts of one git-clone step share one listing of the remote, as
// Kargo's step checks them all out from one clone: with the objects in the
// cache, a step of two checkouts costs the server one request.
func TestCloneCheckoutsShareOneListing(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"base/deploy.yaml": "image: v1\n"})
	if _, err := r.Apply(gittest.Change{Branch: "kargo/app/test", Files: map[string]string{"manifests.yaml": "v1\n"}}); err != nil {
		t.Fatal(err)
	}
	cache, err := git.NewCache(filepath.Join(t.TempDir(), "git-cache"), 0)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{Cache: cache}, nil)
	cfg := map[string]any{
		"repoURL": r.URL,
		"checkout": []any{
			map[string]any{"branch": "main", "path": "./src"},
			map[string]any{"branch": "kargo/app/test", "create": true, "path": "./out"},
		},
	}
	e.must("git-clone", cfg, railyard.StepStatusSucceeded)
	s.ResetStats()
	out := e.must("git-clone", cfg, railyard.StepStatusSucceeded)
	commits := out["commits"].(map[string]any)
	if commits["./src"] != r.Head("main") || commits["./out"] != r.Head("kargo/app/test") {
		t.Fatalf("commits = %v", commits)
	}
	if st := s.Stats(); st.RefLists != 1 || st.Fetches != 0 {
		t.Errorf("a step of two checkouts cost %+v, want one ref list", st)
	}
}
