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
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/git/gittest"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func pushImage(t *testing.T, reg *registrytest.Registry, tag string, created time.Time) {
	t.Helper()
	reg.PushImage(t, "app", tag, registrytest.NewImage(t, registrytest.ImageSpec{Created: created, Labels: map[string]string{"tag": tag}}))
}

// The scenario of the user workflow: release tags create Freight, dev tags
// are discovered but need a person, and configuration changes under the
// application's path create Freight.
func TestUserWorkflow(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	reg := registrytest.New(t)
	pushImage(t, reg, "v1.2.3", base)
	imageRepo := reg.Repo("app")
	srv := gittest.NewServer(t)
	deploy := srv.CreateRepo("deploy", map[string]string{"apps/app/values.yaml": "replicas: 1\n", "README.md": "hello\n"})
	gitURL := srv.RepoURL("deploy")

	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: railyard.WarehouseSpec{
			Subscriptions: []railyard.RepoSubscription{
				{Image: &railyard.ImageSubscription{RepoURL: imageRepo, ImageSelectionStrategy: railyard.ImageSelectionStrategyNewestBuild}},
				{Git: &railyard.GitSubscription{RepoURL: gitURL, Branch: "main", IncludePaths: []string{"apps/app"}}},
			},
			FreightCreationCriteria: &railyard.FreightCreationCriteria{
				Expression: fmt.Sprintf(`imageFrom(%q).Tag matches '^v?[0-9]+[.][0-9]+[.][0-9]+'`, imageRepo),
			},
		},
	})

	// Pushing v1.2.3 creates Freight automatically.
	w := waitCondition(t, ns, "app", railyard.ConditionFreightCreated, metav1.ConditionTrue, railyard.ReasonFreightCreated)
	first := w.Status.LastFreightID
	f := &railyard.Freight{}
	if err := k.Get(ctx, client.ObjectKey{Namespace: ns, Name: first}, f); err != nil {
		t.Fatal(err)
	}
	if len(f.Images) != 1 || f.Images[0].Tag != "v1.2.3" || len(f.Commits) != 1 || f.Commits[0].ID != deploy.Head("main") {
		t.Fatalf("Freight %s holds %+v %+v", f.Name, f.Images, f.Commits)
	}
	if f.Alias == "" || f.Labels[railyard.LabelAlias] != f.Alias || f.DiscoveredAt == nil || f.Name != freight.IDOf(f) {
		t.Fatalf("Freight %s: alias %q, labels %v, discoveredAt %v", f.Name, f.Alias, f.Labels, f.DiscoveredAt)
	}
	if w.Status.ObservedGeneration != w.Generation || len(w.Status.Subscriptions) != 2 || w.Status.Subscriptions[1].Fingerprint == "" ||
		w.Status.Subscriptions[0].LastDiscoveredAt == nil {
		t.Fatalf("status: observedGeneration %d/%d, subscriptions %+v", w.Status.ObservedGeneration, w.Generation, w.Status.Subscriptions)
	}
	if !hasEvent(t, ns, "app", "FreightCreated") {
		t.Error("no FreightCreated Event")
	}

	// A commit under the included path creates Freight; one outside does not.
	inside := deploy.Commit("main", "scale up", map[string]string{"apps/app/values.yaml": "replicas: 2\n"})
	w = refresh(t, ns, "app")
	if w.Status.LastFreightID == first || condition(w, railyard.ConditionFreightCreated).Reason != railyard.ReasonFreightCreated {
		t.Fatalf("commit under apps/app made no Freight: %+v", w.Status.Conditions)
	}
	second := w.Status.LastFreightID
	deploy.Commit("main", "docs", map[string]string{"README.md": "more\n"})
	w = refresh(t, ns, "app")
	if got := w.Status.DiscoveredArtifacts.Git[0].Commits[0].ID; got != inside {
		t.Fatalf("newest discovered commit = %s, want %s (outside the include path is skipped)", got, inside)
	}
	if w.Status.LastFreightID != second || len(freights(t, ns)) != 2 {
		t.Fatalf("commit outside apps/app changed Freight: last %s, %d Freight", w.Status.LastFreightID, len(freights(t, ns)))
	}

	// abc123f is discovered but the semver criteria reject it.
	pushImage(t, reg, "abc123f", base.Add(time.Hour))
	w = refresh(t, ns, "app")
	if got := w.Status.DiscoveredArtifacts.Images[0].References[0].Tag; got != "abc123f" {
		t.Fatalf("newest discovered image = %s, want abc123f", got)
	}
	if c := condition(w, railyard.ConditionFreightCreationCriteriaSatisfied); c.Reason != railyard.ReasonCriteriaNotSatisfied ||
		!strings.Contains(c.Message, "abc123f") {
		t.Fatalf("criteria condition = %+v", c)
	}
	if n := len(freights(t, ns)); n != 2 {
		t.Fatalf("%d Freight, want 2: the dev tag must not create Freight", n)
	}

	// A person creates Freight for the dev tag: it is accepted.
	ref := w.Status.DiscoveredArtifacts.Images[0].References[0]
	manual := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: imageRepo, Tag: ref.Tag, Digest: ref.Digest}},
		Commits:    []railyard.GitCommit{{RepoURL: gitURL, ID: inside}},
	}
	manual.Name = freight.IDOf(manual)
	create(t, manual)
	eventually(t, func() error {
		if err := k.Get(ctx, client.ObjectKeyFromObject(manual), manual); err != nil {
			return err
		}
		if manual.Alias == "" || manual.Labels[railyard.LabelAlias] != manual.Alias || manual.DiscoveredAt == nil {
			return fmt.Errorf("hand-made Freight not completed: alias %q labels %v", manual.Alias, manual.Labels)
		}
		return nil
	})
	if v, rejected := manual.Annotations[railyard.AnnotationRejected]; rejected {
		t.Fatalf("hand-made dev-tag Freight rejected: %s", v)
	}

	// Freight that does not fit the subscriptions is rejected with the
	// reasons (its own name is fine, as in Kargo).
	bogus := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "handmade"},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: imageRepo, Tag: "v1.2.3"}},
	}
	create(t, bogus)
	eventually(t, func() error {
		if err := k.Get(ctx, client.ObjectKeyFromObject(bogus), bogus); err != nil {
			return err
		}
		v := bogus.Annotations[railyard.AnnotationRejected]
		for _, want := range []string{"has 0 artifacts for the subscription to git " + gitURL} {
			if !strings.Contains(v, want) {
				return fmt.Errorf("rejection %q lacks %q", v, want)
			}
		}
		return nil
	})
	eventually(t, func() error {
		if !hasEvent(t, ns, "handmade", "FreightRejected") {
			return fmt.Errorf("no FreightRejected Event")
		}
		return nil
	})

	// Kargo users apply Freight under names of their own. Such Freight is
	// accepted, and discovering the same artifacts later creates no second
	// Freight: the Warehouse finds it by content.
	digest := reg.PushImage(t, "app", "v2.0.0", registrytest.NewImage(t, registrytest.ImageSpec{Created: base.Add(2 * time.Hour), Labels: map[string]string{"tag": "v2.0.0"}}))
	byHand := &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "release-2-0-0"},
		Origin:     railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "app"},
		Images:     []railyard.Image{{RepoURL: imageRepo, Tag: "v2.0.0", Digest: digest.String()}},
		Commits:    []railyard.GitCommit{{RepoURL: gitURL, ID: inside}},
	}
	create(t, byHand)
	eventually(t, func() error {
		if err := k.Get(ctx, client.ObjectKeyFromObject(byHand), byHand); err != nil {
			return err
		}
		if byHand.Alias == "" {
			return fmt.Errorf("Freight %s not checked yet", byHand.Name)
		}
		return nil
	})
	if v, rejected := byHand.Annotations[railyard.AnnotationRejected]; rejected {
		t.Fatalf("Freight named by hand rejected: %s", v)
	}
	before := len(freights(t, ns))
	w = refresh(t, ns, "app")
	if w.Status.LastFreightID != byHand.Name || condition(w, railyard.ConditionFreightCreated).Reason != railyard.ReasonFreightExists {
		t.Fatalf("discovery of the same artifacts: lastFreightID %s, FreightCreated %+v; want %s, %s", w.Status.LastFreightID,
			condition(w, railyard.ConditionFreightCreated), byHand.Name, railyard.ReasonFreightExists)
	}
	if n := len(freights(t, ns)); n != before {
		t.Fatalf("%d Freight after discovery, want %d: a second Freight with the same content was created", n, before)
	}

	// A second Freight with content already held is rejected.
	again := byHand.DeepCopy()
	again.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "release-2-0-0-again"}
	again.Alias, again.DiscoveredAt = "", nil
	create(t, again)
	eventually(t, func() error {
		if err := k.Get(ctx, client.ObjectKeyFromObject(again), again); err != nil {
			return err
		}
		if v := again.Annotations[railyard.AnnotationRejected]; !strings.Contains(v, "holds the same artifacts as Freight release-2-0-0") {
			return fmt.Errorf("rejection %q does not name release-2-0-0", v)
		}
		return nil
	})
}
