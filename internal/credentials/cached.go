package credentials

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NewCachedStore returns a Store that finds credential Secrets in watch-backed
// caches of their metadata and reads a Secret past the cache only when its
// resourceVersion is new to it. metadata maps each cred-type label
// (railyard.LabelCredType, railyard.LabelKargoCredType) to a reader of a
// cache holding the metadata of the Secrets with that label; a label
// without one is read past the cache on every call.
//
// Discovery looks credentials up for every subscription of every Warehouse
// at every interval: at 1,000 Warehouses the uncached Store makes 4,000
// List calls every five minutes. Only Secrets labelled as credentials are
// held in memory, as before they were read on every call.
func NewCachedStore(reader client.Reader, metadata map[string]client.Reader) Store {
	return Store{Reader: reader, cached: &cachedSecrets{
		metadata: metadata,
		byName:   map[types.NamespacedName]*corev1.Secret{},
		listed:   map[listKey]listed{},
	}}
}

// Forget drops what the Store holds of a Secret; call it when the Secret is
// deleted, so a deleted Secret's data does not stay in memory.
func (s Store) Forget(key types.NamespacedName) {
	if s.cached == nil {
		return
	}
	s.cached.mu.Lock()
	defer s.cached.mu.Unlock()
	delete(s.cached.byName, key)
	s.cached.changedLocked(key.Namespace)
}

// Changed tells the Store that a credential Secret of namespace was
// created, changed or deleted: what it listed there is listed again. The
// Warehouse controller's watch on the metadata caches calls it for every
// create (the initial list included), write and delete.
func (s Store) Changed(namespace string) {
	if s.cached == nil {
		return
	}
	s.cached.mu.Lock()
	defer s.cached.mu.Unlock()
	s.cached.changedLocked(namespace)
}

type cachedSecrets struct {
	metadata map[string]client.Reader
	mu       sync.Mutex
	byName   map[types.NamespacedName]*corev1.Secret
	// listed holds each namespace's last listing per kind, valid while
	// the namespace's generation is unchanged: at 1,000 Warehouses, listing
	// the metadata caches for every subscription of every discovery was a
	// twentieth of the manager's CPU at rest.
	listed      map[listKey]listed
	generations map[string]uint64
}

type listKey struct {
	namespace string
	kind      Kind
}

type listed struct {
	generation uint64
	secrets    []corev1.Secret
}

func (c *cachedSecrets) changedLocked(namespace string) {
	if c.generations == nil {
		c.generations = map[string]uint64{}
	}
	c.generations[namespace]++
	for k := range c.listed {
		if k.namespace == namespace {
			delete(c.listed, k)
		}
	}
}

// list returns the Secrets labelled for kind, each at least as new as the
// metadata cache knows it: the last listing of the namespace when no
// credential Secret of it changed since (see Changed), else a new one.
// Callers must not change what it returns.
func (c *cachedSecrets) list(ctx context.Context, reader client.Reader, namespace string, kind Kind) ([]corev1.Secret, error) {
	key := listKey{namespace, kind}
	c.mu.Lock()
	gen := c.generations[namespace]
	if l, ok := c.listed[key]; ok && l.generation == gen {
		c.mu.Unlock()
		return l.secrets, nil
	}
	c.mu.Unlock()
	all, err := c.listAgain(ctx, reader, namespace, kind)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	// A change while listing leaves the generation moved on, and the next
	// call lists again.
	c.listed[key] = listed{generation: gen, secrets: all}
	c.mu.Unlock()
	return all, nil
}

func (c *cachedSecrets) listAgain(ctx context.Context, reader client.Reader, namespace string, kind Kind) ([]corev1.Secret, error) {
	var all []corev1.Secret
	seen := map[string]bool{}
	for _, label := range labels {
		md, ok := c.metadata[label]
		if !ok {
			md = reader
		}
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
		if err := md.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{label: string(kind)}); err != nil {
			return nil, fmt.Errorf("listing %s credential Secrets in namespace %s: %w", kind, namespace, err)
		}
		for i := range list.Items {
			name := list.Items[i].Name
			if seen[name] {
				continue
			}
			seen[name] = true
			sec, err := c.get(ctx, reader, types.NamespacedName{Namespace: namespace, Name: name}, list.Items[i].ResourceVersion)
			switch {
			case apierrors.IsNotFound(err):
				// Deleted since the cache saw it.
				continue
			case err != nil:
				return nil, fmt.Errorf("reading credential Secret %s/%s: %w", namespace, name, err)
			}
			all = append(all, *sec)
		}
	}
	return all, nil
}

// get returns the Secret as held when it is at resourceVersion, else reads
// it. Callers must not change what it returns.
func (c *cachedSecrets) get(ctx context.Context, reader client.Reader, key types.NamespacedName, resourceVersion string) (*corev1.Secret, error) {
	c.mu.Lock()
	held := c.byName[key]
	c.mu.Unlock()
	if held != nil && held.ResourceVersion == resourceVersion {
		return held, nil
	}
	sec := &corev1.Secret{}
	if err := reader.Get(ctx, key, sec); err != nil {
		if apierrors.IsNotFound(err) {
			c.mu.Lock()
			delete(c.byName, key)
			c.mu.Unlock()
		}
		return nil, err
	}
	c.mu.Lock()
	c.byName[key] = sec
	c.mu.Unlock()
	return sec, nil
}
