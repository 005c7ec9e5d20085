package stage

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// A Stage applied before its Freight exists writes nothing for up to
// FirstWriteWait: the Freight that usually follows within a second or two
// then costs one status write (with its Promotion) instead of two. A Stage
// with something to act on, or already reconciled, or older, goes on.
func TestFirstWriteWait(t *testing.T) {
	created := t0.Add(time.Hour)
	young := func(mutate ...func(*railyard.Stage)) *railyard.Stage {
		st := autoStage(railyard.FreightSources{Direct: true})
		st.UID = "u1"
		st.CreationTimestamp = metav1.NewTime(created)
		for _, m := range mutate {
			m(st)
		}
		return st
	}
	withFinalizer := func(st *railyard.Stage) { st.Finalizers = []string{railyard.FinalizerName} }
	available := newFreight("f1", time.Minute)
	promo := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test.01abc.f1"},
		Spec:       railyard.PromotionSpec{Stage: "test", Freight: "f1"},
	}
	tests := []struct {
		name  string
		stage *railyard.Stage
		objs  []client.Object
		age   time.Duration
		want  time.Duration // the wait; 0 goes on at once
	}{
		{name: "new, nothing to do", stage: young(), age: 500 * time.Millisecond, want: 1500 * time.Millisecond},
		{name: "new, its Freight is there", stage: young(), objs: []client.Object{available}, age: 500 * time.Millisecond},
		{name: "new, a Promotion is there", stage: young(), objs: []client.Object{promo}, age: 500 * time.Millisecond},
		{name: "older than the wait", stage: young(), age: FirstWriteWait},
		// config/stage-finalizer's admission policy adds the finalizer as
		// the Stage is created: it still waits.
		{name: "new with its finalizer, nothing to do", stage: young(withFinalizer), age: 500 * time.Millisecond, want: 1500 * time.Millisecond},
		{name: "new with its finalizer, its Freight is there", stage: young(withFinalizer), objs: []client.Object{available}, age: 500 * time.Millisecond},
		{name: "has a status", stage: young(func(st *railyard.Stage) { st.Status.ObservedGeneration = 1 }), age: 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writes := 0
			counting := countStageWrites(&writes)
			counting.Patch = func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
				if _, ok := obj.(*railyard.Stage); ok {
					writes++
				}
				return c.Patch(ctx, obj, p, opts...)
			}
			counting.Update = func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				if _, ok := obj.(*railyard.Stage); ok {
					writes++
				}
				return c.Update(ctx, obj, opts...)
			}
			objs := append([]client.Object{tt.stage, projectConfig(true)}, tt.objs...)
			r, _ := fakeReconciler(t, created.Add(tt.age), counting, objs...)
			res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(tt.stage)})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want > 0 {
				if res.RequeueAfter != tt.want || writes != 0 {
					t.Errorf("requeue after %s with %d writes; want to wait %s, writing nothing", res.RequeueAfter, writes, tt.want)
				}
				return
			}
			if writes == 0 {
				t.Errorf("no writes (requeue after %s); want the Stage reconciled at once", res.RequeueAfter)
			}
		})
	}
}
