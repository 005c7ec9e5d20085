package chart

import (
	"slices"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestSelect(t *testing.T) {
	all := []string{"1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0", "v1.3.0", "not-a-version", "1.2.0", "0.9.0+build.7", "1.1"}
	tests := []struct {
		name       string
		constraint string
		limit      int
		want       []string
	}{
		{name: "no constraint: stable only, newest first", want: []string{"2.0.0", "1.10.0", "v1.3.0", "1.2.0", "1.1", "1.0.0", "0.9.0+build.7"}},
		{name: "limit after filtering", constraint: "^1.0.0", limit: 2, want: []string{"1.10.0", "v1.3.0"}},
		{name: "tilde", constraint: "~1.2", want: []string{"1.2.0"}},
		{name: "range", constraint: ">=1.1, <1.3", want: []string{"1.2.0", "1.1"}},
		{name: "pre-release admitted by constraint", constraint: ">=2.0.0-0", want: []string{"2.0.0", "2.0.0-rc.1"}},
		{name: "pre-release excluded otherwise", constraint: ">=1.10.0", want: []string{"2.0.0", "1.10.0"}},
		{name: "exact", constraint: "=0.9.0", want: []string{"0.9.0+build.7"}},
		{name: "nothing matches", constraint: ">5", want: []string{}},
		{name: "zero limit means all", constraint: "<1.1", limit: 0, want: []string{"1.0.0", "0.9.0+build.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *semver.Constraints
			if tt.constraint != "" {
				var err error
				if c, err = semver.NewConstraint(tt.constraint); err != nil {
					t.Fatal(err)
				}
			}
			got := Select(all, c, tt.limit)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Select(%q, %d) = %q, want %q", tt.constraint, tt.limit, got, tt.want)
			}
		})
	}
}

func TestSelectBuildMetadataOrderIsDeterministic(t *testing.T) {
	got := Select([]string{"1.0.0+a", "1.0.0+c", "1.0.0+b"}, nil, 0)
	want := []string{"1.0.0+c", "1.0.0+b", "1.0.0+a"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
		kind    kind
	}{
		{name: "classic", opts: Options{RepoURL: "https://charts.example.com/stable", Name: "nginx"}, kind: kindClassic},
		{name: "oci", opts: Options{RepoURL: "oci://ghcr.io/org/charts/nginx"}, kind: kindOCI},
		{name: "classic without name", opts: Options{RepoURL: "https://charts.example.com"}, wantErr: true},
		{name: "oci with name", opts: Options{RepoURL: "oci://ghcr.io/org/nginx", Name: "nginx"}, wantErr: true},
		{name: "oci without path", opts: Options{RepoURL: "oci://ghcr.io"}, wantErr: true},
		{name: "bad scheme", opts: Options{RepoURL: "ftp://x/y", Name: "a"}, wantErr: true},
		{name: "no url", opts: Options{Name: "a"}, wantErr: true},
		{name: "bad constraint", opts: Options{RepoURL: "https://x", Name: "a", SemverConstraint: "^^1"}, wantErr: true},
		{name: "negative limit", opts: Options{RepoURL: "https://x", Name: "a", DiscoveryLimit: -1}, wantErr: true},
		{name: "credentials in URL", opts: Options{RepoURL: "https://user:hunter2@x", Name: "a"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.opts.validate()
			if tt.wantErr {
				if err == nil || !isInvalid(err) {
					t.Fatalf("validate() error = %v, want ErrInvalidSubscription", err)
				}
				if containsSecret(err) {
					t.Fatalf("error leaks a credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("validate() error = %v", err)
			}
			if s.kind != tt.kind || s.limit != DefaultDiscoveryLimit {
				t.Errorf("kind %v limit %d, want %v %d", s.kind, s.limit, tt.kind, DefaultDiscoveryLimit)
			}
		})
	}
}
