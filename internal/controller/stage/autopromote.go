package stage

import (
	"context"

	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/index"
	promotionctrl "github.com/railyard-dev/railyard/internal/controller/promotion"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/naming"
	"github.com/railyard-dev/railyard/internal/policy"
	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// autoPromote creates a Promotion of the newest available Freight of each
// requested origin, where the project's ProjectConfig enables
// auto-promotion for this Stage. It never promotes Freight that is current
// or already queued, nor Freight whose last Promotion to this Stage failed
// (a person must retry), nor an origin held after a rollback.
func (r *Reconciler) autoPromote(ctx context.Context, sc *scope) error {
	st := sc.stage
	// From the cache: the Stage controller watches ProjectConfigs, so a
	// policy change reaches this reconcile through the same cache. At
	// 3,000 Stages, each resync reading past it was 3,000 API calls every
	// resync interval.
	enabled, err := policy.EnabledFor(ctx, r.Client, st)
	if err != nil {
		// An invalid policy is reported on the ProjectConfig; here it
		// simply does not enable anything.
		ctrl.LoggerFrom(ctx).Info("auto-promotion policy not usable", "error", err.Error())
		enabled = false
	}
	st.Status.AutoPromotionEnabled = enabled
	if !enabled || len(promotionSteps(st)) == 0 {
		return nil
	}
	for _, req := range st.Spec.RequestedFreight {
		if _, held := st.Status.AutoPromotionHolds[req.Origin.String()]; held {
			continue
		}
		candidate, err := r.candidate(ctx, sc, req)
		if err != nil {
			return err
		}
		if candidate == nil || !shouldAutoPromote(sc, candidate.Name) {
			continue
		}
		if err := r.createPromotion(ctx, sc, candidate); err != nil {
			return r.autoPromotionFailed(sc, candidate, err)
		}
	}
	return nil
}

// autoPromotionFailed records a Promotion the Stage could not create as its
// Stalled condition and, the first time, an Event, so the failure is never
// silent. Refusals that retrying cannot change (invalid, forbidden) are not
// returned, to avoid a retry storm; the next change of the Stage or its
// Freight tries again.
func (r *Reconciler) autoPromotionFailed(sc *scope, f *railyard.Freight, err error) error {
	msg := fmt.Sprintf("auto-promotion of Freight %s could not create a Promotion: %v", f.Name, err)
	sc.autoPromotionError = msg
	if c := meta.FindStatusCondition(sc.stage.Status.Conditions, railyard.ConditionStalled); c == nil || c.Message != msg {
		r.events().Warning(sc.stage, railyard.ReasonAutoPromotionFailed, msg)
	}
	if apierrors.IsInvalid(err) || apierrors.IsForbidden(err) || apierrors.IsBadRequest(err) {
		return nil
	}
	return err
}

func promotionSteps(st *railyard.Stage) []railyard.PromotionStep {
	if st.Spec.PromotionTemplate == nil {
		return nil
	}
	return st.Spec.PromotionTemplate.Spec.Steps
}

// candidate is the Freight auto-promotion would move for one origin.
func (r *Reconciler) candidate(ctx context.Context, sc *scope, req railyard.FreightRequest) (*railyard.Freight, error) {
	opts := req.Sources.AutoPromotionOptions
	if opts == nil || opts.SelectionPolicy != railyard.AutoPromotionSelectionPolicyMatchUpstream {
		return r.newestAvailable(ctx, sc, req.Origin)
	}
	// MatchUpstream: what the single upstream Stage runs now.
	if len(req.Sources.Stages) != 1 {
		return nil, nil
	}
	up := &railyard.Stage{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: sc.stage.Namespace, Name: req.Sources.Stages[0]}, up); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if len(up.Status.FreightHistory) == 0 {
		return nil, nil
	}
	ref, ok := up.Status.FreightHistory[0].Freight[req.Origin.String()]
	if !ok {
		return nil, nil
	}
	f := &railyard.Freight{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: sc.stage.Namespace, Name: ref.Name}, f); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if ok, _ := freight.IsAvailable(f, sc.stage, sc.now); !ok {
		return nil, nil
	}
	return f, nil
}

// newestAvailable returns the newest Freight of origin available to the
// Stage, or nil.
func (r *Reconciler) newestAvailable(ctx context.Context, sc *scope, origin railyard.FreightOrigin) (*railyard.Freight, error) {
	var list railyard.FreightList
	if err := r.Client.List(ctx, &list, client.InNamespace(sc.stage.Namespace), client.MatchingFields{index.FreightByOrigin: origin.String()}); err != nil {
		return nil, fmt.Errorf("listing Freight of %s: %w", origin, err)
	}
	var newest *railyard.Freight
	for i := range list.Items {
		f := &list.Items[i]
		ok, _ := freight.IsAvailable(f, sc.stage, sc.now)
		if !ok {
			if wait := freight.SoakRemaining(f, sc.stage, sc.now); wait > 0 {
				sc.requeueAfter(wait)
			}
			continue
		}
		if newest == nil || freight.Newer(f, newest) {
			newest = f
		}
	}
	return newest, nil
}

// shouldAutoPromote applies the guards against repeats and loops.
func shouldAutoPromote(sc *scope, freightName string) bool {
	if h := sc.stage.Status.FreightHistory; len(h) > 0 {
		for _, ref := range h[0].Freight {
			if ref.Name == freightName {
				return false // already current
			}
		}
	}
	var last *railyard.Promotion
	for i := range sc.promotions {
		p := &sc.promotions[i]
		if p.Spec.Freight != freightName && (p.Status.Freight == nil || p.Status.Freight.Name != freightName) {
			continue
		}
		if !p.Status.Phase.IsTerminal() {
			return false // already queued
		}
		if last == nil || (last.Status.FinishedAt != nil && p.Status.FinishedAt != nil && last.Status.FinishedAt.Before(p.Status.FinishedAt)) {
			last = p
		}
	}
	// A failed last attempt waits for a person.
	return last == nil || last.Status.Phase == railyard.PromotionPhaseSucceeded
}

func (r *Reconciler) createPromotion(ctx context.Context, sc *scope, f *railyard.Freight) error {
	p := &railyard.Promotion{
		ObjectMeta: metav1.ObjectMeta{
			Name:        naming.PromotionName(sc.stage.Name, f.Name, sc.now),
			Namespace:   sc.stage.Namespace,
			Annotations: map[string]string{railyard.AnnotationCreateActor: AutoPromotionActor},
			Labels:      map[string]string{railyard.LabelStage: naming.LabelValue(sc.stage.Name)},
		},
		Spec: railyard.PromotionSpec{Stage: sc.stage.Name, Freight: f.Name},
	}
	shard.LabelPromotion(p, sc.stage)
	r.copySteps(ctx, sc.stage, p)
	if err := r.Client.Create(ctx, p); err != nil {
		return fmt.Errorf("creating a Promotion of Freight %s: %w", f.Name, err)
	}
	sc.promotions = append(sc.promotions, *p)
	if sc.created == nil {
		sc.created = map[string]railyard.FreightReference{}
	}
	sc.created[p.Name] = freight.Ref(f)
	r.events().Normal(sc.stage, railyard.EventPromotionCreated, fmt.Sprintf("auto-promotion of Freight %s (%s) created Promotion %s", f.Name, f.Alias, p.Name))
	r.awaitCached(ctx, p)
	return nil
}

// copySteps gives a Promotion auto-promotion creates what the Promotion
// controller's snapshot would write into it: the Stage's vars and steps
// with tasks inlined and the owner reference to the Stage, as Kargo's
// webhook copies them at creation. The Promotion controller
// adopts them, recording their digest, only when they equal the snapshot
// it takes itself, so this saves it the update of the spec and nothing
// more. When the steps cannot be inlined (a task missing), the Promotion
// is created without them and the Promotion controller reports why.
func (r *Reconciler) copySteps(ctx context.Context, st *railyard.Stage, p *railyard.Promotion) {
	vars, steps := promotionctrl.StageSteps(st)
	if len(steps) == 0 {
		return
	}
	inflated, err := engine.InflateSteps(ctx, r.Client, st.Namespace, vars, steps)
	if err != nil {
		return
	}
	if err := controllerutil.SetOwnerReference(st, p, r.Client.Scheme()); err != nil {
		return
	}
	p.Spec.Vars, p.Spec.Steps = vars, inflated
}

// cacheWait bounds how long a reconcile waits for the cache to hold a
// Promotion it created.
const cacheWait = 5 * time.Second

// awaitCached waits, briefly, until the cache holds p. The next reconcile
// of the Stage reads its Promotions from the cache; one that ran before the
// cache held p would find the Freight not queued and promote it again.
// Reconciles of one Stage never overlap, so returning only once the cache
// has p closes that window. On timeout the reconcile goes on: p exists,
// and at worst a duplicate Promotion of the same Freight is queued.
func (r *Reconciler) awaitCached(ctx context.Context, p *railyard.Promotion) {
	ctx, cancel := context.WithTimeout(ctx, cacheWait)
	defer cancel()
	key := client.ObjectKeyFromObject(p)
	for {
		if err := r.Client.Get(ctx, key, &railyard.Promotion{}); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			ctrl.LoggerFrom(ctx).Info("the cache does not hold the new Promotion yet", "promotion", p.Name)
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}
