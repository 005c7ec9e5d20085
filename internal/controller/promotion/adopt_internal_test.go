package promotion

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// The steps auto-promotion copies into a Promotion when it creates it are
// adopted by the snapshot when they are its own copy: the digest is
// recorded and the spec is not written again. A copy of a Stage edited
// since is replaced by the Stage's steps. Either way the Promotion runs
// the Stage's steps as they are now.
func TestSnapshotAdoptsTheCopyAutoPromotionMade(t *testing.T) {
	stageSteps := []railyard.PromotionStep{{Uses: "noop", As: "now"}}
	for _, tt := range []struct {
		name        string
		copied      []railyard.PromotionStep
		wantUpdates int
	}{
		{"the Stage's steps", stageSteps, 0},
		{"the steps of the Stage before an edit", []railyard.PromotionStep{{Uses: "noop", As: "before"}}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stage := testStage(func(st *railyard.Stage) {
				st.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{Steps: stageSteps}}
				st.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p1"}
			})
			promo := newPromotion(annotated(railyard.AnnotationCreateActor, railyard.ActorAutoPromotion), ownedBy(stage.UID), func(p *railyard.Promotion) {
				p.Spec.Steps = tt.copied
				p.Status.Freight = &railyard.FreightReference{Name: "f1"}
			})
			r, _, _ := fakeReconciler(t, stage, promo)
			updates, patches := 0, 0
			r.Client = interceptor.NewClient(r.Client.(client.WithWatch), interceptor.Funcs{
				Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
					updates++
					return c.Update(ctx, obj, opts...)
				},
				Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
					patches++
					return c.Patch(ctx, obj, patch, opts...)
				},
			})
			r.Engine.Registry = engine.NewRegistry(noopStep{})
			stored := reconcileOnce(t, r, promo)
			// The event of the last status write reconciles the finished
			// Promotion: there is no finalizer to remove, so no write.
			if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(promo)}); err != nil {
				t.Fatal(err)
			}
			if patches != 0 || len(stored.Finalizers) != 0 {
				t.Errorf("%d patches of the Promotion (finalizers %v), want none: its end is one status write", patches, stored.Finalizers)
			}
			if stored.Status.Phase != railyard.PromotionPhaseSucceeded {
				t.Errorf("phase = %s (%s), want Succeeded", stored.Status.Phase, stored.Status.Message)
			}
			if !equality.Semantic.DeepEqual(stored.Spec.Steps, stageSteps) {
				t.Errorf("steps = %+v, want the Stage's %+v", stored.Spec.Steps, stageSteps)
			}
			if want, _ := StepsDigest(nil, stageSteps); stored.Status.StepsDigest != want {
				t.Errorf("stepsDigest = %q, want the Stage's steps' %q", stored.Status.StepsDigest, want)
			}
			if updates != tt.wantUpdates {
				t.Errorf("%d updates of the spec, want %d", updates, tt.wantUpdates)
			}
		})
	}
}
