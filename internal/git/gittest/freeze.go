package gittest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Freezer is a TCP proxy that can stop answering, like a server that hangs
// (a stuck load balancer, a frozen process): once frozen it still accepts
// connections and reads what clients send, but forwards nothing and never
// answers, on new and already open connections alike. It lets tests show
// that network operations end by their deadline instead of hanging.
type Freezer struct {
	// Addr is the proxy's host:port.
	Addr string

	target string
	frozen atomic.Bool
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

// NewFreezer proxies to target (host:port). With target "" it is frozen
// from the start and proxies nothing. It stops when the test ends.
func NewFreezer(t testing.TB, target string) *Freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gittest: listen: %v", err)
	}
	f := &Freezer{Addr: ln.Addr().String(), target: target, ln: ln}
	f.frozen.Store(target == "")
	go f.serve()
	t.Cleanup(f.Close)
	return f
}

// Freeze makes the proxy stop answering.
func (f *Freezer) Freeze() { f.frozen.Store(true) }

// URL returns rawURL (http://, https:// or ssh://) with its host and port
// replaced by the proxy's, keeping any user name.
func (f *Freezer) URL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic("gittest: " + err.Error())
	}
	u.Host = f.Addr
	return u.String()
}

func (f *Freezer) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if !f.track(c) {
			return
		}
		go f.handle(c)
	}
}

// track remembers c so close can end it; false once closed.
func (f *Freezer) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = c.Close()
		return false
	}
	f.conns = append(f.conns, c)
	return true
}

func (f *Freezer) handle(c net.Conn) {
	if f.frozen.Load() {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	up, err := net.Dial("tcp", f.target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !f.track(up) {
		return
	}
	go f.pipe(up, c)
	f.pipe(c, up)
}

// pipe copies src to dst until frozen; after that it swallows src.
func (f *Freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !f.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !f.frozen.Load() {
				_ = dst.Close()
			}
			return
		}
	}
}

// Close stops the proxy and ends its connections; a later dial is refused.
func (f *Freezer) Close() {
	_ = f.ln.Close()
	f.mu.Lock()
	conns := f.conns
	f.conns, f.closed = nil, true
	f.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}
