package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/railyard-dev/railyard/internal/cli"
)

// defaultUIAddr asks for a free loopback port: the address is printed, and
// a fixed port could be taken by another demo or a 'railyard serve'.
const defaultUIAddr = "127.0.0.1:0"

// startUI serves the web UI the way 'railyard serve --local' does, acting
// with the control plane's admin identity (the demo's kubeconfig), and
// stops it with the world.
func (w *world) startUI(addr string, logTo io.Writer) error {
	if addr == "" {
		addr = defaultUIAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("starting the web UI on %s (pass --ui-addr): %w", addr, err)
	}
	if logTo == nil {
		logTo = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	run, err := cli.StartLocalUI(ctx, w.env.Config, ln, slog.New(slog.NewTextHandler(logTo, nil)))
	if err != nil {
		cancel()
		_ = ln.Close()
		return fmt.Errorf("starting the web UI: %w", err)
	}
	w.uiURL = run.URL
	done := make(chan struct{})
	go func() { _ = run.Wait(); close(done) }()
	w.stops = append(w.stops, func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	return nil
}
