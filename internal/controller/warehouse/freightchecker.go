package warehouse

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/controller/shard"
	"github.com/railyard-dev/railyard/internal/freight"
)

const eventFreightRejected = "FreightRejected"

// freightChecker completes and checks every Freight, which matters for
// Freight made by hand: it assigns a unique alias (and its label) and
// discoveredAt when missing, and marks Freight that does not fit its
// Warehouse or repeats an older Freight's content with AnnotationRejected
// and a Warning Event.
type freightChecker struct {
	client   client.Client
	recorder events.EventRecorder
	// shard: a Freight is checked by the manager of its Warehouse's
	// shard, and by the default manager when the Warehouse is gone.
	shard shard.Filter
}

func setupFreightChecker(mgr ctrl.Manager, sh shard.Filter) error {
	c := &freightChecker{client: mgr.GetClient(), recorder: mgr.GetEventRecorder("freight"), shard: sh}
	err := ctrl.NewControllerManagedBy(mgr).
		Named("freightcheck").
		For(&railyard.Freight{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Complete(c)
	if err != nil {
		return fmt.Errorf("setting up the Freight controller: %w", err)
	}
	return nil
}

func (c *freightChecker) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	f := &railyard.Freight{}
	if err := c.client.Get(ctx, req.NamespacedName, f); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !f.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	w, err := c.origin(ctx, f)
	if err != nil {
		return ctrl.Result{}, err
	}
	if (w == nil && !c.shard.TakesUnlabelled()) || (w != nil && !c.shard.Responsible(w)) {
		return ctrl.Result{}, nil
	}
	same, err := olderWithContent(ctx, c.client, f)
	if err != nil {
		return ctrl.Result{}, err
	}
	orig := f.DeepCopy()
	problems := freightProblems(f, w, same)
	aliasProblem, err := c.completeAlias(ctx, f)
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
	verdict := strings.Join(problems, "; ")
	if verdict == "" {
		delete(f.Annotations, AnnotationRejected)
	} else {
		if f.Annotations == nil {
			f.Annotations = map[string]string{}
		}
		f.Annotations[AnnotationRejected] = verdict
	}
	if equality.Semantic.DeepEqual(orig, f) {
		return ctrl.Result{}, nil
	}
	if err := c.client.Patch(ctx, f, client.MergeFrom(orig)); err != nil {
		return ctrl.Result{}, fmt.Errorf("patching Freight %s/%s: %w", f.Namespace, f.Name, err)
	}
	if verdict != "" && orig.Annotations[AnnotationRejected] != verdict {
		// A nil *Warehouse in an interface is not nil: pass no related object
		// when the Warehouse does not exist.
		var related runtime.Object
		if w != nil {
			related = w
		}
		c.recorder.Eventf(f, related, corev1.EventTypeWarning, eventFreightRejected, "CheckFreight", "Freight rejected: %s", verdict)
	}
	return ctrl.Result{}, nil
}

func (c *freightChecker) origin(ctx context.Context, f *railyard.Freight) (*railyard.Warehouse, error) {
	if f.Origin.Kind != railyard.FreightOriginKindWarehouse || f.Origin.Name == "" {
		return nil, nil
	}
	w := &railyard.Warehouse{}
	err := c.client.Get(ctx, client.ObjectKey{Namespace: f.Namespace, Name: f.Origin.Name}, w)
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
	all, err := freight.WithContent(ctx, c, f.Namespace, freightID(f), true)
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
func (c *freightChecker) completeAlias(ctx context.Context, f *railyard.Freight) (string, error) {
	if f.Alias == "" {
		f.Alias = f.Labels[railyard.LabelKargoAlias]
	}
	if f.Alias == "" {
		alias, err := FreeAlias(ctx, c.client, f.Namespace, freightID(f))
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
	if err := c.client.List(ctx, &list, client.InNamespace(f.Namespace), client.MatchingLabels{railyard.LabelAlias: f.Alias}); err != nil {
		return "", fmt.Errorf("listing Freight with alias %s: %w", f.Alias, err)
	}
	for i := range list.Items {
		if other := &list.Items[i]; other.Name != f.Name && other.CreationTimestamp.Before(&f.CreationTimestamp) {
			return fmt.Sprintf("alias %s is already used by Freight %s", f.Alias, other.Name), nil
		}
	}
	return "", nil
}
