// Package reconcilehelp holds the pieces every Railyard reconciler is built
// from, so that each reads the same way:
//
//	obj := &railyard.Kind{}
//	if err := c.Get(ctx, req.NamespacedName, obj); err != nil { return ..., client.IgnoreNotFound(err) }
//	if !obj.DeletionTimestamp.IsZero() { ...clean up; RemoveFinalizer }
//	if _, err := AddFinalizer(ctx, c, obj, railyard.FinalizerName); err != nil { ... } // kinds that clean up
//	p := NewStatusPatcher(c, obj)
//	... phases change obj.Status, SetCondition / RemoveCondition, Events ...
//	err = p.Patch(ctx, obj)
//
// StatusPatcher writes status as a merge patch against the state last
// written, and nothing when status did not change. SetCondition stamps the
// object's generation on the condition and keeps its message within the
// API's limit. AddFinalizer and RemoveFinalizer patch metadata with an
// optimistic lock, so a concurrent writer's finalizer is never dropped.
// Events is a nil-safe recorder that never reads a message as a format.
//
// internal/controller/warehouse is the reference: one patcher per
// reconcile, an early Reconciling condition before slow I/O, and
// observedGeneration set only after a full pass.
package reconcilehelp
