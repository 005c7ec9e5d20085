package stage

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/freight"
)

// moveFreight records that the Freight of next is now in the Stage and that
// the Freight of prev that next does not keep has left it (the changes
// themselves are internal/freight's, status.go). The changes are written by
// flushFreight, before the Stage status that records the move.
func (r *Reconciler) moveFreight(sc *scope, prev, next *railyard.FreightCollection) {
	stage, now := sc.stage, sc.now
	keep := map[string]bool{}
	for _, ref := range next.Freight {
		keep[ref.Name] = true
		sc.freight.add(ref.Name, func(f *railyard.Freight) {
			if freight.AddCurrentStage(f, stage.Name, now) {
				observeArrival(stage.Namespace, stage.Name, f.CreationTimestamp.Time, now)
			}
		})
	}
	if prev == nil {
		return
	}
	for _, ref := range prev.Freight {
		if keep[ref.Name] {
			continue
		}
		sc.freight.add(ref.Name, func(f *railyard.Freight) {
			freight.RemoveCurrentStage(f, stage.Name, now)
		})
	}
}

// freightChanges are the Freight status changes of one reconcile, by
// Freight in the order they were made. A Freight that arrives in a Stage
// and is verified there in the same reconcile is read and written once,
// not twice.
type freightChanges struct {
	order   []string
	changes map[string][]func(*railyard.Freight)
	// after runs once the changes are written (Events that report them).
	after []func()
}

func (c *freightChanges) add(name string, change func(*railyard.Freight)) {
	if c.changes == nil {
		c.changes = map[string][]func(*railyard.Freight){}
	}
	if _, ok := c.changes[name]; !ok {
		c.order = append(c.order, name)
	}
	c.changes[name] = append(c.changes[name], change)
}

// flushFreight writes the Freight changes the reconcile has made so far.
// It runs before every write of the Stage's status: if it fails, the
// Stage status is not advanced either, and the next reconcile makes the
// same (idempotent) changes again.
func (r *Reconciler) flushFreight(ctx context.Context, sc *scope) error {
	for len(sc.freight.order) > 0 {
		name := sc.freight.order[0]
		changes := sc.freight.changes[name]
		if err := r.patchFreight(ctx, sc.stage.Namespace, name, func(f *railyard.Freight) {
			for _, change := range changes {
				change(f)
			}
		}); err != nil {
			return err
		}
		sc.freight.order = sc.freight.order[1:]
		delete(sc.freight.changes, name)
	}
	after := sc.freight.after
	sc.freight.after = nil
	for _, f := range after {
		f()
	}
	return nil
}

// patchFreight changes a Freight's status and patches it with an
// optimistic lock: Freight status has several writers (Stages, the CLI's
// approve), and a change made from a stale copy must not undo theirs. It
// starts from the cached copy, which the Stage just acted on; when that
// copy is stale (the patch conflicts), says there is nothing to change
// (the server's copy may not agree), or is not there yet, the Freight is
// read past the cache and changed again. Reading every Freight past the
// cache was two API requests per promotion. Freight deleted meanwhile is
// ignored.
func (r *Reconciler) patchFreight(ctx context.Context, namespace, name string, change func(*railyard.Freight)) error {
	key := client.ObjectKey{Namespace: namespace, Name: name}
	f := &railyard.Freight{}
	if err := r.Client.Get(ctx, key, f); err == nil {
		p := reconcilehelp.NewStatusPatcher(r.Client, f, reconcilehelp.WithOptimisticLock())
		change(f)
		changed, err := p.Changes(f)
		if err != nil {
			return fmt.Errorf("updating the status of Freight %s: %w", name, err)
		}
		if changed {
			err := p.Patch(ctx, f)
			switch {
			case err == nil || apierrors.IsNotFound(err):
				return nil
			case !apierrors.IsConflict(err):
				return fmt.Errorf("updating the status of Freight %s: %w", name, err)
			}
		}
	}
	f = &railyard.Freight{}
	if err := r.APIReader.Get(ctx, key, f); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("getting Freight %s: %w", name, err)
	}
	p := reconcilehelp.NewStatusPatcher(r.Client, f, reconcilehelp.WithOptimisticLock())
	change(f)
	if err := p.Patch(ctx, f); err != nil {
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
		if !freight.MentionsStage(f, stage.Name) {
			continue
		}
		if err := r.patchFreight(ctx, stage.Namespace, f.Name, func(f *railyard.Freight) { freight.ForgetStage(f, stage.Name) }); err != nil {
			return err
		}
	}
	_, err := reconcilehelp.RemoveFinalizer(ctx, r.Client, stage, railyard.FinalizerName)
	return err
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
