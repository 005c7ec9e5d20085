package image

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

func mustCompile(t *testing.T, o Options) *compiled {
	t.Helper()
	if o.RepoURL == "" {
		o.RepoURL = "registry.example.com/app"
	}
	c, err := compile(o)
	if err != nil {
		t.Fatalf("compile(%v): %v", o, err)
	}
	return c
}

func TestCandidates(t *testing.T) {
	mixed := []string{"v1.2.3", "1.2.4", "abc123f", "latest", "1.3.0-rc.1", "1.2", "2.0.0", "1234567", "v1.10.0", "1.2.3"}
	pre := []string{"4.1.9", "4.2.0-0.1.0", "4.2.0-0.2.0", "4.2.0-0.3.0", "4.2.0", "4.3.0-rc.1", "5.0.0-0.1.0", "5.0.0"}
	tests := []struct {
		name string
		opts Options
		tags []string
		want []string
	}{
		{"semver strict, no constraint keeps pre-releases", Options{StrictSemvers: true}, mixed,
			[]string{"2.0.0", "v1.10.0", "1.3.0-rc.1", "1.2.4", "v1.2.3", "1.2.3"}},
		{"semver lenient admits 1.2 and numeric hashes", Options{}, mixed,
			[]string{"1234567", "2.0.0", "v1.10.0", "1.3.0-rc.1", "1.2.4", "v1.2.3", "1.2.3", "1.2"}},
		{"caret excludes pre-releases and next major", Options{StrictSemvers: true, Constraint: "^1.2.0"}, mixed,
			[]string{"v1.10.0", "1.2.4", "v1.2.3", "1.2.3"}},
		{"pre-release in constraint admits pre-releases", Options{StrictSemvers: true, Constraint: "^1.3.0-0"}, mixed,
			[]string{"v1.10.0", "1.3.0-rc.1"}},
		{"tilde with v-prefixed tags", Options{StrictSemvers: true, Constraint: "~1.2"}, mixed,
			[]string{"1.2.4", "v1.2.3", "1.2.3"}},
		{"v-prefixed constraint", Options{StrictSemvers: true, Constraint: ">= v1.2.4"}, mixed,
			[]string{"2.0.0", "v1.10.0", "1.2.4"}},
		{"^4.2.0-0.2.0", Options{StrictSemvers: true, Constraint: "^4.2.0-0.2.0"}, pre,
			[]string{"4.3.0-rc.1", "4.2.0", "4.2.0-0.3.0", "4.2.0-0.2.0"}},
		{"release-only range", Options{StrictSemvers: true, Constraint: ">=4.0.0 <5.0.0"}, pre,
			[]string{"4.2.0", "4.1.9"}},
		{"allow regex", Options{StrictSemvers: true, AllowTagsRegexes: []string{`^v`}}, mixed,
			[]string{"v1.10.0", "v1.2.3"}},
		{"ignore wins over allow", Options{StrictSemvers: true, AllowTagsRegexes: []string{`^v`, `^1\.`}, IgnoreTagsRegexes: []string{`rc`, `^v1\.10`}}, mixed,
			[]string{"1.2.4", "v1.2.3", "1.2.3"}},
		{"nothing matches", Options{StrictSemvers: true, Constraint: ">=9"}, mixed, []string{}},
		{"lexical", Options{Strategy: Lexical}, []string{"b", "a", "c10", "c9", "b"},
			[]string{"c9", "c10", "b", "a"}},
		{"lexical with regexes", Options{Strategy: Lexical, AllowTagsRegexes: []string{`^[0-9a-f]{7}$`}}, mixed,
			[]string{"abc123f", "1234567"}},
		{"newest build filters only", Options{Strategy: NewestBuild, IgnoreTagsRegexes: []string{`^latest$`, `\.`}}, mixed,
			[]string{"abc123f", "1234567"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustCompile(t, tc.opts).candidates(tc.tags)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestSortByBuildTime(t *testing.T) {
	at := func(h int) *time.Time { x := time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC); return &x }
	refs := []Reference{
		{Tag: "none-a"}, {Tag: "old", CreatedAt: at(1)}, {Tag: "new", CreatedAt: at(5)},
		{Tag: "mid-a", CreatedAt: at(3)}, {Tag: "none-b"}, {Tag: "mid-b", CreatedAt: at(3)},
	}
	sortByBuildTime(refs)
	var got []string
	for _, r := range refs {
		got = append(got, r.Tag)
	}
	want := []string{"new", "mid-b", "mid-a", "old", "none-b", "none-a"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		field string
	}{
		{"empty repo", Options{RepoURL: ""}, "repoURL"},
		{"repo with tag", Options{RepoURL: "example.com/app:v1"}, "repoURL"},
		{"bad constraint", Options{Constraint: "^^1"}, "constraint"},
		{"digest without tag", Options{Strategy: Digest}, "constraint"},
		{"digest with bad tag", Options{Strategy: Digest, Constraint: "no/slash"}, "constraint"},
		{"unknown strategy", Options{Strategy: "Newest"}, "imageSelectionStrategy"},
		{"bad allow regex", Options{AllowTagsRegexes: []string{"ok", "("}}, "allowTagsRegexes[1]"},
		{"bad ignore regex", Options{IgnoreTagsRegexes: []string{"[z-a]"}}, "ignoreTagsRegexes[0]"},
		{"bad platform", Options{Platform: "linux"}, "platform"},
		{"bad platform parts", Options{Platform: "linux//"}, "platform"},
		{"negative limit", Options{DiscoveryLimit: -1}, "discoveryLimit"},
		{"two credential sources", Options{Keychain: authn.DefaultKeychain, Authenticator: authn.Anonymous}, "credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.RepoURL == "" && tc.field != "repoURL" {
				tc.opts.RepoURL = "example.com/app"
			}
			err := tc.opts.Validate()
			if !errors.Is(err, ErrInvalidSubscription) {
				t.Fatalf("err = %v, want ErrInvalidSubscription", err)
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
		})
	}
	ok := Options{RepoURL: "localhost:5000/team/app", Constraint: "^1.0.0", Platform: "linux/arm64/v8", AllowTagsRegexes: []string{`^v\d`}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestOptionsNeverPrintCredentials(t *testing.T) {
	o := Options{RepoURL: "example.com/app", Authenticator: &authn.Basic{Username: "bob", Password: "hunter2"}}
	for _, s := range []string{o.String(), o.GoString(), fmt.Sprintf("%v|%+v|%#v|%s", o, o, o, o)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("credentials printed: %s", s)
		}
	}
}

func TestPlatformMatches(t *testing.T) {
	tests := []struct {
		want              string
		os, arch, variant string
		match             bool
	}{
		{"linux/amd64", "linux", "amd64", "", true},
		{"linux/amd64", "linux", "arm64", "", false},
		{"linux/arm64", "linux", "arm64", "v8", true},
		{"linux/arm64/v8", "linux", "arm64", "", true},
		{"linux/arm/v7", "linux", "arm", "v6", false},
		{"linux/arm/v7", "linux", "arm", "v7", true},
		{"windows/amd64", "linux", "amd64", "", false},
	}
	for _, tc := range tests {
		p, err := parsePlatform(tc.want)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.matches(tc.os, tc.arch, tc.variant); got != tc.match {
			t.Errorf("%s matches %s/%s/%s = %v, want %v", tc.want, tc.os, tc.arch, tc.variant, got, tc.match)
		}
	}
}
