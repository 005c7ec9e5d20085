package gitsteps

import (
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/promotion"
)

func TestBadConfig(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	tests := []struct {
		step      string
		cfg       map[string]any
		wantField string
	}{
		{"git-clone", map[string]any{"checkout": oneCheckout("path", "out")}, "repoURL"},
		{"git-clone", map[string]any{"repoURL": r.URL}, "checkout"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout()}, "checkout[0].path"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "out", "branch", "main", "tag", "v1")}, "checkout[0].tag"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "out", "create", true)}, "checkout[0].create"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "out", "commit", "abc")}, "checkout[0].commit"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "../escape")}, "checkout[0].path"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", ".")}, "checkout[0].path"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": []any{
			map[string]any{"path": "a"}, map[string]any{"path": "a/b"}}}, "checkout[1].path"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "out", "depth", 1)}, "depth"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", 7)}, "path"},
		{"git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "out", "branch", "nope")}, "nope"},
		{"git-clear", map[string]any{}, "path"},
		{"git-clear", map[string]any{"path": "missing"}, "path"},
		{"git-clear", map[string]any{"path": "/etc"}, "/etc"},
		{"git-commit", map[string]any{"path": "out"}, "message"},
		{"git-commit", map[string]any{"message": "m"}, "path"},
		{"git-commit", map[string]any{"path": "missing", "message": "m"}, "path"},
		{"git-commit", map[string]any{"path": "out", "message": "m", "author": map[string]any{"signingKey": "k"}}, "author.signingKey"},
		{"git-clone", map[string]any{"repoURL": r.URL, "author": map[string]any{"signingKey": "k"}, "checkout": oneCheckout("path", "out")}, "author.signingKey"},
		{"git-push", map[string]any{}, "path"},
		{"git-push", map[string]any{"path": "out", "targetBranch": "x", "generateTargetBranch": true}, "generateTargetBranch"},
		{"git-push", map[string]any{"path": "out", "maxAttempts": 0}, "maxAttempts"},
		{"git-push", map[string]any{"path": "out", "maxAttempts": "ten"}, "maxAttempts"},
		{"git-push", map[string]any{"path": "out", "force": true, "tag": "v1"}, "force"},
		{"git-push", map[string]any{"path": "out", "targetBranch": "x", "tag": "v1"}, "tag"},
		{"git-push", map[string]any{"path": "out", "generateTargetBranch": true, "tag": "v1"}, "tag"},
		{"git-push", map[string]any{"path": "out", "tag": "v1..2"}, "v1..2"},
		{"git-push", map[string]any{"path": "out", "tag": "-f"}, `"-f"`},
		{"git-push", map[string]any{"path": "out", "provider": "gogs"}, "provider"},
		{"git-push", map[string]any{"path": "out", "force": "yes"}, "force"},
		{"git-push", map[string]any{"path": "out", "targetBranch": "bad..name"}, "bad..name"},
	}
	for _, tt := range tests {
		t.Run(tt.step+"/"+tt.wantField, func(t *testing.T) {
			e := newEnv(t, Options{}, nil)
			res, err := e.run(tt.step, tt.cfg)
			if !promotion.IsTerminal(err) || res.Status != railyard.StepStatusFailed {
				t.Fatalf("err = %v, status %s; want a terminal failure", err, res.Status)
			}
			if !strings.Contains(res.Message, tt.wantField) {
				t.Fatalf("message %q does not name %q", res.Message, tt.wantField)
			}
		})
	}
}

func TestPushDetachedCheckoutNeedsTargetBranch(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithPush())
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	r.Tag("v1", "main")
	e := newEnv(t, Options{}, nil)
	e.must("git-clone", map[string]any{"repoURL": r.URL, "checkout": oneCheckout("path", "out", "tag", "v1")},
		railyard.StepStatusSucceeded)
	res, err := e.run("git-push", map[string]any{"path": "out"})
	if !promotion.IsTerminal(err) || !strings.Contains(res.Message, "targetBranch") {
		t.Fatalf("err = %v", err)
	}
	e.write("out/a", "2")
	e.commit("from a tag")
	if out := e.push(map[string]any{"targetBranch": "hotfix"}); r.Head("hotfix") != out["commit"] {
		t.Fatalf("push to hotfix: %v", out)
	}
}

func oneCheckout(kv ...any) []any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return []any{m}
}
