package gitsteps

import (
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func TestForcePush(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	r.Commit("release", "release root", map[string]string{"r": "1"})
	tests := []struct {
		name       string
		cfg        map[string]any
		wantBranch string
	}{
		{"own branch", map[string]any{"force": true}, "main"},
		{"other branch", map[string]any{"force": true, "targetBranch": "release"}, "release"},
		{"new branch", map[string]any{"force": true, "targetBranch": "rendered"}, "rendered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, nil)
			e.cloneMain(r.URL)
			mine := "mine " + tt.name
			e.write("out/a", mine)
			commit := e.commit(mine)["commit"]
			if tt.wantBranch == "main" {
				// An upstream change the replay would call a conflict.
				r.Commit("main", "upstream", map[string]string{"a": "upstream"})
			}
			out := e.push(tt.cfg)
			if out["commit"] != commit || out["branch"] != tt.wantBranch {
				t.Fatalf("output %v, want commit %v on %s", out, commit, tt.wantBranch)
			}
			if r.Head(tt.wantBranch) != commit || r.ReadFile(tt.wantBranch, "a") != mine {
				t.Fatalf("%s holds %s", tt.wantBranch, r.Head(tt.wantBranch))
			}
			if r.HasFile(tt.wantBranch, "r") {
				t.Fatal("force push must replace the branch's history, not merge it")
			}
			if _, ok := out["commitURL"]; ok {
				t.Errorf("commitURL %v for a host of no known provider", out["commitURL"])
			}
			// A resumed Promotion pushes again: nothing changes.
			e.restart()
			s.ResetStats()
			if again := e.push(tt.cfg); again["commit"] != commit || s.Stats().Pushes != 0 {
				t.Fatalf("second force push: %v, %d pushes", again, s.Stats().Pushes)
			}
		})
	}
}

// After a force push to its own branch, a normal push builds on it.
func TestForcePushThenPush(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	r.Commit("main", "upstream", map[string]string{"a": "upstream"})
	e.write("out/a", "mine")
	e.commit("mine")
	e.push(map[string]any{"force": true})
	e.write("out/b", "2")
	next := e.commit("b")["commit"]
	if out := e.push(nil); out["commit"] != next || r.CommitCount("main") != 3 {
		t.Fatalf("push after force push: %v, %v", out, r.Subjects("main"))
	}
}

func TestForcePushDetachedNeedsTarget(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	r.Tag("v1", "main")
	e := newEnv(t, Options{}, nil)
	e.must("git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "out", "tag", "v1")},
		railyard.StepStatusSucceeded)
	res, err := e.run("git-push", map[string]any{"path": "out", "force": true})
	wantTerminal(t, res, err, "targetBranch")
	e.write("out/a", "2")
	commit := e.commit("hotfix")["commit"]
	if out := e.push(map[string]any{"force": true, "targetBranch": "hotfix"}); out["commit"] != commit || r.Head("hotfix") != commit {
		t.Fatalf("output %v", out)
	}
	if strings.Contains(runGit(t, e.workDir+"/out", "for-each-ref"), "refs/railyard/push") {
		t.Fatal("scratch push ref left behind")
	}
}

// A new branch starts from the checkout's history, as Kargo's `git push
// origin HEAD:<branch>` does; a generated branch is force-pushed, so a
// Promotion started over replaces what its earlier run pushed.
func TestPushNewBranchKeepsHistory(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	base := r.Head("main")
	for _, cfg := range []map[string]any{{"targetBranch": "stage/test"}, {"generateTargetBranch": true}} {
		e := newEnv(t, Options{}, nil)
		e.cloneMain(r.URL)
		e.write("out/a", "2")
		commit := e.commit("a to 2")["commit"]
		out := e.push(cfg)
		branch := out["branch"].(string)
		if out["commit"] != commit || mustGit(t, r, "rev-parse", branch+"^") != base {
			t.Fatalf("%v: %v does not sit on main's head %s", cfg, out, base)
		}
	}
	// Started over: a new commit (other message) replaces the generated branch.
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "3")
	commit := e.commit("a to 3")["commit"]
	if out := e.push(map[string]any{"generateTargetBranch": true}); out["commit"] != commit ||
		r.CommitCount("kargo/promotion/promo-1") != 2 {
		t.Fatalf("re-run: %v, %v", out, r.Subjects("kargo/promotion/promo-1"))
	}
}
