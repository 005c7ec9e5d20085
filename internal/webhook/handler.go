package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/types"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// MaxBodyBytes bounds a delivery, as Kargo does (2 MiB).
const MaxBodyBytes = 2 << 20

// Receiver is one configured receiver, resolved by its path.
type Receiver struct {
	// Project is the namespace of the ProjectConfig, for logs.
	Project string
	// Name of the receiver in spec.webhookReceivers, for logs.
	Name     string
	Provider Provider
	// Secret is the data of the receiver's Secret.
	Secret map[string][]byte
	// Warehouses lists the project's Warehouses when a delivery is accepted;
	// for a cluster-wide receiver (Project ""), every namespace's.
	Warehouses func(ctx context.Context) ([]railyard.Warehouse, error)
	// Config is the receiver's configuration: the generic receiver's actions
	// and Artifactory's virtualRepoName come from it.
	Config railyard.WebhookReceiverConfig
}

// Handler serves webhook deliveries.
type Handler struct {
	// Lookup resolves a request path (ReceiverPath) to its receiver; ok is
	// false for an unknown path.
	Lookup func(ctx context.Context, path string) (r *Receiver, ok bool, err error)
	// Refresh asks for the named Warehouses to be refreshed.
	Refresh func(ctx context.Context, warehouses []types.NamespacedName) error
	// WakePromotions, when set, wakes the Promotions of project ("" for
	// every project) that wait on a pull request of one of gitURLs, and
	// returns them.
	WakePromotions func(ctx context.Context, project string, gitURLs []string) ([]types.NamespacedName, error)
	// Log receives one line per delivery; nil discards.
	Log *slog.Logger
	// Limit, when set, is asked before a delivery's body is read; when it
	// returns false the delivery is answered 429 with Retry-After. Nil means
	// unlimited.
	Limit func(r *Receiver) (ok bool, retryAfter time.Duration)
}

type response struct {
	Message   string      `json:"message"`
	Refreshed []refreshed `json:"refreshed,omitempty"`
	// Promotions woken by a closed pull request.
	Promotions []refreshed `json:"promotions,omitempty"`
}

// refreshed names a Warehouse in a reply, in kubectl's spelling.
type refreshed struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func refreshedOf(keys []types.NamespacedName) []refreshed {
	if len(keys) == 0 {
		return nil
	}
	out := make([]refreshed, len(keys))
	for i, k := range keys {
		out[i] = refreshed{Namespace: k.Namespace, Name: k.Name}
	}
	return out
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, response{Message: "only POST is accepted"})
		return
	}
	ctx := req.Context()
	rcv, ok, err := h.Lookup(ctx, req.URL.Path)
	if err != nil {
		log.ErrorContext(ctx, "webhook receiver lookup failed", "error", err)
		reply(w, http.StatusInternalServerError, response{Message: "receiver lookup failed"})
		return
	}
	if !ok {
		// The path carries the secret: do not echo it.
		reply(w, http.StatusNotFound, response{Message: "no such receiver"})
		return
	}
	log = log.With("project", rcv.Project, "receiver", rcv.Name, "provider", rcv.Provider.Name())
	if h.Limit != nil {
		if ok, after := h.Limit(rcv); !ok {
			log.WarnContext(ctx, "webhook delivery rate limited", "retryAfter", after)
			w.Header().Set("Retry-After", retryAfterSeconds(after))
			reply(w, http.StatusTooManyRequests, response{Message: "too many deliveries, retry later"})
			return
		}
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			reply(w, http.StatusRequestEntityTooLarge, response{Message: "payload too large"})
			return
		}
		reply(w, http.StatusBadRequest, response{Message: "cannot read payload"})
		return
	}

	if err := rcv.Provider.Verify(req, body, rcv.Secret); err != nil {
		// Provider errors name only the Secret key, never its value.
		log.WarnContext(ctx, "webhook delivery rejected", "error", err)
		switch {
		case errors.Is(err, ErrMisconfigured):
			reply(w, http.StatusInternalServerError, response{Message: "receiver is misconfigured"})
		case errors.Is(err, ErrUnauthenticated):
			reply(w, http.StatusUnauthorized, response{Message: "missing signature or token"})
		default:
			reply(w, http.StatusForbidden, response{Message: "signature or token does not match"})
		}
		return
	}

	if a, ok := rcv.Provider.(actor); ok {
		code, out := a.act(ctx, delivery{req: req, body: body, rcv: rcv, refresh: h.Refresh, log: log})
		writeJSON(w, code, out)
		return
	}

	var ev Event
	if cp, ok := rcv.Provider.(configuredParser); ok {
		ev, err = cp.ParseConfig(req, body, rcv.Config)
	} else {
		ev, err = rcv.Provider.Parse(req, body)
	}
	if err != nil {
		log.WarnContext(ctx, "webhook payload rejected", "error", err)
		reply(w, http.StatusBadRequest, response{Message: err.Error()})
		return
	}
	log = log.With("event", ev.Type)
	switch {
	case ev.Ping:
		log.InfoContext(ctx, "webhook ping received")
		reply(w, http.StatusOK, response{Message: "ping received, receiver is configured correctly"})
		return
	case ev.Ignored:
		log.DebugContext(ctx, "webhook event ignored")
		reply(w, http.StatusOK, response{Message: "event ignored"})
		return
	case ev.PullRequest:
		h.wakePromotions(ctx, w, log, rcv, ev)
		return
	}

	whs, err := rcv.Warehouses(ctx)
	if err != nil {
		log.ErrorContext(ctx, "listing Warehouses failed", "error", err)
		reply(w, http.StatusInternalServerError, response{Message: "listing Warehouses failed"})
		return
	}
	targets := Match(ev, whs)
	log.InfoContext(ctx, "webhook delivery accepted",
		"git", ev.GitURLs, "images", ev.ImageRepos, "charts", ev.ChartRepos, "refs", ev.Refs, "warehouses", targets)
	if len(targets) == 0 {
		reply(w, http.StatusOK, response{Message: "no Warehouse subscribes to this repository"})
		return
	}
	if err := h.Refresh(ctx, targets); err != nil {
		log.ErrorContext(ctx, "refreshing Warehouses failed", "error", err)
		reply(w, http.StatusInternalServerError, response{Message: "refreshing Warehouses failed"})
		return
	}
	reply(w, http.StatusOK, response{Message: "refresh requested", Refreshed: refreshedOf(targets)})
}

func reply(w http.ResponseWriter, code int, r response) { writeJSON(w, code, r) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// retryAfterSeconds renders d as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	return strconv.FormatInt(max(s, 1), 10)
}

// wakePromotions answers a closed pull request by waking the Promotions
// that wait on one in the repository.
func (h *Handler) wakePromotions(ctx context.Context, w http.ResponseWriter, log *slog.Logger, rcv *Receiver, ev Event) {
	if h.WakePromotions == nil {
		reply(w, http.StatusOK, response{Message: "event ignored"})
		return
	}
	woken, err := h.WakePromotions(ctx, rcv.Project, ev.GitURLs)
	if err != nil {
		log.ErrorContext(ctx, "waking Promotions failed", "error", err)
		reply(w, http.StatusInternalServerError, response{Message: "waking Promotions failed"})
		return
	}
	log.InfoContext(ctx, "pull request closed", "git", ev.GitURLs, "promotions", woken)
	if len(woken) == 0 {
		reply(w, http.StatusOK, response{Message: "no Promotion waits on a pull request of this repository"})
		return
	}
	reply(w, http.StatusOK, response{Message: "Promotions woken", Promotions: refreshedOf(woken)})
}
