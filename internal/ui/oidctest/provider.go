// Package oidctest runs a real OpenID Provider (zitadel/oidc's op package)
// in process for tests, with an in-memory storage holding one confidential
// web client and a fixed set of users who log in by name on a plain HTML
// form. It speaks the real authorization-code flow with PKCE.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person who may log in.
type User struct {
	Name   string
	Groups []string
}

// Provider is a running OpenID Provider on loopback.
type Provider struct {
	// Issuer is the provider's URL.
	Issuer string
	// ClientID and ClientSecret identify the one client.
	ClientID, ClientSecret string

	srv     *http.Server
	storage *storage
}

// EndedSession is an RP-initiated logout the provider received.
type EndedSession struct{ User, ClientID string }

// Options configure StartWith.
type Options struct {
	// RedirectURI is the client's callback; its origin + "/" is the one
	// allowed post_logout_redirect_uri.
	RedirectURI string
	Users       []User
	// NoEndSession leaves end_session_endpoint out of the discovery
	// document, as providers without RP-initiated logout do.
	NoEndSession bool
}

// Start serves an OpenID Provider on 127.0.0.1 for one client whose
// callback is redirectURI. Stop it with Close.
func Start(redirectURI string, users ...User) (*Provider, error) {
	return StartWith(Options{RedirectURI: redirectURI, Users: users})
}

// StartWith is Start with Options.
func StartWith(o Options) (*Provider, error) {
	redirectURI, users := o.RedirectURI, o.Users
	postLogout, err := url.Parse(redirectURI)
	if err != nil {
		return nil, fmt.Errorf("the redirect URI %q: %w", redirectURI, err)
	}
	postLogout.Path, postLogout.RawQuery = "/", ""
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening: %w", err)
	}
	issuer := "http://" + ln.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating a signing key: %w", err)
	}
	s := newStorage(key, &client{id: "railyard-ui", secret: "ui-secret", redirect: redirectURI, postLogout: postLogout.String()}, users)
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:      sha256.Sum256(cryptoKey[:]),
		CodeMethodS256: true,
	}, s, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("creating the provider: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", provider)
	if o.NoEndSession {
		mux.Handle("GET /.well-known/openid-configuration", withoutEndSession(provider))
	}
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { s.loginSubmit(w, r, issuer) })
	p := &Provider{Issuer: issuer, ClientID: "railyard-ui", ClientSecret: "ui-secret", storage: s,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// EndedSessions returns the RP-initiated logouts received so far.
func (p *Provider) EndedSessions() []EndedSession {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	return append([]EndedSession(nil), p.storage.ended...)
}

// withoutEndSession serves the discovery document without
// end_session_endpoint.
func withoutEndSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			http.Error(w, "decoding the discovery document: "+err.Error(), http.StatusInternalServerError)
			return
		}
		delete(doc, "end_session_endpoint")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	})
}

// Close stops the provider.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Test identity provider</title>
<h1>Log in</h1>
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.}}">
<label>User <input id="username" name="username" autocomplete="off"></label>
<button id="login" type="submit">Log in</button>
</form>`))

func (s *storage) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = loginPage.Execute(w, r.URL.Query().Get("authRequestID"))
}

// loginSubmit marks the auth request done for a known user and returns the
// browser to the provider, which redirects it to the client with a code.
func (s *storage) loginSubmit(w http.ResponseWriter, r *http.Request, issuer string) {
	id, name := r.PostFormValue("id"), r.PostFormValue("username")
	if err := s.authenticate(id, name); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	http.Redirect(w, r, issuer+"/authorize/callback?id="+id, http.StatusFound)
}

var _ op.Storage = (*storage)(nil)

type storage struct {
	mu       sync.Mutex
	key      *rsa.PrivateKey
	client   *client
	users    map[string]User
	requests map[string]*authRequest
	codes    map[string]string
	tokens   map[string]string // access token ID to subject
	ended    []EndedSession
}

func newStorage(key *rsa.PrivateKey, c *client, users []User) *storage {
	s := &storage{key: key, client: c, users: map[string]User{}, requests: map[string]*authRequest{},
		codes: map[string]string{}, tokens: map[string]string{}}
	for _, u := range users {
		s.users[u.Name] = u
	}
	return s
}

func (s *storage) authenticate(id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return fmt.Errorf("unknown auth request")
	}
	if _, ok := s.users[name]; !ok {
		return fmt.Errorf("unknown user %q", name)
	}
	req.subject, req.done, req.authTime = name, true, time.Now()
	return nil
}
