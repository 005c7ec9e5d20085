package stage

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// A Stage's observedGeneration moves only after a whole pass: a pass that
// failed part-way has not acted on the new generation.
func TestObservedGenerationOnlyAfterWholePass(t *testing.T) {
	errList := errors.New("the API server is unavailable")
	for _, tt := range []struct {
		name      string
		failList  bool
		wantGen   int64
		wantError bool
	}{
		{name: "whole pass", wantGen: 3},
		{name: "failed pass", failList: true, wantGen: 2, wantError: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &railyard.Stage{
				ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "test", Generation: 3, Finalizers: []string{railyard.FinalizerName}},
				Spec:       railyard.StageSpec{RequestedFreight: []railyard.FreightRequest{{Origin: appOrigin, Sources: railyard.FreightSources{Direct: true}}}},
				Status:     railyard.StageStatus{ObservedGeneration: 2},
			}
			funcs := interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
				if _, ok := list.(*railyard.PromotionList); ok && tt.failList {
					return errList
				}
				return c.List(ctx, list, opts...)
			}}
			r, _ := fakeReconciler(t, t0, funcs, st)
			_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(st)})
			if (err != nil) != tt.wantError {
				t.Fatalf("Reconcile error = %v, want error %v", err, tt.wantError)
			}
			got := &railyard.Stage{}
			if err := r.Client.Get(context.Background(), client.ObjectKeyFromObject(st), got); err != nil {
				t.Fatal(err)
			}
			if got.Status.ObservedGeneration != tt.wantGen {
				t.Errorf("observedGeneration = %d, want %d", got.Status.ObservedGeneration, tt.wantGen)
			}
		})
	}
}
