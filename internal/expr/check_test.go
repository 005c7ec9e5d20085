package expr

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		wantErr string // empty: no error
	}{
		{"plain text", "hello", ""},
		{"valid expression", "${{ vars.tag }}", ""},
		{"valid in a nested list", map[string]any{"images": []any{map[string]any{"tag": "${{ imageFrom(vars.repo).Tag }}"}}}, ""},
		{"numbers and bools are not templates", map[string]any{"n": 3.0, "b": true}, ""},
		{"unclosed", map[string]any{"path": "${{ vars.x "}, `path: expression error: "${{ vars.x ": missing closing "}}"`},
		{"empty", "${{ }}", "empty expression"},
		{"does not parse", map[string]any{"a": []any{"ok", "${{ vars.( }}"}}, "a[1]: expression error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.in, "")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Check = %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrExpression) {
				t.Fatalf("Check = %v, want an ErrExpression containing %q", err, tc.wantErr)
			}
		})
	}
}

// FuzzTemplate checks that parsing and checking a template never panics,
// and that a template Check accepts splits into segments that rebuild an
// equivalent template.
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{"plain", "${{ vars.a }}", "x-${{ 1 + 2 }}-y", "${% {'a': 1} %}", "${{ }}", "${{ unclosed", "${{ a }}${% b %}", "}}${{", "${{ quote(\"}}\") }}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		segs, found, err := parseTemplate(s)
		checkErr := CheckString(s, "v")
		if err != nil {
			if checkErr == nil {
				t.Fatalf("CheckString accepted %q that does not split: %v", s, err)
			}
			return
		}
		var text strings.Builder
		exprs := 0
		for _, seg := range segs {
			if seg.isExpr {
				exprs++
				if seg.text == "" {
					t.Fatalf("empty expression segment from %q", s)
				}
				continue
			}
			text.WriteString(seg.text)
		}
		if found != (exprs > 0) {
			t.Fatalf("found = %v with %d expressions in %q", found, exprs, s)
		}
		if exprs == 0 && text.String() != s {
			t.Fatalf("text %q without expressions came back as %q", s, text.String())
		}
	})
}
