package expr

import (
	"fmt"
	"sort"

	"github.com/expr-lang/expr/parser"
)

// Check reports the first template in v (strings, recursively through maps
// and lists; keys are never templates) that is malformed or holds an
// expression that does not parse. It evaluates nothing, so it can run when a
// Promotion is created, before any step, to refuse steps that could never
// run. path names where v sits, for the message.
func Check(v any, path string) error {
	switch t := v.(type) {
	case string:
		return CheckString(t, path)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := Check(t[k], joinPath(path, k)); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := Check(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckString checks one template string; see Check.
func CheckString(s, path string) error {
	segs, _, err := parseTemplate(s)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, seg := range segs {
		if !seg.isExpr {
			continue
		}
		if _, err := parser.Parse(seg.text); err != nil {
			return fmt.Errorf("%s: %w: %q does not compile: %w", path, ErrExpression, seg.text, err)
		}
	}
	return nil
}
