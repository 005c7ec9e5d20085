package auth

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/ui/oidctest"
)

// logout posts the logout form of a logged-in client without following a
// redirect. It returns where a redirect sends the browser, or for logout at
// the provider the end-session form the page posts: its action and fields.
func (r *rig) logout(t *testing.T, c *http.Client, body string) (loc *url.URL, action string, fields url.Values) {
	t.Helper()
	csrf := strings.TrimSpace(between(body+"\n", "csrf=", "\n"))
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := nc.PostForm(r.url+"/auth/logout", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusSeeOther:
		if loc, err = resp.Location(); err != nil {
			t.Fatal(err)
		}
		return loc, "", nil
	case http.StatusOK:
		form := regexp.MustCompile(`<form id="end-session" method="post" action="([^"]*)" data-autosubmit>`).FindStringSubmatch(string(page))
		if form == nil {
			t.Fatalf("logout page without the end-session form: %s", page)
		}
		fields = url.Values{}
		for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`).FindAllStringSubmatch(string(page), -1) {
			fields.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
		}
		return nil, html.UnescapeString(form[1]), fields
	}
	t.Fatalf("logout: status %d: %s", resp.StatusCode, page)
	return nil, "", nil
}

// TestLogoutAtProvider: with an end_session_endpoint in the provider's
// discovery, logout ends the provider's session (RP-initiated logout) with
// the ID token as hint, posted in a form's body (never in a URL), and comes
// back to the UI, which has no session any more; the ID token never reaches
// the log.
func TestLogoutAtProvider(t *testing.T) {
	r := newRig(t)
	c, body := r.login(t, "dev-admin")
	loc, action, fields := r.logout(t, c, body)
	if loc != nil || action != r.op.Issuer+"/end_session" {
		t.Fatalf("logout: redirect %v, form action %q; want a form posting to the provider's end_session", loc, action)
	}
	hint := fields.Get("id_token_hint")
	if strings.Count(hint, ".") != 2 || fields.Get("post_logout_redirect_uri") != r.url+"/" || fields.Has("client_id") {
		t.Errorf("end-session fields %v", fields)
	}
	if strings.Contains(action, hint) {
		t.Error("the ID token is in the form's URL")
	}
	// The page posts the form: the provider ends its session and returns
	// to the UI's root, where there is no session any more (a browser
	// asking for HTML would be sent to log in).
	resp, err := c.PostForm(action, fields)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Request.URL.String() != r.url+"/" || !strings.Contains(string(page), "not logged in") {
		t.Errorf("after logout: %d at %s: %s", resp.StatusCode, resp.Request.URL, page)
	}
	if ended := r.op.EndedSessions(); len(ended) != 1 || ended[0] != (oidctest.EndedSession{User: "dev-admin", ClientID: r.op.ClientID}) {
		t.Errorf("sessions ended at the provider: %+v", ended)
	}
	if strings.Contains(r.logs.String(), hint) {
		t.Errorf("the log holds the ID token: %s", r.logs)
	}
	if !strings.Contains(r.logs.String(), "atProvider=true") {
		t.Errorf("the logout is not logged: %s", r.logs)
	}
}

// TestLogoutLocalOnly: a provider without end_session_endpoint gets no
// logout request; the session cookie is dropped and the UI says so.
func TestLogoutLocalOnly(t *testing.T) {
	r := newRigWith(t, oidctest.Options{NoEndSession: true})
	c, body := r.login(t, "dev-admin")
	if loc, action, _ := r.logout(t, c, body); loc == nil || loc.String() != r.url+"/auth/logged-out" || action != "" {
		t.Errorf("logout sends the browser to %v (form action %q)", loc, action)
	}
	if ended := r.op.EndedSessions(); len(ended) != 0 {
		t.Errorf("sessions ended at the provider: %+v", ended)
	}
	resp, err := c.Get(r.url + "/auth/logged-out")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(page), "you may still be logged in there") {
		t.Errorf("the logged-out page does not say the provider's session may remain: %s", page)
	}
	resp, err = c.Get(r.url + "/pipeline")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401 (no session)", resp.StatusCode)
	}
}

// TestEndSession: the ID token is the hint when it fitted in the cookie;
// else the client is named. The endpoint's own query stays in the action.
func TestEndSession(t *testing.T) {
	s, _ := newSealer(make([]byte, 32))
	a := &Authenticator{cfg: Config{SessionTTL: time.Hour, ClientID: "railyard", ExternalURL: "https://railyard.example.com/"},
		sealer: s, now: time.Now, oidc: &oidcClient{endSession: "https://idp.example.com/logout?realm=x"}}
	for _, tc := range []struct {
		name, idToken string
		want          url.Values
	}{
		{name: "small ID token kept", idToken: "a.b.c",
			want: url.Values{"id_token_hint": {"a.b.c"}, "post_logout_redirect_uri": {"https://railyard.example.com/"}}},
		{name: "too large: client_id", idToken: strings.Repeat("x", 4000),
			want: url.Values{"client_id": {"railyard"}, "post_logout_redirect_uri": {"https://railyard.example.com/"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess, err := a.newSession(httptest.NewRecorder(), Identity{User: "u"}, tc.idToken)
			if err != nil {
				t.Fatal(err)
			}
			action, fields := a.endSession(sess)
			if action != "https://idp.example.com/logout?realm=x" || fields.Encode() != tc.want.Encode() {
				t.Errorf("end session: %s with %s, want the endpoint with %s", action, fields.Encode(), tc.want.Encode())
			}
		})
	}
	if got := a.EndSessionOrigin(); got != "https://idp.example.com" {
		t.Errorf("EndSessionOrigin %q", got)
	}
}
