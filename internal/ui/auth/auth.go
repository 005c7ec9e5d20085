// Package auth logs people into the Railyard UI with OpenID Connect (the
// authorization-code flow with PKCE, through zitadel/oidc's relying party),
// keeps them in a sealed, HttpOnly, SameSite=Lax session cookie with an
// expiry and a CSRF token, and logs them out. In loopback mode there is no
// login: the session names the local kubeconfig.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Errors of session checks.
var (
	ErrNoSession = errors.New("no session")
	ErrExpired   = errors.New("session expired")
)

// Config configures the Authenticator.
type Config struct {
	// Issuer, ClientID, ClientSecret and Scopes describe the OIDC client.
	Issuer, ClientID, ClientSecret string
	Scopes                         []string
	// ExternalURL is where browsers reach the UI (https://railyard.example.com);
	// the callback is ExternalURL + /auth/callback. Cookies are Secure unless
	// it is plain http on a loopback address.
	ExternalURL string
	// UsernameClaim and GroupsClaim name the ID token claims that carry the
	// user name and groups (as kube-apiserver's --oidc-username-claim and
	// --oidc-groups-claim).
	UsernameClaim, GroupsClaim string
	// SessionTTL is how long a session lasts.
	SessionTTL time.Duration
	// Key seals cookies (32 bytes).
	Key []byte
	// Local is loopback mode: no login, the local kubeconfig acts.
	Local bool
	// HTTPTimeout bounds each call to the OIDC provider.
	HTTPTimeout time.Duration
	// HTTPClient, if set, calls the provider (tests with a custom CA).
	HTTPClient *http.Client
	// Logger receives login events; never tokens or cookie values.
	Logger *slog.Logger
}

// Authenticator serves /auth/* and guards every other route.
type Authenticator struct {
	cfg    Config
	sealer *sealer
	secure bool
	oidc   *oidcClient
	now    func() time.Time
	log    *slog.Logger
}

// New returns an Authenticator; with cfg.Local unset it discovers the
// issuer, so the provider must be reachable.
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 10 * time.Second
	}
	if cfg.UsernameClaim == "" {
		cfg.UsernameClaim = "sub"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s, err := newSealer(cfg.Key)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{cfg: cfg, sealer: s, now: time.Now, log: cfg.Logger}
	if cfg.Local {
		return a, nil
	}
	u, err := url.Parse(cfg.ExternalURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the external URL %q is not an absolute URL: set --external-url to where browsers reach the UI", cfg.ExternalURL)
	}
	a.secure = u.Scheme == "https" || !isLoopback(u.Hostname())
	if a.oidc, err = newOIDCClient(ctx, cfg); err != nil {
		return nil, err
	}
	return a, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SetClock replaces the clock (tests of expiry).
func (a *Authenticator) SetClock(now func() time.Time) { a.now = now }

// Routes registers /auth/login, /auth/callback and /auth/logout on mux.
func (a *Authenticator) Routes(mux *http.ServeMux) {
	if a.cfg.Local {
		return
	}
	mux.HandleFunc("GET /auth/login", a.login)
	mux.HandleFunc("GET /auth/callback", a.callback)
	mux.Handle("POST /auth/logout", a.Require(http.HandlerFunc(a.logout)))
	mux.HandleFunc("GET /auth/logged-out", loggedOut)
}

// Require lets a request through only with a valid session (in loopback
// mode one is created on the first visit), and a state-changing request
// only with the session's CSRF token. Without a session, a page request is
// sent to log in and anything else gets 401.
func (a *Authenticator) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.session(r)
		if err != nil && a.cfg.Local && r.Method == http.MethodGet {
			s, err = a.newSession(w, Identity{User: "local kubeconfig", Local: true}, "")
		}
		if err != nil {
			a.unauthenticated(w, r, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !CheckCSRF(r, s) {
			http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithSession(r.Context(), s)))
	})
}

func (a *Authenticator) unauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrInvalidCookie) || errors.Is(err, ErrExpired) {
		a.clearCookie(w, sessionCookie)
	}
	wantsPage := r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
	if wantsPage && !a.cfg.Local {
		http.Redirect(w, r, "/auth/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	msg := "not logged in: open / in a browser to log in"
	if errors.Is(err, ErrExpired) {
		msg = "your session expired: log in again"
	}
	http.Error(w, msg, http.StatusUnauthorized)
}

// logout drops the session cookie and, when the provider's discovery
// advertises end_session_endpoint, sends the browser there (RP-initiated
// logout) so the provider's session ends too; it then returns to the UI.
// Otherwise the logout is local only.
func (a *Authenticator) logout(w http.ResponseWriter, r *http.Request) {
	a.clearCookie(w, sessionCookie)
	s, _ := FromContext(r.Context())
	if s == nil {
		s = &Session{}
	}
	action, fields := a.endSession(s)
	a.log.Info("logged out", "user", s.User, "atProvider", action != "")
	if action == "" {
		http.Redirect(w, r, "/auth/logged-out", http.StatusSeeOther)
		return
	}
	// The ID token goes to the provider in a form's body, which the page
	// posts at once: in a redirect's URL it would stay in the browser's
	// history and the provider's access logs.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><title>Logging out</title><link rel="stylesheet" href="/static/style.css"><script src="/static/app.js" defer></script>`+
		`<main><form id="end-session" method="post" action="%s" data-autosubmit>`, htmlEscape(action))
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, htmlEscape(k), htmlEscape(fields.Get(k)))
	}
	b.WriteString(`<p>You are logged out of Railyard.</p><button type="submit">Log out at your identity provider</button></form></main>`)
	_, _ = fmt.Fprint(w, b.String())
}

// EndSessionOrigin is the origin (scheme://host) of the provider's
// end-session endpoint, empty without one. Pages must allow it as a form
// action: browsers apply form-action to the redirect after the logout form.
func (a *Authenticator) EndSessionOrigin() string {
	if a.oidc == nil || a.oidc.endSession == "" {
		return ""
	}
	u, err := url.Parse(a.oidc.endSession)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// endSession is where and what to post to end s at the provider: its
// end-session endpoint, with the ID token as hint (else the client ID) and
// the UI's root as where to return; an empty action when the provider has
// none.
func (a *Authenticator) endSession(s *Session) (action string, fields url.Values) {
	if a.oidc == nil || a.oidc.endSession == "" {
		return "", nil
	}
	if _, err := url.Parse(a.oidc.endSession); err != nil {
		return "", nil
	}
	fields = url.Values{}
	if s.IDToken != "" {
		fields.Set("id_token_hint", s.IDToken)
	} else {
		fields.Set("client_id", a.cfg.ClientID)
	}
	fields.Set("post_logout_redirect_uri", strings.TrimSuffix(a.cfg.ExternalURL, "/")+"/")
	return a.oidc.endSession, fields
}

// safeNext keeps a post-login redirect on this site: a path, never a
// scheme-relative or absolute URL.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// loggedOut is the page after logout; it needs no session.
func loggedOut(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = fmt.Fprint(w, `<!doctype html><title>Logged out</title><link rel="stylesheet" href="/static/style.css"><main><p id="logged-out">You are logged out of Railyard. Your identity provider offers no logout to Railyard, so you may still be logged in there.</p><p><a href="/auth/login">Log in again</a></p></main>`)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
