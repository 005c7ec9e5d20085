package receiver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/railyard-dev/railyard/internal/webhook"
)

// Options configure the receiver server.
type Options struct {
	// BindAddress is where receivers listen, such as ":8090".
	BindAddress string
	// Listener, when set, is used instead of binding BindAddress (tests
	// pass one bound to a free port).
	Listener net.Listener
	// SystemNamespace holds the ClusterConfig receivers' Secrets.
	SystemNamespace string
	// RatePerSecond and Burst bound deliveries per receiver; zero means
	// DefaultRate and DefaultBurst.
	RatePerSecond float64
	Burst         int
	// MaxInFlight bounds deliveries handled at once (and so the memory
	// their bodies take); zero means DefaultMaxInFlight.
	MaxInFlight int
	// Log receives one line per delivery; nil discards.
	Log *slog.Logger
}

// DefaultMaxInFlight bounds concurrent deliveries: with 2 MiB bodies, at
// most 64 MiB of payloads are held at once.
const DefaultMaxInFlight = 32

// Server serves webhook deliveries. It is a manager Runnable that runs on
// every replica: a delivery only sets an annotation.
type Server struct {
	opts      Options
	handler   http.Handler
	refresher *Refresher
	// ready is closed once the listener is bound; Addr is then valid.
	ready chan struct{}
	addr  net.Addr
}

// NewServer builds the server. c writes refresh annotations and lists from
// the cache; secrets reads receiver Secrets uncached.
func NewServer(c client.Client, secrets client.Reader, opts Options) *Server {
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	ref := &Refresher{Client: c}
	lim := newLimiter(opts.RatePerSecond, opts.Burst)
	h := &webhook.Handler{
		Lookup:         (&Finder{Cache: c, Secrets: secrets, SystemNamespace: opts.SystemNamespace}).Lookup,
		Refresh:        ref.Refresh,
		WakePromotions: (&PromotionWaker{Client: c}).Wake,
		Limit:          lim.allow,
		Log:            opts.Log,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("/", bounded(h, opts.MaxInFlight))
	return &Server{opts: opts, handler: mux, refresher: ref, ready: make(chan struct{})}
}

// Refresher returns the server's refresher, for tests and benchmarks.
func (s *Server) Refresher() *Refresher { return s.refresher }

// Addr waits until the listener is bound and returns its address.
func (s *Server) Addr(ctx context.Context) (net.Addr, error) {
	select {
	case <-s.ready:
		return s.addr, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// NeedLeaderElection is false: every replica serves deliveries.
func (s *Server) NeedLeaderElection() bool { return false }

// Start listens until ctx ends.
func (s *Server) Start(ctx context.Context) error {
	ln := s.opts.Listener
	if ln == nil {
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(ctx, "tcp", s.opts.BindAddress); err != nil {
			return fmt.Errorf("webhook receivers: listening on %s: %w", s.opts.BindAddress, err)
		}
	}
	s.addr = ln.Addr()
	close(s.ready)
	srv := &http.Server{
		Handler: s.handler,
		// Deadlines so a slow sender holds a connection, not the server.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("webhook receivers: %w", err)
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("webhook receivers: shutting down: %w", err)
		}
		return nil
	}
}

// bounded lets at most n requests into h at once; the rest wait for a
// slot while their sender waits, or give up with 503 when the sender does.
func bounded(h http.Handler, n int) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case slots <- struct{}{}:
		case <-req.Context().Done():
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer func() { <-slots }()
		h.ServeHTTP(w, req)
	})
}
