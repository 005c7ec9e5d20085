package gitprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// restClient is the small JSON-over-HTTP client of the providers without a
// maintained Go library (Bitbucket Cloud, Azure DevOps).
type restClient struct {
	provider string
	base     string // API root without trailing slash
	hc       *http.Client
	auth     func(*http.Request)
}

// do sends body (JSON) to base+path, or to path when it is an absolute URL
// under base (pagination links), decodes the answer into out and returns
// the status code.
func (c *restClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	u := c.base + path
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		if !strings.HasPrefix(path, c.base+"/") {
			// Never send the credentials to a host a response named.
			return 0, fmt.Errorf("%s: refusing to follow link outside the API root", c.provider)
		}
		u = path
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.provider, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := c.hc.Do(req)
	if rl := asRateLimited(err); rl != nil {
		return 0, rl
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %s %s: %w", c.provider, method, req.URL.Path, err)
	}
	defer resp.Body.Close() //nolint:errcheck
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s: reading response: %w", c.provider, err)
	}
	if resp.StatusCode >= 400 || resp.StatusCode == http.StatusNonAuthoritativeInfo {
		return resp.StatusCode, apiError(c.provider, resp, restMessage(data))
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			if na := notAPI(c.provider, err); na != nil {
				return resp.StatusCode, na
			}
			return resp.StatusCode, fmt.Errorf("%s: decoding %s %s: %w", c.provider, method, req.URL.Path, err)
		}
	}
	return resp.StatusCode, nil
}

// restMessage extracts the explanation from Bitbucket ({"error":
// {"message"}}) and Azure DevOps ({"message"}) error bodies.
func restMessage(data []byte) string {
	var m struct {
		Message string `json:"message"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &m) == nil {
		if m.Error.Message != "" {
			return m.Error.Message
		}
		return m.Message
	}
	return ""
}
