package warehouse

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// credentialLabels are the labels that make a Secret credentials (see
// internal/credentials): Railyard's and Kargo's spelling.
var credentialLabels = []string{railyard.LabelCredType, railyard.LabelKargoCredType}

// credentialSources watch the metadata of credential Secrets, one cache per
// label (a label selector cannot say "this label or that one"), so neither
// Secret data nor unlabelled Secrets are cached. It also returns each
// label's cache, from which discovery finds the Secrets to read (see
// credentials.NewCachedStore).
func credentialSources(mgr ctrl.Manager, h handler.TypedEventHandler[*metav1.PartialObjectMetadata, reconcile.Request]) ([]source.Source, map[string]client.Reader, error) {
	var out []source.Source
	readers := map[string]client.Reader{}
	for _, label := range credentialLabels {
		req, err := labels.NewRequirement(label, selection.Exists, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("selecting Secrets labelled %s: %w", label, err)
		}
		c, err := cache.New(mgr.GetConfig(), cache.Options{
			HTTPClient:           mgr.GetHTTPClient(),
			Scheme:               mgr.GetScheme(),
			Mapper:               mgr.GetRESTMapper(),
			DefaultLabelSelector: labels.NewSelector().Add(*req),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("creating the cache of Secrets labelled %s: %w", label, err)
		}
		if err := mgr.Add(startedWithCaches{c}); err != nil {
			return nil, nil, fmt.Errorf("adding the cache of Secrets labelled %s: %w", label, err)
		}
		obj := &metav1.PartialObjectMetadata{}
		obj.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		out = append(out, source.Kind(c, obj, h))
		readers[label] = c
	}
	return out, readers, nil
}

// startedWithCaches makes the manager start a cache with its own, before
// the controllers, and wait for it to sync (a bare cache.Cache would be
// started as any other leader-elected runnable).
type startedWithCaches struct{ cache.Cache }

// GetCache implements the manager's hasCache.
func (c startedWithCaches) GetCache() cache.Cache { return c.Cache }

// credentialChanges remembers the Warehouses whose credentials changed
// since their last discovery. A Secret event marks them before queueing
// them, and their next reconcile takes the mark, so that reconcile
// discovers even though the interval has not elapsed.
type credentialChanges struct {
	mu      sync.Mutex
	pending map[types.NamespacedName]bool
}

func (c *credentialChanges) mark(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[types.NamespacedName]bool{}
	}
	c.pending[key] = true
}

// take reports whether key was marked, and clears the mark.
func (c *credentialChanges) take(key types.NamespacedName) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok := c.pending[key]
	delete(c.pending, key)
	return ok
}

// credentialHandler maps a changed credential Secret to the Warehouses of
// its namespace. Only the Secret's metadata is known, not the repository
// URL it serves, so every Warehouse of the namespace (of this shard) may
// use it and is marked. The initial list at start-up is ignored: it is no
// change, and would rediscover every Warehouse on each restart.
func (r *Reconciler) credentialHandler() handler.TypedEventHandler[*metav1.PartialObjectMetadata, reconcile.Request] {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	enqueue := func(ctx context.Context, secret client.Object, q queue) {
		for _, req := range r.warehousesUsing(ctx, secret) {
			r.credChanges.mark(req.NamespacedName)
			q.Add(req)
		}
	}
	return handler.TypedFuncs[*metav1.PartialObjectMetadata, reconcile.Request]{
		// Every event also tells the Store, which keeps each namespace's
		// listing of credential Secrets until one of them changes.
		CreateFunc: func(ctx context.Context, e event.TypedCreateEvent[*metav1.PartialObjectMetadata], q queue) {
			r.creds.Changed(e.Object.GetNamespace())
			if !e.IsInInitialList {
				enqueue(ctx, e.Object, q)
			}
		},
		UpdateFunc: func(ctx context.Context, e event.TypedUpdateEvent[*metav1.PartialObjectMetadata], q queue) {
			// A resync delivers the same version; only a write is a change.
			if e.ObjectOld.GetResourceVersion() != e.ObjectNew.GetResourceVersion() {
				r.creds.Changed(e.ObjectNew.GetNamespace())
				enqueue(ctx, e.ObjectNew, q)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.TypedDeleteEvent[*metav1.PartialObjectMetadata], q queue) {
			r.creds.Forget(client.ObjectKeyFromObject(e.Object))
			enqueue(ctx, e.Object, q)
		},
	}
}

func (r *Reconciler) warehousesUsing(ctx context.Context, secret client.Object) []reconcile.Request {
	var list railyard.WarehouseList
	if err := r.client.List(ctx, &list, client.InNamespace(secret.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing Warehouses for a credentials Secret", "secret", client.ObjectKeyFromObject(secret))
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if r.opts.Shard.Responsible(&list.Items[i]) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}
