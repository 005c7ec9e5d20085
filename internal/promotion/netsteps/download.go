package netsteps

import (
	"context"
	"fmt"
	"net/http"

	"github.com/railyard-dev/railyard/internal/promotion"
)

type downloadConfig struct {
	URL                   string      `json:"url"`
	Headers               []nameValue `json:"headers,omitempty"`
	QueryParams           []nameValue `json:"queryParams,omitempty"`
	InsecureSkipTLSVerify bool        `json:"insecureSkipTLSVerify,omitempty"`
	Timeout               string      `json:"timeout,omitempty"`
	OutPath               string      `json:"outPath"`
	AllowOverwrite        bool        `json:"allowOverwrite,omitempty"`
}

// HTTPDownload is the `http-download` step: it GETs url into outPath in the
// work directory. The download is bounded by timeout (default 5m) and by
// MaxDownloadBytes; an existing file is replaced only with allowOverwrite,
// except that one already holding the download counts as done, so running
// the step again (a resumed Promotion) succeeds. It has no outputs.
type HTTPDownload struct{ opts Options }

// Name implements promotion.Step.
func (*HTTPDownload) Name() string { return "http-download" }

// Run implements promotion.Step.
func (s *HTTPDownload) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg downloadConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	u, err := cfg.request().parsedURL()
	if err != nil {
		return failed(err)
	}
	timeout, err := cfg.request().timeout(DefaultDownloadTimeout)
	if err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	out, err := prepareOut(root, cfg.OutPath, cfg.AllowOverwrite)
	if err != nil {
		return errored(err)
	}
	// The timeout covers the body too, not only the response headers.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return failed(fmt.Errorf("invalid config: %w", requestError(u, err, 0)))
	}
	cfg.request().setHeaders(req)
	client := &http.Client{Transport: newTransport(cfg.InsecureSkipTLSVerify, s.opts.AllowLinkLocal)}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req) //nolint:gosec // the URL is the step's purpose; link-local addresses are refused
	if err != nil {
		return errored(requestError(u, err, timeout))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return errored(fmt.Errorf("download failed: HTTP (%d) response", resp.StatusCode))
	}
	if resp.ContentLength > MaxDownloadBytes {
		return failed(fmt.Errorf("download: %w of %d bytes (Content-Length %d)", errTooLarge, MaxDownloadBytes, resp.ContentLength))
	}
	if _, err := out.write(resp.Body, MaxDownloadBytes); err != nil {
		if ctx.Err() != nil {
			err = requestError(u, fmt.Errorf("reading body: %w", ctx.Err()), timeout)
		}
		return errored(err)
	}
	return succeeded(nil)
}

// request is the part of the config shared with http.
func (c *downloadConfig) request() *request {
	return &request{URL: c.URL, Headers: c.Headers, QueryParams: c.QueryParams,
		InsecureSkipTLSVerify: c.InsecureSkipTLSVerify, Timeout: c.Timeout}
}
