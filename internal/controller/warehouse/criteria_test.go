package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// pushAnnotated pushes an image whose manifest carries the OCI "created"
// annotation: under SemVer, discovery reads build times from it (it reads
// image configs only for NewestBuild).
func pushAnnotated(t *testing.T, reg *registrytest.Registry, tag string, created time.Time) {
	t.Helper()
	reg.PushImage(t, "app", tag, registrytest.NewImage(t, registrytest.ImageSpec{Created: created, Labels: map[string]string{"tag": tag},
		Annotations: map[string]string{"org.opencontainers.image.created": created.Format(time.RFC3339)}}))
}

// freightCreationCriteria reads, as in Kargo (expressions reference,
// commitFrom/imageFrom "in the context of ... automatic creation of a
// Freight"), the discovered commit's Subject, Author and CreatorDate and the
// discovered image's CreatedAt: they decide whether Freight is created.
func TestCriteriaOnCommitAndImageMetadata(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	reg := registrytest.New(t)
	pushAnnotated(t, reg, "v1.0.0", base)
	imageRepo := reg.Repo("app")
	srv := gittest.NewServer(t)
	deploy := srv.CreateRepo("deploy", map[string]string{"values.yaml": "replicas: 1\n"})
	gitURL := srv.RepoURL("deploy")

	criteria := fmt.Sprintf(`commitFrom(%[1]q).Subject startsWith 'release:' && commitFrom(%[1]q).Author contains 'Release Bot'`+
		` && commitFrom(%[1]q).CreatorDate.Time > date('2020-01-01')`+
		` && imageFrom(%[2]q).CreatedAt.After(date('2026-04-01'))`, gitURL, imageRepo)
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: railyard.WarehouseSpec{
			Subscriptions: []railyard.RepoSubscription{
				{Image: &railyard.ImageSubscription{RepoURL: imageRepo, ImageSelectionStrategy: railyard.ImageSelectionStrategySemVer}},
				{Git: &railyard.GitSubscription{RepoURL: gitURL, Branch: "main"}},
			},
			FreightCreationCriteria: &railyard.FreightCreationCriteria{Expression: criteria},
		},
	})
	notSatisfied := func(w *railyard.Warehouse, why string) {
		t.Helper()
		if c := condition(w, railyard.ConditionFreightCreationCriteriaSatisfied); c.Reason != railyard.ReasonCriteriaNotSatisfied {
			t.Fatalf("%s: criteria condition = %+v", why, c)
		}
	}

	// "initial commit" is no release.
	waitCondition(t, ns, "app", railyard.ConditionFreightCreationCriteriaSatisfied, metav1.ConditionFalse, railyard.ReasonCriteriaNotSatisfied)
	if n := len(freights(t, ns)); n != 0 {
		t.Fatalf("%d Freight for a non-release commit", n)
	}

	// A release subject by someone else is not enough.
	deploy.Commit("main", "release: 1.0", map[string]string{"values.yaml": "replicas: 2\n"})
	w := refresh(t, ns, "app")
	notSatisfied(w, "release by the default author")
	if n := len(freights(t, ns)); n != 0 {
		t.Fatalf("%d Freight for a release not made by the bot", n)
	}

	// The bot's release, with an image built after April, makes Freight.
	release, err := deploy.Apply(gittest.Change{Branch: "main", Message: "release: 1.1\n\nnotes", Author: "Release Bot <bot@acme.io>",
		Files: map[string]string{"values.yaml": "replicas: 3\n"}})
	if err != nil {
		t.Fatal(err)
	}
	w = refresh(t, ns, "app")
	if c := condition(w, railyard.ConditionFreightCreated); c.Reason != railyard.ReasonFreightCreated {
		t.Fatalf("the bot's release made no Freight: %+v", w.Status.Conditions)
	}
	f := &railyard.Freight{}
	if err := k.Get(ctx, client.ObjectKey{Namespace: ns, Name: w.Status.LastFreightID}, f); err != nil {
		t.Fatal(err)
	}
	if len(f.Commits) != 1 || f.Commits[0].ID != release || f.Commits[0].Message != "release: 1.1" ||
		!strings.Contains(f.Commits[0].Author, "Release Bot") || len(f.Images) != 1 || f.Images[0].Tag != "v1.0.0" {
		t.Fatalf("Freight %s holds %+v %+v", f.Name, f.Commits, f.Images)
	}

	// A newer version built before April is discovered but held back.
	pushAnnotated(t, reg, "v1.1.0", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	w = refresh(t, ns, "app")
	ref := w.Status.DiscoveredArtifacts.Images[0].References[0]
	if ref.Tag != "v1.1.0" || ref.CreatedAt == nil {
		t.Fatalf("newest discovered image = %+v, want v1.1.0 with its build time", ref)
	}
	notSatisfied(w, "image built in March")
	if n := len(freights(t, ns)); n != 1 {
		t.Fatalf("%d Freight, want 1: an image built before April must not make Freight", n)
	}

	// One built later passes.
	pushAnnotated(t, reg, "v1.2.0", base.Add(24*time.Hour))
	w = refresh(t, ns, "app")
	if c := condition(w, railyard.ConditionFreightCreated); c.Reason != railyard.ReasonFreightCreated {
		t.Fatalf("image built in May made no Freight: %+v", w.Status.Conditions)
	}
	if n := len(freights(t, ns)); n != 2 {
		t.Fatalf("%d Freight, want 2", n)
	}
}
