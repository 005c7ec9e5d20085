package cli

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

func newBareWarehouse(ns, name string) *railyard.Warehouse {
	return &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: imageRepo}},
		}},
	}
}

func TestCreateFreight(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")

	tests := []struct {
		name                       string
		args                       []string
		wantTag, wantChart, wantID string
		wantAlias                  string
	}{
		{
			name:    "unnamed subscriptions take the newest",
			args:    []string{"--image", imageRepo + ":v1.0.0"},
			wantTag: "v1.0.0", wantChart: "1.4.0", wantID: commitNew,
		},
		{
			name:    "every artifact named, commit by prefix, with alias",
			args:    []string{"--image", imageRepo + ":v1.1.0", "--chart", chartRepo + "/" + chartName + ":1.3.0", "--commit", gitRepo + "@b1b1b1b", "--alias", "hotfix"},
			wantTag: "v1.1.0", wantChart: "1.3.0", wantID: commitOld, wantAlias: "hotfix",
		},
		{
			name:    "nothing named takes the newest of everything",
			args:    nil,
			wantTag: "v1.2.0", wantChart: "1.4.0", wantID: commitNew,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := railyardCLI(ns, append([]string{"create", "freight", "--warehouse", "titiler"}, tt.args...)...).mustSucceed(t)
			want := &railyard.Freight{
				Origin:  railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"},
				Images:  []railyard.Image{{RepoURL: imageRepo, Tag: tt.wantTag, Digest: digestOf(tt.wantTag)}},
				Charts:  []railyard.Chart{{RepoURL: chartRepo, Name: chartName, Version: tt.wantChart}},
				Commits: []railyard.GitCommit{{RepoURL: gitRepo, ID: tt.wantID}},
			}
			id := freight.IDOf(want)
			var got railyard.Freight
			must(t, k8s.Get(testCtx, client.ObjectKey{Namespace: ns, Name: id}, &got))
			if got.Images[0].Digest != digestOf(tt.wantTag) || got.Commits[0].Branch != "main" {
				t.Errorf("freight artifacts = %+v %+v", got.Images, got.Commits)
			}
			if got.Alias == "" || got.Labels[railyard.LabelAlias] != got.Alias || (tt.wantAlias != "" && got.Alias != tt.wantAlias) {
				t.Errorf("alias %q label %q, want %q", got.Alias, got.Labels[railyard.LabelAlias], tt.wantAlias)
			}
			if !strings.Contains(r.stdout, "freight/"+id+" created (alias "+got.Alias+")") {
				t.Errorf("stdout = %q", r.stdout)
			}
			again := railyardCLI(ns, append([]string{"create", "freight", "--warehouse", "titiler"}, tt.args...)...).mustSucceed(t)
			if !strings.Contains(again.stdout, "freight/"+id+" already exists") {
				t.Errorf("second create: stdout = %q", again.stdout)
			}
		})
	}
}

func TestCreateFreightRefusals(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedFreight(t, ns, "titiler", "taken", "v1.0.0", "1.3.0", commitOld)

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"undiscovered tag hints at refresh", []string{"--image", imageRepo + ":v9.9.9"}, `tag "v9.9.9" not discovered (discovered: v1.2.0, v1.1.0, v1.0.0); run 'railyard refresh warehouse titiler --wait'`},
		{"unknown repository lists the subscriptions", []string{"--image", "ghcr.io/acme/other:v1"}, "not a subscription of warehouse/titiler"},
		{"undiscovered chart version", []string{"--chart", chartRepo + "/titiler:0.1.0"}, `version "0.1.0" not discovered`},
		{"undiscovered commit", []string{"--commit", gitRepo + "@deadbeef"}, "commit not discovered"},
		{"tag missing", []string{"--image", imageRepo}, "--image wants REPO:VERSION"},
		{"alias taken", []string{"--alias", "taken"}, `alias "taken" is already used by freight`},
		{"unknown warehouse", []string{"--warehouse", "nope"}, `Warehouse "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			railyardCLI(ns, append([]string{"create", "freight", "--warehouse", "titiler"}, tt.args...)...).mustFail(t, tt.wantErr)
		})
	}
}

// Freight applied by hand under a name of its own (as Kargo users do) holds
// its content: creating the same Freight again finds it instead of making a
// second one.
func TestCreateFreightFindsFreightNamedByHand(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	byHand := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "release-1-2-0"},
		Alias:      "by-hand",
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "titiler"},
		Images:     []railyard.Image{{RepoURL: imageRepo, Tag: "v1.2.0", Digest: digestOf("v1.2.0")}},
		Charts:     []railyard.Chart{{RepoURL: chartRepo, Name: chartName, Version: "1.4.0"}},
		Commits:    []railyard.GitCommit{{RepoURL: gitRepo, ID: commitNew}},
	}
	must(t, k8s.Create(testCtx, byHand))
	r := railyardCLI(ns, "create", "freight", "--warehouse", "titiler").mustSucceed(t)
	if !strings.Contains(r.stdout, "freight/release-1-2-0 already exists") {
		t.Fatalf("stdout = %q, want the Freight named by hand", r.stdout)
	}
	var list railyard.FreightList
	must(t, k8s.List(testCtx, &list, client.InNamespace(ns)))
	if len(list.Items) != 1 {
		t.Fatalf("%d Freight, want only the one named by hand", len(list.Items))
	}
}
