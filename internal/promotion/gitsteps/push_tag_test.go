package gitsteps

import (
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func (e *env) tag(name, msg string) {
	e.t.Helper()
	e.must("git-tag", map[string]any{"path": "out", "tag": name, "message": msg}, railyard.StepStatusSucceeded)
}

// remoteTag returns what refs/tags/name peels to on the server and the
// type of object it names.
func remoteTag(t *testing.T, r *gittest.Repo, name string) (commit, kind string) {
	t.Helper()
	return mustGit(t, r, "rev-parse", name+"^{commit}"), mustGit(t, r, "cat-file", "-t", "refs/tags/"+name)
}

func TestPushTagAfterBranch(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	commit := e.commit("a to 2")["commit"]
	e.push(nil)
	e.tag("v1.0.0", "Release 1.0.0")
	mainHead := r.Head("main")
	out := e.push(map[string]any{"tag": "v1.0.0"})
	if out["commit"] != commit || out["branch"] != "main" {
		t.Fatalf("output %v", out)
	}
	if got, kind := remoteTag(t, r, "v1.0.0"); got != commit || kind != "tag" {
		t.Fatalf("remote tag names %s (%s), want annotated tag of %v", got, kind, commit)
	}
	if r.Head("main") != mainHead {
		t.Fatal("a tag push must not move the branch")
	}
	// Resumed: the remote tag already names the commit, which is fine.
	e.restart()
	e.push(map[string]any{"tag": "v1.0.0"})
}

// git-tag before git-push: the push replays the commit onto someone else's,
// and the tag must follow to the commit the branch really holds.
func TestPushTagFollowsReplayedCommit(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1", "b": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	local := e.commit("a to 2")["commit"]
	e.tag("v2", "Release 2")
	r.Commit("main", "b upstream", map[string]string{"b": "2"})
	pushed := e.push(nil)["commit"]
	if pushed == local || r.Head("main") != pushed {
		t.Fatalf("pushed %v, local %v, main %s", pushed, local, r.Head("main"))
	}
	out := e.push(map[string]any{"tag": "v2"})
	if out["commit"] != pushed {
		t.Fatalf("tag push output %v, want the pushed commit %v", out, pushed)
	}
	got, kind := remoteTag(t, r, "v2")
	if got != pushed || kind != "tag" {
		t.Fatalf("remote v2 names %s (%s), want %v", got, kind, pushed)
	}
	if msg := mustGit(t, r, "tag", "-l", "--format=%(contents:subject)", "v2"); msg != "Release 2" {
		t.Errorf("tag message %q", msg)
	}
}

// Kargo pushes the tag alone; the commit it names travels with it.
func TestPushTagOnly(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	commit := e.commit("unpublished")["commit"].(string)
	e.tag("rc1", "candidate")
	main := r.Head("main")
	e.push(map[string]any{"tag": "rc1"})
	if got, _ := remoteTag(t, r, "rc1"); got != commit || r.Head("main") != main {
		t.Fatalf("rc1 names %s, main %s", got, r.Head("main"))
	}
	if r.ReadFile(commit, "a") != "2" {
		t.Fatal("the tagged commit's content must be on the server")
	}
}

func TestPushTagRefusals(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	r.AnnotatedTag("taken", r.Head("main"), "someone else's")
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("out/a", "2")
	e.commit("a to 2")
	e.tag("taken", "mine")

	res, err := e.run("git-push", map[string]any{"path": "out", "tag": "taken"})
	wantTerminal(t, res, err, `tag "taken" already exists on the remote`, r.Head("main"))
	if got, _ := remoteTag(t, r, "taken"); got != r.Head("main") {
		t.Fatal("the remote tag moved")
	}
	res, err = e.run("git-push", map[string]any{"path": "out", "tag": "missing"})
	wantTerminal(t, res, err, `no tag "missing"`, "git-tag")
	if strings.Contains(mustGit(t, r, "tag", "-l"), "missing") {
		t.Fatal("a missing tag was pushed")
	}
}
