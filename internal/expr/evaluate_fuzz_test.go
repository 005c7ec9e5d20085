package expr

import (
	"context"
	"errors"
	"testing"
)

// FuzzEvaluate checks that any template, however odd, ends in a value or
// an expression error: the member-access patch and the re-parse of the
// result never panic nor fail with another kind of error.
func FuzzEvaluate(f *testing.F) {
	for _, seed := range []string{
		"${{ vars.replicas }}", "v${{ 1 }}", "${{ quote(vars.obj) }}\n", "${{ outputs.skipped?.commit ?? vars.typo }}",
		"${{ map([{'a': 1}], #.a) }}", "${{ vars['flag'] == nil }}", "${% {'a': {'b': 1}}.a.b %}", "${{ 'inf' }}",
		"${{ asYAML(vars) }}${{ asJSON(outputs) }}", `"${{ 1 }}"`, "${{ status('a') }}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := EvaluateString(context.Background(), s, compatEnv())
		if err != nil && !errors.Is(err, ErrExpression) {
			t.Fatalf("EvaluateString(%q): error %v does not wrap ErrExpression", s, err)
		}
	})
}
