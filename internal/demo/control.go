package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultControlAddr is where a running demo takes push-tag requests.
const DefaultControlAddr = "127.0.0.1:7480"

// ErrNoDemo means no demo answered on the control address.
var ErrNoDemo = errors.New("no demo is running there; start one with 'make demo'")

// controlServer is the demo's control endpoint: POST /push-tag?tag=T pushes
// image demo/app:T to the demo registry and refreshes the Warehouse.
type controlServer struct {
	addr string
	srv  *http.Server
}

func startControl(addr string, w *world) (*controlServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting the control endpoint on %s (is another demo running? pass --control-addr): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /push-tag", func(rw http.ResponseWriter, r *http.Request) {
		tag := r.FormValue("tag")
		if !validTag(tag) {
			http.Error(rw, fmt.Sprintf("%q is not a valid image tag (letters, digits, '.', '_', '-'; at most 128)", tag), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		digest, err := w.pushTag(ctx, tag)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		msg := fmt.Sprintf("pushed %s:%s (%s) and asked Warehouse %s to look now", w.image, tag, shortDigest(digest), warehouseName)
		if !semverTag.MatchString(tag) {
			msg += fmt.Sprintf("\n%s is not a semver tag, so the Warehouse creates no Freight for it by itself;\n"+
				"create it by hand: bin/railyard create freight --warehouse %s --image %s:%s -n %s", tag, warehouseName, w.image, tag, projectName)
		}
		w.say.step("push-tag: %s", strings.SplitN(msg, "\n", 2)[0])
		_, _ = io.WriteString(rw, msg+"\n")
	})
	c := &controlServer{addr: l.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = c.srv.Serve(l) }()
	return c, nil
}

func (c *controlServer) close() { _ = c.srv.Close() }

// PushTag asks the demo whose control endpoint is at addr to push image
// demo/app:tag, and returns what the demo answered.
func PushTag(ctx context.Context, addr, tag string) (string, error) {
	u := "http://" + addr + "/push-tag?" + url.Values{"tag": {tag}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return "", fmt.Errorf("push-tag: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return "", fmt.Errorf("push-tag: %s: %w", addr, ErrNoDemo)
		}
		return "", fmt.Errorf("push-tag: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("push-tag: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("push-tag %s: %s", tag, strings.TrimSpace(string(body)))
	}
	return strings.TrimSpace(string(body)), nil
}

// shortDigest is "sha256:" and the first 12 hex digits, as people quote it.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
