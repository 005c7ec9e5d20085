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

// refreshSightings remembers when the watch first showed each Warehouse's
// pending refresh token. The refresh was requested before that, so a git
// ref listing begun after the sighting saw the remote as it was after the
// request: the Warehouses of one GitOps repository refreshed together (a
// new tag for every app, or a webhook for all of them) can share one
// listing instead of listing once each, however long they queue. Without a
// sighting (after a restart) a refresh lists afresh, as before.
type refreshSightings struct {
	mu   sync.Mutex
	seen map[types.NamespacedName]sighting
}

type sighting struct {
	token string
	at    time.Time
}

// observe records obj's refresh token, if pending and new, as seen at now.
func (s *refreshSightings) observe(obj client.Object, now time.Time) {
	w, ok := obj.(*railyard.Warehouse)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(w)
	token := refreshToken(w)
	s.mu.Lock()
	defer s.mu.Unlock()
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

// since returns when token was first seen for key.
func (s *refreshSightings) since(key types.NamespacedName, token string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.seen[key]
	return v.at, ok && v.token == token
}

func (s *refreshSightings) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, key)
}

// handled forgets token's sighting; a newer token's stays.
func (s *refreshSightings) handled(key types.NamespacedName, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[key].token == token {
		delete(s.seen, key)
	}
}

// predicate records sightings from watch events and filters nothing.
func (s *refreshSightings) predicate(now func() time.Time) predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { s.observe(e.Object, now()); return true },
		UpdateFunc: func(e event.UpdateEvent) bool { s.observe(e.ObjectNew, now()); return true },
		DeleteFunc: func(e event.DeleteEvent) bool {
			s.forget(client.ObjectKeyFromObject(e.Object))
			return true
		},
	}
}
