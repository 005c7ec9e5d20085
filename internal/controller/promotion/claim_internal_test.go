package promotion

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

type noopStep struct{}

func (noopStep) Name() string { return "noop" }
func (noopStep) Run(context.Context, *engine.StepContext) (engine.Result, error) {
	return engine.Result{Status: railyard.StepStatusSucceeded}, nil
}

// A Promotion whose turn its Stage published when it created it (as
// auto-promotion does) is started by the snapshot's status write: one
// write for the digest and the start, one for the end, and the start is
// still announced once. One the Stage has not yet started waits, Pending.
func TestSnapshotClaimsAPublishedTurn(t *testing.T) {
	for _, tt := range []struct {
		name        string
		turn        string
		wantPhase   railyard.PromotionPhase
		wantPatches int
		wantEvents  []string
	}{
		{"its turn is published", "p1", railyard.PromotionPhaseSucceeded, 2, []string{"Normal PromotionStarted", "Normal PromotionSucceeded"}},
		{"another Promotion's turn", "p0", railyard.PromotionPhasePending, 2, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stage := testStage(func(st *railyard.Stage) {
				st.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{
					Steps: []railyard.PromotionStep{{Uses: "noop"}},
				}}
				st.Status.CurrentPromotion = &railyard.PromotionReference{Name: tt.turn}
			})
			promo := newPromotion(func(p *railyard.Promotion) {
				p.Status.Freight = &railyard.FreightReference{Name: "f1"}
			})
			r, rec, patches := fakeReconciler(t, stage, promo)
			r.Engine.Registry = engine.NewRegistry(noopStep{})
			stored := reconcileOnce(t, r, promo)
			if stored.Status.Phase != tt.wantPhase {
				t.Errorf("phase = %s (%s), want %s", stored.Status.Phase, stored.Status.Message, tt.wantPhase)
			}
			if *patches != tt.wantPatches {
				t.Errorf("status patches = %d, want %d", *patches, tt.wantPatches)
			}
			for _, want := range tt.wantEvents {
				if got := nextEvent(rec); !strings.HasPrefix(got, want) {
					t.Errorf("event %q, want %q", got, want)
				}
			}
			if got := nextEvent(rec); got != "" {
				t.Errorf("unexpected event %q", got)
			}
		})
	}
}

// reconcileOnce reconciles promo once from the client's copy and returns
// what is stored after.
func reconcileOnce(t *testing.T, r *Reconciler, promo *railyard.Promotion) *railyard.Promotion {
	t.Helper()
	ctx := context.Background()
	cached := &railyard.Promotion{}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(promo), cached))
	if _, err := r.reconcile(ctx, cached); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	stored := &railyard.Promotion{}
	must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(promo), stored))
	return stored
}

// A Promotion auto-promotion has just created waits, before its snapshot,
// for its Stage to publish its turn (the Stage does so in the status write
// after the creation), so that the snapshot carries the start too: one
// write for the digest and the start, one for the end. Any other Promotion
// goes on at once, as does one that has waited long enough.
func TestAutoPromotionWaitsForItsTurn(t *testing.T) {
	auto := annotated(railyard.AnnotationCreateActor, railyard.ActorAutoPromotion)
	for _, tt := range []struct {
		name     string
		promo    []func(*railyard.Promotion)
		age      time.Duration
		current  string
		wantWait bool
	}{
		{name: "auto-created, just now, Stage running nothing", promo: []func(*railyard.Promotion){auto}, wantWait: true},
		{name: "auto-created long enough ago", promo: []func(*railyard.Promotion){auto}, age: turnWait},
		{name: "created by a person", age: 0},
		{name: "auto-created while another Promotion runs", promo: []func(*railyard.Promotion){auto}, current: "p0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stage := testStage(func(st *railyard.Stage) {
				st.Spec.PromotionTemplate = &railyard.PromotionTemplate{Spec: railyard.PromotionTemplateSpec{
					Steps: []railyard.PromotionStep{{Uses: "noop"}},
				}}
				if tt.current != "" {
					st.Status.CurrentPromotion = &railyard.PromotionReference{Name: tt.current}
				}
			})
			promo := newPromotion(append(tt.promo, func(p *railyard.Promotion) {
				p.CreationTimestamp = metav1.NewTime(t0.Add(-tt.age))
				p.Status.Freight = &railyard.FreightReference{Name: "f1"}
			})...)
			r, _, writes := fakeReconciler(t, stage, promo)
			r.Engine.Registry = engine.NewRegistry(noopStep{})
			ctx := context.Background()
			cached := &railyard.Promotion{}
			must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(promo), cached))
			res, err := r.reconcile(ctx, cached)
			if err != nil {
				t.Fatal(err)
			}
			if waited := res.RequeueAfter > 0 && *writes == 0; waited != tt.wantWait {
				t.Fatalf("requeue after %v with %d status writes; want a wait without writes: %v", res.RequeueAfter, *writes, tt.wantWait)
			}
			if !tt.wantWait {
				return
			}
			if res.RequeueAfter > turnWait {
				t.Errorf("waits %v, more than %v", res.RequeueAfter, turnWait)
			}
			// The Stage publishes the turn; the Promotion runs with one
			// write to start and one to end.
			must(t, r.Client.Get(ctx, client.ObjectKeyFromObject(stage), stage))
			stage.Status.CurrentPromotion = &railyard.PromotionReference{Name: promo.Name}
			must(t, r.Client.Status().Update(ctx, stage))
			*writes = 0
			if stored := reconcileOnce(t, r, promo); stored.Status.Phase != railyard.PromotionPhaseSucceeded {
				t.Fatalf("phase %s (%s), want Succeeded", stored.Status.Phase, stored.Status.Message)
			}
			if *writes != 2 {
				t.Errorf("%d status writes of the Promotion, want 2", *writes)
			}
		})
	}
}
