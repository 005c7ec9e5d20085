package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// TestManagerServesProbesAndMetrics runs the manager binary's entry point
// against a real API server and checks its endpoints and flags.
func TestManagerServesProbesAndMetrics(t *testing.T) {
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	metricsAddr, probeAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{
			"--metrics-bind-address=" + metricsAddr,
			"--health-probe-bind-address=" + probeAddr,
			"--leader-elect",
			"--leader-election-namespace=default",
			"--zap-log-level=debug",
		}, env.Config)
	}()

	for _, url := range []string{"http://" + probeAddr + "/healthz", "http://" + probeAddr + "/readyz", "http://" + metricsAddr + "/metrics"} {
		body := waitFor200(t, url, done)
		if strings.HasSuffix(url, "/metrics") && !strings.Contains(body, "controller_runtime") {
			t.Errorf("/metrics does not expose controller-runtime metrics:\n%.500s", body)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("manager stopped with an error: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("manager did not stop after its context ended")
	}
}

func waitFor200(t *testing.T, url string, done <-chan error) string {
	t.Helper()
	var last error
	for i := 0; i < 300; i++ {
		select {
		case err := <-done:
			t.Fatalf("manager exited early: %v", err)
		default:
		}
		resp, err := http.Get(url) //nolint:gosec,noctx // a test URL on loopback
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200: %v", url, last)
	return ""
}

func TestRunRejectsUnknownFlags(t *testing.T) {
	err := run(context.Background(), []string{"--no-such-flag"}, nil)
	if err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("want an error naming the flag, got %v", err)
	}
}

// TestVersionFlag: --version prints and returns before looking for a cluster
// (cfg is nil and there is no kubeconfig to find).
func TestVersionFlag(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent")
	if err := run(context.Background(), []string{"--version"}, nil); err != nil {
		t.Fatalf("run --version: %v", err)
	}
}
