package expr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// normalize turns an expression result into a JSON-like value: nil, bool,
// string, int64, float64, map[string]any or []any. Structs (imageFrom's
// result, an origin) become maps keyed by their JSON field names.
func normalize(v any) (any, error) {
	switch t := v.(type) {
	case nil, bool, string, int64, float64:
		return t, nil
	case int:
		return int64(t), nil
	case int32:
		return int64(t), nil
	case float32:
		return float64(t), nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, item := range t {
			n, err := normalize(item)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			n, err := normalize(item)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, nil
	}
	if s, ok := v.(fmt.Stringer); ok && isOpaque(v) {
		return s.String(), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: result of type %T cannot be represented as JSON: %w", ErrExpression, v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: decoding result: %w", ErrExpression, err)
	}
	return fromNumbers(out), nil
}

// isOpaque reports types whose JSON form says nothing useful, such as a
// parsed semantic version (a struct with only unexported fields).
func isOpaque(v any) bool {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return false
		}
	}
	return true
}

func fromNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case float64:
		return number(t)
	case map[string]any:
		for k, item := range t {
			t[k] = fromNumbers(item)
		}
	case []any:
		for i, item := range t {
			t[i] = fromNumbers(item)
		}
	}
	return v
}

// maxExactInt is the largest integer a float64 holds exactly.
const maxExactInt = 1 << 53

// number returns an integral float as int64, so that 3 stays 3 when a step
// decodes it into an int field; Kargo's JSON round trip writes it as 3 too.
func number(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < maxExactInt {
		return int64(f)
	}
	return f
}

// toText renders one expression's result inside a template, as Kargo does:
// a string as it is, anything else (nil included) as JSON.
func toText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	n, err := normalize(v)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(n)
	if err != nil {
		return "", fmt.Errorf("%w: result of type %T cannot be represented as JSON: %w", ErrExpression, v, err)
	}
	return string(raw), nil
}

// reparse gives the text a template evaluated to its type, in Kargo's order:
// text wrapped in double quotes (what quote() produces) is a string without
// them; otherwise a number, then a bool (strconv's spellings: "t", "True",
// ...), then any JSON value (object, array, null); else the text itself. A
// trailing newline, which YAML block scalars leave, is ignored for the
// parsing and kept on a string.
func reparse(s string) (any, error) {
	text, newline := strings.CutSuffix(s, "\n")
	if len(text) > 1 && strings.HasPrefix(text, `"`) && strings.HasSuffix(text, `"`) {
		text = text[1 : len(text)-1]
		if newline {
			text += "\n"
		}
		return text, nil
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%w: %q reads as a number JSON cannot hold; wrap the expression in quote() to keep it a string", ErrExpression, text)
		}
		return number(f), nil
	}
	if b, err := strconv.ParseBool(text); err == nil {
		return b, nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err == nil {
		return fromNumbers(v), nil
	}
	return s, nil
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
