package netsteps

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/railyard-dev/railyard/internal/promotion"
)

// Content types http parses a response body as.
const (
	contentTypeJSON = "application/json"
	contentTypeYAML = "application/yaml"
	contentTypeText = "text/plain"
)

// errTooLarge is a body over its cap.
var errTooLarge = errors.New("body exceeds the size limit")

// readLimited reads r up to limit bytes; more is errTooLarge.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w of %d bytes", errTooLarge, limit)
	}
	return b, nil
}

// responseEnv is what http's expressions see: `response` with status,
// headers, header(name) and body, parsed by content type as Kargo does.
func responseEnv(resp *http.Response, override string) (map[string]any, error) {
	if resp.ContentLength > MaxResponseBytes {
		return nil, fmt.Errorf("%w of %d bytes (Content-Length %d)", errTooLarge, MaxResponseBytes, resp.ContentLength)
	}
	raw, err := readLimited(resp.Body, MaxResponseBytes)
	if err != nil {
		return nil, err
	}
	contentType := strings.ToLower(override)
	if contentType == "" {
		contentType, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	}
	body, err := parseBody(raw, contentType)
	if err != nil {
		return nil, err
	}
	return map[string]any{"response": map[string]any{
		"status":  int64(resp.StatusCode),
		"headers": resp.Header,
		"header":  resp.Header.Get,
		"body":    body,
	}}, nil
}

// parseBody parses a body by its media type. Empty bodies and bodies of an
// unknown type that are not JSON give an empty map.
func parseBody(raw []byte, contentType string) (any, error) {
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	var body any
	switch contentType {
	case contentTypeJSON:
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("parsing JSON body: %w", err)
		}
	case contentTypeYAML, "text/yaml", "application/x-yaml":
		if err := yaml.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("parsing YAML body: %w", err)
		}
	case contentTypeText:
		return string(raw), nil
	default:
		if !json.Valid(raw) {
			return map[string]any{}, nil
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("parsing JSON body: %w", err)
		}
	}
	return body, nil
}

// parseProxy checks the proxy field: a URL with a scheme and a host.
func parseProxy(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, promotion.Terminalf("invalid config: field %q: must be a URL with a scheme and a host", "proxy")
	}
	return u, nil
}
