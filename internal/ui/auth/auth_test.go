package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/ui/oidctest"
)

// rig is a UI-like server guarded by an Authenticator, logging in against
// the in-process OpenID Provider.
type rig struct {
	url  string
	auth *Authenticator
	logs *bytes.Buffer
	op   *oidctest.Provider
}

func newRig(t *testing.T) *rig { return newRigWith(t, oidctest.Options{}) }

// newRigWith starts the rig with a provider configured by o (its
// redirect URI and users are the rig's).
func newRigWith(t *testing.T, o oidctest.Options) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	o.RedirectURI = base + "/auth/callback"
	o.Users = []oidctest.User{{Name: "dev-admin", Groups: []string{"admin"}}, {Name: "dev-viewer"}}
	p, err := oidctest.StartWith(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	logs := &bytes.Buffer{}
	a, err := New(context.Background(), Config{
		Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret, ExternalURL: base,
		UsernameClaim: "preferred_username", Key: key, Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	mux.Handle("/", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := FromContext(r.Context())
		_, _ = io.WriteString(w, "hello "+s.User+" "+strings.Join(s.Groups, ",")+" csrf="+s.CSRF)
	})))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &rig{url: base, auth: a, logs: logs, op: p}
}

// login runs the real code flow with a cookie jar, as a browser would.
func (r *rig) login(t *testing.T, user string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(r.url + "/auth/login?next=/pipeline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), `name="id"`) {
		t.Fatalf("expected the provider's login form, got %d %s", resp.StatusCode, body)
	}
	id := between(string(body), `name="id" value="`, `"`)
	resp, err = c.PostForm(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/login", url.Values{"id": {id}, "username": {user}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/pipeline" {
		t.Fatalf("after login: %d at %s: %s", resp.StatusCode, resp.Request.URL, body)
	}
	return c, string(body)
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	return s[:strings.Index(s, to)]
}

func TestLoginFlow(t *testing.T) {
	r := newRig(t)
	_, body := r.login(t, "dev-admin")
	if !strings.HasPrefix(body, "hello dev-admin admin csrf=") {
		t.Fatalf("session after login: %q", body)
	}
	_, body = r.login(t, "dev-viewer")
	if !strings.HasPrefix(body, "hello dev-viewer  csrf=") {
		t.Fatalf("session after login: %q", body)
	}
	if !strings.Contains(r.logs.String(), "logged in") {
		t.Errorf("no login logged: %s", r.logs)
	}
}

func TestRefusals(t *testing.T) {
	r := newRig(t)
	c, body := r.login(t, "dev-admin")
	csrf := strings.TrimSpace(between(body+"\n", "csrf=", "\n"))
	u, _ := url.Parse(r.url)
	var session *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie after login")
	}
	noRedirect := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, cookie *http.Cookie, form url.Values, accept string) *http.Response {
		req, _ := http.NewRequest(method, r.url+path, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	forged := &http.Cookie{Name: sessionCookie, Value: session.Value[:len(session.Value)-4] + "AAAA"}
	tests := []struct {
		name     string
		method   string
		cookie   *http.Cookie
		form     url.Values
		accept   string
		want     int
		location string
	}{
		{name: "no session, page", method: "GET", accept: "text/html", want: http.StatusFound, location: "/auth/login?next=%2Fx"},
		{name: "no session, API", method: "GET", want: http.StatusUnauthorized},
		{name: "forged session", method: "GET", cookie: forged, want: http.StatusUnauthorized},
		{name: "cookie of another purpose", method: "GET", cookie: &http.Cookie{Name: sessionCookie, Value: mustSeal(t, r.auth, loginCookie, Session{User: "x", Expires: time.Now().Add(time.Hour).Unix()})}, want: http.StatusUnauthorized},
		{name: "valid session", method: "GET", cookie: session, want: http.StatusOK},
		{name: "POST without CSRF", method: "POST", cookie: session, form: url.Values{}, want: http.StatusForbidden},
		{name: "POST with wrong CSRF", method: "POST", cookie: session, form: url.Values{"csrf": {"nope"}}, want: http.StatusForbidden},
		{name: "POST with CSRF", method: "POST", cookie: session, form: url.Values{"csrf": {csrf}}, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(tt.method, "/x", tt.cookie, tt.form, tt.accept)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.location != "" && resp.Header.Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tt.location)
			}
		})
	}
	t.Run("expired session", func(t *testing.T) {
		r.auth.SetClock(func() time.Time { return time.Now().Add(9 * time.Hour) })
		defer r.auth.SetClock(time.Now)
		if resp := do("GET", "/x", session, nil, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("logout", func(t *testing.T) {
		resp := do("POST", "/auth/logout", session, url.Values{"csrf": {csrf}}, "")
		// 200: the page that posts the end-session form to the provider.
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var cleared bool
		for _, ck := range resp.Cookies() {
			cleared = cleared || (ck.Name == sessionCookie && ck.MaxAge < 0)
		}
		if !cleared {
			t.Error("logout did not clear the session cookie")
		}
	})
	t.Run("callback with a wrong state", func(t *testing.T) {
		if resp := do("GET", "/auth/callback?code=x&state=y", nil, nil, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	// Credentials never reach the log: no cookie value, CSRF token or code.
	for _, secret := range []string{session.Value, csrf} {
		if strings.Contains(r.logs.String(), secret) {
			t.Errorf("the log holds a secret: %s", r.logs)
		}
	}
}

func mustSeal(t *testing.T, a *Authenticator, name string, v any) string {
	t.Helper()
	s, err := a.sealer.seal(a.cookieName(name), v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCookieAttributes(t *testing.T) {
	key := make([]byte, 32)
	for _, tt := range []struct {
		name       string
		secure     bool
		wantName   string
		wantSecure bool
	}{
		{name: "https", secure: true, wantName: "__Host-railyard_session", wantSecure: true},
		{name: "http on loopback", secure: false, wantName: "railyard_session", wantSecure: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newSealer(key)
			a := &Authenticator{cfg: Config{SessionTTL: time.Hour}, sealer: s, secure: tt.secure, now: time.Now}
			rec := httptest.NewRecorder()
			if _, err := a.newSession(rec, Identity{User: "u"}, ""); err != nil {
				t.Fatal(err)
			}
			c := rec.Result().Cookies()[0]
			if c.Name != tt.wantName || c.Secure != tt.wantSecure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("cookie %+v", c)
			}
		})
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/projects/demo": "/projects/demo", "": "/", "https://evil.example": "/",
		"//evil.example": "/", "/\\evil.example": "/", "javascript:alert(1)": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTooManyGroups: a session that would not fit in a cookie is refused
// with what to do, rather than set and silently dropped by the browser.
func TestTooManyGroups(t *testing.T) {
	s, _ := newSealer(make([]byte, 32))
	a := &Authenticator{cfg: Config{SessionTTL: time.Hour}, sealer: s, now: time.Now}
	groups := make([]string, 300)
	for i := range groups {
		groups[i] = "team-with-a-long-group-name-" + strings.Repeat("x", 5)
	}
	rec := httptest.NewRecorder()
	_, err := a.newSession(rec, Identity{User: "u", Groups: groups}, "")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "300 groups") {
		t.Fatalf("err %v", err)
	}
	if len(rec.Result().Cookies()) != 0 {
		t.Error("a cookie was set")
	}
}
