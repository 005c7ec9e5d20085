package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// loginTTL bounds how long a person may take on the provider's login page.
const loginTTL = 10 * time.Minute

// loginState is the sealed content of the login cookie, which ties the
// callback to the browser that started the login.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Expires  int64  `json:"e"`
}

type nonceKey struct{}

type oidcClient struct {
	rp rp.RelyingParty
	// endSession is the discovery's end_session_endpoint, if any.
	endSession string
}

func newOIDCClient(ctx context.Context, cfg Config) (*oidcClient, error) {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	// Every call to the provider has a deadline.
	c := *hc
	c.Timeout = cfg.HTTPTimeout
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, "groups"}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.HTTPTimeout)
	defer cancel()
	party, err := rp.NewRelyingPartyOIDC(ctx, cfg.Issuer, cfg.ClientID, cfg.ClientSecret,
		strings.TrimSuffix(cfg.ExternalURL, "/")+"/auth/callback", scopes,
		rp.WithHTTPClient(&c),
		rp.WithVerifierOpts(
			rp.WithIssuedAtOffset(30*time.Second),
			// The nonce of this login, put in the context by callback.
			rp.WithNonce(func(ctx context.Context) string { s, _ := ctx.Value(nonceKey{}).(string); return s }),
		))
	if err != nil {
		return nil, fmt.Errorf("discovering OIDC issuer %s (check --oidc-issuer and that the UI can reach it): %w", cfg.Issuer, err)
	}
	c2 := &oidcClient{rp: party, endSession: party.GetEndSessionEndpoint()}
	if u, err := url.Parse(c2.endSession); c2.endSession != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		return nil, fmt.Errorf("the OIDC issuer %s advertises an end_session_endpoint that is not an absolute http(s) URL", cfg.Issuer)
	}
	return c2, nil
}

// login starts the authorization-code flow with PKCE: a fresh state, nonce
// and code verifier go into the sealed login cookie, the challenge to the
// provider.
func (a *Authenticator) login(w http.ResponseWriter, r *http.Request) {
	st := loginState{
		State: randomString(24), Nonce: randomString(24), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next")), Expires: a.now().Add(loginTTL).Unix(),
	}
	value, err := a.sealer.seal(a.cookieName(loginCookie), st)
	if err != nil {
		http.Error(w, "could not start the login; try again", http.StatusInternalServerError)
		return
	}
	a.setCookie(w, loginCookie, value, loginTTL)
	nonce := func() []oauth2.AuthCodeOption {
		return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("nonce", st.Nonce)}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, rp.AuthURL(st.State, a.oidc.rp, rp.WithCodeChallenge(oidc.NewSHACodeChallenge(st.Verifier)), nonce), http.StatusFound)
}

// callback finishes the flow: it checks the state against the login
// cookie, exchanges the code with the PKCE verifier, verifies the ID token
// (signature, issuer, audience, expiry, nonce) and starts a session with the
// user and groups from the configured claims.
func (a *Authenticator) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var st loginState
	c, err := r.Cookie(a.cookieName(loginCookie))
	if err == nil {
		err = a.sealer.open(a.cookieName(loginCookie), c.Value, &st)
	}
	a.clearCookie(w, loginCookie)
	switch {
	case err != nil:
		a.loginFailed(w, "the login was not started from this browser, or its cookie was lost", err)
		return
	case a.now().Unix() >= st.Expires:
		a.loginFailed(w, "the login took too long", ErrExpired)
		return
	case r.URL.Query().Get("state") != st.State:
		a.loginFailed(w, "the login's state does not match", ErrInvalidCookie)
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		a.loginFailed(w, "the identity provider refused the login: "+e+" "+r.URL.Query().Get("error_description"), nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), nonceKey{}, st.Nonce), a.cfg.HTTPTimeout)
	defer cancel()
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, r.URL.Query().Get("code"), a.oidc.rp, rp.WithCodeVerifier(st.Verifier))
	if err != nil {
		a.loginFailed(w, "exchanging the code with the identity provider failed", err)
		return
	}
	id, err := a.identityFrom(tokens.IDTokenClaims)
	if err != nil {
		a.loginFailed(w, err.Error(), nil)
		return
	}
	if _, err := a.newSession(w, id, tokens.IDToken); err != nil {
		msg := "could not start a session"
		if errors.Is(err, ErrTooLarge) {
			msg = err.Error()
		}
		a.loginFailed(w, msg, err)
		return
	}
	a.log.Info("logged in", "user", id.User, "groups", id.Groups)
	http.Redirect(w, r, st.Next, http.StatusFound)
}

// identityFrom reads the user name and groups claims.
func (a *Authenticator) identityFrom(claims *oidc.IDTokenClaims) (Identity, error) {
	user, _ := claims.Claims[a.cfg.UsernameClaim].(string)
	if user == "" {
		return Identity{}, fmt.Errorf("the ID token has no %q claim to name the user: set --oidc-username-claim", a.cfg.UsernameClaim)
	}
	var groups []string
	switch g := claims.Claims[a.cfg.GroupsClaim].(type) {
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok && s != "" {
				groups = append(groups, s)
			}
		}
	case string:
		groups = append(groups, g)
	}
	return Identity{User: user, Groups: groups}, nil
}

// loginFailed answers 401 with what went wrong and a way to try again;
// the cause is logged without token or cookie values (errors from the
// token exchange carry none).
func (a *Authenticator) loginFailed(w http.ResponseWriter, msg string, cause error) {
	if cause != nil {
		a.log.Warn("login failed", "reason", msg, "error", cause)
	} else {
		a.log.Warn("login failed", "reason", msg)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = fmt.Fprintf(w, "<!doctype html><title>Login failed</title><p>Login failed: %s.</p><p><a href=\"/auth/login\">Log in again</a></p>", htmlEscape(msg))
}
