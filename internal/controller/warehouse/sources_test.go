package warehouse_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// Charts from a classic HTTP repository and from an OCI registry, with a
// semver constraint, end up in one Freight.
func TestHelmCharts(t *testing.T) {
	ns := newNamespace(t)
	repo := helmtest.NewRepo(t)
	for _, v := range []string{"1.0.0", "1.1.0", "2.0.0"} {
		repo.AddChart(helmtest.ChartSpec{Name: "demo", Version: v})
	}
	oci := helmtest.NewOCIRegistry(t)
	oci.PushChart("charts", helmtest.ChartSpec{Name: "other", Version: "0.1.0"})
	ociURL := oci.PushChart("charts", helmtest.ChartSpec{Name: "other", Version: "0.2.0+build.1"})

	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "charts"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Chart: &railyard.ChartSubscription{RepoURL: repo.URL(), Name: "demo", SemverConstraint: "^1"}},
			{Chart: &railyard.ChartSubscription{RepoURL: ociURL}},
		}},
	})
	w := waitCondition(t, ns, "charts", railyard.ConditionFreightCreated, metav1.ConditionTrue, railyard.ReasonFreightCreated)
	charts := w.Status.DiscoveredArtifacts.Charts
	if len(charts) != 2 || charts[0].Versions[0] != "1.1.0" || len(charts[0].Versions) != 2 || charts[1].Versions[0] != "0.2.0+build.1" {
		t.Fatalf("discovered charts %+v", charts)
	}
	f := freights(t, ns)
	if len(f) != 1 || len(f[0].Charts) != 2 || f[0].Charts[0].Version != "1.1.0" || f[0].Charts[1].Version != "0.2.0+build.1" {
		t.Fatalf("Freight %+v", f)
	}
}

// A multi-arch index is selected for one platform; the Freight records the
// index digest so the tag resolves on every platform.
func TestMultiArchIndex(t *testing.T) {
	ns := newNamespace(t)
	reg := registrytest.New(t)
	amd := registrytest.NewImage(t, registrytest.ImageSpec{OS: "linux", Arch: "amd64", Created: base})
	arm := registrytest.NewImage(t, registrytest.ImageSpec{OS: "linux", Arch: "arm64", Created: base})
	digest := reg.PushIndex(t, "multi", "1.0.0", registrytest.NewIndex(t, nil, amd, arm))
	reg.PushImage(t, "multi", "1.1.0", registrytest.NewImage(t, registrytest.ImageSpec{OS: "linux", Arch: "amd64", Created: base.Add(time.Hour)}))

	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "multi"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("multi"), Platform: "linux/arm64"}},
		}},
	})
	w := waitCondition(t, ns, "multi", railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded)
	refs := w.Status.DiscoveredArtifacts.Images[0].References
	if len(refs) != 1 || refs[0].Tag != "1.0.0" || refs[0].Digest != digest.String() {
		t.Fatalf("references %+v, want only 1.0.0@%s (1.1.0 is amd64 only)", refs, digest)
	}
}

// A registry that requires basic auth is reached with a labelled Secret. A
// Secret without the password is named in the condition; fixing it clears
// the condition without a restart.
func TestBasicAuthRegistryWithSecret(t *testing.T) {
	ns := newNamespace(t)
	reg := registrytest.New(t, registrytest.WithBasicAuth("alice", "s3cret-pw"))
	pushImage(t, reg, "1.0.0", base)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "registry", Labels: map[string]string{railyard.LabelKargoCredType: "image"}},
		StringData: map[string]string{"repoURL": reg.Repo("app"), "username": "alice"},
	}
	create(t, secret)
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "private"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app")}},
		}},
	})
	w := waitCondition(t, ns, "private", railyard.ConditionStalled, metav1.ConditionTrue, railyard.ReasonInvalidSpec)
	if msg := condition(w, railyard.ConditionReady).Message; !containsAll(msg, "Secret "+ns+"/registry", `"password"`, reg.Repo("app")) {
		t.Fatalf("Ready message %q must name the Secret, the key and the repository", msg)
	}

	secret.StringData = map[string]string{"password": "s3cret-pw"}
	if err := k.Update(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	w = refresh(t, ns, "private")
	if c := condition(w, railyard.ConditionReady); c.Status != metav1.ConditionTrue {
		t.Fatalf("Ready = %+v after fixing the Secret", c)
	}
	if len(w.Status.DiscoveredArtifacts.Images[0].References) != 1 || len(freights(t, ns)) != 1 {
		t.Fatalf("artifacts %+v", w.Status.DiscoveredArtifacts.Images)
	}
	if condition(w, railyard.ConditionStalled).Type != "" {
		t.Fatal("Stalled not cleared")
	}
}

// An image subscription with cacheByTag trusts the tags it has described:
// a re-pushed tag keeps its first digest and costs no request, while a new
// tag is still read. The default re-checks every known tag.
func TestCacheByTagSubscription(t *testing.T) {
	ns := newNamespace(t)
	reg := registrytest.New(t)
	pushImage(t, reg, "1.0.0", base)
	create(t, &railyard.Warehouse{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cached"},
		Spec: railyard.WarehouseSpec{Subscriptions: []railyard.RepoSubscription{
			{Image: &railyard.ImageSubscription{RepoURL: reg.Repo("app"), CacheByTag: true}},
		}},
	})
	w := waitCondition(t, ns, "cached", railyard.ConditionReady, metav1.ConditionTrue, railyard.ReasonDiscoverySucceeded)
	first := w.Status.DiscoveredArtifacts.Images[0].References[0].Digest

	pushImage(t, reg, "1.0.0", base.Add(time.Minute)) // the same tag, new content
	pushImage(t, reg, "1.1.0", base.Add(2*time.Minute))
	reg.ResetCounts()
	w = refresh(t, ns, "cached")
	refs := w.Status.DiscoveredArtifacts.Images[0].References
	if len(refs) != 2 || refs[0].Tag != "1.1.0" || refs[1].Digest != first {
		t.Fatalf("references %+v, want 1.1.0 and 1.0.0 still at %s", refs, first)
	}
	if c := reg.Counts(); c.ManifestHead != 0 || c.ManifestGet != 1 {
		t.Errorf("requests %+v: want no HEAD of the known tag and one GET of the new one", c)
	}

	update(t, ns, "cached", func(w *railyard.Warehouse) { w.Spec.Subscriptions[0].Image.CacheByTag = false })
	w = refresh(t, ns, "cached")
	if refs := w.Status.DiscoveredArtifacts.Images[0].References; refs[1].Digest == first {
		t.Errorf("without cacheByTag the re-pushed 1.0.0 is still at %s", first)
	}
}
