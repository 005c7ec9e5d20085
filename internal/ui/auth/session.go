package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Cookie names. The __Host- prefix is used when cookies are Secure: the
// browser then refuses them unless set by this host over HTTPS for path /.
const (
	sessionCookie = "railyard_session"
	loginCookie   = "railyard_login"
)

// maxCookie is the largest session cookie value set; browsers keep
// cookies up to 4096 bytes including the name and attributes.
const maxCookie = 3800

// ErrTooLarge is returned when a session does not fit in a cookie.
var ErrTooLarge = errors.New("session too large")

// Identity is who the person is, as the API server will be told by
// impersonation. Local is set in loopback mode, where the server acts with
// the local kubeconfig instead.
type Identity struct {
	User   string
	Groups []string
	Local  bool
}

// Session is the sealed content of the session cookie.
type Session struct {
	User    string   `json:"u"`
	Groups  []string `json:"g,omitempty"`
	Local   bool     `json:"l,omitempty"`
	CSRF    string   `json:"c"`
	Expires int64    `json:"e"`
	// IDToken is the provider's ID token, kept (sealed) only as the
	// id_token_hint of an RP-initiated logout, and only when it fits.
	IDToken string `json:"i,omitempty"`
}

// Identity returns who the session belongs to.
func (s *Session) Identity() Identity {
	return Identity{User: s.User, Groups: s.Groups, Local: s.Local}
}

type ctxKey struct{}

// FromContext returns the session Require put in the request's context.
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(*Session)
	return s, ok
}

// WithSession returns ctx carrying s (for handlers and tests).
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// cookieName returns the name of a cookie, with the __Host- prefix when
// Secure.
func (a *Authenticator) cookieName(base string) string {
	if a.secure {
		return "__Host-" + base
	}
	return base
}

func (a *Authenticator) setCookie(w http.ResponseWriter, base, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(base), Value: value, Path: "/",
		MaxAge: int(ttl.Seconds()), Secure: a.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func (a *Authenticator) clearCookie(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(base), Value: "", Path: "/", MaxAge: -1,
		Secure: a.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// newSession seals a new session for id and sets its cookie. The ID token
// (for logout at the provider) is kept only if the cookie still fits;
// without it logout names the client instead.
func (a *Authenticator) newSession(w http.ResponseWriter, id Identity, idToken string) (*Session, error) {
	s := &Session{User: id.User, Groups: id.Groups, Local: id.Local, CSRF: randomString(32),
		Expires: a.now().Add(a.cfg.SessionTTL).Unix(), IDToken: idToken}
	value, err := a.sealer.seal(a.cookieName(sessionCookie), s)
	if err != nil {
		return nil, err
	}
	if len(value) > maxCookie && s.IDToken != "" {
		s.IDToken = ""
		if value, err = a.sealer.seal(a.cookieName(sessionCookie), s); err != nil {
			return nil, err
		}
	}
	// Browsers drop cookies over 4 KB, which would loop through the login.
	if len(value) > maxCookie {
		return nil, fmt.Errorf("%w: %d groups do not fit in a session cookie; have the identity provider send only the groups that matter to Railyard (a groups claim filter or client scope)", ErrTooLarge, len(id.Groups))
	}
	a.setCookie(w, sessionCookie, value, a.cfg.SessionTTL)
	return s, nil
}

// session reads and checks the session cookie: sealed with our key, for
// this cookie name, and not expired.
func (a *Authenticator) session(r *http.Request) (*Session, error) {
	c, err := r.Cookie(a.cookieName(sessionCookie))
	if err != nil {
		return nil, ErrNoSession
	}
	var s Session
	if err := a.sealer.open(a.cookieName(sessionCookie), c.Value, &s); err != nil {
		return nil, err
	}
	if a.now().Unix() >= s.Expires {
		return nil, ErrExpired
	}
	if s.Local != a.cfg.Local {
		return nil, ErrInvalidCookie
	}
	return &s, nil
}

// CheckCSRF compares the request's token (form field "csrf" or header
// X-CSRF-Token) with the session's in constant time.
func CheckCSRF(r *http.Request, s *Session) bool {
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		token = r.PostFormValue("csrf")
	}
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}
