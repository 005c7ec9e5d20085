package stage

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// A Stage's status is written whole at the version the reconcile read (an
// update: kube-apiserver need not apply a merge patch to an 8 KB object).
// When someone wrote the Stage in between, the write is refused and the
// Stage is reconciled again soon, without an error and without overwriting
// what the other writer wrote.
func TestStageStatusIsUpdatedAtTheVersionRead(t *testing.T) {
	for _, conflict := range []bool{false, true} {
		name := "written"
		if conflict {
			name = "conflict"
		}
		t.Run(name, func(t *testing.T) {
			st := autoStage(railyard.FreightSources{Direct: true})
			st.UID, st.Finalizers = "u1", []string{railyard.FinalizerName}
			st.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p1", Freight: &railyard.FreightReference{Name: "new", Origin: appOrigin}}
			p1 := finishedPromotion("p1", "new", railyard.PromotionPhaseSucceeded, time.Minute, "alice")
			patches, updates := 0, 0
			funcs := interceptor.Funcs{
				SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
					if _, ok := obj.(*railyard.Stage); ok {
						patches++
					}
					return c.SubResource(sub).Patch(ctx, obj, p, opts...)
				},
				SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
					if _, ok := obj.(*railyard.Stage); ok {
						updates++
						if conflict {
							return apierrors.NewConflict(schema.GroupResource{Group: railyard.GroupVersion.Group, Resource: "stages"}, obj.GetName(), nil)
						}
					}
					return c.SubResource(sub).Update(ctx, obj, opts...)
				},
			}
			r, _ := fakeReconciler(t, t0.Add(time.Hour), funcs, st, newFreight("new", time.Minute), &p1)
			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)})
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if patches != 0 || updates != 1 {
				t.Errorf("%d status patches and %d updates, want one update", patches, updates)
			}
			got := &railyard.Stage{}
			if err := r.Client.Get(context.Background(), client.ObjectKeyFromObject(st), got); err != nil {
				t.Fatal(err)
			}
			if conflict {
				if res.RequeueAfter != staleRecheck || got.Status.LastPromotion != nil {
					t.Errorf("after a conflict: requeue after %s, last Promotion %+v; want %s and nothing written", res.RequeueAfter, got.Status.LastPromotion, staleRecheck)
				}
				return
			}
			if got.Status.LastPromotion == nil || got.Status.LastPromotion.Name != "p1" {
				t.Errorf("last Promotion %+v, want p1", got.Status.LastPromotion)
			}
		})
	}
}
