package netsteps

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// errLinkLocal refuses a dial to a link-local address.
var errLinkLocal = errors.New("refusing to connect to a link-local address")

// nameValue is a header or query parameter, as Kargo spells them.
type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// request is what http and http-download share of their config; the
// configs spell the fields out so that decode errors name them plainly.
type request struct {
	URL                   string      `json:"url"`
	Headers               []nameValue `json:"headers,omitempty"`
	QueryParams           []nameValue `json:"queryParams,omitempty"`
	InsecureSkipTLSVerify bool        `json:"insecureSkipTLSVerify,omitempty"`
	Timeout               string      `json:"timeout,omitempty"`
}

// parsedURL checks url: absolute, http or https, with a host. Errors name
// the URL without its user information.
func (r *request) parsedURL() (*url.URL, error) {
	if r.URL == "" {
		return nil, promotion.Terminalf("invalid config: field %q is required", "url")
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, promotion.Terminalf("invalid config: field %q: not a valid URL", "url")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		shown := r.URL
		if u.User != nil {
			shown = u.Redacted()
		}
		return nil, promotion.Terminalf("invalid config: field %q: %q is not an http or https URL", "url", shown)
	}
	for i, h := range r.Headers {
		if h.Name == "" {
			return nil, promotion.Terminalf("invalid config: field \"headers[%d].name\" is required", i)
		}
	}
	for i, q := range r.QueryParams {
		if q.Name == "" {
			return nil, promotion.Terminalf("invalid config: field \"queryParams[%d].name\" is required", i)
		}
	}
	if len(r.QueryParams) > 0 {
		q := u.Query()
		for _, p := range r.QueryParams {
			q.Add(p.Name, p.Value)
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// timeout parses the timeout field; "" gives def.
func (r *request) timeout(def time.Duration) (time.Duration, error) {
	if r.Timeout == "" {
		return def, nil
	}
	d, err := time.ParseDuration(r.Timeout)
	if err != nil || d <= 0 {
		return 0, promotion.Terminalf("invalid config: field %q: %q is not a positive duration", "timeout", r.Timeout)
	}
	return d, nil
}

func (r *request) setHeaders(req *http.Request) {
	for _, h := range r.Headers {
		req.Header.Add(h.Name, h.Value)
	}
}

// newTransport is a fresh transport (no connections shared with other
// steps) honouring HTTP(S)_PROXY and refusing link-local addresses unless
// allowed. Dialing and the TLS handshake are bounded on their own; the
// request as a whole is bounded by the step.
func newTransport(insecure, allowLinkLocal bool) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowLinkLocal {
		dialer.Control = refuseLinkLocal
	}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	return t
}

// refuseLinkLocal runs before each dial, after name resolution, so a name
// resolving to a link-local address is refused too.
func refuseLinkLocal(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) {
		return fmt.Errorf("%w %s", errLinkLocal, host)
	}
	return nil
}

// requestError describes a failed request without the URL's user
// information or query, which may hold secrets; timeout is the step's, named
// when the request ran out of it.
func requestError(u *url.URL, err error, timeout time.Duration) error {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	if timeout > 0 && (errors.Is(err, context.DeadlineExceeded) || ue != nil && ue.Timeout()) {
		msg = fmt.Sprintf("timed out after %s: %s", timeout, msg)
	}
	safe := *u
	safe.User = nil
	safe.RawQuery = ""
	return fmt.Errorf("%s %s: %s", "request to", safe.String(), strings.TrimSpace(msg))
}

// isTimeout reports an error of a request or body read that ran out of time.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
