package expr

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func testEnv() *Env {
	return &Env{
		Variables: map[string]any{
			"ctx": PromotionContext{Project: "demo", Stage: "dev", Promotion: "dev.01.abc", Actor: "alice"}.Map(),
			"vars": map[string]any{
				"app":      "guestbook",
				"replicas": "3",
				"count":    int64(2),
				"enabled":  true,
				"list":     []any{"a", "b"},
				"nested":   map[string]any{"key": "value"},
			},
			"outputs": map[string]any{
				"clone": map[string]any{"commit": "abc123"},
			},
		},
	}
}

func TestEvaluateString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"no expression stays untouched", "42", "42"},
		{"plain text", "hello", "hello"},
		{"sole expression keeps string", "${{ vars.app }}", "guestbook"},
		{"sole expression keeps int", "${{ vars.count + 1 }}", int64(3)},
		{"sole expression keeps float", "${{ 1.5 * 3 }}", 4.5},
		{"sole expression keeps bool", "${{ vars.enabled }}", true},
		{"sole expression keeps list", "${{ vars.list }}", []any{"a", "b"}},
		{"sole expression keeps map", "${{ vars.nested }}", map[string]any{"key": "value"}},
		{"surrounding whitespace still sole", "  ${{ vars.count }}\n", int64(2)},
		{"int from string", "${{ int(vars.replicas) }}", int64(3)},
		{"quote forces string", "${{ quote(vars.count) }}", "2"},
		{"quote of map is JSON", "${{ quote(vars.nested) }}", `{"key":"value"}`},
		{"mixed text is string", "app-${{ vars.app }}-${{ vars.count }}", "app-guestbook-2"},
		{"mixed renders map as JSON", "x=${{ vars.nested }}", `x={"key":"value"}`},
		{"alternate delimiters", "${% {'a': {'b': 1}}.a.b %}", int64(1)},
		{"alternate delimiters in text", "n=${% vars.count %}", "n=2"},
		{"optional chaining", "${{ outputs.missing?.commit }}", nil},
		{"nil coalescing", "${{ outputs.missing?.commit ?? 'none' }}", "none"},
		{"outputs", "${{ outputs.clone.commit }}", "abc123"},
		{"matches", "${{ vars.app matches '^guest' }}", true},
		{"ctx", "${{ ctx.project }}/${{ ctx.stage }} by ${{ ctx.meta.promotion.actor }}", "demo/dev by alice"},
		{"asJSON", "${{ asJSON(vars.list) }}", "[\n  \"a\",\n  \"b\"\n]\n"},
		{"asYAML", "${{ asYAML(vars.nested) }}", "key: value\n"},
		{"builtins", "${{ join(map(vars.list, upper(#)), ',') }}", "A,B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EvaluateString(context.Background(), tc.in, testEnv())
			if err != nil {
				t.Fatalf("EvaluateString(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EvaluateString(%q) = %#v (%T), want %#v (%T)", tc.in, got, got, tc.want, tc.want)
			}
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantMsg string
	}{
		{"unterminated", "${{ vars.app", `missing closing "}}"`},
		{"empty", "${{ }}", "empty expression"},
		{"does not compile", "${{ vars.app + }}", "does not compile"},
		{"unknown variable", "${{ nope.x }}", `"nope.x" does not compile`},
		{"missing key", "x=${{ vars.missing }}", `vars has no key "missing"`},
		{"missing nested key", "${{ outputs.clone.comit }}", `outputs.clone has no key "comit"`},
		{"run-time error", "${{ outputs.missing.commit }}", `"outputs.missing.commit"`},
		{"function error", "${{ semverParse('not-a-version') }}", "semverParse"},
		{"status outside steps", "${{ success() }}", "only available in promotion steps"},
		{"secret without lookup", "${{ secret('x') }}", "not available here"},
		{"wrong arity", "${{ warehouse() }}", "takes one argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EvaluateString(context.Background(), tc.in, testEnv())
			if err == nil {
				t.Fatalf("EvaluateString(%q) succeeded, want error", tc.in)
			}
			if !errors.Is(err, ErrExpression) {
				t.Errorf("error %v does not wrap ErrExpression", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestEvaluateValue(t *testing.T) {
	in := map[string]any{
		"${{ vars.app }}": "key is never evaluated",
		"path":            "./out/${{ vars.app }}",
		"replicas":        "${{ int(vars.replicas) }}",
		"images": []any{
			map[string]any{"image": "${{ vars.app }}", "n": 1.0},
			"${{ vars.enabled }}",
		},
		"untouched": true,
	}
	got, err := Evaluate(context.Background(), in, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"${{ vars.app }}": "key is never evaluated",
		"path":            "./out/guestbook",
		"replicas":        int64(3),
		"images": []any{
			map[string]any{"image": "guestbook", "n": 1.0},
			true,
		},
		"untouched": true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate = %#v, want %#v", got, want)
	}
	if in["path"] != "./out/${{ vars.app }}" {
		t.Errorf("Evaluate modified its input: %v", in["path"])
	}
}

func TestEvaluateErrorNamesPath(t *testing.T) {
	in := map[string]any{"apps": []any{map[string]any{"name": "${{ nope }}"}}}
	_, err := Evaluate(context.Background(), in, testEnv())
	if err == nil || !strings.Contains(err.Error(), "apps[0].name") {
		t.Fatalf("error %v does not name the config path apps[0].name", err)
	}
}

func TestEvaluateBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr string
	}{
		{in: "${{ vars.enabled }}", want: true},
		{in: "${{ vars.count > 5 }}", want: false},
		{in: "true", wantErr: "yields string, not a bool"},
		{in: "${{ vars.app }}", wantErr: "not a bool"},
		{in: "a ${{ true }}", wantErr: "yields string, not a bool"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := EvaluateBool(context.Background(), tc.in, testEnv())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("EvaluateBool(%q) error = %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("EvaluateBool(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}
