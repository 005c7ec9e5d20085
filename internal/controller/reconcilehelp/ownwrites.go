package reconcilehelp

import (
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// OwnWrites remembers which versions of an object a controller's own writes
// replaced, so that a reconcile reading the object from a cache that has not
// yet seen those writes can leave it for the watch event that is on its way,
// instead of acting on the old state and writing it again. A Stage is woken
// by its Promotions, Freight and Applications many times a second during a
// promotion; on a stale copy it verified its Freight a second time, with a
// second Event and a new verification record, and sent the API server a
// status patch for nothing.
//
// resourceVersions are compared only for equality: a cached version equal to
// one the controller's writes replaced is older than what the server holds.
type OwnWrites struct {
	mu sync.Mutex
	m  map[types.NamespacedName]ownWrites
}

type ownWrites struct {
	uid      types.UID
	replaced []string
}

// maxReplaced bounds what is kept per object: the versions replaced by the
// last reconcile's writes.
const maxReplaced = 8

// Stale reports whether obj, as read from a cache, is a version that this
// controller's writes have since replaced.
func (o *OwnWrites) Stale(obj client.Object) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	w, ok := o.m[client.ObjectKeyFromObject(obj)]
	return ok && w.uid == obj.GetUID() && slices.Contains(w.replaced, obj.GetResourceVersion())
}

// Record notes that a reconcile's writes took obj through versions (in
// order, as read and then as each write returned them); all but the last
// were replaced. Fewer than two versions record nothing new.
func (o *OwnWrites) Record(obj client.Object, versions []string) {
	if len(versions) < 2 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[types.NamespacedName]ownWrites{}
	}
	key := client.ObjectKeyFromObject(obj)
	w := o.m[key]
	if w.uid != obj.GetUID() {
		w = ownWrites{uid: obj.GetUID()}
	}
	w.replaced = append(w.replaced, versions[:len(versions)-1]...)
	if n := len(w.replaced); n > maxReplaced {
		w.replaced = slices.Clone(w.replaced[n-maxReplaced:])
	}
	o.m[key] = w
}

// Forget drops what is known of the object named key (it was deleted).
func (o *OwnWrites) Forget(key types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, key)
}

// Versions collects the resourceVersions an object goes through in one
// reconcile; Add after each write.
type Versions []string

// Add appends obj's resourceVersion when it differs from the last one added.
func (v *Versions) Add(obj client.Object) {
	rv := obj.GetResourceVersion()
	if n := len(*v); n == 0 || (*v)[n-1] != rv {
		*v = append(*v, rv)
	}
}
