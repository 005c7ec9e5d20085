package promotion

import (
	"context"
	"strings"
	"testing"

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
