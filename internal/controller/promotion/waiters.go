package promotion

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	engine "github.com/railyard-dev/railyard/internal/promotion"
)

// waiters remembers, per running Promotion, the objects its waiting step
// waits on (engine.Outcome.WaitingOn), so a watch on those objects can wake
// exactly those Promotions. It lives in memory: after a restart every
// Promotion is reconciled, and its step reports what it waits on again.
type waiters struct {
	mu     sync.Mutex
	byObj  map[engine.ObjectRef]map[types.NamespacedName]struct{}
	byProm map[types.NamespacedName][]engine.ObjectRef
}

// set records what promo waits on now, replacing what it waited on before.
func (w *waiters) set(promo types.NamespacedName, refs []engine.ObjectRef) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forgetLocked(promo)
	if len(refs) == 0 {
		return
	}
	if w.byObj == nil {
		w.byObj = map[engine.ObjectRef]map[types.NamespacedName]struct{}{}
		w.byProm = map[types.NamespacedName][]engine.ObjectRef{}
	}
	w.byProm[promo] = append([]engine.ObjectRef(nil), refs...)
	for _, ref := range refs {
		if w.byObj[ref] == nil {
			w.byObj[ref] = map[types.NamespacedName]struct{}{}
		}
		w.byObj[ref][promo] = struct{}{}
	}
}

// forget drops promo: it finished, was deleted or no longer waits.
func (w *waiters) forget(promo types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forgetLocked(promo)
}

func (w *waiters) forgetLocked(promo types.NamespacedName) {
	for _, ref := range w.byProm[promo] {
		delete(w.byObj[ref], promo)
		if len(w.byObj[ref]) == 0 {
			delete(w.byObj, ref)
		}
	}
	delete(w.byProm, promo)
}

// of returns the Promotions waiting on ref.
func (w *waiters) of(ref engine.ObjectRef) []types.NamespacedName {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]types.NamespacedName, 0, len(w.byObj[ref]))
	for p := range w.byObj[ref] {
		out = append(out, p)
	}
	return out
}
