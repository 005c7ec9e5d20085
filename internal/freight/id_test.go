package freight

import (
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestID(t *testing.T) {
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}
	img := railyard.Image{RepoURL: "registry.example.com/app", Tag: "v1.2.3", Digest: "sha256:aaa"}
	chart := railyard.Chart{RepoURL: "https://charts.example.com", Name: "app", Version: "1.0.0"}
	commit := railyard.GitCommit{RepoURL: "https://git.example.com/org/repo.git", ID: "abc"}
	base := ID(origin, []railyard.GitCommit{commit}, []railyard.Image{img}, []railyard.Chart{chart})

	if len(base) != 40 {
		t.Fatalf("ID %q is not 40 hex characters", base)
	}
	moved := img
	moved.Digest = "sha256:bbb"
	retagged := commit
	retagged.Tag = "v1"
	named := img
	named.SubscriptionName = "frontend"
	otherOrigin := origin
	otherOrigin.Name = "other"

	tests := []struct {
		name string
		id   string
		same bool
	}{
		{"identical content", ID(origin, []railyard.GitCommit{commit}, []railyard.Image{img}, []railyard.Chart{chart}), true},
		{"equivalent git URL", ID(origin, []railyard.GitCommit{{RepoURL: "HTTPS://GIT.example.com/org/repo/", ID: "abc"}}, []railyard.Image{img}, []railyard.Chart{chart}), true},
		{"order of artifacts does not matter", ID(origin, []railyard.GitCommit{commit}, []railyard.Image{img}, []railyard.Chart{chart}), true},
		{"tag moved to a new digest", ID(origin, []railyard.GitCommit{commit}, []railyard.Image{moved}, []railyard.Chart{chart}), false},
		{"commit re-tagged", ID(origin, []railyard.GitCommit{retagged}, []railyard.Image{img}, []railyard.Chart{chart}), false},
		{"subscription name", ID(origin, []railyard.GitCommit{commit}, []railyard.Image{named}, []railyard.Chart{chart}), false},
		{"other origin", ID(otherOrigin, []railyard.GitCommit{commit}, []railyard.Image{img}, []railyard.Chart{chart}), false},
		{"artifact missing", ID(origin, nil, []railyard.Image{img}, []railyard.Chart{chart}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id == base; got != tt.same {
				t.Errorf("ID equal to base = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestIDOrderIndependent(t *testing.T) {
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}
	a := railyard.Image{RepoURL: "r/a", Tag: "1", Digest: "sha256:1"}
	b := railyard.Image{RepoURL: "r/b", Tag: "2", Digest: "sha256:2"}
	if ID(origin, nil, []railyard.Image{a, b}, nil) != ID(origin, nil, []railyard.Image{b, a}, nil) {
		t.Fatal("ID depends on the order of images")
	}
}

func TestNormalizeGitURL(t *testing.T) {
	tests := map[string]string{
		"https://github.com/Org/Repo.git":   "https://github.com/Org/Repo",
		"https://GitHub.com/Org/Repo/":      "https://github.com/Org/Repo",
		"git@github.com:org/repo.git":       "ssh://git@github.com/org/repo",
		"ssh://git@github.com/org/repo":     "ssh://git@github.com/org/repo",
		"http://127.0.0.1:8080/demo.git":    "http://127.0.0.1:8080/demo",
		"  https://example.com/a/b.git  ":   "https://example.com/a/b",
		"HTTPS://EXAMPLE.COM/A/b.git":       "https://example.com/A/b",
		"git@gitlab.example.com:/g/p.git":   "ssh://git@gitlab.example.com/g/p",
		"https://example.com/scm/proj.git/": "https://example.com/scm/proj",
	}
	for in, want := range tests {
		if got := NormalizeGitURL(in); got != want {
			t.Errorf("NormalizeGitURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeImageURL(t *testing.T) {
	tests := map[string]string{
		"nginx":                             "nginx",
		"docker.io/library/nginx":           "nginx",
		"index.docker.io/library/nginx":     "nginx",
		"Registry.Example.com/App":          "registry.example.com/app",
		"public.ecr.aws/docker/library/foo": "public.ecr.aws/docker/library/foo",
	}
	for in, want := range tests {
		if got := NormalizeImageURL(in); got != want {
			t.Errorf("NormalizeImageURL(%q) = %q, want %q", in, got, want)
		}
	}
}
