// Package ui is Railyard's web UI, served by "railyard serve": server-
// rendered pages of projects, pipelines, Warehouses, Stages and Promotions,
// live updates by server-sent events from the watch-backed cache, and the
// buttons of the users' workflow (Refresh, Create Freight, Promote, Promote
// from upstream, Abort). Who may see or do what is decided by Kubernetes
// RBAC alone (see internal/ui/kube); who someone is, by OIDC (internal/ui/auth).
package ui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/railyard-dev/railyard/internal/ui/auth"
	"github.com/railyard-dev/railyard/internal/ui/kube"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options are what the Server needs.
type Options struct {
	// Cache is the watch-backed cache every page reads from.
	Cache cache.Cache
	// Access builds impersonating clients and reviews access.
	Access *kube.Access
	// Auth logs people in and guards the routes.
	Auth *auth.Authenticator
	// Local is loopback mode; the Host header must then name a loopback
	// address (a guard against DNS rebinding).
	Local bool
	// Logger receives one line per request (never query strings, tokens
	// or cookies).
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves the UI.
type Server struct {
	opts    Options
	reader  client.Reader
	pages   *pages
	hub     *hub
	handler http.Handler
	log     *slog.Logger
}

// New builds the Server and registers its event handlers on the cache's
// informers; call it before the cache starts or after, either works.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	h, err := newHub(ctx, opts.Cache)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, reader: opts.Cache, pages: p, hub: h, log: opts.Logger}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	s.opts.Auth.Routes(mux)

	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", s.projectsPage)
	app.HandleFunc("GET /projects/{ns}", s.pipelinePage)
	app.HandleFunc("GET /projects/{ns}/warehouses/{name}", s.warehousePage)
	app.HandleFunc("GET /projects/{ns}/stages/{name}", s.stagePage)
	app.HandleFunc("GET /projects/{ns}/promotions/{name}", s.promotionPage)
	app.HandleFunc("GET /projects/{ns}/freight", s.freightTimeline)
	app.HandleFunc("GET /projects/{ns}/freight/{name}", s.freightPage)
	app.HandleFunc("POST /projects/{ns}/warehouses/{name}/refresh", s.refresh)
	app.HandleFunc("POST /projects/{ns}/warehouses/{name}/freight", s.createFreight)
	app.HandleFunc("POST /projects/{ns}/stages/{name}/promote", s.promote)
	app.HandleFunc("POST /projects/{ns}/stages/{name}/approve", s.approve)
	app.HandleFunc("POST /projects/{ns}/stages/{name}/preview", s.preview)
	app.HandleFunc("GET /projects/{ns}/previews/{name}", s.previewPage)
	app.HandleFunc("POST /projects/{ns}/promotions/{name}/abort", s.abort)
	app.HandleFunc("GET /events", s.events)
	mux.Handle("/", s.opts.Auth.Require(app))
	return s.logRequests(securityHeaders(contentSecurityPolicy(s.opts.Auth.EndSessionOrigin()), s.checkHost(mux)))
}

// checkHost refuses, in loopback mode, a Host that is not a loopback
// address, so a web page cannot reach the local kubeconfig by rebinding
// its DNS name to 127.0.0.1.
func (s *Server) checkHost(next http.Handler) http.Handler {
	if !s.opts.Local {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopbackHost(r.Host) {
			http.Error(w, "loopback mode answers only on 127.0.0.1 or localhost", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errorStatus is the HTTP status for an error of a page or an action.
func errorStatus(err error) int {
	var fe *kube.ForbiddenError
	switch {
	case errors.As(err, &fe):
		return http.StatusForbidden
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

var errNotFound = errors.New("not found")

func notFound(kind, name, ns string, names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("%w: %s %s does not exist in project %s, which has none", errNotFound, kind, name, ns)
	}
	return fmt.Errorf("%w: %s %s does not exist in project %s; it has: %s", errNotFound, kind, name, ns, strings.Join(names, ", "))
}
