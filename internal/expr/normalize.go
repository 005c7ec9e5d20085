package expr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
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

// toText renders a value inside a string that mixes text and expressions.
func toText(v any) (string, error) {
	n, err := normalize(v)
	if err != nil {
		return "", err
	}
	switch t := n.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return strconv.FormatInt(int64(t), 10), nil
		}
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	}
	raw, err := json.Marshal(n)
	if err != nil {
		return "", err
	}
	return string(raw), nil
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
