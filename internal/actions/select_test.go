package actions

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestChartPath(t *testing.T) {
	for _, tc := range []struct{ repo, name, want string }{
		{"https://charts.example.com", "titiler", "https://charts.example.com/titiler"},
		{"https://charts.example.com/", "titiler", "https://charts.example.com/titiler"},
		{"oci://ghcr.io/example/charts/titiler", "", "oci://ghcr.io/example/charts/titiler"},
	} {
		if got := ChartPath(tc.repo, tc.name); got != tc.want {
			t.Errorf("ChartPath(%q, %q) = %q, want %q", tc.repo, tc.name, got, tc.want)
		}
	}
}

func TestSelectArtifacts(t *testing.T) {
	discovered := &railyard.DiscoveredArtifacts{
		DiscoveredAt: metav1.NewTime(t0),
		Images: []railyard.ImageDiscoveryResult{{RepoURL: "ghcr.io/example/app", References: []railyard.DiscoveredImageReference{
			{Tag: "v1.1.0", Digest: "sha256:11"}, {Tag: "v1.0.0", Digest: "sha256:10"},
		}}},
		Charts: []railyard.ChartDiscoveryResult{{RepoURL: "https://charts.example.com", Name: "app", Versions: []string{"2.0.0", "1.9.0"}}},
		Git: []railyard.GitDiscoveryResult{{RepoURL: "https://git.example.com/app.git", Commits: []railyard.DiscoveredCommit{
			{ID: "aaaa1111", Subject: "newest"}, {ID: "abcd2222", Subject: "older"}, {ID: "abce3333", Subject: "oldest"},
		}}},
	}
	wh := func(da *railyard.DiscoveredArtifacts) *railyard.Warehouse {
		w := &railyard.Warehouse{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}}
		w.Status.DiscoveredArtifacts = da
		return w
	}
	type want struct{ image, chart, commit string }
	for _, tc := range []struct {
		name    string
		da      *railyard.DiscoveredArtifacts
		sel     Selection
		want    want
		wantErr string
		notDisc bool
	}{
		{name: "the newest of everything", da: discovered, want: want{"v1.1.0", "2.0.0", "aaaa1111"}},
		{
			name: "the versions asked for",
			da:   discovered,
			sel: Selection{
				Images:  []*Wanted{{Flag: "--image", Raw: "ghcr.io/example/app:v1.0.0", Repo: "ghcr.io/example/app", Version: "v1.0.0"}},
				Charts:  []*Wanted{{Flag: "--chart", Raw: "https://charts.example.com/app:1.9.0", Repo: "https://charts.example.com/app", Version: "1.9.0"}},
				Commits: []*Wanted{{Flag: "--commit", Raw: "abcd", Repo: "https://git.example.com/app", Version: "abcd"}},
			},
			want: want{"v1.0.0", "1.9.0", "abcd2222"},
		},
		{name: "nothing discovered yet", da: nil, wantErr: "has not discovered anything yet", notDisc: true},
		{name: "no artifact at all", da: &railyard.DiscoveredArtifacts{}, wantErr: "any artifact", notDisc: true},
		{
			name: "a tag that was not discovered lists the discovered ones", da: discovered,
			sel:     Selection{Images: []*Wanted{{Flag: "--image", Raw: "app:v9", Repo: "ghcr.io/example/app", Version: "v9"}}},
			wantErr: `tag "v9" not discovered (discovered: v1.1.0, v1.0.0)`, notDisc: true,
		},
		{
			name: "a chart version that was not discovered", da: discovered,
			sel:     Selection{Charts: []*Wanted{{Flag: "--chart", Raw: "app:3", Repo: "https://charts.example.com/app", Version: "3.0.0"}}},
			wantErr: `version "3.0.0" not discovered`, notDisc: true,
		},
		{
			name: "an ambiguous commit prefix", da: discovered,
			sel:     Selection{Commits: []*Wanted{{Flag: "--commit", Raw: "abc", Repo: "https://git.example.com/app", Version: "abc"}}},
			wantErr: "2 discovered commits start with abc",
		},
		{
			name: "a repository the Warehouse does not subscribe to", da: discovered,
			sel:     Selection{Images: []*Wanted{{Flag: "--image", Raw: "other:v1", Repo: "ghcr.io/example/other", Version: "v1"}}},
			wantErr: "--image other:v1: the repository is not a subscription of warehouse/app",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := SelectArtifacts(wh(tc.da), tc.sel)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				if errors.Is(err, ErrNotDiscovered) != tc.notDisc {
					t.Errorf("errors.Is(ErrNotDiscovered) = %v, want %v", !tc.notDisc, tc.notDisc)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{f.Images[0].Tag, f.Charts[0].Version, f.Commits[0].ID}
			if got != tc.want {
				t.Errorf("picked %+v, want %+v", got, tc.want)
			}
			if f.Origin != origin || f.DiscoveredAt == nil || !f.DiscoveredAt.Time.Equal(t0) {
				t.Errorf("origin %v, discovered at %v", f.Origin, f.DiscoveredAt)
			}
		})
	}
}
