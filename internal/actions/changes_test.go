package actions

import (
	"reflect"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

const (
	gitRepo = "https://git.example.com/acme/deploy.git"
	imgRepo = "registry.example.com/acme/app"
	chRepo  = "oci://charts.example.com/acme"
)

// artifacts is Freight holding the given image tag, chart version and commit.
func artifacts(tag, chart, commit string) *railyard.Freight {
	f := &railyard.Freight{}
	if tag != "" {
		f.Images = []railyard.Image{{RepoURL: imgRepo, Tag: tag}}
	}
	if chart != "" {
		f.Charts = []railyard.Chart{{RepoURL: chRepo, Name: "app", Version: chart}}
	}
	if commit != "" {
		f.Commits = []railyard.GitCommit{{RepoURL: gitRepo, ID: commit}}
	}
	return f
}

// history is discovery's list of a branch, newest first: c5 … c1.
func history(ids ...string) *railyard.Warehouse {
	wh := &railyard.Warehouse{}
	var cs []railyard.DiscoveredCommit
	for _, id := range ids {
		cs = append(cs, railyard.DiscoveredCommit{ID: id, Subject: "subject " + id})
	}
	wh.Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{Git: []railyard.GitDiscoveryResult{{RepoURL: gitRepo, Commits: cs}}}
	return wh
}

func subjects(cs []railyard.DiscoveredCommit) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Subject)
	}
	return out
}

func TestChangesBetween(t *testing.T) {
	wh := history("c5", "c4", "c3", "c2", "c1")
	for _, tc := range []struct {
		name     string
		from, to *railyard.Freight
		wh       *railyard.Warehouse
		want     []Change
		subjects []string
	}{{
		name: "tag, chart and commits forward",
		from: artifacts("v1.0.0", "1.0.0", "c2"), to: artifacts("v1.1.0", "1.2.0", "c5"), wh: wh,
		want: []Change{
			{Kind: "image", Repo: imgRepo, From: "v1.0.0", To: "v1.1.0", Changed: true},
			{Kind: "chart", Repo: chRepo + "/app", From: "1.0.0", To: "1.2.0", Changed: true},
			{Kind: "git", Repo: gitRepo, From: "c2", To: "c5", Changed: true, CommitsKnown: true},
		},
		subjects: []string{"subject c5", "subject c4", "subject c3"},
	}, {
		name: "nothing changed",
		from: artifacts("v1.0.0", "", "c3"), to: artifacts("v1.0.0", "", "c3"), wh: wh,
		want: []Change{
			{Kind: "image", Repo: imgRepo, From: "v1.0.0", To: "v1.0.0"},
			{Kind: "git", Repo: gitRepo, From: "c3", To: "c3", CommitsKnown: true},
		},
	}, {
		name: "back to an older commit lists what is left out",
		from: artifacts("", "", "c4"), to: artifacts("", "", "c2"), wh: wh,
		want:     []Change{{Kind: "git", Repo: gitRepo, From: "c4", To: "c2", Changed: true, Back: true, CommitsKnown: true}},
		subjects: []string{"subject c4", "subject c3"},
	}, {
		name: "from older than discovery keeps: the known ones, not known",
		from: artifacts("", "", "c0"), to: artifacts("", "", "c4"), wh: wh,
		want:     []Change{{Kind: "git", Repo: gitRepo, From: "c0", To: "c4", Changed: true}},
		subjects: []string{"subject c4", "subject c3", "subject c2", "subject c1"},
	}, {
		name: "to no longer discovered: none known",
		from: artifacts("", "", "c4"), to: artifacts("", "", "c9"), wh: wh,
		want: []Change{{Kind: "git", Repo: gitRepo, From: "c4", To: "c9", Changed: true}},
	}, {
		name: "no Warehouse: commits not known",
		from: artifacts("", "", "c2"), to: artifacts("", "", "c5"),
		want: []Change{{Kind: "git", Repo: gitRepo, From: "c2", To: "c5", Changed: true}},
	}, {
		name: "the Stage runs nothing yet",
		from: nil, to: artifacts("v2", "", ""),
		want: []Change{{Kind: "image", Repo: imgRepo, To: "v2", Changed: true}},
	}, {
		name: "same tag, new digest",
		from: &railyard.Freight{Images: []railyard.Image{{RepoURL: imgRepo, Tag: "latest", Digest: "sha256:a"}}},
		to:   &railyard.Freight{Images: []railyard.Image{{RepoURL: imgRepo, Tag: "latest", Digest: "sha256:b"}}},
		want: []Change{{Kind: "image", Repo: imgRepo, From: "latest", To: "latest", Changed: true}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := ChangesBetween(tc.from, tc.to, tc.wh)
			var gotSubjects []string
			for i := range got {
				gotSubjects = append(gotSubjects, subjects(got[i].Commits)...)
				got[i].Commits = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("changes:\n got %+v\nwant %+v", got, tc.want)
			}
			if !reflect.DeepEqual(gotSubjects, tc.subjects) {
				t.Errorf("commit subjects: got %q, want %q", gotSubjects, tc.subjects)
			}
		})
	}
}
