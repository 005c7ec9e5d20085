package promotion

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// HoldFor is how long the progress of a Promotion whose step waits is kept
// unsaved (engine.RunOptions.HoldWait). Most waits end sooner (Argo CD
// syncs, woken by the Application's watch event), and the save at the end
// then carries the progress as well: one write of the whole status, and
// one watch event for every controller watching Promotions, instead of
// two. A wait that lasts longer is saved once HoldFor has passed.
const HoldFor = 3 * time.Second

// held keeps, per Promotion, the progress its waiting step has not saved.
// It lives in memory: a manager that stops loses it, and the Promotion
// runs again from its last saved step, as after any stop between saves
// (steps bear that: a push of a commit the remote has changes nothing).
type held struct {
	mu sync.Mutex
	m  map[types.NamespacedName]heldProgress
}

type heldProgress struct {
	uid types.UID
	// saved is the status as last written; the progress holds only while
	// the Promotion read still has it.
	saved railyard.PromotionStatus
	// status has the progress since.
	status railyard.PromotionStatus
	// since is when the step began to wait with its progress unsaved.
	since time.Time
}

// resume returns the progress held for promo when promo's status is still
// the one it was held against (nothing else wrote it); else it drops it.
func (h *held) resume(promo *railyard.Promotion) (heldProgress, bool) {
	key := types.NamespacedName{Namespace: promo.Namespace, Name: promo.Name}
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.m[key]
	if !ok {
		return heldProgress{}, false
	}
	if p.uid != promo.UID || !equality.Semantic.DeepEqual(p.saved, promo.Status) {
		delete(h.m, key)
		return heldProgress{}, false
	}
	return p, true
}

func (h *held) put(key types.NamespacedName, p heldProgress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[types.NamespacedName]heldProgress{}
	}
	h.m[key] = p
}

func (h *held) forget(key types.NamespacedName) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, key)
}

// waitSaved reports whether st, as saved, has its current step waiting.
func waitSaved(st *railyard.PromotionStatus) bool {
	i := int(st.CurrentStep)
	return i >= 0 && i < len(st.StepExecutionMetadata) && st.StepExecutionMetadata[i].Status == railyard.StepStatusRunning
}
