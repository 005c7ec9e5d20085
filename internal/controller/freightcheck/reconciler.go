// Package freightcheck completes and checks every Freight, which matters
// for Freight made by hand (kubectl apply, the CLI, Kargo manifests): it
// assigns a unique alias (and its label) and discoveredAt when missing, and
// marks Freight that does not fit its Warehouse (one artifact per
// subscription) or repeats an older Freight's content with the
// railyard.dev/rejected annotation (railyard.railyard.AnnotationRejected) and a
// Warning Event. Stages do not accept rejected Freight; the annotation is
// removed when the Freight fits again (for example after its Warehouse
// changed).
//
// One pass: get the Freight; skip it unless this manager's shard owns its
// Warehouse (or the Warehouse is gone and this is the default manager);
// work out the verdict; patch the Freight once, only if it changed.
//
// Freight content lookups go through the freight.ContentIndex field
// index, which the manager registers once (freight.IndexContent) for this
// controller and the Warehouse controller.
package freightcheck

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/reconcilehelp"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/freight"
)

const (
	// ControllerName names the controller in logs and metrics.
	ControllerName = "freightcheck"
	// recorderName is the reporting controller of its Events.
	recorderName = "freight"
)

// Reconciler checks Freight. Client and Recorder default to the manager's.
type Reconciler struct {
	Client   client.Client
	Recorder events.EventRecorder
	// Shard: a Freight is checked by the manager of its Warehouse's
	// shard, and by the default manager when the Warehouse is gone.
	Shard shard.Filter
}

// SetupWithManager registers the reconciler. A Freight is checked when it
// is created and when its spec, annotations or labels change. mgr's cache
// must have freight.ContentIndex.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder(recorderName)
	}
	err := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&railyard.Freight{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		// Hand-made Freight comes in bursts (a script, a restore from
		// backup): one worker checked 9,000 at 1,000 apps one by one. The
		// verdict on Freight of equal content is decided by creation order,
		// so checking several at once gives the same answers.
		WithOptions(controller.Options{MaxConcurrentReconciles: 4}).
		Complete(r)
	if err != nil {
		return fmt.Errorf("setting up the Freight controller: %w", err)
	}
	return nil
}

// Reconcile checks one Freight and patches what it completed or decided.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	f := &railyard.Freight{}
	if err := r.Client.Get(ctx, req.NamespacedName, f); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !f.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	w, err := r.origin(ctx, f)
	if err != nil {
		return ctrl.Result{}, err
	}
	if (w == nil && !r.Shard.TakesUnlabelled()) || (w != nil && !r.Shard.Responsible(w)) {
		return ctrl.Result{}, nil
	}
	same, err := olderWithContent(ctx, r.Client, f)
	if err != nil {
		return ctrl.Result{}, err
	}
	orig := f.DeepCopy()
	problems := freightProblems(f, w, same)
	aliasProblem, err := r.completeAlias(ctx, f)
	if err != nil {
		return ctrl.Result{}, err
	}
	if aliasProblem != "" {
		problems = append(problems, aliasProblem)
	}
	if f.DiscoveredAt == nil {
		at := f.CreationTimestamp
		f.DiscoveredAt = &at
	}
	if _, ok := f.Annotations[railyard.AnnotationDiscoveredAt]; !ok {
		// Made by hand: stamped when first seen, a few milliseconds after
		// its creation, so that it orders against Freight a Warehouse
		// discovers in the same second by the time, not by the name
		// (freight.Newer; auto-promotion follows it).
		freight.StampDiscoveredAt(f, time.Now())
	}
	verdict := strings.Join(problems, "; ")
	if verdict == "" {
		delete(f.Annotations, railyard.AnnotationRejected)
	} else {
		if f.Annotations == nil {
			f.Annotations = map[string]string{}
		}
		f.Annotations[railyard.AnnotationRejected] = verdict
	}
	if equality.Semantic.DeepEqual(orig, f) {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Patch(ctx, f, client.MergeFrom(orig)); err != nil {
		return ctrl.Result{}, fmt.Errorf("patching Freight %s/%s: %w", f.Namespace, f.Name, err)
	}
	if verdict != "" && orig.Annotations[railyard.AnnotationRejected] != verdict {
		// w is nil when the Warehouse does not exist: the Event then names
		// no related object.
		events := reconcilehelp.Events{Recorder: r.Recorder}
		events.Emit(f, w, corev1.EventTypeWarning, railyard.EventFreightRejected, "CheckFreight", "Freight rejected: "+verdict)
	}
	return ctrl.Result{}, nil
}

func (r *Reconciler) origin(ctx context.Context, f *railyard.Freight) (*railyard.Warehouse, error) {
	if f.Origin.Kind != railyard.FreightOriginKindWarehouse || f.Origin.Name == "" {
		return nil, nil
	}
	w := &railyard.Warehouse{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: f.Namespace, Name: f.Origin.Name}, w)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("getting Warehouse %s/%s: %w", f.Namespace, f.Origin.Name, err)
	}
	return w, nil
}

// olderWithContent returns the oldest Freight of f's namespace, other than
// f and created before it, that holds f's content; nil if there is none.
// Creation time, then name, orders Freight, so of two with one content
// exactly one is rejected.
func olderWithContent(ctx context.Context, c client.Reader, f *railyard.Freight) (*railyard.Freight, error) {
	all, err := freight.WithContent(ctx, c, f.Namespace, freight.IDOf(f), true)
	if err != nil {
		return nil, err
	}
	// all is oldest first: unless f leads it, its first holds the content.
	if len(all) > 0 && all[0].Name != f.Name {
		return all[0], nil
	}
	return nil, nil
}

// completeAlias gives f an alias when it has none (Kargo's alias label is
// kept) and mirrors it in the alias label. It returns a problem when the
// alias is already another Freight's.
func (r *Reconciler) completeAlias(ctx context.Context, f *railyard.Freight) (string, error) {
	if f.Alias == "" {
		f.Alias = f.Labels[railyard.LabelKargoAlias]
	}
	if f.Alias == "" {
		alias, err := freight.ChooseAlias(ctx, r.Client, f, "")
		if err != nil {
			return "", err
		}
		f.Alias = alias
	}
	if errs := validation.IsValidLabelValue(f.Alias); len(errs) > 0 {
		return fmt.Sprintf("alias %q is not a valid label value: %s", f.Alias, strings.Join(errs, ", ")), nil
	}
	if f.Labels == nil {
		f.Labels = map[string]string{}
	}
	f.Labels[railyard.LabelAlias] = f.Alias
	var list railyard.FreightList
	if err := r.Client.List(ctx, &list, client.InNamespace(f.Namespace), client.MatchingLabels{railyard.LabelAlias: f.Alias}); err != nil {
		return "", fmt.Errorf("listing Freight with alias %s: %w", f.Alias, err)
	}
	for i := range list.Items {
		if other := &list.Items[i]; other.Name != f.Name && other.CreationTimestamp.Before(&f.CreationTimestamp) {
			return fmt.Sprintf("alias %s is already used by Freight %s", f.Alias, other.Name), nil
		}
	}
	return "", nil
}
