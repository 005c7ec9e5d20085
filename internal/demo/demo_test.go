package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNonInteractive runs the whole demo as CI does: a control plane, the
// servers, the manager, v1.0.0 to test by itself, staging and prod from
// upstream through the railyard CLI, and v1.1.0 pushed through the
// control endpoint to test. Afterwards nothing may be left in TMPDIR.
func TestNonInteractive(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out lockedBuffer
	// The timeout only keeps a broken run from hanging.
	err := Run(context.Background(), Options{Out: &out, NonInteractive: true, Timeout: 4 * time.Minute, ControlAddr: "127.0.0.1:0",
		AfterScenario: func(ctx context.Context, uiURL string) error { return checkUI(ctx, out.String(), uiURL) }})
	if err != nil {
		t.Fatalf("the demo failed: %v\noutput:\n%s", err, out.String())
	}
	for _, want := range []string{
		"The Warehouse created Freight",
		`on branch kargo/demo/test renders "image: 127.0.0.1:`,
		"/demo/app:v1.0.0",
		"| promotion/staging.",
		`on branch kargo/demo/staging renders "image: `,
		"| promotion/prod.",
		`on branch kargo/demo/prod renders "image: `,
		"[Argo CD stand-in] synced Application argocd/demo-prod",
		"push-tag: pushed 127.0.0.1:",
		"/demo/app:v1.1.0",
		"Every step happened",
		"temporary files removed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	// Told in the order it happened: the Freight, then the sync it caused.
	if i, j := strings.Index(out.String(), "The Warehouse created Freight"), strings.Index(out.String(), "[Argo CD stand-in] synced Application argocd/demo-test"); i < 0 || j < i {
		t.Errorf("the Argo CD sync of test is told before the Freight:\n%s", out.String())
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

func TestPushTagWithoutDemo(t *testing.T) {
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	_, err = PushTag(context.Background(), addr, "v1.1.0")
	if !errors.Is(err, ErrNoDemo) {
		t.Fatalf("PushTag to %s = %v, want ErrNoDemo", addr, err)
	}
}

func TestValidTag(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		want bool
	}{
		{"v1.1.0", true},
		{"abc123f", true},
		{"1.0_rc-1", true},
		{"", false},
		{".hidden", false},
		{"-x", false},
		{"bad tag", false},
		{"a/b", false},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
	} {
		if got := validTag(tc.tag); got != tc.want {
			t.Errorf("validTag(%q) = %v, want %v", tc.tag, got, tc.want)
		}
	}
}

func TestImageLine(t *testing.T) {
	const ref = "127.0.0.1:5000/demo/app:v1.0.0"
	for _, tc := range []struct {
		name, manifests, want string
	}{
		{"list item", "    containers:\n      - image: " + ref + "\n        name: demo\n", "image: " + ref},
		{"plain key", "  image: " + ref + "\n", "image: " + ref},
		{"other tag", "  - image: 127.0.0.1:5000/demo/app:v0.9.0\n", ""},
		{"prefix of a longer tag", "  - image: " + ref + "-rc1\n", ""},
		{"no image", "kind: ConfigMap\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := imageLine(tc.manifests, ref); got != tc.want {
				t.Errorf("imageLine = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestControlAddr: `make demo-ci` (--non-interactive, no --control-addr)
// must not need port 7480, which another demo or service may hold.
func TestControlAddr(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"interactive: the address people type", Options{}, DefaultControlAddr},
		{"non-interactive: a free port", Options{NonInteractive: true}, "127.0.0.1:0"},
		{"asked for", Options{NonInteractive: true, ControlAddr: "127.0.0.1:9999"}, "127.0.0.1:9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := controlAddr(tt.opts); got != tt.want {
				t.Errorf("controlAddr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNarratorHoldsBackgroundNews(t *testing.T) {
	var out bytes.Buffer
	n := &narrator{out: &out}
	n.hold("[Argo CD stand-in] synced %s", "a")
	n.step("The Warehouse created Freight %s", "f")
	n.hold("[Argo CD stand-in] synced %s", "b")
	n.release()
	n.detail("Stage test runs Freight f")
	n.release() // nothing left
	want := "==> The Warehouse created Freight f\n    [Argo CD stand-in] synced a\n    [Argo CD stand-in] synced b\n    Stage test runs Freight f\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// checkUI: the demo printed its web UI's address early, and the UI there
// (loopback mode, no login) shows the demo project and its pipeline.
func checkUI(ctx context.Context, out, uiURL string) error {
	m := uiLine.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("the demo printed no \"Web UI: http://127.0.0.1:PORT\" line:\n%s", out)
	}
	if m[1] != uiURL {
		return fmt.Errorf("the demo printed %s, but the UI runs at %s", m[1], uiURL)
	}
	if i, j := strings.Index(out, "Web UI:"), strings.Index(out, "Pushing image"); j >= 0 && i > j {
		return fmt.Errorf("the UI's address is printed only after the first push:\n%s", out)
	}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{`href="/projects/demo"`, "test", "staging", "prod"}},
		{"/projects/demo", []string{"/projects/demo/stages/test", "/projects/demo/stages/staging", "/projects/demo/stages/prod", "/projects/demo/warehouses/demo"}},
	} {
		body, err := get(ctx, uiURL+tc.path)
		if err != nil {
			return err
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				return fmt.Errorf("GET %s lacks %q:\n%s", tc.path, w, body)
			}
		}
	}
	return nil
}

var uiLine = regexp.MustCompile(`Web UI: (http://127\.0\.0\.1:[0-9]+)`)

// get fetches url and wants 200.
func get(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body), nil
}

// lockedBuffer is the demo's output, read by the test while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
