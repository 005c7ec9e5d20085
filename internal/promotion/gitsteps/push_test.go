package gitsteps

import (
	"errors"
	"strings"
	"sync"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

func TestCommitWithoutDiffIsSkipped(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "1") // same content: no diff
	out := e.must("git-commit", map[string]any{"path": "out", "message": "noop"}, railyard.StepStatusSkipped)
	if out["commit"] != r.Head("main") {
		t.Fatalf("commit = %v, want current head", out["commit"])
	}
}

func TestCommitAndPush(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	out := e.must("git-commit", map[string]any{
		"path": "out", "message": "bump a\n\ndetails",
		"author": map[string]any{"name": "Pat Promoter", "email": "pat@example.com"},
	}, railyard.StepStatusSucceeded)
	pushed := e.push(map[string]any{"maxAttempts": 3})
	if pushed["commit"] != out["commit"] || pushed["branch"] != "main" {
		t.Fatalf("push output %v, commit output %v", pushed, out)
	}
	if r.Head("main") != out["commit"] || r.ReadFile("main", "a") != "2" {
		t.Fatal("commit did not land as committed")
	}
	author := strings.TrimSpace(mustGit(t, r, "log", "-1", "--format=%an <%ae>", "main"))
	if author != "Pat Promoter <pat@example.com>" {
		t.Fatalf("author = %q", author)
	}
}

func TestCloneAuthorIsDefaultForCommit(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.must("git-clone", map[string]any{
		"repoURL":  r.URL,
		"author":   map[string]any{"name": "Clone Bot", "email": "bot@example.com"},
		"checkout": []any{map[string]any{"path": "out"}},
	}, railyard.StepStatusSucceeded)
	e.write("out/a", "2")
	e.commit("by the clone author")
	e.push(nil)
	if got := mustGit(t, r, "log", "-1", "--format=%an <%ae>", "main"); got != "Clone Bot <bot@example.com>" {
		t.Fatalf("author = %q", got)
	}
}

func TestPushToOtherBranches(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1", "b": "1"})
	r.Commit("release", "release root", map[string]string{"a": "1", "b": "r"})
	tests := []struct {
		name       string
		cfg        map[string]any
		wantBranch string
		wantB      string
	}{
		{"new target branch", map[string]any{"targetBranch": "stage/test"}, "stage/test", "1"},
		{"existing target branch", map[string]any{"targetBranch": "release"}, "release", "r"},
		{"generated branch", map[string]any{"generateTargetBranch": true}, "kargo/promotion/promo-1", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{}, nil)
			e.cloneMain(r.URL)
			e.write("out/a", "2")
			e.commit("a to 2")
			mainHead := r.Head("main")
			out := e.push(tt.cfg)
			if out["branch"] != tt.wantBranch || r.Head(tt.wantBranch) != out["commit"] {
				t.Fatalf("output %v", out)
			}
			if r.ReadFile(tt.wantBranch, "a") != "2" || r.ReadFile(tt.wantBranch, "b") != tt.wantB {
				t.Fatal("target branch content wrong")
			}
			if r.Head("main") != mainHead {
				t.Fatal("main must not move")
			}
			// Again, as after a restart: nothing new is pushed.
			e.restart()
			if again := e.push(tt.cfg); again["commit"] != out["commit"] {
				t.Fatalf("second push moved %s: %v", tt.wantBranch, again)
			}
		})
	}
}

func TestRacingPushersBothLand(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1", "b": "1"})
	envs := []*env{newEnv(t, Options{}, nil), newEnv(t, Options{}, nil)}
	for i, e := range envs {
		e.cloneMain(r.URL)
		e.write("out/"+[]string{"a", "b"}[i], "2")
		e.commit([]string{"change a", "change b"}[i])
	}
	var wg sync.WaitGroup
	errs := make([]error, len(envs))
	outs := make([]map[string]any, len(envs))
	for i, e := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res promotion.Result
			res, errs[i] = e.run("git-push", map[string]any{"path": "out"})
			outs[i] = res.Output
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := r.CommitCount("main"); n != 3 {
		t.Fatalf("main has %d commits, want 3: %v", n, r.Subjects("main"))
	}
	if r.ReadFile("main", "a") != "2" || r.ReadFile("main", "b") != "2" {
		t.Fatal("both changes must be on main")
	}
	// Each checkout now sits on the commit it pushed; the later one holds both.
	last := 0
	for i, e := range envs {
		head := strings.TrimSpace(runGit(t, e.workDir+"/out", "rev-parse", "HEAD"))
		if head != outs[i]["commit"] {
			t.Errorf("checkout %d at %s, pushed %v", i, head, outs[i]["commit"])
		}
		if outs[i]["commit"] == r.Head("main") {
			last = i
		}
	}
	if envs[last].read("out/a") != "2" || envs[last].read("out/b") != "2" {
		t.Fatal("the later pusher's checkout must hold both changes")
	}
}

func TestPushConflictIsTerminal(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	r.Commit("main", "upstream", map[string]string{"a": "upstream"})
	e.write("out/a", "mine")
	e.commit("mine")
	res, err := e.run("git-push", map[string]any{"path": "out"})
	if !errors.Is(err, git.ErrPushConflict) || !promotion.IsTerminal(err) || res.Status != railyard.StepStatusFailed {
		t.Fatalf("err = %v, status %s", err, res.Status)
	}
	if r.ReadFile("main", "a") != "upstream" {
		t.Fatal("upstream change overwritten")
	}
}

func TestRestartDoesNotCommitTwice(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	promote := func() (commit, pushed map[string]any) {
		e.cloneMain(r.URL)
		e.write("out/a", "2")
		res, err := e.run("git-commit", map[string]any{"path": "out", "message": "a to 2"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Output, e.push(nil)
	}
	_, first := promote()
	if r.CommitCount("main") != 2 {
		t.Fatal("first promotion did not push")
	}

	// Killed after the push but before recording it: resume at git-push.
	e.restart()
	s.ResetStats()
	if again := e.push(nil); again["commit"] != first["commit"] || s.Stats().Pushes != 0 {
		t.Fatalf("resumed push: %v, pushes %d", again, s.Stats().Pushes)
	}

	// Work directory kept, promotion started over from git-clone.
	e.restart()
	commit, pushed := promote()
	if commit["commit"] != first["commit"] || pushed["commit"] != first["commit"] || r.CommitCount("main") != 2 {
		t.Fatalf("re-run made a new commit: %v %v, %v", commit, pushed, r.Subjects("main"))
	}
}

func TestResumeBeforePushLandsOnce(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1", "b": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	e.commit("a to 2")
	// Someone pushes while this manager is down.
	r.Commit("main", "b upstream", map[string]string{"b": "2"})
	e.restart()
	out := e.push(nil)
	if r.Head("main") != out["commit"] || r.CommitCount("main") != 3 {
		t.Fatalf("push after restart: %v, %v", out, r.Subjects("main"))
	}
	e.restart()
	if again := e.push(nil); again["commit"] != out["commit"] || r.CommitCount("main") != 3 {
		t.Fatal("second resumed push changed main")
	}
}

func mustGit(t *testing.T, r *gittest.Repo, args ...string) string {
	t.Helper()
	return strings.TrimSpace(runGit(t, r.Dir, args...))
}
