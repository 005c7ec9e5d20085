package reconcilehelp

import (
	"context"
	"reflect"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// OwnEvents tells the watch events of a controller's own writes from the
// others. Its Client records the version each successful write of an object
// of the watched type produced; Own reports whether an object is exactly one
// of them. A reconcile that writes goes on with what the server returned and
// decides itself when to look again (a requeue, a waiter), so the event of
// its own write, which controller-runtime queues once more whether or not
// anything else changed, is work for nothing: a Promotion read again past
// the cache, its waiting step polled again.
type OwnEvents struct {
	mu sync.Mutex
	m  map[types.NamespacedName]ownVersions
}

type ownVersions struct {
	uid      types.UID
	versions []string
}

// maxOwnVersions bounds what is kept per object: the versions of its last
// few writes, whose events may still be on their way.
const maxOwnVersions = 8

// Own reports whether obj is a version this controller's writes produced.
func (o *OwnEvents) Own(obj client.Object) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[client.ObjectKeyFromObject(obj)]
	return ok && v.uid == obj.GetUID() && slices.Contains(v.versions, obj.GetResourceVersion())
}

// Latest reports whether obj is the version this controller's last write
// of it produced: a copy at least as new as anything this controller
// wrote, which it can go on from without reading the object again.
func (o *OwnEvents) Latest(obj client.Object) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[client.ObjectKeyFromObject(obj)]
	return ok && v.uid == obj.GetUID() && len(v.versions) > 0 && v.versions[len(v.versions)-1] == obj.GetResourceVersion()
}

// Forget drops what is kept for key (the object is gone).
func (o *OwnEvents) Forget(key types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, key)
}

func (o *OwnEvents) record(obj client.Object) {
	rv := obj.GetResourceVersion()
	if rv == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[types.NamespacedName]ownVersions{}
	}
	key := client.ObjectKeyFromObject(obj)
	v := o.m[key]
	if v.uid != obj.GetUID() {
		v = ownVersions{uid: obj.GetUID()}
	}
	v.versions = append(slices.DeleteFunc(v.versions, func(s string) bool { return s == rv }), rv)
	if len(v.versions) > maxOwnVersions {
		v.versions = v.versions[len(v.versions)-maxOwnVersions:]
	}
	o.m[key] = v
}

// Client wraps c so that its writes of objects of the same Go type as kind
// are recorded.
func (o *OwnEvents) Client(c client.Client, kind client.Object) client.Client {
	return &ownEventsClient{Client: c, own: o, kind: reflect.TypeOf(kind)}
}

type ownEventsClient struct {
	client.Client
	own  *OwnEvents
	kind reflect.Type
}

func (c *ownEventsClient) note(obj client.Object, err error) error {
	if err == nil && reflect.TypeOf(obj) == c.kind {
		c.own.record(obj)
	}
	return err
}

func (c *ownEventsClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	return c.note(obj, c.Client.Create(ctx, obj, opts...))
}

func (c *ownEventsClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	return c.note(obj, c.Client.Update(ctx, obj, opts...))
}

func (c *ownEventsClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	return c.note(obj, c.Client.Patch(ctx, obj, patch, opts...))
}

// Status is the "status" subresource, as controller-runtime's clients
// have it.
func (c *ownEventsClient) Status() client.SubResourceWriter { return c.SubResource("status") }

func (c *ownEventsClient) SubResource(name string) client.SubResourceClient {
	return &ownEventsSubResource{SubResourceClient: c.Client.SubResource(name), c: c}
}

type ownEventsSubResource struct {
	client.SubResourceClient
	c *ownEventsClient
}

func (s *ownEventsSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return s.c.note(obj, s.SubResourceClient.Update(ctx, obj, opts...))
}

func (s *ownEventsSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.c.note(obj, s.SubResourceClient.Patch(ctx, obj, patch, opts...))
}
