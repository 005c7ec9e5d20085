package freightcheck

import (
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

func TestFreightProblems(t *testing.T) {
	w := &railyard.Warehouse{}
	w.Name, w.Namespace = "app", "demo"
	w.Spec.Subscriptions = []railyard.RepoSubscription{
		{Image: &railyard.ImageSubscription{RepoURL: "ghcr.io/org/app"}},
		{Git: &railyard.GitSubscription{RepoURL: "https://github.com/org/deploy.git"}},
	}
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}
	img := railyard.Image{RepoURL: "ghcr.io/org/app", Tag: "abc123f", Digest: "sha256:1"}
	commit := railyard.GitCommit{RepoURL: "https://github.com/org/deploy", ID: "c0ffee"}
	newFreight := func(images []railyard.Image, commits []railyard.GitCommit, name string) *railyard.Freight {
		f := &railyard.Freight{Origin: origin, Images: images, Commits: commits}
		f.Namespace = "demo"
		f.Name = name
		if name == "" {
			f.Name = freight.IDOf(f)
		}
		return f
	}
	tests := []struct {
		name string
		f    *railyard.Freight
		w    *railyard.Warehouse
		same *railyard.Freight
		want []string // substrings, one per problem; none means accepted
	}{
		{name: "hand-made dev tag fits", f: newFreight([]railyard.Image{img}, []railyard.GitCommit{commit}, ""), w: w},
		{name: "missing git commit", f: newFreight([]railyard.Image{img}, nil, ""), w: w,
			want: []string{"has 0 artifacts for the subscription to git https://github.com/org/deploy.git"}},
		{name: "two images for one subscription", f: newFreight([]railyard.Image{img, {RepoURL: "ghcr.io/org/app", Tag: "v1"}}, []railyard.GitCommit{commit}, ""), w: w,
			want: []string{"has 2 artifacts for the subscription to image ghcr.io/org/app"}},
		{name: "foreign image", f: newFreight([]railyard.Image{img, {RepoURL: "ghcr.io/org/other", Tag: "v1"}}, []railyard.GitCommit{commit}, ""), w: w,
			want: []string{"image ghcr.io/org/other:v1 matches no subscription"}},
		{name: "named by hand, as Kargo users do", f: newFreight([]railyard.Image{img}, []railyard.GitCommit{commit}, "my-freight"), w: w},
		{name: "named by hand, content already held", f: newFreight([]railyard.Image{img}, []railyard.GitCommit{commit}, "my-freight"), w: w,
			same: newFreight([]railyard.Image{img}, []railyard.GitCommit{commit}, ""),
			want: []string{"holds the same artifacts as Freight " + newFreight([]railyard.Image{img}, []railyard.GitCommit{commit}, "").Name}},
		{name: "no warehouse", f: newFreight([]railyard.Image{img}, nil, ""),
			want: []string{"origin Warehouse app does not exist in namespace demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := freightProblems(tt.f, tt.w, tt.same)
			joined := strings.Join(got, "; ")
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("rejected: %s", joined)
			}
			for _, w := range tt.want {
				if !strings.Contains(joined, w) {
					t.Errorf("problems %q lack %q", joined, w)
				}
			}
		})
	}
}
