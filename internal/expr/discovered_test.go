package expr

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

var (
	built     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	committed = time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
)

// discoveredArtifacts is a Warehouse status as discovery writes it: newest
// first in every result.
func discoveredArtifacts() *railyard.DiscoveredArtifacts {
	return &railyard.DiscoveredArtifacts{
		Images: []railyard.ImageDiscoveryResult{
			{RepoURL: "docker.io/library/nginx", References: []railyard.DiscoveredImageReference{
				{Tag: "1.27.0", Digest: "sha256:new", Annotations: map[string]string{"org.opencontainers.image.revision": "c0ffee"},
					CreatedAt: &metav1.Time{Time: built}},
				{Tag: "1.26.0", Digest: "sha256:old"},
			}},
			{RepoURL: "ghcr.io/acme/web", References: []railyard.DiscoveredImageReference{{Tag: "v2.0.0", Digest: "sha256:web"}}},
			{RepoURL: "ghcr.io/acme/empty"},
		},
		Git: []railyard.GitDiscoveryResult{
			{RepoURL: "https://github.com/acme/config.git", Commits: []railyard.DiscoveredCommit{
				{ID: "c0ffee", Branch: "main", Subject: "release: 2.0", Author: "Release Bot <bot@acme.io>",
					Committer: "CI <ci@acme.io>", CreatorDate: &metav1.Time{Time: committed}},
				{ID: "decade", Branch: "main", Subject: "older"},
			}},
		},
		Charts: []railyard.ChartDiscoveryResult{
			{RepoURL: "oci://ghcr.io/acme/charts/api", Versions: []string{"3.1.0", "3.0.0"}},
			{RepoURL: "https://charts.acme.io", Name: "db", Versions: []string{"2.0.0"}},
			{RepoURL: "https://charts.acme.io", Name: "web", Versions: []string{"0.2.0"}},
		},
	}
}

// TestDiscoveredArtifactFunctions states, for freightCreationCriteria, what
// Kargo v1.11.2 yields for each expression. Sources:
// docs/docs/50-user-guide/60-reference-docs/40-expressions.md (commitFrom,
// imageFrom, chartFrom "in the context of ... automatic creation of a
// Freight"), pkg/expressions/function/functions.go
// (get{Commit,Image,Chart}FromDiscoveredArtifacts: first matching result,
// newest entry, URLs compared with urls.Normalize{Git,Image,Chart}),
// pkg/urls/image_test.go, and pkg/controller/warehouses/warehouses_test.go
// (Test_freightCreationCriteriaSatisfied).
func TestDiscoveredArtifactFunctions(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		// Kargo: DiscoveredImageReference fields of the newest reference.
		{"imageFrom('docker.io/library/nginx').Tag", "1.27.0"},
		{"imageFrom('docker.io/library/nginx').Digest", "sha256:new"},
		{"imageFrom('docker.io/library/nginx').Annotations['org.opencontainers.image.revision']", "c0ffee"},
		{"imageFrom('docker.io/library/nginx').CreatedAt.Time", built},
		{"imageFrom('docker.io/library/nginx').CreatedAt.After(date('2026-02-01'))", true},
		{"imageFrom('docker.io/library/nginx').CreatedAt.Time > date('2026-03-02')", false},
		{"imageFrom('ghcr.io/acme/web').CreatedAt == nil", true},
		// Kargo's docs list RepoURL for the criteria Image; Railyard fills it.
		{"imageFrom('ghcr.io/acme/web').RepoURL", "ghcr.io/acme/web"},
		// Kargo: urls.NormalizeImage makes these one repository.
		{"imageFrom('nginx').Tag", "1.27.0"},
		{"imageFrom('docker.io/nginx').Tag", "1.27.0"},
		{"imageFrom('index.docker.io/library/nginx').Tag", "1.27.0"},
		{"imageFrom('registry-1.docker.io/nginx').Tag", "1.27.0"},
		{"imageFrom('Docker.IO/Library/NGINX').Tag", "1.27.0"},
		{"imageFrom('GHCR.io/Acme/Web').Tag", "v2.0.0"},
		{"imageFrom('nginx:1.25').Tag", "1.27.0"},
		// Kargo keeps a trailing slash (nil there); Railyard, as before,
		// drops it.
		{"imageFrom('ghcr.io/acme/web/').Tag", "v2.0.0"},
		// Kargo: nil when nothing matches or the result is empty.
		{"imageFrom('ghcr.io/acme/nope')", nil},
		{"imageFrom('ghcr.io/acme/empty')", nil},
		{"imageFrom('quay.io/library/nginx')", nil},
		// Kargo: DiscoveredCommit fields of the newest commit.
		{"commitFrom('https://github.com/acme/config').ID", "c0ffee"},
		{"commitFrom('https://github.com/acme/config.git').Branch", "main"},
		{"commitFrom('https://github.com/acme/config').Subject", "release: 2.0"},
		{"commitFrom('https://github.com/acme/config').Author", "Release Bot <bot@acme.io>"},
		{"commitFrom('https://github.com/acme/config').Committer", "CI <ci@acme.io>"},
		{"commitFrom('https://github.com/acme/config').CreatorDate.Time", committed},
		{"commitFrom('https://github.com/acme/config').Tag", ""},
		// Railyard also answers with the Freight's GitCommit names.
		{"commitFrom('https://github.com/acme/config').Message", "release: 2.0"},
		{"commitFrom('https://github.com/acme/config').RepoURL", "https://github.com/acme/config.git"},
		// Kargo: urls.NormalizeGit lower-cases and drops ".git" and "/".
		{"commitFrom('HTTPS://GitHub.com/acme/config/').ID", "c0ffee"},
		{"commitFrom('https://github.com/acme/other')", nil},
		// Kargo: a Chart whose RepoURL is the normalised argument.
		{"chartFrom('oci://ghcr.io/acme/charts/api').Version", "3.1.0"},
		{"chartFrom('oci://ghcr.io/acme/charts/api').RepoURL", "ghcr.io/acme/charts/api"},
		{"chartFrom('OCI://GHCR.io/acme/charts/api').Version", "3.1.0"},
		{"chartFrom('https://charts.acme.io', 'web').Version", "0.2.0"},
		{"chartFrom('https://charts.acme.io', 'web').Name", "web"},
		{"chartFrom('https://charts.acme.io').Name", "db"},
		{"chartFrom('https://charts.acme.io', 'nope')", nil},
		// Kargo takes no origin here; Railyard accepts the Warehouse's own.
		{"imageFrom('nginx', warehouse('app')).Tag", "1.27.0"},
		{"imageFrom('nginx', warehouse('other'))", nil},
		// Kargo (warehouses_test.go): tags compared across subscriptions.
		{"imageFrom('nginx').Tag == imageFrom('ghcr.io/acme/web').Tag", false},
		{"commitFrom('https://github.com/acme/config').Subject startsWith 'release:' && " +
			"commitFrom('https://github.com/acme/config').Author contains 'Release Bot'", true},
	}
	origin := railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"}
	ctx := WithDiscovered(context.Background(), origin, discoveredArtifacts())
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := newEvaluator(ctx, &Env{}).run(tc.in)
			if err != nil {
				t.Fatalf("%s: %v", tc.in, err)
			}
			if tt, ok := got.(time.Time); ok {
				got = tt.UTC()
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("%s = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

// Promotion steps read Freight, where Kargo (pkg/controller/freight
// finder.go) compares image URLs exactly; Railyard also finds an image by
// any spelling Kargo's NormalizeImage equates, so "nginx" finds the
// Freight's "docker.io/library/nginx".
func TestImageFromFreightNormalises(t *testing.T) {
	env := &Env{Freight: railyard.FreightCollection{Freight: map[string]railyard.FreightReference{
		"Warehouse/app": {Name: "f1", Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
			Images: []railyard.Image{{RepoURL: "docker.io/library/nginx", Tag: "1.27.0"}}},
	}}}
	for _, repo := range []string{"nginx", "docker.io/nginx", "index.docker.io/library/nginx", "docker.io/library/nginx/", "NGINX"} {
		got, err := EvalBool(context.Background(), "imageFrom('"+repo+"').Tag == '1.27.0'", env)
		if err != nil || !got {
			t.Errorf("imageFrom(%q).Tag == '1.27.0': %v, %v", repo, got, err)
		}
	}
	got, err := newEvaluator(context.Background(), env).run("imageFrom('quay.io/nginx')")
	if err != nil || got != nil {
		t.Errorf("imageFrom('quay.io/nginx') = %v, %v; want nil", got, err)
	}
}

// Without discovered artifacts in the context, the functions read Freight:
// the criteria mode must not leak into promotion steps.
func TestDiscoveredOnlyInCriteria(t *testing.T) {
	got, err := newEvaluator(context.Background(), freightEnv()).run("commitFrom('https://github.com/acme/config.git').Message")
	if err != nil || got != "bump" {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = newEvaluator(context.Background(), freightEnv()).run("commitFrom('https://github.com/acme/config.git').Subject")
	if err == nil || !strings.Contains(err.Error(), "Subject") {
		t.Fatalf("Subject on a Freight GitCommit: err = %v, want an error (Kargo's GitCommit has no Subject)", err)
	}
}
