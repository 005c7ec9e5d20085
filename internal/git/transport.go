package git

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Defaults bounding every network operation. go-git itself waits forever
// on a server that accepts a connection and then says nothing.
const (
	// DefaultOperationTimeout bounds one ls-remote, fetch, clone or push
	// attempt as a whole. Promotion clones of real repositories take
	// seconds to a minute; three minutes leaves room for large ones while
	// a hung server still fails the step long before anyone gives up on it.
	DefaultOperationTimeout = 3 * time.Minute
	// DefaultIdleTimeout ends a connection on which nothing moved in either
	// direction for this long (the TLS handshake, a response header, the
	// SSH handshake and a stalled transfer alike). It is what turns a
	// frozen server into an error in seconds rather than minutes. go-git
	// asks for no progress messages, so a server packing a large
	// repository is silent for a while; 30s leaves room for that.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultDialTimeout bounds the TCP connect; a host that drops SYNs
	// otherwise takes the kernel's ~2 minutes to give up.
	DefaultDialTimeout = 10 * time.Second
	// DefaultTLSHandshakeTimeout bounds the TLS handshake of HTTPS remotes.
	DefaultTLSHandshakeTimeout = 10 * time.Second
)

// Timeouts bound network operations; zero fields mean the defaults.
type Timeouts struct {
	// Operation bounds one ls-remote, fetch, clone or push attempt.
	Operation time.Duration
	// Idle ends a connection without progress in either direction.
	Idle time.Duration
}

func (t Timeouts) operation() time.Duration {
	if t.Operation > 0 {
		return t.Operation
	}
	return DefaultOperationTimeout
}

func (t Timeouts) idle() time.Duration {
	if t.Idle > 0 {
		return t.Idle
	}
	return DefaultIdleTimeout
}

// idleKey carries the idle timeout of an operation to the dialers.
type idleKey struct{}

// operationContext bounds one network operation: its deadline, and the idle
// timeout the dialers read back.
func operationContext(ctx context.Context, t Timeouts) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, idleKey{}, t.idle())
	return context.WithTimeout(ctx, t.operation())
}

func idleFrom(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(idleKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return DefaultIdleTimeout
}

func init() {
	// go-git picks transports from a process-wide table; the HTTP one
	// defaults to http.DefaultTransport, which has no response timeout.
	c := githttp.NewClient(&http.Client{Transport: newHTTPTransport()})
	client.InstallProtocol("http", c)
	client.InstallProtocol("https", c)
	registerSSHDialer()
}

// newHTTPTransport is http.DefaultTransport with every wait bounded. It
// must stay an *http.Transport: go-git clones it for InsecureSkipTLS.
func newHTTPTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		// The request's context values survive into the dial.
		return newIdleConn(c, idleFrom(ctx)), nil
	}
	t.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	t.ResponseHeaderTimeout = DefaultIdleTimeout
	return t
}

// idleConn fails a read or write once the connection has moved no bytes in
// either direction for idle. Writes extend a pending read's deadline, so a
// long upload (a push) with the server silent until the end is not cut.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func newIdleConn(c net.Conn, idle time.Duration) *idleConn {
	ic := &idleConn{Conn: c, idle: idle}
	ic.touch()
	return ic
}

func (c *idleConn) touch() { _ = c.SetDeadline(time.Now().Add(c.idle)) }

func (c *idleConn) Read(p []byte) (int, error) {
	c.touch()
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) Write(p []byte) (int, error) {
	c.touch()
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}
