package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// change is one object that changed in the cache.
type change struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// resources maps the kinds the UI watches to their RBAC resource names.
var resources = map[string]string{"Warehouse": "warehouses", "Stage": "stages", "Freight": "freights", "Promotion": "promotions",
	"PromotionPreview": "promotionpreviews"}

// hub fans informer events out to the open event streams.
type hub struct {
	mu   sync.Mutex
	subs map[chan change]struct{}
}

func newHub(ctx context.Context, c cache.Cache) (*hub, error) {
	h := &hub{subs: map[chan change]struct{}{}}
	for kind, obj := range map[string]client.Object{
		"Warehouse": &railyard.Warehouse{}, "Stage": &railyard.Stage{}, "Freight": &railyard.Freight{}, "Promotion": &railyard.Promotion{},
		"PromotionPreview": &railyard.PromotionPreview{},
	} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return nil, fmt.Errorf("watching %s: %w", kind, err)
		}
		kind := kind
		send := func(o any) {
			if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			if m, ok := o.(client.Object); ok {
				h.publish(change{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()})
			}
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: send, UpdateFunc: func(_, o any) { send(o) }, DeleteFunc: send,
		}); err != nil {
			return nil, fmt.Errorf("watching %s: %w", kind, err)
		}
	}
	return h, nil
}

// publish never blocks: a slow stream loses events, and the page catches
// up on the next one (it re-reads the whole region anyway).
func (h *hub) publish(c change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

func (h *hub) subscribe() (chan change, func()) {
	ch := make(chan change, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// events streams changes as server-sent events: of one project (ns=P), or
// of every project (all=1). Each change is sent only if the person may
// list that kind in its namespace (an access review, cached briefly).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return
	}
	ns, all := r.URL.Query().Get("ns"), r.URL.Query().Get("all") == "1"
	if ns == "" && !all {
		http.Error(w, "name a project: /events?ns=PROJECT", http.StatusBadRequest)
		return
	}
	id := identity(r)
	if ns != "" {
		if err := s.opts.Access.Check(r.Context(), id, "list", ns, "stages"); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
	}
	ch, cancel := s.hub.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			_, _ = fmt.Fprint(w, ": keepalive\n\n")
			flusher.Flush()
		case c := <-ch:
			if (!all && c.Namespace != ns) || resources[c.Kind] == "" {
				continue
			}
			if ok, _, err := s.opts.Access.Allowed(r.Context(), id, "list", resources[c.Kind], c.Namespace); err != nil || !ok {
				continue
			}
			data, _ := json.Marshal(c)
			_, _ = fmt.Fprintf(w, "event: change\ndata: %s\n\n", data)
			flusher.Flush()
		}
	}
}

func withTimeout(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), writeTimeout)
}
