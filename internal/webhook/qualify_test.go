package webhook

import (
	"slices"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestQualifies(t *testing.T) {
	no := false
	git := func(g railyard.GitSubscription) railyard.RepoSubscription {
		return railyard.RepoSubscription{Git: &g}
	}
	img := func(s railyard.ImageSubscription) railyard.RepoSubscription {
		return railyard.RepoSubscription{Image: &s}
	}
	chart := func(s railyard.ChartSubscription) railyard.RepoSubscription {
		return railyard.RepoSubscription{Chart: &s}
	}
	cases := []struct {
		name  string
		sub   railyard.RepoSubscription
		refs  []string
		files []string
		want  bool
	}{
		{"no refs: always", git(railyard.GitSubscription{Branch: "release"}), nil, nil, true},
		// Git, NewestFromBranch.
		{"branch: same", git(railyard.GitSubscription{Branch: "release"}), []string{"refs/heads/release"}, nil, true},
		{"branch: other", git(railyard.GitSubscription{Branch: "release"}), []string{"refs/heads/main"}, nil, false},
		{"branch unset: any branch", git(railyard.GitSubscription{}), []string{"refs/heads/develop"}, nil, true},
		{"branch: tag pushed", git(railyard.GitSubscription{}), []string{"refs/tags/v1.0.0"}, nil, false},
		{"branch: unknown ref form", git(railyard.GitSubscription{Branch: "release"}), []string{"release"}, nil, true},
		{"branch: one of several refs", git(railyard.GitSubscription{Branch: "release"}), []string{"refs/heads/main", "refs/heads/release"}, nil, true},
		// Git, path filters with known changed files.
		{"include: touched", git(railyard.GitSubscription{IncludePaths: []string{"apps/api"}}), []string{"refs/heads/main"}, []string{"apps/api/values.yaml"}, true},
		{"include: untouched", git(railyard.GitSubscription{IncludePaths: []string{"apps/api"}}), []string{"refs/heads/main"}, []string{"apps/web/values.yaml"}, false},
		{"include glob", git(railyard.GitSubscription{IncludePaths: []string{"glob:apps/*/values.yaml"}}), []string{"refs/heads/main"}, []string{"apps/web/values.yaml"}, true},
		{"include regex", git(railyard.GitSubscription{IncludePaths: []string{"regex:^charts/"}}), []string{"refs/heads/main"}, []string{"apps/web/values.yaml"}, false},
		{"exclude: all excluded", git(railyard.GitSubscription{ExcludePaths: []string{"docs"}}), []string{"refs/heads/main"}, []string{"docs/README.md"}, false},
		{"exclude: one not excluded", git(railyard.GitSubscription{ExcludePaths: []string{"docs"}}), []string{"refs/heads/main"}, []string{"docs/README.md", "main.go"}, true},
		{"include: files unknown", git(railyard.GitSubscription{IncludePaths: []string{"apps/api"}}), []string{"refs/heads/main"}, nil, true},
		{"include: invalid regex never hides", git(railyard.GitSubscription{IncludePaths: []string{"regex:("}}), []string{"refs/heads/main"}, []string{"x"}, true},
		// Git, tag strategies.
		{"semver tag in constraint", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategySemVer, SemverConstraint: "^1.0.0"}), []string{"refs/tags/v1.2.0"}, nil, true},
		{"semver tag outside constraint", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategySemVer, SemverConstraint: "^1.0.0"}), []string{"refs/tags/v2.0.0"}, nil, false},
		{"semver: branch pushed", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategySemVer}), []string{"refs/heads/main"}, nil, false},
		{"semver: not strict", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategySemVer}), []string{"refs/tags/v1.2"}, nil, false},
		{"semver: strict off", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategySemVer, StrictSemvers: &no}), []string{"refs/tags/v1.2"}, nil, true},
		{"lexical: allowed", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategyLexical, AllowTagsRegexes: []string{"^release-"}}), []string{"refs/tags/release-7"}, nil, true},
		{"lexical: not allowed", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategyLexical, AllowTagsRegexes: []string{"^release-"}}), []string{"refs/tags/nightly-7"}, nil, false},
		{"newest tag: ignored", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategyNewestTag, IgnoreTagsRegexes: []string{"-rc"}}), []string{"refs/tags/v2-rc1"}, nil, false},
		{"newest tag: deprecated ignoreTags literal", git(railyard.GitSubscription{CommitSelectionStrategy: railyard.CommitSelectionStrategyNewestTag, IgnoreTags: []string{"v2"}}), []string{"refs/tags/v2"}, nil, false},
		// Images.
		{"image default semver", img(railyard.ImageSubscription{}), []string{"1.4.2"}, nil, true},
		{"image default semver: latest", img(railyard.ImageSubscription{}), []string{"latest"}, nil, false},
		{"image semver constraint", img(railyard.ImageSubscription{Constraint: "~1.4"}), []string{"1.5.0"}, nil, false},
		{"image deprecated semverConstraint", img(railyard.ImageSubscription{SemverConstraint: "~1.4"}), []string{"1.4.9"}, nil, true},
		{"image invalid constraint never hides", img(railyard.ImageSubscription{Constraint: "not a constraint"}), []string{"1.4.9"}, nil, true},
		{"image ignore wins", img(railyard.ImageSubscription{AllowTagsRegexes: []string{"."}, IgnoreTagsRegexes: []string{`^1\.4\.2$`}}), []string{"1.4.2"}, nil, false},
		{"image lexical any tag", img(railyard.ImageSubscription{ImageSelectionStrategy: railyard.ImageSelectionStrategyLexical}), []string{"nightly-20261201"}, nil, true},
		{"image newest build: allow", img(railyard.ImageSubscription{ImageSelectionStrategy: railyard.ImageSelectionStrategyNewestBuild, AllowTags: "^main-"}), []string{"pr-12"}, nil, false},
		{"image digest: followed tag", img(railyard.ImageSubscription{ImageSelectionStrategy: railyard.ImageSelectionStrategyDigest, Constraint: "latest"}), []string{"latest"}, nil, true},
		{"image digest: other tag", img(railyard.ImageSubscription{ImageSelectionStrategy: railyard.ImageSelectionStrategyDigest, Constraint: "latest"}), []string{"1.4.2"}, nil, false},
		// Charts.
		{"chart any version", chart(railyard.ChartSubscription{}), []string{"0.7.0-rc.1"}, nil, true},
		{"chart in constraint", chart(railyard.ChartSubscription{SemverConstraint: "^0.7.0"}), []string{"0.7.3"}, nil, true},
		{"chart outside constraint", chart(railyard.ChartSubscription{SemverConstraint: "^0.7.0"}), []string{"0.8.0"}, nil, false},
		{"chart not a version", chart(railyard.ChartSubscription{}), []string{"latest"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := qualifies(Event{Refs: c.refs, ChangedFiles: c.files}, c.sub); got != c.want {
				t.Fatalf("qualifies = %v, want %v", got, c.want)
			}
		})
	}
}

func TestMatchFiltersByRef(t *testing.T) {
	release := railyard.RepoSubscription{Git: &railyard.GitSubscription{RepoURL: "https://github.com/acme/deploy-config", Branch: "release"}}
	tags := railyard.RepoSubscription{Git: &railyard.GitSubscription{RepoURL: "https://github.com/acme/deploy-config",
		CommitSelectionStrategy: railyard.CommitSelectionStrategySemVer}}
	whs := []railyard.Warehouse{
		warehouse("main", gitSub("https://github.com/acme/deploy-config")),
		warehouse("release", release),
		warehouse("tags", tags),
		warehouse("release-or-tags", release, tags),
	}
	ev := Event{GitURLs: []string{"https://github.com/acme/deploy-config"}}
	for _, c := range []struct {
		ref  string
		want []string
	}{
		{"refs/heads/main", []string{"main"}},
		{"refs/heads/release", []string{"main", "release", "release-or-tags"}},
		{"refs/tags/v1.2.3", []string{"tags", "release-or-tags"}},
	} {
		ev.Refs = []string{c.ref}
		var got []string
		for _, n := range Match(ev, whs) {
			got = append(got, n.Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: matched %v, want %v", c.ref, got, c.want)
		}
	}
}
