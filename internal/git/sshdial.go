package git

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/net/proxy"
)

// go-git's SSH transport dials with a background context and then runs the
// SSH handshake with no deadline at all, so a server that accepts the TCP
// connection and says nothing hangs the caller forever, whatever its
// context. Its only hook into the connection is the proxy dialer chosen by
// ProxyOptions.URL, so SSH operations name a dialer registered here under
// a private scheme; the URL's host is a ticket identifying the operation,
// whose context and idle timeout the dialer applies to the connection.

const sshDialScheme = "railyard-ssh-dial"

var (
	sshOps    sync.Map // ticket → sshOp
	sshTicket atomic.Uint64
)

type sshOp struct {
	ctx  context.Context
	idle time.Duration
}

func registerSSHDialer() {
	proxy.RegisterDialerType(sshDialScheme, func(u *url.URL, _ proxy.Dialer) (proxy.Dialer, error) {
		op, ok := sshOps.Load(u.Host)
		if !ok {
			return nil, fmt.Errorf("ssh dial: unknown operation %q", u.Host)
		}
		return sshDialer(op.(sshOp)), nil
	})
}

// sshProxyOptions returns the ProxyOptions that route an SSH operation
// through the bounded dialer, for normalized URLs using SSH, and a release
// func to call when the operation is over.
func sshProxyOptions(ctx context.Context, normalizedURL string) (transport.ProxyOptions, func()) {
	if !isSSH(normalizedURL) {
		return transport.ProxyOptions{}, func() {}
	}
	ticket := "op" + strconv.FormatUint(sshTicket.Add(1), 10)
	sshOps.Store(ticket, sshOp{ctx: ctx, idle: idleFrom(ctx)})
	return transport.ProxyOptions{URL: sshDialScheme + "://" + ticket}, func() { sshOps.Delete(ticket) }
}

type sshDialer sshOp

// Dial implements proxy.Dialer.
func (d sshDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext implements proxy.ContextDialer. ctx is go-git's own; the
// operation's context also ends the dial and, later, the connection.
func (d sshDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.ctx, cancel)
	defer stop()
	nd := &net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}
	// ALL_PROXY is honoured, as go-git's own dial does.
	var dialer proxy.ContextDialer = nd
	if pd, ok := proxy.FromEnvironmentUsing(nd).(proxy.ContextDialer); ok {
		dialer = pd
	}
	c, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		if d.ctx.Err() != nil {
			return nil, d.ctx.Err()
		}
		return nil, err
	}
	ic := &closingConn{idleConn: newIdleConn(c, d.idle)}
	// Closing the connection is the only way to interrupt the handshake.
	ic.stop = context.AfterFunc(d.ctx, func() { _ = c.Close() })
	return ic, nil
}

// closingConn is an idleConn closed when its operation's context ends.
type closingConn struct {
	*idleConn
	stop func() bool
}

func (c *closingConn) Close() error {
	c.stop()
	return c.idleConn.Close()
}
