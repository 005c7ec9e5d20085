package git

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gitpkg "github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// fixture builds:
//
//	main:    c0 (apps/web, docs) - c1 web - c2 docs - c3 web - c4 api
//	release: c1 - r1
//	tags:    v0.9.0=c0, v1.0.0=c1 (lightweight), v1.2.3=c3 (annotated,
//	         newest creator date), latest=c4 (not semver)
func fixture(t *testing.T, opts ...gittest.Option) (*gittest.Server, *gittest.Repo) {
	t.Helper()
	s := gittest.NewServer(t, opts...)
	r := s.CreateRepo("app", map[string]string{"apps/web/a.yaml": "0", "docs/readme.md": "0"})
	r.Commit("main", "c1 web", map[string]string{"apps/web/a.yaml": "1"})
	r.Commit("main", "c2 docs", map[string]string{"docs/readme.md": "2"})
	r.Commit("main", "c3 web", map[string]string{"apps/web/a.yaml": "3"})
	r.Commit("main", "c4 api", map[string]string{"apps/api/b.yaml": "4"})
	r.Branch("release", "main~3")
	r.Commit("release", "r1 hotfix", map[string]string{"apps/web/a.yaml": "r1"})
	r.Tag("v0.9.0", "main~4")
	r.Tag("v1.0.0", "main~3")
	r.AnnotatedTag("v1.2.3", "main~1", "release 1.2.3")
	r.Tag("latest", "main")
	return s, r
}

func describe(commits []Commit) string {
	var out []string
	for _, c := range commits {
		s := c.Subject
		if s == "initial commit" {
			s = "c0"
		}
		s, _, _ = strings.Cut(s, " ")
		if c.Tag != "" {
			s = c.Tag
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func TestDiscover(t *testing.T) {
	_, r := fixture(t)
	since := gittest.Epoch.Add(150 * time.Second)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"default branch", Options{}, "c4,c3,c2,c1,c0"},
		{"named branch", Options{Branch: "release"}, "r1,c1,c0"},
		{"limit", Options{DiscoveryLimit: 2}, "c4,c3"},
		{"include dir", Options{IncludePaths: []string{"apps/web"}}, "c3,c1,c0"},
		{"exclude dir", Options{ExcludePaths: []string{"docs"}}, "c4,c3,c1,c0"},
		{"include glob exclude regex", Options{IncludePaths: []string{"glob:apps/**"}, ExcludePaths: []string{"regex:^apps/api/"}}, "c3,c1,c0"},
		{"expression", Options{ExpressionFilter: "subject contains 'web' && author startsWith 'Test'"}, "c3,c1"},
		{"since", Options{Since: since}, "c4,c3"},
		{"semver", Options{Strategy: SemVer, StrictSemvers: true}, "v1.2.3,v1.0.0,v0.9.0"},
		{"semver constraint", Options{Strategy: SemVer, StrictSemvers: true, SemverConstraint: "^1"}, "v1.2.3,v1.0.0"},
		{"semver ignore", Options{Strategy: SemVer, IgnoreTagsRegexes: []string{`^v1\.2`}}, "v1.0.0,v0.9.0"},
		{"lexical", Options{Strategy: Lexical}, "v1.2.3,v1.0.0,v0.9.0,latest"},
		{"lexical limit", Options{Strategy: Lexical, DiscoveryLimit: 1}, "v1.2.3"},
		{"newest tag", Options{Strategy: NewestTag}, "v1.2.3,latest,v1.0.0,v0.9.0"},
		{"tag paths", Options{Strategy: SemVer, IncludePaths: []string{"docs"}}, "v0.9.0"},
		{"tag paths web", Options{Strategy: Lexical, IncludePaths: []string{"apps/web"}}, "v1.2.3,v1.0.0,v0.9.0"},
		{"tag expression", Options{Strategy: NewestTag, ExpressionFilter: "annotation == 'release 1.2.3' || tag == 'latest'"}, "v1.2.3,latest"},
		{"tag since", Options{Strategy: NewestTag, Since: since}, "v1.2.3,latest"},
		{"no match", Options{Strategy: SemVer, SemverConstraint: ">5"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.RepoURL = r.URL
			res, err := Discover(context.Background(), tt.opts, gitpkg.Credentials{}, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(res.Commits); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if res.Fingerprint == "" {
				t.Fatal("no fingerprint")
			}
		})
	}
}

func TestDiscoverCommitFields(t *testing.T) {
	_, r := fixture(t)
	res, err := Discover(context.Background(), Options{RepoURL: r.URL, Strategy: NewestTag, DiscoveryLimit: 2}, gitpkg.Credentials{}, "")
	if err != nil {
		t.Fatal(err)
	}
	tag, light := res.Commits[0], res.Commits[1]
	want := Commit{
		ID: r.Resolve("v1.2.3"), Tag: "v1.2.3", Subject: "c3 web",
		Author: gittest.DefaultAuthor, Committer: gittest.DefaultAuthor,
		CreatorDate: gittest.Epoch.Add(6 * time.Minute), // the tag's own date
	}
	if tag != want {
		t.Fatalf("annotated tag:\n got %+v\nwant %+v", tag, want)
	}
	if light.Tag != "latest" || light.ID != r.Head("main") || !light.CreatorDate.Equal(gittest.Epoch.Add(4*time.Minute)) {
		t.Fatalf("lightweight tag: %+v", light)
	}
	res, err = Discover(context.Background(), Options{RepoURL: r.URL, DiscoveryLimit: 1}, gitpkg.Credentials{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Commits[0]; c.ID != r.Head("main") || c.Branch != "main" || c.Tag != "" {
		t.Fatalf("branch commit: %+v", c)
	}
}

// The unchanged case costs one ref listing and no fetch.
func TestDiscoverUnchangedSkipsFetch(t *testing.T) {
	for _, strategy := range []Strategy{NewestFromBranch, SemVer} {
		t.Run(string(strategy), func(t *testing.T) {
			s, r := fixture(t)
			opts := Options{RepoURL: r.URL, Strategy: strategy}
			first, err := Discover(context.Background(), opts, gitpkg.Credentials{}, "")
			if err != nil {
				t.Fatal(err)
			}
			s.ResetStats()
			res, err := Discover(context.Background(), opts, gitpkg.Credentials{}, first.Fingerprint)
			if !errors.Is(err, ErrUnchanged) || res.Fingerprint != first.Fingerprint {
				t.Fatalf("err = %v, fingerprint %s", err, res.Fingerprint)
			}
			if st := s.Stats(); st.Fetches != 0 || st.RefLists != 1 {
				t.Fatalf("unchanged discovery made requests %+v", st)
			}
			// A change in options invalidates the fingerprint.
			opts.DiscoveryLimit = 3
			if _, err := Discover(context.Background(), opts, gitpkg.Credentials{}, first.Fingerprint); err != nil {
				t.Fatalf("changed options: %v", err)
			}
			// So does a new commit or tag.
			opts.DiscoveryLimit = 0
			r.Commit("main", "c5", map[string]string{"x": "5"})
			r.Tag("v3.0.0", "main")
			s.ResetStats()
			res, err = Discover(context.Background(), opts, gitpkg.Credentials{}, first.Fingerprint)
			if err != nil {
				t.Fatal(err)
			}
			if s.Stats().Fetches == 0 || res.Fingerprint == first.Fingerprint {
				t.Fatalf("changed refs were not fetched: %+v", s.Stats())
			}
		})
	}
}

// Path filters that match only old commits deepen the shallow fetch.
func TestDiscoverDeepens(t *testing.T) {
	s := gittest.NewServer(t)
	r := s.CreateRepo("app", map[string]string{"rare/x": "0"})
	for i := 1; i <= 30; i++ {
		r.Commit("main", fmt.Sprintf("busy %d", i), map[string]string{"busy": fmt.Sprint(i)})
	}
	s.ResetStats()
	res, err := Discover(context.Background(), Options{RepoURL: r.URL, DiscoveryLimit: 1, IncludePaths: []string{"rare"}}, gitpkg.Credentials{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(res.Commits); got != "c0" {
		t.Fatalf("got %s", got)
	}
	if st := s.Stats(); st.Fetches < 2 {
		t.Fatalf("expected several shallow fetches, got %+v", st)
	}
}

func TestDiscoverErrors(t *testing.T) {
	s, r := fixture(t, gittest.WithBasicAuth("bot", "tok-secret-1"))
	good := gitpkg.Credentials{Username: "bot", Password: "tok-secret-1"}
	tests := []struct {
		name  string
		opts  Options
		creds gitpkg.Credentials
		want  error
	}{
		{"invalid regex makes no request", Options{Strategy: SemVer, AllowTagsRegexes: []string{"("}}, good, ErrInvalidSubscription},
		{"missing branch", Options{Branch: "nope"}, good, gitpkg.ErrRefNotFound},
		{"wrong token", Options{}, gitpkg.Credentials{Password: "tok-wrong-2"}, gitpkg.ErrAuthentication},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ResetStats()
			tt.opts.RepoURL = r.URL
			_, err := Discover(context.Background(), tt.opts, tt.creds, "")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "tok-") {
				t.Fatalf("error leaks a token: %v", err)
			}
			if errors.Is(tt.want, ErrInvalidSubscription) && s.Stats() != (gittest.Stats{}) {
				t.Fatalf("invalid subscription made requests: %+v", s.Stats())
			}
		})
	}
	res, err := Discover(context.Background(), Options{RepoURL: r.URL}, good, "")
	if err != nil || len(res.Commits) != 5 {
		t.Fatalf("token auth: %v", err)
	}
}
