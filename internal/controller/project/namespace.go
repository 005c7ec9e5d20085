package project

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ErrNamespaceConflict means the namespace of the Project's name exists but
// is not a project namespace. Only a person can resolve it (by labelling or
// removing the namespace, or renaming the Project); it is never retried.
var ErrNamespaceConflict = errors.New("namespace conflict")

// errNamespaceTerminating means the namespace is being deleted (typically a
// Project recreated right after its deletion); its delete event requeues.
var errNamespaceTerminating = errors.New("namespace is terminating")

// isProjectNamespace reports whether a namespace is labelled as a project
// namespace, in Railyard's or Kargo's spelling. Such a namespace belongs to
// the Project of its name, which may adopt it.
func isProjectNamespace(ns *corev1.Namespace) bool {
	return ns.Labels[railyard.LabelProject] == "true" || ns.Labels[railyard.LabelKargoProject] == "true"
}

// keepNamespace reports whether the Project asks to keep its namespace when
// it is deleted. Any value but a false boolean keeps it: when in doubt, do
// not delete a namespace full of someone's objects.
func keepNamespace(p *railyard.Project) bool {
	for _, key := range []string{railyard.AnnotationKeepNamespace, railyard.AnnotationKargoKeepNamespace} {
		v, ok := p.Annotations[key]
		if !ok {
			continue
		}
		if keep, err := strconv.ParseBool(v); err != nil || keep {
			return true
		}
	}
	return false
}

// ownerRef makes the Project an owner of the namespace, so that the garbage
// collector removes the namespace should the finalizer ever be bypassed. It
// is not a controller reference: an adopted namespace may already carry one
// (from a Kargo Project, say) and the API allows only one.
func ownerRef(p *railyard.Project) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: railyard.GroupVersion.String(),
		Kind:       "Project",
		Name:       p.Name,
		UID:        p.UID,
	}
}

// desiredNamespace returns a copy of ns with the project label set and the
// Project's owner reference present unless the namespace is to be kept (an
// owner reference would let the garbage collector delete a kept namespace).
// Owner references of earlier Projects of the same name are dropped.
func desiredNamespace(ns *corev1.Namespace, p *railyard.Project) *corev1.Namespace {
	out := ns.DeepCopy()
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	out.Labels[railyard.LabelProject] = "true"
	refs := out.OwnerReferences[:0:0]
	for _, ref := range out.OwnerReferences {
		if !isProjectRef(ref) {
			refs = append(refs, ref)
		}
	}
	if !keepNamespace(p) {
		refs = append(refs, ownerRef(p))
	}
	out.OwnerReferences = refs
	return out
}

func isProjectRef(ref metav1.OwnerReference) bool {
	return ref.Kind == "Project" && ref.APIVersion == railyard.GroupVersion.String()
}

// ensureNamespace creates the Project's namespace or adopts the existing one.
func (r *Reconciler) ensureNamespace(ctx context.Context, p *railyard.Project) error {
	ns := &corev1.Namespace{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: p.Name}, ns)
	if apierrors.IsNotFound(err) {
		ns = desiredNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.Name}}, p)
		if err := r.Client.Create(ctx, ns); err != nil {
			return fmt.Errorf("creating namespace %s: %w", p.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("getting namespace %s: %w", p.Name, err)
	}
	if !ns.DeletionTimestamp.IsZero() {
		return fmt.Errorf("%w: namespace %s is being deleted; it will be recreated once gone", errNamespaceTerminating, p.Name)
	}
	if !isProjectNamespace(ns) {
		return fmt.Errorf("%w: namespace %s exists and is not a project namespace; label it %s=true to let the Project adopt it",
			ErrNamespaceConflict, p.Name, railyard.LabelProject)
	}
	want := desiredNamespace(ns, p)
	if equalMeta(ns, want) {
		return nil
	}
	if err := r.Client.Patch(ctx, want, client.MergeFromWithOptions(ns, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adopting namespace %s: %w", p.Name, err)
	}
	return nil
}

func equalMeta(a, b *corev1.Namespace) bool {
	if len(a.Labels) != len(b.Labels) || len(a.OwnerReferences) != len(b.OwnerReferences) {
		return false
	}
	for k, v := range b.Labels {
		if a.Labels[k] != v {
			return false
		}
	}
	for i := range b.OwnerReferences {
		if a.OwnerReferences[i].UID != b.OwnerReferences[i].UID {
			return false
		}
	}
	return true
}

// releaseNamespace deletes the Project's namespace, or with the keep
// annotation drops the Project's owner reference from it. A namespace that is
// not a project namespace (a conflict) was never the Project's and is left
// alone.
func (r *Reconciler) releaseNamespace(ctx context.Context, p *railyard.Project) error {
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: p.Name}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("getting namespace %s: %w", p.Name, err)
	}
	if !isProjectNamespace(ns) || !ns.DeletionTimestamp.IsZero() {
		return nil
	}
	if keepNamespace(p) {
		want := desiredNamespace(ns, p) // without the owner reference
		if equalMeta(ns, want) {
			return nil
		}
		err := r.Client.Patch(ctx, want, client.MergeFromWithOptions(ns, client.MergeFromWithOptimisticLock{}))
		if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("releasing namespace %s: %w", p.Name, err)
		}
		return nil
	}
	err := r.Client.Delete(ctx, ns, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting namespace %s: %w", p.Name, err)
	}
	return nil
}
