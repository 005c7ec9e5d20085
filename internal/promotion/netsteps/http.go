package netsteps

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

type httpOutput struct {
	Name           string `json:"name"`
	FromExpression string `json:"fromExpression"`
}

type httpConfig struct {
	URL                   string       `json:"url"`
	Headers               []nameValue  `json:"headers,omitempty"`
	QueryParams           []nameValue  `json:"queryParams,omitempty"`
	InsecureSkipTLSVerify bool         `json:"insecureSkipTLSVerify,omitempty"`
	Timeout               string       `json:"timeout,omitempty"`
	Method                string       `json:"method,omitempty"`
	Body                  string       `json:"body,omitempty"`
	Proxy                 string       `json:"proxy,omitempty"`
	PollInterval          string       `json:"pollInterval,omitempty"`
	ResponseContentType   string       `json:"responseContentType,omitempty"`
	SuccessExpression     string       `json:"successExpression,omitempty"`
	FailureExpression     string       `json:"failureExpression,omitempty"`
	ErrorExpression       string       `json:"errorExpression,omitempty"`
	Outputs               []httpOutput `json:"outputs,omitempty"`
}

// HTTP is the `http` step: it sends one request and judges the response with
// the configured expressions. With neither expression, a 2xx response
// succeeds and any other is an error, retried by the step's retry policy.
// A failure expression that holds fails the step for good; a success
// expression that holds succeeds; otherwise the step is Running and asks
// again after pollInterval. Outputs are taken from successful responses.
type HTTP struct{ opts Options }

// Name implements promotion.Step.
func (*HTTP) Name() string { return "http" }

// Run implements promotion.Step.
func (s *HTTP) Run(ctx context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg httpConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	prepared, err := cfg.prepare()
	if err != nil {
		return failed(err)
	}
	client := &http.Client{Transport: prepared.transport(s.opts.AllowLinkLocal), Timeout: prepared.timeout}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, prepared.method, prepared.url.String(), strings.NewReader(cfg.Body))
	if err != nil {
		return failed(fmt.Errorf("invalid config: %w", requestError(prepared.url, err, 0)))
	}
	cfg.request().setHeaders(req)
	resp, err := client.Do(req) //nolint:gosec // the URL is the step's purpose; link-local addresses are refused
	if err != nil {
		return errored(requestError(prepared.url, err, prepared.timeout))
	}
	defer func() { _ = resp.Body.Close() }()
	env, err := responseEnv(resp, cfg.ResponseContentType)
	if err != nil {
		if isTimeout(err) {
			err = fmt.Errorf("timed out after %s: %w", prepared.timeout, err)
		}
		return errored(fmt.Errorf("HTTP (%d) response: %w", resp.StatusCode, err))
	}
	return prepared.judge(resp.StatusCode, env)
}

// preparedHTTP is an http config checked and compiled before the request is
// sent, so that a bad expression fails the step without side effects.
type preparedHTTP struct {
	cfg       *httpConfig
	method    string
	url       *url.URL
	timeout   time.Duration
	poll      time.Duration
	success   *program
	failure   *program
	errorExpr *program
	outputs   []*program
}

func (c *httpConfig) prepare() (*preparedHTTP, error) {
	u, err := c.request().parsedURL()
	if err != nil {
		return nil, err
	}
	p := &preparedHTTP{cfg: c, url: u, method: http.MethodGet}
	if c.Method != "" {
		p.method = strings.ToUpper(c.Method)
	}
	if p.timeout, err = c.request().timeout(DefaultRequestTimeout); err != nil {
		return nil, err
	}
	p.poll = DefaultPollInterval
	if c.PollInterval != "" {
		if p.poll, err = time.ParseDuration(c.PollInterval); err != nil || p.poll <= 0 {
			return nil, promotion.Terminalf("invalid config: field %q: %q is not a positive duration", "pollInterval", c.PollInterval)
		}
	}
	switch strings.ToLower(c.ResponseContentType) {
	case "", contentTypeJSON, contentTypeYAML, contentTypeText:
	default:
		return nil, promotion.Terminalf("invalid config: field %q: must be %s, %s or %s",
			"responseContentType", contentTypeJSON, contentTypeYAML, contentTypeText)
	}
	if c.Proxy != "" {
		if _, err := parseProxy(c.Proxy); err != nil {
			return nil, err
		}
	}
	if p.success, err = compile("successExpression", c.SuccessExpression); err != nil {
		return nil, err
	}
	if p.failure, err = compile("failureExpression", c.FailureExpression); err != nil {
		return nil, err
	}
	if p.errorExpr, err = compile("errorExpression", c.ErrorExpression); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, o := range c.Outputs {
		if o.Name == "" {
			return nil, promotion.Terminalf("invalid config: field \"outputs[%d].name\" is required", i)
		}
		if seen[o.Name] {
			return nil, promotion.Terminalf("invalid config: field \"outputs[%d].name\": %q appears twice", i, o.Name)
		}
		seen[o.Name] = true
		if o.FromExpression == "" {
			return nil, promotion.Terminalf("invalid config: field \"outputs[%d].fromExpression\" is required", i)
		}
		prog, err := compile(fmt.Sprintf("outputs[%d].fromExpression", i), o.FromExpression)
		if err != nil {
			return nil, err
		}
		p.outputs = append(p.outputs, prog)
	}
	return p, nil
}

func (p *preparedHTTP) transport(allowLinkLocal bool) http.RoundTripper {
	t := newTransport(p.cfg.InsecureSkipTLSVerify, allowLinkLocal)
	if p.cfg.Proxy != "" {
		proxy, _ := parseProxy(p.cfg.Proxy) // checked by prepare
		t.Proxy = http.ProxyURL(proxy)
	}
	return t
}

// judge decides the step's outcome from the response, as Kargo does: a
// failure expression that holds wins over a success expression.
func (p *preparedHTTP) judge(status int, env map[string]any) (promotion.Result, error) {
	success, err := p.success.boolean(env)
	if err != nil {
		return errored(err)
	}
	failure, err := p.failure.boolean(env)
	if err != nil {
		return errored(err)
	}
	switch {
	case failure != nil && *failure:
		msg := fmt.Sprintf("HTTP (%d) response met failure criteria", status)
		if detail := p.errorExpr.message(env); detail != "" {
			msg = fmt.Sprintf("%s: %q", msg, detail)
		}
		return failed(promotion.Terminalf("%s", msg))
	case success != nil && *success:
		return p.output(env)
	case success == nil && failure == nil:
		if status >= 200 && status < 300 {
			return p.output(env)
		}
		return errored(fmt.Errorf("HTTP (%d) response: status is not 2xx", status))
	default:
		return promotion.Result{
			Status:     railyard.StepStatusRunning,
			Message:    fmt.Sprintf("HTTP (%d) response met neither success nor failure criteria; asking again in %s", status, p.poll),
			RetryAfter: p.poll,
		}, nil
	}
}

func (p *preparedHTTP) output(env map[string]any) (promotion.Result, error) {
	out := make(map[string]any, len(p.outputs))
	for i, prog := range p.outputs {
		v, err := prog.run(env)
		if err != nil {
			return errored(fmt.Errorf("output %q: %w", p.cfg.Outputs[i].Name, err))
		}
		out[p.cfg.Outputs[i].Name] = v
	}
	return succeeded(out)
}

// request is the part of the config shared with http-download.
func (c *httpConfig) request() *request {
	return &request{URL: c.URL, Headers: c.Headers, QueryParams: c.QueryParams,
		InsecureSkipTLSVerify: c.InsecureSkipTLSVerify, Timeout: c.Timeout}
}
