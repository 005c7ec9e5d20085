package reconcilehelp

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// The finalizer list is replaced as a whole by a merge patch, so both
// helpers send obj's resourceVersion: were another controller to add or
// remove its own finalizer meanwhile, the API server refuses the patch (a
// Conflict, retried with the work queue's backoff) rather than let this
// one write a list that drops theirs. Only metadata is sent, never a spec
// read from a cache that may lag (as an Update would).

// AddFinalizer adds the finalizer name to obj unless it has it, and
// reports whether it patched. obj then holds the server's answer.
func AddFinalizer(ctx context.Context, c client.Client, obj client.Object, name string) (bool, error) {
	if controllerutil.ContainsFinalizer(obj, name) {
		return false, nil
	}
	patch := client.MergeFromWithOptions(obj.DeepCopyObject().(client.Object), client.MergeFromWithOptimisticLock{})
	controllerutil.AddFinalizer(obj, name)
	if err := c.Patch(ctx, obj, patch); err != nil {
		return false, fmt.Errorf("adding the finalizer of %s: %w", describe(c.Scheme(), obj), err)
	}
	return true, nil
}

// RemoveFinalizer removes the finalizer name from obj if it has it, and
// reports whether it patched. An object already gone is not an error: a
// finalizer is removed last, and the object may go as soon as it is.
func RemoveFinalizer(ctx context.Context, c client.Client, obj client.Object, name string) (bool, error) {
	if !controllerutil.ContainsFinalizer(obj, name) {
		return false, nil
	}
	patch := client.MergeFromWithOptions(obj.DeepCopyObject().(client.Object), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(obj, name)
	if err := c.Patch(ctx, obj, patch); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return false, nil
		}
		return false, fmt.Errorf("removing the finalizer of %s: %w", describe(c.Scheme(), obj), err)
	}
	return true, nil
}
