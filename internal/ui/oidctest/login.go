package oidctest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
)

var requestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// Login runs the authorization-code flow with an HTTP client that keeps
// cookies (a cookie jar), as a browser would: it opens start (a page of
// the client that sends people to log in), fills in the provider's form as
// user, and returns the client's answer after the redirects.
func Login(c *http.Client, start, user string) (*http.Response, error) {
	resp, err := c.Get(start)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", start, err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	m := requestID.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("%s did not lead to the provider's login form (status %d at %s)", start, resp.StatusCode, resp.Request.URL)
	}
	form := *resp.Request.URL
	form.Path, form.RawQuery = "/login", ""
	return c.PostForm(form.String(), url.Values{"id": {string(m[1])}, "username": {user}})
}
