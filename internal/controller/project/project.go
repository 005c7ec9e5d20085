// Package project reconciles Projects: each owns the namespace of its name,
// created for it or adopted when labelled as a project namespace, and deleted
// with it unless the Project asks to keep it.
package project

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
)

// Reconciler reconciles Projects.
type Reconciler struct {
	Client client.Client
}

// SetupWithManager registers the reconciler. Namespaces, Warehouses and
// Stages are watched and mapped to the Project of their (namespace) name, so
// that labelling a conflicting namespace and a namespace finishing
// termination reach the Project at once, and health changes within
// StatsDelay.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&railyard.Project{}).
		Named("project").
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(byName)).
		Watches(&railyard.Warehouse{}, statsAfter(StatsDelay), builder.WithPredicates(warehouseHealthChanged)).
		Watches(&railyard.Stage{}, statsAfter(StatsDelay), builder.WithPredicates(stageHealthChanged)).
		Complete(r)
}

// Reconcile brings the Project's namespace and status in line.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &railyard.Project{}
	if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !p.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, p)
	}
	if _, err := reconcilehelp.AddFinalizer(ctx, r.Client, p, railyard.FinalizerName); err != nil {
		return ctrl.Result{}, err
	}
	sp := reconcilehelp.NewStatusPatcher(r.Client, p)
	err := r.reconcile(ctx, p)
	if perr := sp.Patch(ctx, p); client.IgnoreNotFound(perr) != nil {
		err = errors.Join(err, perr)
	}
	return ctrl.Result{}, err
}

// reconcile ensures the namespace and records the outcome in the status. A
// conflict is reported and not returned: only a person can resolve it, and
// the namespace watch brings the Project back when they do.
func (r *Reconciler) reconcile(ctx context.Context, p *railyard.Project) error {
	err := r.ensureNamespace(ctx, p)
	switch {
	case errors.Is(err, ErrNamespaceConflict):
		log.FromContext(ctx).Info("namespace conflict", "reason", err.Error())
		setConflict(p, err.Error())
		return nil
	case errors.Is(err, errNamespaceTerminating):
		// The delete event of the namespace brings the Project back.
		setWaiting(p, err.Error())
		return nil
	case err != nil:
		setWaiting(p, err.Error())
		return err
	}
	stats, err := r.stats(ctx, p.Name)
	if err != nil {
		setWaiting(p, err.Error())
		return err
	}
	p.Status.Stats = stats
	setReady(p)
	return nil
}

// finalize releases the namespace (kept or deleted) and removes the
// finalizer.
func (r *Reconciler) finalize(ctx context.Context, p *railyard.Project) error {
	if !controllerutil.ContainsFinalizer(p, railyard.FinalizerName) {
		return nil
	}
	if err := r.releaseNamespace(ctx, p); err != nil {
		return err
	}
	_, err := reconcilehelp.RemoveFinalizer(ctx, r.Client, p, railyard.FinalizerName)
	return err
}

// StatsDelay is how long after a Warehouse's or Stage's health changes the
// Project's stats are counted again. The changes in between are counted
// together, with one status write: a promotion changes its Stage's health
// two or three times within seconds, and with 100 Stages promoted at once,
// writing the stats at every change was a tenth of the status writes the
// API server handled. Kargo counts them every five minutes.
const StatsDelay = 2 * time.Second

// statsAfter queues the Project of an object's namespace after delay; the
// work queue keeps one entry per Project, so the changes within delay are
// one reconcile.
func statsAfter(delay time.Duration) handler.EventHandler {
	add := func(obj client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKey{Name: obj.GetNamespace()}}, delay)
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object, q)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.ObjectNew, q)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object, q)
		},
		GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object, q)
		},
	}
}

// byName maps a Namespace to the Project of the same name.
func byName(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: obj.GetName()}}}
}
