package git

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileInvalid(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		field string
	}{
		{"strategy", Options{Strategy: "Oldest"}, "commitSelectionStrategy"},
		{"limit", Options{DiscoveryLimit: 101}, "discoveryLimit"},
		{"allow regex", Options{Strategy: SemVer, AllowTagsRegexes: []string{"("}}, "allowTagsRegexes"},
		{"ignore regex", Options{Strategy: SemVer, IgnoreTagsRegexes: []string{"[a"}}, "ignoreTagsRegexes"},
		{"constraint", Options{Strategy: SemVer, SemverConstraint: "not a range"}, "semverConstraint"},
		{"glob", Options{IncludePaths: []string{"glob:[a"}}, "includePaths"},
		{"path regex", Options{ExcludePaths: []string{"regexp:("}}, "excludePaths"},
		{"empty path", Options{IncludePaths: []string{"/"}}, "includePaths"},
		{"expression syntax", Options{ExpressionFilter: "subject ==="}, "expressionFilter"},
		{"unknown variable", Options{ExpressionFilter: "tag == 'v1'"}, "expressionFilter"},
		{"not bool", Options{ExpressionFilter: "subject"}, "expressionFilter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(tt.opts)
			if !errors.Is(err, ErrInvalidSubscription) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want ErrInvalidSubscription naming %s", err, tt.field)
			}
		})
	}
	valid := []Options{
		{},
		{Strategy: NewestTag, ExpressionFilter: "tag startsWith 'v' && creatorDate > date('2020-01-01')"},
		{ExpressionFilter: "!(subject contains 'skip ci')", IncludePaths: []string{"apps/", "glob:**/*.yaml", "regex:^charts/"}},
	}
	for _, o := range valid {
		if _, err := compile(o); err != nil {
			t.Errorf("compile(%+v): %v", o, err)
		}
	}
}

func TestOrderTags(t *testing.T) {
	tags := []string{"v1.0.0", "v1.2.3", "1.10.0", "v2.0.0-rc.1", "v1.2", "latest", "release-b", "release-a", "v0.9.0"}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"semver strict", Options{Strategy: SemVer, StrictSemvers: true}, "v2.0.0-rc.1 1.10.0 v1.2.3 v1.0.0 v0.9.0"},
		{"semver loose", Options{Strategy: SemVer}, "v2.0.0-rc.1 1.10.0 v1.2.3 v1.2 v1.0.0 v0.9.0"},
		{"semver constraint", Options{Strategy: SemVer, StrictSemvers: true, SemverConstraint: "^1.0.0"}, "1.10.0 v1.2.3 v1.0.0"},
		{"semver prerelease constraint", Options{Strategy: SemVer, StrictSemvers: true, SemverConstraint: ">=2.0.0-0"}, "v2.0.0-rc.1"},
		{"allow", Options{Strategy: SemVer, StrictSemvers: true, AllowTagsRegexes: []string{`^v`}}, "v2.0.0-rc.1 v1.2.3 v1.0.0 v0.9.0"},
		{"ignore wins", Options{Strategy: SemVer, StrictSemvers: true, AllowTagsRegexes: []string{`^v`}, IgnoreTagsRegexes: []string{`^v1\.2`, `-rc`}}, "v1.0.0 v0.9.0"},
		{"lexical", Options{Strategy: Lexical, AllowTagsRegexes: []string{`^release-`}}, "release-b release-a"},
		{"newest tag keeps all", Options{Strategy: NewestTag, IgnoreTagsRegexes: []string{`^v`}}, "1.10.0 latest release-a release-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := compile(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(s.orderTags(tags), " "); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPathsMatch(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		paths            []string
		want             bool
	}{
		{"no filters", nil, nil, []string{"x"}, true},
		{"dir prefix", []string{"apps/web"}, nil, []string{"apps/web/deploy.yaml"}, true},
		{"dir prefix is not a string prefix", []string{"apps/web"}, nil, []string{"apps/webhook/x"}, false},
		{"trailing slash", []string{"apps/"}, nil, []string{"apps/x"}, true},
		{"glob doublestar", []string{"glob:**/*.yaml"}, nil, []string{"a/b/c.yaml"}, true},
		{"glob miss", []string{"glob:*.yaml"}, nil, []string{"a/c.yaml"}, false},
		{"regex", []string{"regex:^charts/.*\\.tgz$"}, nil, []string{"charts/app-1.0.tgz"}, true},
		{"regexp alias", []string{"regexp:^docs/"}, nil, []string{"docs/x.md"}, true},
		{"excluded only", nil, []string{"docs"}, []string{"docs/readme.md"}, false},
		{"one path survives exclude", nil, []string{"docs"}, []string{"docs/readme.md", "src/main.go"}, true},
		{"included but excluded", []string{"apps"}, []string{"glob:**/*.md"}, []string{"apps/README.md"}, false},
		{"empty diff with filters", []string{"apps"}, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := compile(Options{IncludePaths: tt.include, ExcludePaths: tt.exclude})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.pathsMatch(tt.paths); got != tt.want {
				t.Fatalf("pathsMatch(%v) = %v, want %v", tt.paths, got, tt.want)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	long := strings.Repeat("é", 100)
	tests := []struct{ in, want string }{
		{"fix: thing\n\nbody", "fix: thing"},
		{"  padded  ", "padded"},
		{long, strings.Repeat("é", 80)},
	}
	for _, tt := range tests {
		if got := subject(tt.in); got != tt.want {
			t.Errorf("subject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
