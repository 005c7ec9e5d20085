package stage

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
)

// moveFreight records that the Freight of next is now in the Stage and that
// the Freight of prev that next does not keep has left it.
func (r *Reconciler) moveFreight(ctx context.Context, stage *railyard.Stage, prev, next *railyard.FreightCollection, now time.Time) error {
	keep := map[string]bool{}
	for _, ref := range next.Freight {
		keep[ref.Name] = true
		if err := r.patchFreight(ctx, stage.Namespace, ref.Name, func(f *railyard.Freight) {
			if _, already := f.Status.CurrentlyIn[stage.Name]; !already {
				observeArrival(stage.Namespace, stage.Name, f.CreationTimestamp.Time, now)
			}
			AddCurrentStage(f, stage.Name, now)
		}); err != nil {
			return err
		}
	}
	if prev == nil {
		return nil
	}
	for _, ref := range prev.Freight {
		if keep[ref.Name] {
			continue
		}
		if err := r.patchFreight(ctx, stage.Namespace, ref.Name, func(f *railyard.Freight) {
			RemoveCurrentStage(f, stage.Name, now)
		}); err != nil {
			return err
		}
	}
	return nil
}

// AddCurrentStage records that f arrived in stage, unless it is there.
func AddCurrentStage(f *railyard.Freight, stage string, now time.Time) {
	if _, ok := f.Status.CurrentlyIn[stage]; ok {
		return
	}
	if f.Status.CurrentlyIn == nil {
		f.Status.CurrentlyIn = map[string]railyard.CurrentStage{}
	}
	since := metav1.NewTime(now)
	f.Status.CurrentlyIn[stage] = railyard.CurrentStage{Since: &since}
}

// RemoveCurrentStage records that f left stage, keeping the longest time it
// soaked there once verified.
func RemoveCurrentStage(f *railyard.Freight, stage string, now time.Time) {
	cur, ok := f.Status.CurrentlyIn[stage]
	if !ok {
		return
	}
	delete(f.Status.CurrentlyIn, stage)
	v, verified := f.Status.VerifiedIn[stage]
	if !verified || cur.Since == nil {
		return
	}
	start := cur.Since.Time
	if v.VerifiedAt != nil && v.VerifiedAt.After(start) {
		start = v.VerifiedAt.Time
	}
	soak := now.Sub(start)
	if v.LongestCompletedSoak == nil || soak > v.LongestCompletedSoak.Duration {
		v.LongestCompletedSoak = &metav1.Duration{Duration: soak}
		f.Status.VerifiedIn[stage] = v
	}
}

// forgetStage removes every trace of stage from f's status.
func forgetStage(f *railyard.Freight, stage string) {
	delete(f.Status.CurrentlyIn, stage)
	delete(f.Status.VerifiedIn, stage)
	delete(f.Status.ApprovedFor, stage)
}

// patchFreight reads a Freight past the cache, changes its status and
// patches it. Freight deleted meanwhile is ignored.
func (r *Reconciler) patchFreight(ctx context.Context, namespace, name string, change func(*railyard.Freight)) error {
	f := &railyard.Freight{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, f); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("getting Freight %s: %w", name, err)
	}
	base := f.DeepCopy()
	change(f)
	if err := r.Client.Status().Patch(ctx, f, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("updating the status of Freight %s: %w", name, err)
	}
	return nil
}

// finalize cleans the Stage out of the status of every Freight of its
// origins, then lets it go.
func (r *Reconciler) finalize(ctx context.Context, stage *railyard.Stage) error {
	if err := r.abortPromotions(ctx, stage); err != nil {
		return err
	}
	var list railyard.FreightList
	if err := r.Client.List(ctx, &list, client.InNamespace(stage.Namespace)); err != nil {
		return fmt.Errorf("listing Freight: %w", err)
	}
	for i := range list.Items {
		f := &list.Items[i]
		_, in := f.Status.CurrentlyIn[stage.Name]
		_, verified := f.Status.VerifiedIn[stage.Name]
		_, approved := f.Status.ApprovedFor[stage.Name]
		if !in && !verified && !approved {
			continue
		}
		if err := r.patchFreight(ctx, stage.Namespace, f.Name, func(f *railyard.Freight) { forgetStage(f, stage.Name) }); err != nil {
			return err
		}
	}
	base := stage.DeepCopy()
	controllerutil.RemoveFinalizer(stage, railyard.FinalizerName)
	return client.IgnoreNotFound(r.Client.Patch(ctx, stage, client.MergeFrom(base)))
}

// abortPromotions asks every Promotion of a deleted Stage that has not
// finished to abort, so none resumes against a new Stage of the same name.
// (The Promotion controller also refuses to run a Promotion whose Stage UID
// changed, for Promotions this misses.)
func (r *Reconciler) abortPromotions(ctx context.Context, stage *railyard.Stage) error {
	var list railyard.PromotionList
	if err := r.Client.List(ctx, &list, client.InNamespace(stage.Namespace), client.MatchingFields{index.PromotionsByStage: stage.Name}); err != nil {
		return fmt.Errorf("listing Promotions: %w", err)
	}
	for i := range list.Items {
		p := &list.Items[i]
		if p.Status.Phase.IsTerminal() || p.Annotations[railyard.AnnotationAbort] != "" {
			continue
		}
		base := p.DeepCopy()
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		// The reason travels in the request: this abort can win the race
		// with the Promotion controller noticing the deletion itself, and
		// the Promotion must still say why it ended.
		p.Annotations[railyard.AnnotationAbort] = railyard.AbortPromotionRequest{
			Action: railyard.AbortActionTerminate,
			Reason: fmt.Sprintf("Stage %q was deleted", stage.Name),
		}.String()
		if err := r.Client.Patch(ctx, p, client.MergeFrom(base)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("aborting Promotion %s: %w", p.Name, err)
		}
	}
	return nil
}
