package promotion

import (
	"context"
	"errors"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Promotions carry no finalizer: removing one when a Promotion ends would
// write the whole object once more per promotion, only to guard a work
// directory that the end of the run removes anyway. What a finalizer
// guarded, the work directory of a Promotion deleted before it ended, is
// removed from the delete event instead: the event still holds the UID the
// directory is named by, and the reconcile of the vanished key removes it,
// after any reconcile still running its steps there (reconciles of one key
// never overlap). A deletion the manager did not see is the start-up
// sweep's (internal/manager/workdirs.go).

// departed remembers, by key, the UID of Promotions deleted since their
// key was last reconciled.
type departed struct {
	mu   sync.Mutex
	uids map[types.NamespacedName]types.UID
}

func (d *departed) record(key types.NamespacedName, uid types.UID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.uids == nil {
		d.uids = map[types.NamespacedName]types.UID{}
	}
	d.uids[key] = uid
}

// take returns and forgets what was recorded for key.
func (d *departed) take(key types.NamespacedName) (types.UID, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	uid, ok := d.uids[key]
	delete(d.uids, key)
	return uid, ok
}

// deletions records every deleted Promotion, then queues its key, in that
// order, so the reconcile the event causes finds the record.
func (r *Reconciler) deletions() handler.EventHandler {
	return handler.Funcs{DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		if e.Object == nil {
			return
		}
		key := client.ObjectKeyFromObject(e.Object)
		r.gone.record(key, e.Object.GetUID())
		q.Add(reconcile.Request{NamespacedName: key})
	}}
}

// forgetDeparted removes the work directory of a Promotion deleted under
// key, unless it is current, the one now stored under that key.
func (r *Reconciler) forgetDeparted(key types.NamespacedName, current types.UID) error {
	uid, ok := r.gone.take(key)
	if !ok || uid == current || uid == "" {
		return nil
	}
	return r.Engine.Cleanup(&railyard.Promotion{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, UID: uid}})
}

// isGone says whether err is the API server's answer that promo itself no
// longer exists, not that something a step or task read does not.
func isGone(err error, promo *railyard.Promotion) bool {
	var status apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &status) {
		return false
	}
	d := status.Status().Details
	return d != nil && d.Name == promo.Name && d.Kind == "promotions"
}
