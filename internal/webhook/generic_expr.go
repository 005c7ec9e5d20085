package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/expr-lang/expr"
)

// errExpression marks a whenExpression, parameter or selector value that
// does not compile, fails, or yields the wrong type.
var errExpression = errors.New("expression error")

// genericEnv is what the generic receiver's expressions see, as in Kargo:
// request.header(name), request.headers(name), request.body (the JSON body),
// request.params(name) (query), normalizeGit, normalizeImage and
// normalizeChart. The normalisers are Railyard's, which the subscribedURLs
// index uses too, so a normalised value compares equal to it.
func genericEnv(req *http.Request, body []byte) (map[string]any, error) {
	var parsed any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &parsed); err != nil {
			return nil, fmt.Errorf("%w: request body is not JSON: %w", ErrBadPayload, err)
		}
	}
	query := req.URL.Query()
	return map[string]any{
		"normalizeGit":   NormalizeGitURL,
		"normalizeImage": NormalizeImageRepo,
		"normalizeChart": NormalizeChartRepo,
		"request": map[string]any{
			"header":  req.Header.Get,
			"headers": req.Header.Values,
			"body":    parsed,
			"params":  query.Get,
		},
	}, nil
}

// withParams returns env with params set, leaving env unchanged.
func withParams(env map[string]any, params map[string]any) map[string]any {
	out := maps.Clone(env)
	out["params"] = params
	return out
}

// runExpr compiles and runs a bare expression. As in Kargo, a missing map
// key reads as nil rather than failing, since payloads vary by event.
func runExpr(src string, env map[string]any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: %q: %v", errExpression, src, r)
		}
	}()
	program, err := expr.Compile(src, expr.Env(env))
	if err != nil {
		return nil, fmt.Errorf("%w: %q does not compile: %w", errExpression, src, err)
	}
	out, err = expr.Run(program, env)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", errExpression, src, err)
	}
	return out, nil
}

// evalWhen evaluates a whenExpression, a bare expression that must be a
// bool; an empty one is true.
func evalWhen(src string, env map[string]any) (bool, error) {
	if strings.TrimSpace(src) == "" {
		return true, nil
	}
	out, err := runExpr(src, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%w: whenExpression %q yields %T, not a bool", errExpression, src, out)
	}
	return b, nil
}

// evalString evaluates a value that is static text or holds ${{ }}
// expressions, as Kargo's selector names and values. Each expression's
// result joins the text (a string as it is, anything else as JSON); a result
// wrapped in double quotes, as quote() makes it, loses them. An expression
// yielding nil is an error: it names nothing.
func evalString(s string, env map[string]any) (string, error) {
	if !strings.Contains(s, "${{") {
		return s, nil
	}
	var b strings.Builder
	rest := s
	for {
		start := strings.Index(rest, "${{")
		if start < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:start])
		end := strings.Index(rest[start:], "}}")
		if end < 0 {
			return "", fmt.Errorf("%w: %q: missing closing \"}}\"", errExpression, s)
		}
		src := strings.TrimSpace(rest[start+3 : start+end])
		if src == "" {
			return "", fmt.Errorf("%w: %q: empty expression", errExpression, s)
		}
		out, err := runExpr(src, env)
		if err != nil {
			return "", err
		}
		switch v := out.(type) {
		case nil:
			return "", fmt.Errorf("%w: %q yields nil", errExpression, src)
		case string:
			b.WriteString(v)
		default:
			raw, err := json.Marshal(v)
			if err != nil {
				return "", fmt.Errorf("%w: %q yields %T, not text", errExpression, src, v)
			}
			b.Write(raw)
		}
		rest = rest[start+end+2:]
	}
	out := b.String()
	if len(out) > 1 && strings.HasPrefix(out, `"`) && strings.HasSuffix(out, `"`) {
		out = out[1 : len(out)-1]
	}
	return out, nil
}
