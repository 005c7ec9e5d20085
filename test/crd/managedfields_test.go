package crd

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Status is written only by Railyard, with updates and merge patches, never
// server-side apply, so the nested objects and maps of a status are atomic: the API server records one owner for each
// of them instead of one per field inside, which kept the managed fields of
// a Stage at 2 KB of its 8 KB and made every status write walk them.
func TestStatusObjectsAreAtomic(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "atomic")
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	ref := &railyard.FreightReference{Name: "f", Origin: warehouseOrigin,
		Images: []railyard.Image{{RepoURL: "r/a", Tag: "v1", Digest: "sha256:1"}}}
	collection := &railyard.FreightCollection{ID: "c", Freight: map[string]railyard.FreightReference{"Warehouse/w": *ref}}
	promoStatus := railyard.PromotionStatus{
		Phase: railyard.PromotionPhaseSucceeded, Freight: ref, FreightCollection: collection,
		State:      &apiextensionsv1.JSON{Raw: []byte(`{"clone":{"commit":"abc"}}`)},
		StartedAt:  &now,
		FinishedAt: &now,
	}
	raw := &apiextensionsv1.JSON{Raw: []byte(`{"k":"v"}`)}

	cases := []struct {
		name   string
		obj    client.Object
		status func(client.Object)
		atomic []string
	}{{
		name: "Promotion",
		obj:  &railyard.Promotion{ObjectMeta: named("p"), Spec: railyard.PromotionSpec{Stage: "test", Freight: "f"}},
		status: func(o client.Object) {
			o.(*railyard.Promotion).Status = promoStatus
		},
		atomic: []string{"f:freight", "f:freightCollection", "f:state"},
	}, {
		name: "Stage",
		obj:  &railyard.Stage{ObjectMeta: named("s"), Spec: railyard.StageSpec{RequestedFreight: direct()}},
		status: func(o client.Object) {
			s := o.(*railyard.Stage)
			s.Status.Health = &railyard.Health{Status: railyard.HealthStateHealthy, Issues: []string{"none"}}
			s.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p2", Freight: ref}
			s.Status.LastPromotion = &railyard.PromotionReference{Name: "p", Freight: ref, Status: promoStatus.DeepCopy(), FinishedAt: &now}
			s.Status.AutoPromotionHolds = map[string]railyard.AutoPromotionHold{"Warehouse/w": {FreightName: "f", PromotionName: "p"}}
			s.Status.Metadata = map[string]apiextensionsv1.JSON{"m": *raw}
		},
		atomic: []string{"f:health", "f:currentPromotion", "f:lastPromotion", "f:autoPromotionHolds", "f:metadata"},
	}, {
		name: "Freight",
		obj:  &railyard.Freight{ObjectMeta: named("f"), Origin: warehouseOrigin, Images: ref.Images},
		status: func(o client.Object) {
			f := o.(*railyard.Freight)
			f.Status.CurrentlyIn = map[string]railyard.CurrentStage{"test": {Since: &now}}
			f.Status.VerifiedIn = map[string]railyard.VerifiedStage{"test": {VerifiedAt: &now}}
			f.Status.ApprovedFor = map[string]railyard.ApprovedStage{"prod": {ApprovedAt: &now}}
			f.Status.Metadata = map[string]apiextensionsv1.JSON{"m": *raw}
		},
		atomic: []string{"f:currentlyIn", "f:verifiedIn", "f:approvedFor", "f:metadata"},
	}, {
		name: "Warehouse",
		obj:  warehouse("w", railyard.RepoSubscription{Image: image("r/a")}),
		status: func(o client.Object) {
			o.(*railyard.Warehouse).Status.DiscoveredArtifacts = &railyard.DiscoveredArtifacts{DiscoveredAt: now,
				Images: []railyard.ImageDiscoveryResult{{RepoURL: "r/a", References: []railyard.DiscoveredImageReference{{Tag: "v1", Digest: "sha256:1"}}}}}
		},
		atomic: []string{"f:discoveredArtifacts"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.obj
			obj.SetNamespace("atomic")
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			tc.status(obj)
			if err := env.Client.Status().Update(ctx, obj); err != nil {
				t.Fatal(err)
			}
			owned := statusFields(t, obj)
			for _, f := range tc.atomic {
				v, ok := owned[f]
				if !ok {
					t.Errorf("%s not among the status fields the manager owns: %v", f, keys(owned))
					continue
				}
				if len(v) != 0 {
					t.Errorf("%s: the manager owns fields inside it (%v); want it owned whole", f, keys(v))
				}
			}
		})
	}
}

// named is the metadata of an object whose namespace the test sets.
func named(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }

// statusFields returns the fields under status that the status
// subresource's managed-fields entry lists, each with what it lists inside.
func statusFields(t *testing.T, obj client.Object) map[string]map[string]any {
	t.Helper()
	for _, mf := range obj.GetManagedFields() {
		if mf.Subresource != "status" || mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]map[string]any
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields); err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]any{}
		for k, v := range fields["f:status"] {
			if k == "." {
				continue
			}
			inner := map[string]any{}
			for kk, vv := range v {
				if kk != "." {
					inner[kk] = vv
				}
			}
			out[k] = inner
		}
		return out
	}
	t.Fatalf("no managed-fields entry for the status of %s", obj.GetName())
	return nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
