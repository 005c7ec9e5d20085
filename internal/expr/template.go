// Package expr evaluates the expression language of promotion steps: expr-lang
// expressions embedded in strings as ${{ expr }} or ${% expr %}, with the
// functions Kargo users already write (imageFrom, commitFrom, secret, ...).
//
// Only string values are evaluated, recursively through maps and lists; keys
// never are. A string that is exactly one expression keeps the type of the
// expression's result (number, bool, map, list, or string); a string that
// mixes text and expressions becomes a string. quote() forces a string.
//
// Unlike Kargo, a sole expression whose result is a string is not re-parsed
// as YAML: ${{ vars.replicas }} with replicas "3" stays the string "3". Use
// int() or float() to get a number.
package expr

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrExpression is wrapped by every error about an expression: one that does
// not compile, fails at run time, or yields the wrong type. Such errors are
// the user's to fix.
var ErrExpression = errors.New("expression error")

// delimiters lists the two template syntaxes; ${% %} exists for expressions
// that themselves contain "}}", such as nested map literals.
var delimiters = [...]struct{ open, close string }{
	{"${{", "}}"},
	{"${%", "%}"},
}

// segment is literal text or an expression of a template string.
type segment struct {
	text   string
	isExpr bool
}

// parseTemplate splits s into literal text and expressions. It reports
// whether s contains any expression.
func parseTemplate(s string) ([]segment, bool, error) {
	var segs []segment
	found := false
	for len(s) > 0 {
		start, d := -1, 0
		for i, delim := range delimiters {
			if j := strings.Index(s, delim.open); j >= 0 && (start < 0 || j < start) {
				start, d = j, i
			}
		}
		if start < 0 {
			segs = append(segs, segment{text: s})
			break
		}
		if start > 0 {
			segs = append(segs, segment{text: s[:start]})
		}
		rest := s[start+len(delimiters[d].open):]
		end := strings.Index(rest, delimiters[d].close)
		if end < 0 {
			return nil, false, fmt.Errorf("%w: %q: missing closing %q", ErrExpression, s[start:], delimiters[d].close)
		}
		body := strings.TrimSpace(rest[:end])
		if body == "" {
			return nil, false, fmt.Errorf("%w: %q: empty expression", ErrExpression, s[start:start+len(delimiters[d].open)+end+len(delimiters[d].close)])
		}
		segs = append(segs, segment{text: body, isExpr: true})
		found = true
		s = rest[end+len(delimiters[d].close):]
	}
	return segs, found, nil
}

// Evaluate evaluates every string value in v, recursively through maps and
// lists, and returns a new value; v is not modified. Keys are never
// evaluated. Values other than strings, maps and lists are returned as they
// are.
func Evaluate(ctx context.Context, v any, env *Env) (any, error) {
	ev := newEvaluator(ctx, env)
	return ev.value(v, "")
}

// EvaluateString evaluates one template string. See Evaluate.
func EvaluateString(ctx context.Context, s string, env *Env) (any, error) {
	return newEvaluator(ctx, env).str(s)
}

// EvaluateBool evaluates a template string that must be a single expression
// yielding a bool, such as a step's `if`.
func EvaluateBool(ctx context.Context, s string, env *Env) (bool, error) {
	segs, found, err := parseTemplate(s)
	if err != nil {
		return false, err
	}
	if !found || len(segs) != 1 {
		return false, fmt.Errorf("%w: %q must be a single ${{ }} expression yielding true or false", ErrExpression, s)
	}
	out, err := newEvaluator(ctx, env).run(segs[0].text)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%w: %q yields %T, not a bool", ErrExpression, s, out)
	}
	return b, nil
}

// EvalBool evaluates a raw expression without ${{ }} delimiters, such as a
// Warehouse's freightCreationCriteria, to a bool.
func EvalBool(ctx context.Context, expression string, env *Env) (bool, error) {
	out, err := newEvaluator(ctx, env).run(expression)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%w: %q yields %T, not a bool", ErrExpression, expression, out)
	}
	return b, nil
}

func (ev *evaluator) value(v any, path string) (any, error) {
	switch t := v.(type) {
	case string:
		out, err := ev.str(t)
		if err != nil && path != "" {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return out, err
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, item := range t {
			r, err := ev.value(item, joinPath(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			r, err := ev.value(item, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str evaluates one template string.
func (ev *evaluator) str(s string) (any, error) {
	segs, found, err := parseTemplate(s)
	if err != nil || !found {
		return s, err
	}
	if len(segs) == 1 || (len(segs) <= 3 && soleExpression(segs)) {
		for _, seg := range segs {
			if !seg.isExpr {
				continue
			}
			out, err := ev.run(seg.text)
			if err != nil {
				return nil, err
			}
			return normalize(out)
		}
	}
	var b strings.Builder
	for _, seg := range segs {
		if !seg.isExpr {
			b.WriteString(seg.text)
			continue
		}
		out, err := ev.run(seg.text)
		if err != nil {
			return nil, err
		}
		text, err := toText(out)
		if err != nil {
			return nil, fmt.Errorf("%w: ${{ %s }}: %w", ErrExpression, seg.text, err)
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

// soleExpression reports whether segs is one expression surrounded only by
// whitespace, as YAML block scalars leave a trailing newline.
func soleExpression(segs []segment) bool {
	exprs := 0
	for _, seg := range segs {
		if seg.isExpr {
			exprs++
		} else if strings.TrimSpace(seg.text) != "" {
			return false
		}
	}
	return exprs == 1
}
