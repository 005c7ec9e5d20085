package stage

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// TestFinalize checks what a deleted Stage leaves behind: no trace in any
// Freight's status, no Promotion that may still run, no finalizer.
func TestFinalize(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(time.Hour)
	deleted := metav1.NewTime(now)
	st := autoStage(railyard.FreightSources{Direct: true})
	st.Finalizers = []string{railyard.FinalizerName}
	st.DeletionTimestamp = &deleted

	since := metav1.NewTime(t0)
	mentioned := newFreight("mentioned", 0)
	mentioned.Status = railyard.FreightStatus{
		CurrentlyIn: map[string]railyard.CurrentStage{"test": {Since: &since}, "prod": {Since: &since}},
		VerifiedIn:  map[string]railyard.VerifiedStage{"test": {VerifiedAt: &since}},
		ApprovedFor: map[string]railyard.ApprovedStage{"test": {ApprovedAt: &since}},
	}
	other := newFreight("other", time.Minute)
	pending := railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "pending"}, Spec: railyard.PromotionSpec{Stage: "test"}}
	done := finishedPromotion("done", "mentioned", railyard.PromotionPhaseSucceeded, 0, AutoPromotionActor)

	freightPatches := 0
	r, _ := fakeReconciler(t, now, interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
		if _, ok := obj.(*railyard.Freight); ok {
			freightPatches++
		}
		return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
	}, SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
		if _, ok := obj.(*railyard.Freight); ok {
			freightPatches++
		}
		return c.SubResource(sub).Update(ctx, obj, opts...)
	}}, st, mentioned, other, &pending, &done)
	stage := &railyard.Stage{}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(st), stage))
	must(t, r.finalize(ctx, stage))

	f := &railyard.Freight{}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(mentioned), f))
	if freight.MentionsStage(f, "test") {
		t.Errorf("Freight status still names the deleted Stage: %+v", f.Status)
	}
	if _, ok := f.Status.CurrentlyIn["prod"]; !ok {
		t.Errorf("Freight status lost another Stage: %+v", f.Status)
	}
	if freightPatches != 1 {
		t.Errorf("%d Freight status patches, want 1 (Freight that does not name the Stage is left alone)", freightPatches)
	}
	p := &railyard.Promotion{}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(&pending), p))
	if p.Annotations[railyard.AnnotationAbort] == "" {
		t.Error("a Promotion that had not finished was not asked to abort")
	}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(&done), p))
	if _, ok := p.Annotations[railyard.AnnotationAbort]; ok {
		t.Error("a finished Promotion was asked to abort")
	}
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(st), stage); !apierrors.IsNotFound(err) {
		t.Errorf("the Stage is still there (%v, finalizers %v): its finalizer was not removed", err, stage.Finalizers)
	}
}
