// Package expr evaluates the expression language of promotion steps: expr-lang
// expressions embedded in strings as ${{ expr }} or ${% expr %}, with the
// functions Kargo users already write (imageFrom, commitFrom, secret, ...).
//
// Only string values are evaluated, recursively through maps and lists; keys
// never are, and a string without an expression is left as it is ("42" stays
// a string). A template is evaluated as Kargo v1.11 does it: every expression
// becomes text (a string as it is, anything else as JSON), the text is joined
// with the literal parts, and the whole is parsed back: wrapped in double
// quotes it is a string without them (what quote() produces); else a number,
// then a bool, then any JSON value; else it stays a string. So
// ${{ vars.replicas }} with replicas "3" is the number 3, "true" is a bool,
// quote(3) is the string "3", and "v${{ 1 }}" is the string "v1". The parse
// applies to the joined text, so "${{ 1 }}.5" is the number 1.5, as in Kargo.
//
// One deliberate difference: reading a key that a map does not have, such as
// ${{ vars.typo }}, is an error where Kargo yields null. Optional chaining
// (a?.b), the left side of ?? and comparisons with nil keep Kargo's nil.
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

// EvaluateBool evaluates a template that must yield a bool, such as a
// step's `if`. As in Kargo the template's text is parsed back first, so a
// var holding "true" is true; text without an expression is not evaluated
// and is refused.
func EvaluateBool(ctx context.Context, s string, env *Env) (bool, error) {
	out, err := newEvaluator(ctx, env).str(s)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%w: %q yields %T, not a bool; write it as ${{ expression }}", ErrExpression, s, out)
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

// str evaluates one template string: each expression becomes text, and the
// joined text is parsed back into a value (see the package documentation).
func (ev *evaluator) str(s string) (any, error) {
	segs, found, err := parseTemplate(s)
	if err != nil || !found {
		return s, err
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
	return reparse(b.String())
}
