package ui_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/ui/oidctest"
)

// loggedIn returns an HTTP client with a session of user, after the real
// login flow, and the CSRF token of its pages.
func loggedIn(t testing.TB, user string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := oidctest.Login(c, uiURL+"/auth/login?next=/projects/"+project, user)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after login as %s: %d %s", user, resp.StatusCode, body)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page: %s", body)
	}
	return c, string(m[1])
}

func noRedirects(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

func TestRequestsWithoutRights(t *testing.T) {
	anon := noRedirects(&http.Client{Timeout: 5 * time.Second})
	admin, csrf := loggedIn(t, "dev-admin")
	var sessionValue string
	u, _ := url.Parse(uiURL)
	for _, ck := range admin.Jar.Cookies(u) {
		if ck.Name == "railyard_session" {
			sessionValue = ck.Value
		}
	}
	if sessionValue == "" {
		t.Fatal("no session cookie after login")
	}
	forged := &http.Client{Timeout: 5 * time.Second, Jar: mustJar(t, u, "railyard_session", sessionValue[:len(sessionValue)-6]+"AAAAAA")}
	tests := []struct {
		name   string
		c      *http.Client
		method string
		path   string
		form   url.Values
		accept string
		want   int
		// wantLocation prefixes the Location header.
		wantLocation string
	}{
		{name: "page without session goes to login", c: anon, method: "GET", path: "/projects/demo", accept: "text/html", want: 302, wantLocation: "/auth/login?next=%2Fprojects%2Fdemo"},
		{name: "events without session", c: anon, method: "GET", path: "/events?ns=demo", want: 401},
		{name: "action without session", c: anon, method: "POST", path: "/projects/demo/warehouses/app/refresh", form: url.Values{}, want: 401},
		{name: "forged session", c: noRedirects(forged), method: "GET", path: "/projects/demo", want: 401},
		{name: "action without CSRF token", c: noRedirects(admin), method: "POST", path: "/projects/demo/warehouses/app/refresh", form: url.Values{}, want: 403},
		{name: "action with a wrong CSRF token", c: noRedirects(admin), method: "POST", path: "/projects/demo/warehouses/app/refresh", form: url.Values{"csrf": {csrf + "x"}}, want: 403},
		{name: "action with the CSRF token", c: noRedirects(admin), method: "POST", path: "/projects/demo/warehouses/app/refresh", form: url.Values{"csrf": {csrf}}, want: 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.form != nil {
				body = strings.NewReader(tt.form.Encode())
			}
			req, _ := http.NewRequest(tt.method, uiURL+tt.path, body)
			if tt.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp, err := tt.c.Do(req)
			must(t, err)
			_ = resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if !strings.HasPrefix(resp.Header.Get("Location"), tt.wantLocation) {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tt.wantLocation)
			}
		})
	}
	// The refresh with the token reached the API server as dev-admin.
	var wh railyard.Warehouse
	must(t, k8s.Get(testCtx, objectKey(project, "app"), &wh))
	if wh.Annotations[railyard.AnnotationRefresh] == "" {
		t.Error("the refresh annotation was not set")
	}
	// Nothing secret reaches the log.
	for _, s := range []string{sessionValue, csrf} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds a cookie value or CSRF token")
		}
	}
	if strings.Contains(logs.String(), "code=") {
		t.Errorf("the log holds an authorization code: %s", logs.String())
	}
}

func mustJar(t *testing.T, u *url.URL, name, value string) http.CookieJar {
	jar, err := cookiejar.New(nil)
	must(t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value}})
	return jar
}

func TestSecurityHeaders(t *testing.T) {
	admin, _ := loggedIn(t, "dev-admin")
	for _, path := range []string{"/projects/demo", "/projects/demo/stages/test", "/auth/login"} {
		t.Run(path, func(t *testing.T) {
			resp, err := noRedirects(admin).Get(uiURL + path)
			must(t, err)
			_ = resp.Body.Close()
			h := resp.Header
			csp := h.Get("Content-Security-Policy")
			// Logout's redirect to the provider follows a form post, so the
			// provider's end-session origin is a form action too.
			for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'", "form-action 'self' " + op.Issuer + ";"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP allows inline script: %q", csp)
			}
			if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("headers %v", h)
			}
		})
	}
	t.Run("events", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(testCtx, 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", uiURL+"/events?ns="+project, nil)
		resp, err := admin.Do(req)
		must(t, err)
		defer func() { _ = resp.Body.Close() }()
		if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", resp.Header)
		}
		// A change in the project reaches the stream.
		var st railyard.Stage
		must(t, k8s.Get(testCtx, objectKey(project, "staging"), &st))
		st.Annotations = map[string]string{"touched": time.Now().String()}
		must(t, k8s.Update(testCtx, &st))
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"kind":"Stage"`) && strings.Contains(sc.Text(), `"name":"staging"`) {
				return
			}
		}
		t.Fatalf("no event for stage staging: %v", sc.Err())
	})
}

func TestViewerSeesOnlyWhatRBACAllows(t *testing.T) {
	viewer, _ := loggedIn(t, "dev-viewer")
	get := func(path string) (int, string) {
		resp, err := viewer.Get(uiURL + path)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	code, body := get("/")
	if code != 200 || !strings.Contains(body, `href="/projects/demo"`) || strings.Contains(body, `href="/projects/secret"`) {
		t.Errorf("projects page: %d %s", code, body)
	}
	code, body = get("/projects/secret")
	if code != http.StatusForbidden || !strings.Contains(body, "oidc:dev-viewer may not list warehouses in namespace secret") {
		t.Errorf("a project without rights: %d %s", code, body)
	}
	resp, err := viewer.Get(uiURL + "/events?ns=" + secret)
	must(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("events of a project without rights: %d", resp.StatusCode)
	}
}
