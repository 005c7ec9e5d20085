package cli

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestServeUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "local on every interface", args: []string{"serve", "--local", "--address", "0.0.0.0:0"}, want: "--local listens on a loopback address only"},
		{name: "no OIDC settings", args: []string{"serve"}, want: "give --oidc-issuer, --oidc-client-id and --external-url, or --local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := railyardCLI("default", tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, ExitUsage, tt.want)
			}
		})
	}
}

// TestServeLocal runs 'railyard serve --local' until its context ends: it
// prints its address, serves pages with the loopback banner, and exits 0.
func TestServeLocal(t *testing.T) {
	t.Setenv("RAILYARD_SESSION_KEY", strings.Repeat("ab", 32))
	ctx, cancel := context.WithCancel(testCtx)
	defer cancel()
	out := &lockedBuffer{}
	opts := NewOptions(out, io.Discard)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, opts, []string{"--kubeconfig", env.Kubeconfig, "serve", "--local", "--address", "127.0.0.1:0"})
	}()
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	waitFor(t, "the address on stdout", func() bool { return addr.MatchString(out.String()) })
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(addr.FindString(out.String()) + "/")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "acts as the user of your local kubeconfig") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop with its context")
	}
}
