package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	railyardscheme "github.com/railyard-dev/railyard/internal/scheme"
	"github.com/railyard-dev/railyard/internal/ui/auth"
	"github.com/railyard-dev/railyard/internal/ui/kube"
)

// RunOptions configure a running UI server.
type RunOptions struct {
	// Config reaches the API server as the UI server itself.
	Config *rest.Config
	// Listener is where to serve (its address decides the URL).
	Listener net.Listener
	// Auth configures login; Auth.Local is loopback mode.
	Auth auth.Config
	// UserPrefix and GroupPrefix go before impersonated names.
	UserPrefix, GroupPrefix string
	// Logger receives the server's log.
	Logger *slog.Logger
	// SyncTimeout bounds the wait for the cache's first list.
	SyncTimeout time.Duration
}

// Running is a started UI server.
type Running struct {
	URL  string
	done chan error
}

// Wait blocks until the server stops and returns why.
func (r *Running) Wait() error { return <-r.done }

// Start starts the cache and serves the UI on opts.Listener until ctx ends.
func Start(ctx context.Context, opts RunOptions) (*Running, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = time.Minute
	}
	opts.Auth.Logger = opts.Logger
	if opts.Auth.Local && !isLoopbackHost(opts.Listener.Addr().String()) {
		return nil, fmt.Errorf("loopback mode acts with the local kubeconfig, so it listens on a loopback address only, not %s", opts.Listener.Addr())
	}
	scheme, err := railyardscheme.New()
	if err != nil {
		return nil, err
	}
	hc, err := rest.HTTPClientFor(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("creating an HTTP client for %s: %w", opts.Config.Host, err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(opts.Config, hc)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's resources: %w", err)
	}
	c, err := cache.New(opts.Config, cache.Options{Scheme: scheme, Mapper: mapper, HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("creating the cache: %w", err)
	}
	access, err := kube.New(kube.Config{Base: opts.Config, Scheme: scheme, Mapper: mapper,
		UserPrefix: opts.UserPrefix, GroupPrefix: opts.GroupPrefix})
	if err != nil {
		return nil, err
	}
	authn, err := auth.New(ctx, opts.Auth)
	if err != nil {
		return nil, err
	}
	srv, err := New(ctx, Options{Cache: c, Access: access, Auth: authn, Local: opts.Auth.Local, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	cacheErr := make(chan error, 1)
	go func() { cacheErr <- c.Start(ctx) }()
	syncCtx, cancel := context.WithTimeout(ctx, opts.SyncTimeout)
	defer cancel()
	if !c.WaitForCacheSync(syncCtx) {
		return nil, fmt.Errorf("the cache did not sync within %s: can the UI's identity list and watch Railyard objects? (see docs/ui.md)", opts.SyncTimeout)
	}
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	run := &Running{URL: "http://" + opts.Listener.Addr().String(), done: make(chan error, 1)}
	go func() {
		err := httpSrv.Serve(opts.Listener)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		run.done <- err
	}()
	go func() {
		// The request contexts derive from ctx (BaseContext), so open event
		// streams end with it and Shutdown does not wait on them.
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = httpSrv.Shutdown(sctx)
	}()
	return run, nil
}
