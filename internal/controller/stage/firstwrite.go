package stage

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
)

// FirstWriteWait is how long a new Stage with nothing to do yet waits for
// its Freight before its first writes (the finalizer unless the API server
// added it, config/stage-finalizer; then the status). Stages are usually
// applied with their Warehouse, whose first Freight comes a second or so
// later; a Stage that finds it within the wait writes its status once, with
// the Promotion it auto-promotes, instead of writing a status that says "no
// Freight" and then another. Nothing a Stage does is delayed: it has no
// Freight and no Promotion to act on, and either one arriving wakes it at
// once.
const FirstWriteWait = 2 * time.Second

// firstWriteWait is how long stage, whose status was never written, should
// wait before its first writes: zero unless it is younger than
// FirstWriteWait and has neither a Promotion nor Freight it could be
// promoted to. The finalizer says nothing here: the API server may have
// added it at creation.
func (r *Reconciler) firstWriteWait(ctx context.Context, stage *railyard.Stage, now time.Time) (time.Duration, error) {
	if stage.Status.ObservedGeneration != 0 || len(stage.Status.Conditions) != 0 {
		return 0, nil
	}
	// creationTimestamp has whole seconds: the Stage may be up to a second
	// older than it says, so it may wait a second less.
	left := stage.CreationTimestamp.Add(FirstWriteWait).Sub(now)
	if left <= 0 {
		return 0, nil
	}
	var promos railyard.PromotionList
	if err := r.Client.List(ctx, &promos, client.InNamespace(stage.Namespace), client.MatchingFields{index.PromotionsByStage: stage.Name}); err != nil {
		return 0, fmt.Errorf("listing the Promotions of Stage %s: %w", stage.Name, err)
	}
	if len(promos.Items) > 0 {
		return 0, nil
	}
	sc := &scope{stage: stage, now: now}
	for _, req := range stage.Spec.RequestedFreight {
		f, err := r.candidate(ctx, sc, req)
		if err != nil {
			return 0, err
		}
		if f != nil {
			return 0, nil
		}
	}
	return left, nil
}
