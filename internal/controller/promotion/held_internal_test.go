package promotion

import (
	"context"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// waitStep waits (Running, polled again after a minute) until done is set.
type waitStep struct {
	calls int
	done  bool
}

func (*waitStep) Name() string { return "wait" }
func (w *waitStep) Run(context.Context, *engine.StepContext) (engine.Result, error) {
	w.calls++
	if w.done {
		return engine.Result{Status: railyard.StepStatusSucceeded}, nil
	}
	return engine.Result{Status: railyard.StepStatusRunning, RetryAfter: time.Minute}, nil
}

// countStep counts its runs.
type countStep struct{ calls int }

func (*countStep) Name() string { return "count" }
func (c *countStep) Run(context.Context, *engine.StepContext) (engine.Result, error) {
	c.calls++
	return engine.Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{"n": c.calls}}, nil
}

// heldWorld is a running Promotion whose second step waits.
type heldWorld struct {
	r       *Reconciler
	clock   *clocktesting.FakePassiveClock
	patches *int
	count   *countStep
	wait    *waitStep
	promo   *railyard.Promotion
}

func newHeldWorld(t *testing.T) *heldWorld {
	t.Helper()
	stage := testStage(func(st *railyard.Stage) {
		st.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{
			Steps: []railyard.PromotionStep{{Uses: "count", As: "count"}, {Uses: "wait", As: "wait"}},
		}}
		st.Status.CurrentPromotion = &railyard.PromotionReference{Name: "p1"}
	})
	promo := newPromotion(func(p *railyard.Promotion) { p.Status.Freight = &railyard.FreightReference{Name: "f1"} })
	r, _, patches := fakeReconciler(t, stage, promo)
	w := &heldWorld{r: r, clock: r.Clock.(*clocktesting.FakePassiveClock), patches: patches, count: &countStep{}, wait: &waitStep{}, promo: promo}
	r.Engine.Registry = engine.NewRegistry(w.count, w.wait)
	r.Engine.Clock = w.clock
	return w
}

// reconcile reconciles once and returns the result and what is stored.
func (w *heldWorld) reconcile(t *testing.T) (ctrl.Result, *railyard.Promotion) {
	t.Helper()
	ctx := context.Background()
	cached := &railyard.Promotion{}
	must(t, w.r.Client.Get(ctx, client.ObjectKeyFromObject(w.promo), cached))
	res, err := w.r.reconcile(ctx, cached)
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	stored := &railyard.Promotion{}
	must(t, w.r.Client.Get(ctx, client.ObjectKeyFromObject(w.promo), stored))
	return res, stored
}

// write changes the stored Promotion as someone else would: its status, or
// the rest of it.
func (w *heldWorld) write(t *testing.T, status bool, change func(*railyard.Promotion)) {
	t.Helper()
	ctx := context.Background()
	p := &railyard.Promotion{}
	must(t, w.r.Client.Get(ctx, client.ObjectKeyFromObject(w.promo), p))
	change(p)
	if status {
		must(t, w.r.Client.Status().Update(ctx, p))
		return
	}
	must(t, w.r.Client.Update(ctx, p))
}

// A wait that ends within HoldFor is not saved: the end's save carries it,
// one status write fewer, and the steps before it do not run again.
func TestWaitEndingWithinTheHoldIsSavedWithTheEnd(t *testing.T) {
	w := newHeldWorld(t)
	res, stored := w.reconcile(t)
	if stored.Status.Phase != railyard.PromotionPhaseRunning || len(stored.Status.StepExecutionMetadata) != 0 {
		t.Fatalf("stored after the wait began: phase %s, %d step results; want Running with none saved", stored.Status.Phase, len(stored.Status.StepExecutionMetadata))
	}
	if res.RequeueAfter != HoldFor {
		t.Errorf("requeue after %s, want the hold's end %s", res.RequeueAfter, HoldFor)
	}
	writes := *w.patches
	w.wait.done = true
	w.clock.SetTime(t0.Add(time.Second))
	_, stored = w.reconcile(t)
	if stored.Status.Phase != railyard.PromotionPhaseSucceeded || len(stored.Status.StepExecutionMetadata) != 2 {
		t.Fatalf("stored at the end: phase %s (%s), %d step results", stored.Status.Phase, stored.Status.Message, len(stored.Status.StepExecutionMetadata))
	}
	if w.count.calls != 1 {
		t.Errorf("the step before the wait ran %d times, want once", w.count.calls)
	}
	if got := *w.patches - writes; got != 1 {
		t.Errorf("%d status writes after the wait began, want 1 (the end)", got)
	}
	if writes != 1 {
		t.Errorf("%d status writes before the wait, want 1 (the start)", writes)
	}
}

// A wait that outlasts HoldFor is saved when the hold ends, and later
// polls of the same wait are not held again.
func TestWaitOutlastingTheHoldIsSaved(t *testing.T) {
	w := newHeldWorld(t)
	w.reconcile(t)
	w.clock.SetTime(t0.Add(HoldFor))
	res, stored := w.reconcile(t)
	if n := len(stored.Status.StepExecutionMetadata); n != 2 || stored.Status.StepExecutionMetadata[1].Status != railyard.StepStatusRunning {
		t.Fatalf("stored after the hold: %d step results %+v; want the wait saved", n, stored.Status.StepExecutionMetadata)
	}
	if res.RequeueAfter != time.Minute {
		t.Errorf("requeue after %s, want the step's own minute", res.RequeueAfter)
	}
	if _, ok := w.r.held.resume(stored); ok {
		t.Error("progress still held after it was saved")
	}
	w.clock.SetTime(t0.Add(HoldFor + time.Second))
	res, _ = w.reconcile(t)
	if res.RequeueAfter != time.Minute {
		t.Errorf("a later poll requeues after %s, want a minute: a saved wait is not held again", res.RequeueAfter)
	}
	if w.count.calls != 1 {
		t.Errorf("the step before the wait ran %d times, want once", w.count.calls)
	}
}

// An abort while progress is held marks the step that waits, not the one
// the last save named.
func TestAbortWhileHeldMarksTheWaitingStep(t *testing.T) {
	w := newHeldWorld(t)
	w.reconcile(t)
	w.write(t, false, func(p *railyard.Promotion) {
		p.Annotations = map[string]string{railyard.AnnotationAbort: `{"action":"terminate","actor":"alice"}`}
	})
	_, stored := w.reconcile(t)
	md := stored.Status.StepExecutionMetadata
	if stored.Status.Phase != railyard.PromotionPhaseAborted || len(md) != 2 ||
		md[0].Status != railyard.StepStatusSucceeded || md[1].Status != railyard.StepStatusAborted {
		t.Fatalf("stored: phase %s, steps %+v; want Aborted at the waiting step", stored.Status.Phase, md)
	}
}

// Progress held against a status someone else has since written is
// dropped: the steps run again from what is stored.
func TestHeldProgressDroppedWhenStatusChanged(t *testing.T) {
	w := newHeldWorld(t)
	w.reconcile(t)
	w.write(t, true, func(p *railyard.Promotion) { p.Status.Message = "written by another manager" })
	w.reconcile(t)
	if w.count.calls != 2 {
		t.Errorf("the step before the wait ran %d times, want twice: the held progress no longer applies", w.count.calls)
	}
}
