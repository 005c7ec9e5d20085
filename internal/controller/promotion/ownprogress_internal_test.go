package promotion

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// The update event of a version this controller wrote does not reconcile a
// Promotion that goes on (the reconcile that wrote it carried on); anyone
// else's change does, and so does its own write that ends the Promotion or
// meets its deletion, which the next reconcile releases.
func TestNotOwnProgress(t *testing.T) {
	ctx := context.Background()
	scheme := runtime.NewScheme()
	if err := railyard.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&railyard.Promotion{}).Build()
	r := &Reconciler{}
	mine := r.own.Client(c, &railyard.Promotion{})
	pred := r.notOwnProgress()
	passes := func(p *railyard.Promotion) bool {
		return pred.Update(event.UpdateEvent{ObjectOld: p, ObjectNew: p})
	}
	p := &railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "p1", Finalizers: []string{railyard.FinalizerName}}}
	if err := c.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !passes(p) {
		t.Error("a Promotion someone else created was filtered out")
	}
	p.Status.Phase = railyard.PromotionPhaseRunning
	if err := mine.Status().Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	if passes(p) {
		t.Error("the event of the controller's own write of a running Promotion passed")
	}
	p.Annotations = map[string]string{railyard.AnnotationAbort: "stop"}
	if err := c.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !passes(p) {
		t.Error("someone else's change (an abort request) was filtered out")
	}
	p.Status.Phase = railyard.PromotionPhaseSucceeded
	if err := mine.Status().Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !passes(p) {
		t.Error("the controller's own write that ended the Promotion was filtered out: nothing would release it")
	}
	p.Status.Phase = railyard.PromotionPhaseRunning
	if err := mine.Status().Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(p), p); err != nil {
		t.Fatal(err)
	}
	if err := mine.Status().Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !passes(p) {
		t.Error("the controller's own write of a Promotion being deleted was filtered out")
	}
	if !pred.Update(event.UpdateEvent{ObjectOld: &railyard.Stage{}, ObjectNew: &railyard.Stage{}}) {
		t.Error("an object of another kind was filtered out")
	}
}
