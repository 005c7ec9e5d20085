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
	engine "github.com/railyard-dev/railyard/internal/promotion"
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

// promotionReads counts Promotions read past the cache.
type promotionReads struct {
	client.Reader
	n *int
}

func (r promotionReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*railyard.Promotion); ok {
		*r.n++
	}
	return r.Reader.Get(ctx, key, obj, opts...)
}

// The engine runs from the copy the snapshot's own write returned, without
// reading the Promotion again; a copy this controller did not write last
// (someone else's change, or a restart) is read past the cache first.
func TestRunFromTheOwnLatestCopy(t *testing.T) {
	for _, tt := range []struct {
		name      string
		recording bool // the client records the controller's writes
		wantReads int
	}{
		{"own last write", true, 0},
		{"no record of it", false, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stage := testStage(func(st *railyard.Stage) {
				st.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{
					Steps: []railyard.PromotionStep{{Uses: "noop"}},
				}}
				st.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p1"}
			})
			promo := newPromotion(func(p *railyard.Promotion) { p.Status.Freight = &railyard.FreightReference{Name: "f1"} })
			r, _, _ := fakeReconciler(t, stage, promo)
			r.Engine.Registry = engine.NewRegistry(noopStep{})
			if tt.recording {
				r.Client = r.own.Client(r.Client, &railyard.Promotion{})
			}
			reads := 0
			r.APIReader = promotionReads{Reader: r.APIReader, n: &reads}
			stored := reconcileOnce(t, r, promo)
			if stored.Status.Phase != railyard.PromotionPhaseSucceeded {
				t.Errorf("phase = %s (%s), want Succeeded", stored.Status.Phase, stored.Status.Message)
			}
			if reads != tt.wantReads {
				t.Errorf("%d reads of the Promotion past the cache, want %d", reads, tt.wantReads)
			}
		})
	}
}
