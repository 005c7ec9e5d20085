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
	"fmt"
	"html/template"
	"net"
	"net/http"
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

// Start serves an OpenID Provider on 127.0.0.1 for one client whose
// callback is redirectURI. Stop it with Close.
func Start(redirectURI string, users ...User) (*Provider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening: %w", err)
	}
	issuer := "http://" + ln.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating a signing key: %w", err)
	}
	s := newStorage(key, &client{id: "railyard-ui", secret: "ui-secret", redirect: redirectURI}, users)
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
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { s.loginSubmit(w, r, issuer) })
	p := &Provider{Issuer: issuer, ClientID: "railyard-ui", ClientSecret: "ui-secret", storage: s,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
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
