package warehouse

import (
	"errors"
	"regexp"
	"slices"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/discovery/image"
)

func TestImageOptionsMapsDeprecatedFields(t *testing.T) {
	no := false
	tests := []struct {
		name       string
		sub        railyard.ImageSubscription
		constraint string
		allow      []string
		ignore     []string
		strict     bool
	}{
		{name: "current fields", sub: railyard.ImageSubscription{Constraint: "^1.0", AllowTagsRegexes: []string{"^v"}, IgnoreTagsRegexes: []string{"rc"}},
			constraint: "^1.0", allow: []string{"^v"}, ignore: []string{"rc"}, strict: true},
		{name: "semverConstraint alias", sub: railyard.ImageSubscription{SemverConstraint: "~2"}, constraint: "~2", strict: true},
		{name: "constraint wins over alias", sub: railyard.ImageSubscription{Constraint: "^1", SemverConstraint: "~2"}, constraint: "^1", strict: true},
		{name: "allowTags joins the list", sub: railyard.ImageSubscription{AllowTagsRegexes: []string{"^v"}, AllowTags: "^release-"},
			allow: []string{"^v", "^release-"}, strict: true},
		{name: "ignoreTags are literals", sub: railyard.ImageSubscription{IgnoreTags: []string{"1.0.0", "latest"}},
			ignore: []string{`^1\.0\.0$`, "^latest$"}, strict: true},
		{name: "strictSemvers false", sub: railyard.ImageSubscription{StrictSemvers: &no}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := imageOptions(&tt.sub)
			if o.Constraint != tt.constraint || !slices.Equal(o.AllowTagsRegexes, tt.allow) ||
				!slices.Equal(o.IgnoreTagsRegexes, tt.ignore) || o.StrictSemvers != tt.strict {
				t.Fatalf("got constraint=%q allow=%q ignore=%q strict=%t", o.Constraint, o.AllowTagsRegexes, o.IgnoreTagsRegexes, o.StrictSemvers)
			}
		})
	}
}

func TestIgnoreTagsLiteralIsExact(t *testing.T) {
	re := regexp.MustCompile(ignoreRegexes(nil, []string{"1.0.0"})[0])
	for tag, want := range map[string]bool{"1.0.0": true, "1x0y0": false, "1.0.0-rc1": false, "v1.0.0": false} {
		if re.MatchString(tag) != want {
			t.Errorf("ignore 1.0.0 matches %q = %t, want %t", tag, !want, want)
		}
	}
}

func TestGitOptions(t *testing.T) {
	o, err := gitOptions(&railyard.GitSubscription{RepoURL: "https://example.com/r.git", AllowTags: "^v", IgnoreTags: []string{"v0.0.1"},
		Since: "2026-01-02T03:04:05Z"})
	if err != nil || !slices.Equal(o.AllowTagsRegexes, []string{"^v"}) || !slices.Equal(o.IgnoreTagsRegexes, []string{`^v0\.0\.1$`}) ||
		o.Since.Year() != 2026 || !o.StrictSemvers {
		t.Fatalf("gitOptions = %+v, %v", o, err)
	}
	_, err = gitOptions(&railyard.GitSubscription{RepoURL: "https://example.com/r.git", Since: "yesterday"})
	if !errors.Is(err, errInvalidSpec) || !needsChange(err) {
		t.Fatalf("bad since: %v, want a spec error", err)
	}
}

func TestNeedsChange(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{image.ErrInvalidSubscription, true},
		{errors.Join(errors.New("x"), image.ErrInvalidSubscription), true},
		{image.ErrTransient, false},
		{image.ErrAccessDenied, false},
		{errors.New("dial tcp: connection refused"), false},
	}
	for _, tt := range tests {
		if got := needsChange(tt.err); got != tt.want {
			t.Errorf("needsChange(%v) = %t, want %t", tt.err, got, tt.want)
		}
	}
}
