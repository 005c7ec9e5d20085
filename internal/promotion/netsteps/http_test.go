package netsteps

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// apiServer is a real HTTP server with the behaviours the steps must cope
// with: echoing requests, 5xx, slow answers and oversized bodies.
type apiServer struct {
	*httptest.Server
	requests atomic.Int32
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	s := &apiServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Request-Id", "req-42")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method,
			"query":  r.URL.Query(),
			"auth":   r.Header.Get("Authorization") != "",
			"accept": r.Header.Get("Accept"),
			"body":   string(body),
		})
	})
	mux.HandleFunc("/job", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"state":"`+r.URL.Query().Get("state")+`","error":{"detail":"disk full"},"items":[1,2,3]}`)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"message":"status `+r.PathValue("code")+`"}`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Answers only after the client gave up (or much later).
		select {
		case <-r.Context().Done():
		case <-time.After(guard):
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "first bytes")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(guard):
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Query().Get("length") == "" {
			w.(http.Flusher).Flush() // chunked: the size is known only by reading
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		_, _ = w.Write([]byte(strings.Repeat("x", n)))
	})
	mux.HandleFunc("/typed/{kind}", func(w http.ResponseWriter, r *http.Request) {
		bodies := map[string][2]string{
			"text": {"text/plain", "plain words"},
			"yaml": {"application/yaml", "a:\n  b: 7\n"},
			"html": {"text/html", "<html></html>"},
			"json": {"application/vnd.api+json", `{"n":1}`},
		}
		b := bodies[r.PathValue("kind")]
		w.Header().Set("Content-Type", b[0])
		_, _ = io.WriteString(w, b[1])
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestHTTP(t *testing.T) {
	srv := newAPIServer(t)
	tests := []struct {
		name    string
		cfg     map[string]any
		want    outcome
		output  map[string]any
		retry   time.Duration
		noCalls bool // bad config must fail before any request
	}{{
		name: "GET with outputs",
		cfg: map[string]any{"url": srv.URL + "/echo", "outputs": []any{
			map[string]any{"name": "status", "fromExpression": "response.status"},
			map[string]any{"name": "method", "fromExpression": "response.body.method"},
			map[string]any{"name": "id", "fromExpression": "response.header('X-Request-Id')"},
			map[string]any{"name": "ids", "fromExpression": "response.headers['X-Request-Id']"},
		}},
		want:   ok,
		output: map[string]any{"status": int64(200), "method": "GET", "id": "req-42", "ids": []any{"req-42"}},
	}, {
		name: "POST with headers, query and body",
		cfg: map[string]any{
			"method": "post", "url": srv.URL + "/echo?keep=1", "body": `{"text":"hi"}`,
			"headers":     []any{map[string]any{"name": "Authorization", "value": "Bearer s3cret"}, map[string]any{"name": "Accept", "value": "application/json"}},
			"queryParams": []any{map[string]any{"name": "q", "value": "a b&c"}},
			"outputs": []any{
				map[string]any{"name": "method", "fromExpression": "response.body.method"},
				map[string]any{"name": "query", "fromExpression": "response.body.query"},
				map[string]any{"name": "auth", "fromExpression": "response.body.auth"},
				map[string]any{"name": "accept", "fromExpression": "response.body.accept"},
				map[string]any{"name": "body", "fromExpression": "response.body.body"},
			},
		},
		want: ok,
		output: map[string]any{
			"method": "POST", "auth": true, "accept": "application/json", "body": `{"text":"hi"}`,
			"query": map[string]any{"keep": []any{"1"}, "q": []any{"a b&c"}},
		},
	}, {
		name: "success expression met",
		cfg: map[string]any{
			"url": srv.URL + "/job?state=done", "successExpression": "response.body.state == 'done'",
			"failureExpression": "response.body.state == 'failed'",
			"outputs":           []any{map[string]any{"name": "n", "fromExpression": "len(response.body.items)"}},
		},
		want: ok, output: map[string]any{"n": int64(3)},
	}, {
		name: "success expression met on a non-2xx response",
		cfg:  map[string]any{"url": srv.URL + "/status/404", "successExpression": "response.status == 404"},
		want: ok, output: map[string]any{},
	}, {
		name: "failure expression met is terminal, with the error expression",
		cfg: map[string]any{
			"url": srv.URL + "/job?state=failed", "successExpression": "response.body.state == 'done'",
			"failureExpression": "response.body.state == 'failed'", "errorExpression": "response.body.error.detail",
		},
		want: failedWith(`HTTP (200) response met failure criteria: "disk full"`),
	}, {
		name: "failure wins over success",
		cfg: map[string]any{
			"url": srv.URL + "/job?state=x", "successExpression": "true", "failureExpression": "true",
			"errorExpression": "response.body.nothing.here",
		},
		want: failedWith("HTTP (200) response met failure criteria"),
	}, {
		name:  "neither met: Running, polled after the default interval",
		cfg:   map[string]any{"url": srv.URL + "/job?state=running", "successExpression": "response.body.state == 'done'"},
		want:  outcome{status: railyard.StepStatusRunning, msg: []string{"neither success nor failure"}},
		retry: DefaultPollInterval,
	}, {
		name:  "failure unmet alone: Running, polled after pollInterval",
		cfg:   map[string]any{"url": srv.URL + "/job?state=running", "failureExpression": "response.body.state == 'failed'", "pollInterval": "45s"},
		want:  outcome{status: railyard.StepStatusRunning},
		retry: 45 * time.Second,
	}, {
		name: "5xx without expressions is retried",
		cfg:  map[string]any{"url": srv.URL + "/status/503"},
		want: erroredWith("HTTP (503) response"),
	}, {
		name: "expression that is not a boolean",
		cfg:  map[string]any{"url": srv.URL + "/job?state=done", "successExpression": "response.body.state"},
		want: erroredWith("successExpression", "did not evaluate to a boolean"),
	}, {
		name: "output expression failing at run time",
		cfg:  map[string]any{"url": srv.URL + "/echo", "outputs": []any{map[string]any{"name": "x", "fromExpression": "response.body.method.nope()"}}},
		want: erroredWith(`output "x"`),
	}, {
		name: "text body",
		cfg:  map[string]any{"url": srv.URL + "/typed/text", "outputs": []any{map[string]any{"name": "b", "fromExpression": "response.body"}}},
		want: ok, output: map[string]any{"b": "plain words"},
	}, {
		name: "YAML body",
		cfg:  map[string]any{"url": srv.URL + "/typed/yaml", "outputs": []any{map[string]any{"name": "b", "fromExpression": "response.body.a.b"}}},
		want: ok, output: map[string]any{"b": float64(7)},
	}, {
		name: "unknown type that is not JSON gives an empty body",
		cfg:  map[string]any{"url": srv.URL + "/typed/html", "outputs": []any{map[string]any{"name": "b", "fromExpression": "response.body"}}},
		want: ok, output: map[string]any{"b": map[string]any{}},
	}, {
		name: "unknown type that is JSON is parsed",
		cfg:  map[string]any{"url": srv.URL + "/typed/json", "outputs": []any{map[string]any{"name": "b", "fromExpression": "response.body.n"}}},
		want: ok, output: map[string]any{"b": float64(1)},
	}, {
		name: "responseContentType overrides the header",
		cfg: map[string]any{"url": srv.URL + "/typed/json", "responseContentType": "text/plain",
			"outputs": []any{map[string]any{"name": "b", "fromExpression": "response.body"}}},
		want: ok, output: map[string]any{"b": `{"n":1}`},
	}, {
		name: "slow server ends at the step's timeout",
		cfg:  map[string]any{"url": srv.URL + "/slow", "timeout": "200ms"},
		want: erroredWith("request to " + srv.URL + "/slow"),
	}, {
		name: "body sent slowly ends at the step's timeout",
		cfg:  map[string]any{"url": srv.URL + "/slow-body", "timeout": "200ms"},
		want: erroredWith("HTTP (200) response", "reading body"),
	}, {
		name: "oversized chunked body",
		cfg:  map[string]any{"url": srv.URL + "/big?n=" + strconv.Itoa(MaxResponseBytes+1)},
		want: erroredWith("body exceeds the size limit of 2097152 bytes"),
	}, {
		name: "oversized body by Content-Length",
		cfg:  map[string]any{"url": srv.URL + "/big?length=1&n=" + strconv.Itoa(MaxResponseBytes+1)},
		want: erroredWith("body exceeds the size limit", "Content-Length 2097153"),
	}, {
		name: "body at the limit is fine",
		cfg:  map[string]any{"url": srv.URL + "/big?n=" + strconv.Itoa(MaxResponseBytes)},
		want: ok, output: map[string]any{},
	}, {
		name: "link-local address refused",
		cfg:  map[string]any{"url": "http://169.254.169.254/latest/meta-data/"},
		want: erroredWith("link-local"),
	}, {
		name: "unreachable server",
		cfg:  map[string]any{"url": "http://127.0.0.1:1/"},
		want: erroredWith("request to http://127.0.0.1:1/"),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runStep(t, &HTTP{}, stepContext(t, tc.cfg))
			t.Logf("message: %s", res.Message)
			tc.want.check(t, res, err)
			if tc.output != nil {
				assertOutput(t, res.Output, tc.output)
			}
			if res.RetryAfter != tc.retry {
				t.Errorf("RetryAfter %s, want %s", res.RetryAfter, tc.retry)
			}
		})
	}
}

func TestHTTPBadConfig(t *testing.T) {
	srv := newAPIServer(t)
	u := srv.URL + "/echo"
	tests := []struct {
		name string
		cfg  map[string]any
		msg  []string
	}{
		{"missing url", map[string]any{}, []string{`field "url" is required`}},
		{"relative url", map[string]any{"url": "/echo"}, []string{`field "url"`, "not an http or https URL"}},
		{"other scheme", map[string]any{"url": "ftp://example.com/x"}, []string{`field "url"`}},
		{"unparsable url", map[string]any{"url": "http://[::1"}, []string{`field "url": not a valid URL`}},
		{"unknown field", map[string]any{"url": u, "verb": "GET"}, []string{`unknown field "verb"`}},
		{"wrong type", map[string]any{"url": u, "headers": "x"}, []string{`"headers"`}},
		{"bad timeout", map[string]any{"url": u, "timeout": "soon"}, []string{`field "timeout"`}},
		{"negative timeout", map[string]any{"url": u, "timeout": "-1s"}, []string{`field "timeout"`}},
		{"bad pollInterval", map[string]any{"url": u, "pollInterval": "often"}, []string{`field "pollInterval"`}},
		{"bad success expression", map[string]any{"url": u, "successExpression": "response.status =="}, []string{`field "successExpression"`}},
		{"bad failure expression", map[string]any{"url": u, "failureExpression": "(("}, []string{`field "failureExpression"`}},
		{"bad error expression", map[string]any{"url": u, "errorExpression": "]"}, []string{`field "errorExpression"`}},
		{"bad output expression", map[string]any{"url": u, "outputs": []any{map[string]any{"name": "a", "fromExpression": "1 +"}}}, []string{`field "outputs[0].fromExpression"`}},
		{"output without name", map[string]any{"url": u, "outputs": []any{map[string]any{"fromExpression": "1"}}}, []string{`"outputs[0].name" is required`}},
		{"output twice", map[string]any{"url": u, "outputs": []any{map[string]any{"name": "a", "fromExpression": "1"}, map[string]any{"name": "a", "fromExpression": "2"}}}, []string{`"outputs[1].name"`, "appears twice"}},
		{"header without name", map[string]any{"url": u, "headers": []any{map[string]any{"value": "v"}}}, []string{`"headers[0].name" is required`}},
		{"query param without name", map[string]any{"url": u, "queryParams": []any{map[string]any{"value": "v"}}}, []string{`"queryParams[0].name" is required`}},
		{"bad content type", map[string]any{"url": u, "responseContentType": "image/png"}, []string{`field "responseContentType"`}},
		{"bad proxy", map[string]any{"url": u, "proxy": "proxy:3128"}, []string{`field "proxy"`}},
		{"bad method", map[string]any{"url": u, "method": "GE T"}, []string{"invalid config", "invalid method"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.requests.Load()
			res, err := runStep(t, &HTTP{}, stepContext(t, tc.cfg))
			failedWith(tc.msg...).check(t, res, err)
			if srv.requests.Load() != before {
				t.Error("bad config sent a request")
			}
		})
	}
}

// TestHTTPSecretsStayOut: credentials in the URL, the query and the headers
// never reach the step's message.
func TestHTTPSecretsStayOut(t *testing.T) {
	srv := newAPIServer(t)
	const secret = "hunter2-token"
	for _, cfg := range []map[string]any{
		{"url": strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1) + "/slow", "timeout": "100ms"},
		{"url": srv.URL + "/slow", "timeout": "100ms", "queryParams": []any{map[string]any{"name": "token", "value": secret}}},
		{"url": srv.URL + "/slow?token=" + secret, "timeout": "100ms"},
		{"url": "ftp://user:" + secret + "@example.com/"},
		{"url": srv.URL + "/status/500", "headers": []any{map[string]any{"name": "Authorization", "value": "Bearer " + secret}}},
		{"url": srv.URL + "/status/500", "headers": []any{map[string]any{"name": "X-Token", "value": secret}}, "failureExpression": "response.status >= 500"},
	} {
		res, err := runStep(t, &HTTP{}, stepContext(t, cfg))
		if err == nil {
			t.Fatalf("%v: want an error", cfg["url"])
		}
		noSecret(t, res, err, secret)
	}
}

func assertOutput(t *testing.T, got, want map[string]any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("output %s, want %s", g, w)
	}
	for k, v := range want {
		if gv, ok := got[k]; ok {
			if _, isInt := v.(int64); isInt {
				if _, gotInt := gv.(int64); !gotInt {
					t.Errorf("output %q is %T, want int64", k, gv)
				}
			}
		}
	}
}

// TestNetworkStepsHonourCancellation: cancelling the engine's context ends
// a request the server never answers, whatever the step's own timeout.
func TestNetworkStepsHonourCancellation(t *testing.T) {
	srv := newAPIServer(t)
	for _, s := range []promotion.Step{&HTTP{}, &HTTPDownload{}} {
		t.Run(s.Name(), func(t *testing.T) {
			sc := stepContext(t, map[string]any{"url": srv.URL + "/slow", "timeout": "10m"})
			if s.Name() == "http-download" {
				sc.Config["outPath"] = "out"
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			guarded, stop := context.WithTimeout(ctx, guard)
			defer stop()
			res, err := s.Run(guarded, sc)
			if errors.Is(guarded.Err(), context.DeadlineExceeded) {
				t.Fatal("still running at the test guard")
			}
			erroredWith("context canceled").check(t, res, err)
		})
	}
}
