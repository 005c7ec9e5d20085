package warehouse

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// sightings remembers when the watch first showed each Warehouse's pending
// refresh token, and its spec generation not yet discovered (a new
// Warehouse, or a changed one). Either was written before that, so a git ref
// listing begun after the sighting saw the remote as it was after the
// request: the Warehouses of one GitOps repository refreshed together (a new
// tag for every app, or a webhook for all of them), or applied together,
// can share one listing instead of listing once each, however long they
// queue. Without a sighting (after a restart) a discovery lists afresh.
type sightings struct {
	mu    sync.Mutex
	seen  map[types.NamespacedName]sighting
	specs map[types.NamespacedName]specSighting
}

type sighting struct {
	token string
	at    time.Time
}

type specSighting struct {
	generation int64
	at         time.Time
}

// observe records obj's refresh token and spec generation, each if pending
// and new, as seen at now.
func (s *sightings) observe(obj client.Object, now time.Time) {
	w, ok := obj.(*railyard.Warehouse)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(w)
	token := refreshToken(w)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observeSpec(key, w, now)
	if token == "" || token == w.Status.LastHandledRefresh {
		delete(s.seen, key)
		return
	}
	if s.seen[key].token == token {
		return
	}
	if s.seen == nil {
		s.seen = map[types.NamespacedName]sighting{}
	}
	s.seen[key] = sighting{token: token, at: now}
}

func (s *sightings) observeSpec(key types.NamespacedName, w *railyard.Warehouse, now time.Time) {
	switch {
	case w.Generation == w.Status.ObservedGeneration:
		delete(s.specs, key)
	case s.specs[key].generation != w.Generation:
		if s.specs == nil {
			s.specs = map[types.NamespacedName]specSighting{}
		}
		s.specs[key] = specSighting{generation: w.Generation, at: now}
	}
}

// listedAfter is the oldest start of a git ref listing a discovery of w for
// reason may use: notBefore, or the sighting of what it discovers for (the
// refresh token, or the generation), if earlier.
func (s *sightings) listedAfter(w *railyard.Warehouse, reason, token string, notBefore time.Time) time.Time {
	key := client.ObjectKeyFromObject(w)
	s.mu.Lock()
	defer s.mu.Unlock()
	var at time.Time
	switch reason {
	case dueRefresh:
		if v, ok := s.seen[key]; ok && v.token == token {
			at = v.at
		}
	case dueFirst, dueSpecChanged:
		if v, ok := s.specs[key]; ok && v.generation == w.Generation {
			at = v.at
		}
	}
	if !at.IsZero() && at.Before(notBefore) {
		return at
	}
	return notBefore
}

func (s *sightings) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, key)
	delete(s.specs, key)
}

// handled forgets token's sighting; a newer token's stays.
func (s *sightings) handled(key types.NamespacedName, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[key].token == token {
		delete(s.seen, key)
	}
}

// predicate records sightings from watch events and filters nothing.
func (s *sightings) predicate(now func() time.Time) predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { s.observe(e.Object, now()); return true },
		UpdateFunc: func(e event.UpdateEvent) bool { s.observe(e.ObjectNew, now()); return true },
		DeleteFunc: func(e event.DeleteEvent) bool {
			s.forget(client.ObjectKeyFromObject(e.Object))
			return true
		},
	}
}
