package gitsteps

import (
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

func TestTagHead(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.must("git-clone", map[string]any{
		"repoURL":  r.URL,
		"author":   map[string]any{"name": "Clone Bot", "email": "bot@example.com"},
		"checkout": []any{map[string]any{"branch": "main", "path": "out"}},
	}, railyard.StepStatusSucceeded)
	e.write("out/a", "2")
	commit := e.commit("bump a")["commit"]

	cfg := map[string]any{"path": "out", "tag": "v1.0.0", "message": "Release 1.0.0"}
	out := e.must("git-tag", cfg, railyard.StepStatusSucceeded)
	if out["commit"] != commit {
		t.Fatalf("commit output %v, want HEAD %v", out["commit"], commit)
	}
	dir := e.workDir + "/out"
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "v1.0.0^{commit}")); got != commit {
		t.Errorf("tag points at %s, want %s", got, commit)
	}
	if got := strings.TrimSpace(runGit(t, dir, "cat-file", "-t", "v1.0.0")); got != "tag" {
		t.Errorf("tag object type %q, want an annotated tag", got)
	}
	if got := strings.TrimSpace(runGit(t, dir, "tag", "-l", "--format=%(contents:subject)|%(taggername) %(taggeremail)", "v1.0.0")); got != "Release 1.0.0|Clone Bot <bot@example.com>" {
		t.Errorf("tag message and tagger %q", got)
	}

	// A resumed Promotion runs the step again: nothing changes.
	e.restart()
	before := runGit(t, dir, "rev-parse", "v1.0.0")
	e.must("git-tag", cfg, railyard.StepStatusSucceeded)
	if after := runGit(t, dir, "rev-parse", "v1.0.0"); after != before {
		t.Error("running the step again replaced the tag")
	}

	// The tag is local: nothing reaches the server.
	if strings.Contains(mustGit(t, r, "tag", "-l"), "v1.0.0") {
		t.Error("git-tag pushed the tag")
	}
}

func TestTagExisting(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	first := r.Head("main")
	r.AnnotatedTag("v1", first, "first")
	r.Commit("main", "second", map[string]string{"a": "2"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	head := r.Head("main")
	dir := e.workDir + "/out"
	if strings.TrimSpace(runGit(t, dir, "tag", "-l", "v1")) != "v1" {
		// git-clone may not fetch tags; create the existing tag locally.
		runGit(t, dir, "-c", "user.name=x", "-c", "user.email=x@x", "tag", "-a", "v1", "-m", "first", first)
	}

	res, err := e.run("git-tag", map[string]any{"path": "out", "tag": "v1", "message": "again"})
	wantTerminal(t, res, err, `tag "v1" already exists`, "force")
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "v1^{commit}")); got != first {
		t.Fatalf("failed run moved the tag to %s", got)
	}

	out := e.must("git-tag", map[string]any{"path": "out", "tag": "v1", "message": "moved", "force": true}, railyard.StepStatusSucceeded)
	if out["commit"] != head {
		t.Fatalf("commit output %v, want %s", out["commit"], head)
	}
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "v1^{commit}")); got != head {
		t.Errorf("forced tag points at %s, want %s", got, head)
	}
}

func TestTagBadConfig(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	e := newEnv(t, Options{}, nil)
	e.cloneMain(r.URL)
	e.write("plain/file", "x")
	tests := []struct {
		name string
		cfg  map[string]any
		msg  []string
	}{
		{"missing path", map[string]any{"tag": "v1", "message": "m"}, []string{`field "path" is required`}},
		{"missing tag", map[string]any{"path": "out", "message": "m"}, []string{`field "tag" is required`}},
		{"missing message", map[string]any{"path": "out", "tag": "v1"}, []string{`field "message" is required`}},
		{"invalid tag name", map[string]any{"path": "out", "tag": "v1..2", "message": "m"}, []string{`field "tag"`, "not a valid tag name"}},
		{"tag name with a space", map[string]any{"path": "out", "tag": "v 1", "message": "m"}, []string{`field "tag"`}},
		{"option-like tag name", map[string]any{"path": "out", "tag": "-f", "message": "m"}, []string{`field "tag"`}},
		{"unknown field", map[string]any{"path": "out", "tag": "v1", "message": "m", "annotated": true}, []string{`unknown field "annotated"`}},
		{"not a checkout", map[string]any{"path": "plain", "tag": "v1", "message": "m"}, []string{`"plain" is not a git checkout`}},
		{"path leaving the work directory", map[string]any{"path": "../..", "tag": "v1", "message": "m"}, []string{"escapes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.run("git-tag", tc.cfg)
			wantTerminal(t, res, err, tc.msg...)
		})
	}
}

func wantTerminal(t *testing.T, res promotion.Result, err error, msg ...string) {
	t.Helper()
	if err == nil || !promotion.IsTerminal(err) || res.Status != railyard.StepStatusFailed {
		t.Fatalf("want a terminal failure, got status %s, error %v", res.Status, err)
	}
	for _, m := range msg {
		if !strings.Contains(res.Message, m) {
			t.Errorf("message %q does not mention %q", res.Message, m)
		}
	}
}
