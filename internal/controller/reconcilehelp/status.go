package reconcilehelp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// StatusPatcher writes an object's status subresource with a JSON merge
// patch against the state it last wrote (or was created with). Each patch
// therefore carries exactly the changes made since the previous one, so an
// interim write (Reconciling before slow I/O, a Promotion published early)
// and the final one never repeat or undo each other. With the optimistic
// lock it writes the whole status at the version it last saw instead
// (update, below).
type StatusPatcher struct {
	client client.Client
	base   client.Object
	lock   bool
}

// Option configures a StatusPatcher.
type Option func(*StatusPatcher)

// WithOptimisticLock sends the base's resourceVersion with every patch, so
// the API server refuses it (a Conflict) when someone else wrote the
// object since: for status that must not be written from a stale copy,
// like a Promotion's progress.
func WithOptimisticLock() Option {
	return func(p *StatusPatcher) { p.lock = true }
}

// NewStatusPatcher returns a patcher whose base is a copy of obj as it is
// now; take it before changing obj's status.
func NewStatusPatcher(c client.Client, obj client.Object, opts ...Option) *StatusPatcher {
	p := &StatusPatcher{client: c}
	for _, o := range opts {
		o(p)
	}
	p.Rebase(obj)
	return p
}

// Rebase makes a copy of obj the state last written: for a caller that
// read the object again, or wrote it another way (an Update of its spec).
func (p *StatusPatcher) Rebase(obj client.Object) {
	p.base = obj.DeepCopyObject().(client.Object)
}

// Patch writes the status changes of obj since the last write and, when
// it wrote, takes the server's answer (decoded into obj) as the new base.
// Nothing is sent when status did not change, so a reconcile that finds
// everything in order costs no write.
func (p *StatusPatcher) Patch(ctx context.Context, obj client.Object) error {
	if p.lock {
		return p.update(ctx, obj)
	}
	data, changed, err := p.patchData(obj)
	if err != nil || !changed {
		return err
	}
	if err := p.client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("patching status of %s: %w", describe(p.client.Scheme(), obj), err)
	}
	p.Rebase(obj)
	return nil
}

// update writes obj's whole status, at the base's resourceVersion. Under
// the lock the server's status is the base's whenever the write succeeds,
// so this is the same change as the merge patch from the base; it spares
// the API server applying a patch (encoding the stored object, merging,
// decoding the result: a tenth of its CPU in a wave of promotions) and
// this process computing one. Status fields this binary does not know
// are not kept, as with any update from a typed client.
func (p *StatusPatcher) update(ctx context.Context, obj client.Object) error {
	changed, err := p.statusChanged(obj)
	if err != nil || !changed {
		return err
	}
	version := p.base.GetResourceVersion()
	if version == "" {
		return fmt.Errorf("writing status of %s: no resourceVersion to lock on", describe(p.client.Scheme(), obj))
	}
	obj.SetResourceVersion(version)
	// The server keeps the stored managed fields when none are sent.
	obj.SetManagedFields(nil)
	if err := p.client.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("updating status of %s: %w", describe(p.client.Scheme(), obj), err)
	}
	p.Rebase(obj)
	return nil
}

// Changes reports whether Patch would write obj's status: whether it
// differs from the last write as the server stores it (times to the
// second).
func (p *StatusPatcher) Changes(obj client.Object) (bool, error) {
	if p.lock {
		return p.statusChanged(obj)
	}
	_, changed, err := p.patchData(obj)
	return changed, err
}

// statusChanged compares the Status fields of the base and obj as JSON,
// as the server stores them: times that differ below the second are equal,
// and so are free-form JSON fields (a Stage's health output) whose keys
// are in another order: kube-apiserver stores them with sorted keys, so
// the base read back never has the bytes this process encoded, and a
// byte comparison alone sent the same status again after every write.
func (p *StatusPatcher) statusChanged(obj client.Object) (bool, error) {
	if sameStatus(p.base, obj) {
		return false, nil
	}
	b, o := statusOf(p.base), statusOf(obj)
	if b == nil || o == nil {
		return true, nil
	}
	bj, err := json.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("encoding the status of %s: %w", describe(p.client.Scheme(), obj), err)
	}
	oj, err := json.Marshal(o)
	if err != nil {
		return false, fmt.Errorf("encoding the status of %s: %w", describe(p.client.Scheme(), obj), err)
	}
	if bytes.Equal(bj, oj) {
		return false, nil
	}
	return !sameJSON(bj, oj), nil
}

// sameJSON reports whether two JSON documents hold the same values, keys
// in any order; numbers are compared as written.
func sameJSON(a, b []byte) bool {
	var av, bv any
	if decode(a, &av) != nil || decode(b, &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}

func decode(data []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}

// StoredJSON encodes v as kube-apiserver stores a free-form JSON field of
// a status: object keys sorted, numbers as written. A field computed afresh
// in every reconcile (a Stage's health output) then equals the copy read
// back, and the cheap comparison finds the status unchanged.
func StoredJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := decode(raw, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}

// patchData is the merge patch from the last write to obj, and whether it
// changes the status. The patch is computed once (marshalling both objects
// and diffing them is most of a status write's CPU for a Warehouse with
// many artifacts) and sent as it is.
func (p *StatusPatcher) patchData(obj client.Object) ([]byte, bool, error) {
	if sameStatus(p.base, obj) {
		return nil, false, nil
	}
	var opts []client.MergeFromOption
	if p.lock {
		opts = append(opts, client.MergeFromWithOptimisticLock{})
	}
	data, err := client.MergeFromWithOptions(p.base, opts...).Data(obj)
	if err != nil {
		return nil, false, fmt.Errorf("computing the status patch of %s: %w", describe(p.client.Scheme(), obj), err)
	}
	return data, changesStatus(data), nil
}

// sameStatus reports whether obj's Status field is semantically equal to
// base's: the cheap check first, since most reconciles at rest change
// nothing and the merge patch marshals both whole objects to find that out
// (for 3,000 Stages resynced every 5 minutes, the larger part of their CPU).
// Objects without a Status field are never the same.
func sameStatus(base, obj client.Object) bool {
	b, o := reflect.ValueOf(base), reflect.ValueOf(obj)
	if b.Type() != o.Type() {
		return false
	}
	bs, os := statusOf(base), statusOf(obj)
	if bs == nil || os == nil {
		return false
	}
	return equality.Semantic.DeepEqual(bs, os)
}

// statusOf is the Status field of a pointer to a struct, or nil.
func statusOf(obj client.Object) any {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	s := v.Elem().FieldByName("Status")
	if !s.IsValid() {
		return nil
	}
	return s.Interface()
}

// changesStatus reports whether a merge patch has anything for the status
// subresource. The patch is compared as JSON, as the server sees it: times
// that differ below the second it serialises are equal. Only the top-level
// keys are looked at, without decoding the values.
func changesStatus(data []byte) bool {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		// Not an object: let the server judge it.
		return true
	}
	_, ok := fields["status"]
	return ok
}

// describe names an object in errors: "Stage ns/name", or its Go type
// when the scheme does not know it.
func describe(scheme *runtime.Scheme, obj client.Object) string {
	kind := fmt.Sprintf("%T", obj)
	if scheme != nil {
		if gvk, err := apiutil.GVKForObject(obj, scheme); err == nil {
			kind = gvk.Kind
		}
	}
	if ns := obj.GetNamespace(); ns != "" {
		return kind + " " + ns + "/" + obj.GetName()
	}
	return kind + " " + obj.GetName()
}
