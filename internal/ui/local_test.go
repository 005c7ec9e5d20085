package ui_test

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/ui"
	"github.com/railyard-dev/railyard/internal/ui/auth"
)

// TestLocalMode: with --local the UI needs no login, says that it acts
// with the local kubeconfig, answers only for loopback host names, and
// still wants the CSRF token.
func TestLocalMode(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	start := func(addr string) (*ui.Running, error) {
		ln, err := net.Listen("tcp", addr)
		must(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		return ui.Start(t.Context(), ui.RunOptions{Config: env.Config, Listener: ln, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Auth: auth.Config{Local: true, Key: key}})
	}
	if _, err := start("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback address only") {
		t.Errorf("loopback mode on every interface: %v", err)
	}
	run, err := start("127.0.0.1:0")
	must(t, err)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := c.Get(run.URL + "/projects/" + project + "/warehouses/app")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="local-banner"`) || !strings.Contains(string(body), "local kubeconfig") {
		t.Fatalf("first visit: %d %s", resp.StatusCode, body)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(body))
	if csrf == nil {
		t.Fatal("no CSRF token on the page")
	}

	req, _ := http.NewRequest("GET", run.URL+"/projects/"+project, nil)
	req.Host = "rebound.example.com"
	resp, err = c.Do(req)
	must(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a non-loopback Host: %d", resp.StatusCode)
	}

	refresh := run.URL + "/projects/" + project + "/warehouses/app/refresh"
	resp, err = c.PostForm(refresh, url.Values{})
	must(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without CSRF token: %d", resp.StatusCode)
	}
	var wh railyard.Warehouse
	must(t, k8s.Get(testCtx, objectKey(project, "app"), &wh))
	delete(wh.Annotations, railyard.AnnotationRefresh)
	must(t, k8s.Update(testCtx, &wh))
	resp, err = c.PostForm(refresh, url.Values{"csrf": {csrf[1]}})
	must(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
	must(t, k8s.Get(testCtx, objectKey(project, "app"), &wh))
	if wh.Annotations[railyard.AnnotationRefresh] == "" {
		t.Error("refresh in loopback mode did not reach the Warehouse")
	}
}
