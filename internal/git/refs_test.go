package git

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestListRefs(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	first := r.Head("main")
	r.Tag("v1.0.0", "main")
	second := r.Commit("main", "second", map[string]string{"a": "2"})
	r.AnnotatedTag("v1.1.0", "main", "release 1.1")
	r.Branch("feature", first)

	refs, err := ListRefs(context.Background(), r.URL, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if refs.HeadBranch != "main" {
		t.Errorf("HeadBranch = %q", refs.HeadBranch)
	}
	if b, ok := refs.Branch("main"); !ok || b.ID != second {
		t.Errorf("main = %+v", b)
	}
	if b, ok := refs.Branch("feature"); !ok || b.ID != first {
		t.Errorf("feature = %+v", b)
	}
	if tg, ok := refs.Tag("v1.0.0"); !ok || tg.ID != first {
		t.Errorf("v1.0.0 = %+v", tg)
	}
	// Annotated tags are peeled to the commit.
	if tg, ok := refs.Tag("v1.1.0"); !ok || tg.ID != second {
		t.Errorf("v1.1.0 = %+v, want commit %s", tg, second)
	}
	if _, ok := refs.Tag("v9"); ok {
		t.Error("unknown tag found")
	}

	fp := refs.Fingerprint()
	again, err := ListRefs(context.Background(), r.URL, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != fp {
		t.Error("fingerprint not stable")
	}
	r.Commit("feature", "move feature", map[string]string{"b": "1"})
	moved, err := ListRefs(context.Background(), r.URL, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if moved.Fingerprint() == fp {
		t.Error("fingerprint did not change after a branch moved")
	}
}

func TestListRefsErrors(t *testing.T) {
	s := gittest.NewServer(t, gittest.WithBasicAuth("bot", "correct-token"))
	r := s.CreateRepo("app", map[string]string{"a": "1"})
	tests := []struct {
		name  string
		url   string
		creds Credentials
		want  error
	}{
		{"wrong token", r.URL, Credentials{Password: "wrong-token-value"}, ErrAuthentication},
		{"no credentials", r.URL, Credentials{}, ErrAuthentication},
		{"embedded password", strings.Replace(r.URL, "http://", "http://bot:correct-token@", 1), Credentials{}, ErrInvalidURL},
		{"bad scheme", "ftp://host/x.git", Credentials{}, ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ListRefs(context.Background(), tt.url, tt.creds)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if contains(err.Error(), "wrong-token-value") || contains(err.Error(), "correct-token") {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
	if _, err := ListRefs(context.Background(), r.URL, Credentials{Username: "bot", Password: "correct-token"}); err != nil {
		t.Fatalf("token auth: %v", err)
	}
}
