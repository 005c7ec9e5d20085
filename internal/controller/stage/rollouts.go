package stage

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/railyard-dev/railyard/internal/rollouts"
)

// rolloutsWatch registers the AnalysisRun watch once the kind is served.
// An informer for a kind the API server does not serve would keep the
// manager from starting, so the watch is added at start-up only when Argo
// Rollouts is installed, and otherwise by the first reconcile that needs
// it after Argo Rollouts was installed (a controller accepts watches after
// it started).
type rolloutsWatch struct {
	mu         sync.Mutex
	controller controller.Controller
	cache      cache.Cache
	watching   bool
}

// rolloutsReady reports whether AnalysisRuns are served, registering their
// watch the first time they are. The REST mapper asks the API server again
// after a miss, so this notices Argo Rollouts installed after start-up.
func (r *Reconciler) rolloutsReady() (bool, error) {
	w := &r.rollouts
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watching {
		return true, nil
	}
	if r.RESTMapper == nil {
		return false, nil
	}
	ok, err := rollouts.Available(r.RESTMapper)
	if err != nil || !ok {
		return false, err
	}
	if w.controller == nil || w.cache == nil {
		// Not set up with a manager (unit tests): nothing to watch with.
		w.watching = true
		return true, nil
	}
	if err := w.controller.Watch(source.Kind(w.cache, rollouts.NewRun(),
		handler.TypedEnqueueRequestsFromMapFunc(stageOfRun), runChanges)); err != nil {
		return false, fmt.Errorf("watching AnalysisRuns: %w", err)
	}
	w.watching = true
	ctrl.Log.WithName("stage").Info("watching Argo Rollouts AnalysisRuns")
	return true, nil
}

// runChanges passes what a Stage acts on: a run created or deleted, a new
// phase or message, an abort. Measurements taken while a run stays Running
// do not wake the Stage.
var runChanges = predicate.TypedFuncs[*unstructured.Unstructured]{
	UpdateFunc: func(e event.TypedUpdateEvent[*unstructured.Unstructured]) bool {
		for _, path := range [][]string{{"status", "phase"}, {"status", "message"}} {
			a, _, _ := unstructured.NestedString(e.ObjectOld.Object, path...)
			b, _, _ := unstructured.NestedString(e.ObjectNew.Object, path...)
			if a != b {
				return true
			}
		}
		a, _, _ := unstructured.NestedBool(e.ObjectOld.Object, "spec", "terminate")
		b, _, _ := unstructured.NestedBool(e.ObjectNew.Object, "spec", "terminate")
		return a != b
	},
	GenericFunc: func(event.TypedGenericEvent[*unstructured.Unstructured]) bool { return false },
}

// stageOfRun maps an AnalysisRun Railyard created to its Stage: the
// railyard.dev/stage annotation has the full name when the label had to be
// shortened. Runs of others (Argo Rollouts' canaries) carry neither.
func stageOfRun(_ context.Context, run *unstructured.Unstructured) []reconcile.Request {
	if _, ok := run.GetLabels()[rollouts.LabelFreightCollection]; !ok {
		return nil
	}
	name := run.GetAnnotations()[rollouts.AnnotationStage]
	if name == "" {
		name = run.GetLabels()[rollouts.LabelStage]
	}
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: run.GetNamespace(), Name: name}}}
}
