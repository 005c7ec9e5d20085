package stage

import (
	"context"
	"fmt"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
)

func (r *Reconciler) loadPromotions(ctx context.Context, sc *scope) error {
	var list railyard.PromotionList
	if err := r.Client.List(ctx, &list, client.InNamespace(sc.stage.Namespace), client.MatchingFields{index.PromotionsByStage: sc.stage.Name}); err != nil {
		return fmt.Errorf("listing the Promotions of Stage %s: %w", sc.stage.Name, err)
	}
	sc.promotions = list.Items
	return nil
}

// NextPromotion chooses the one Promotion allowed to run: a Running one is
// never pre-empted; otherwise the oldest waiting one, first come first
// served (creation time, then name, whose ULID sorts by time). It returns
// nil when none waits.
func NextPromotion(promotions []railyard.Promotion) *railyard.Promotion {
	var waiting []*railyard.Promotion
	for i := range promotions {
		p := &promotions[i]
		if p.Status.Phase == railyard.PromotionPhaseRunning {
			return p
		}
		if !p.Status.Phase.IsTerminal() && p.DeletionTimestamp.IsZero() {
			waiting = append(waiting, p)
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	sort.SliceStable(waiting, func(i, j int) bool {
		ti, tj := waiting[i].CreationTimestamp, waiting[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return waiting[i].Name < waiting[j].Name
	})
	return waiting[0]
}

// publishCurrentPromotion writes the chosen Promotion to
// status.currentPromotion, where the Promotion reconciler looks for its turn.
func publishCurrentPromotion(sc *scope) {
	next := NextPromotion(sc.promotions)
	if next == nil {
		sc.stage.Status.CurrentPromotion = nil
		return
	}
	// As Kargo documents, no Promotion starts while the current Freight's
	// verification runs (its AnalysisRun has not finished); the run's end
	// or an abort wakes the Stage. One already Running is never held.
	if next.Status.Phase != railyard.PromotionPhaseRunning && verifying(sc.stage) {
		sc.stage.Status.CurrentPromotion = nil
		return
	}
	sc.stage.Status.CurrentPromotion = &railyard.PromotionReference{Name: next.Name, Freight: publishedFreight(sc, next)}
}

// publishedFreight is the Freight published with the turn of next: what
// next resolved, else what this reconcile created it for (auto-promotion
// knows it), else what was published for it before. A Promotion resolves
// the Freight its spec names to the same reference (freight.Ref), so
// publishing it early saves the Stage a status write per auto-promotion
// and never has to be taken back.
func publishedFreight(sc *scope, next *railyard.Promotion) *railyard.FreightReference {
	if next.Status.Freight != nil {
		return next.Status.Freight
	}
	if ref, ok := sc.created[next.Name]; ok {
		return &ref
	}
	if cur := sc.stage.Status.CurrentPromotion; cur != nil && cur.Name == next.Name {
		return cur.Freight
	}
	return nil
}

// lastFinished returns the terminal Promotion that finished last. Times
// have a resolution of one second, so ties are broken the way the queue
// runs Promotions: by creation time, then by name (a ULID, in time order).
func lastFinished(promotions []railyard.Promotion) *railyard.Promotion {
	var last *railyard.Promotion
	for i := range promotions {
		p := &promotions[i]
		if !p.Status.Phase.IsTerminal() || p.Status.FinishedAt == nil {
			continue
		}
		if last == nil || finishedBefore(last, p) {
			last = p
		}
	}
	return last
}

func finishedBefore(a, b *railyard.Promotion) bool {
	if !a.Status.FinishedAt.Equal(b.Status.FinishedAt) {
		return a.Status.FinishedAt.Before(b.Status.FinishedAt)
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}
