package expr

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// compatEnv holds vars as a Kargo Stage or PromotionTask would: strings.
func compatEnv() *Env {
	return &Env{Variables: map[string]any{
		"vars": map[string]any{
			"replicas": "3", "ratio": "3.5", "flag": "true", "obj": `{"a":1}`, "arr": "[1,2]",
			"hello": "hello", "zero": "0", "t": "T", "null": "null",
		},
		"aString": "hello",
		"outputs": map[string]any{"clone": map[string]any{"commit": "abc"}},
	}}
}

// TestKargoTemplates states, per case, the value Kargo v1.11 gives for the
// same template; Railyard must give the same.
func TestKargoTemplates(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		// pkg/expressions/json_templates.go EvaluateTemplate: the evaluated
		// text is parsed back as a number, then a bool, then JSON, else kept
		// as a string; text without an expression is not touched.
		{"string var that is a number", "${{ vars.replicas }}", int64(3)},
		{"string var that is a float", "${{ vars.ratio }}", 3.5},
		{"string var that is a bool", "${{ vars.flag }}", true},
		{"string var that is an object", "${{ vars.obj }}", map[string]any{"a": int64(1)}},
		{"string var that is an array", "${{ vars.arr }}", []any{int64(1), int64(2)}},
		{"string var that is text", "${{ vars.hello }}", "hello"},
		{"string var that is null", "${{ vars.null }}", nil},
		{"numbers come before bools", "${{ vars.zero }}", int64(0)},
		{"strconv bool spellings", "${{ vars.t }}", true},
		{"no expression stays a string", "42", "42"},
		{"mixed text stays a string", "v${{ 1 }}", "v1"},
		{"joined text is parsed back", "${{ 1 }}${{ 2 }}", int64(12)},
		{"joined text may make a float", "${{ 1 }}.5", 1.5},
		// docs/.../40-expressions.md, "Types" and quote(): 40 + 2 is a
		// number, quote(40 + 2) the string "42".
		{"doc: number", "${{ 40 + 2 }}", int64(42)},
		{"doc: quote number", "${{ quote(40 + 2) }}", "42"},
		{"doc: quote string", `${{ quote("string") }}`, "string"},
		{"doc: unsafeQuote number", "${{ unsafeQuote(40 + 2) }}", "42"},
		{"doc: unsafeQuote string", `${{ unsafeQuote("string") }}`, `"string"`},
		{"quote of a numeric var", "${{ quote(vars.replicas) }}", "3"},
		// pkg/expressions/json_templates_test.go TestEvaluateJSONTemplate.
		{"test: quote null", "${{ quote(nil) }}", "null"},
		{"test: quote bool", "${{ quote(true) }}", "true"},
		{"test: quote number", "${{ quote(42) }}", "42"},
		{"test: quote object", "${{ quote({ 'foo': 'bar' }) }}", `{"foo":"bar"}`},
		{"test: quote string once", "${{ quote('foo') }}", "foo"},
		{"test: unsafeQuote string", "${{ unsafeQuote('foo') }}", `"foo"`},
		{"test: null", `${{ "null" }}`, nil},
		{"test: asYAML array", "${{ asYAML([ 'one', 'two' ]) }}", "- one\n- two\n"},
		{"test: asJSON object", "${{ asJSON({ 'foo': 'bar', 'count': 2 }) }}", "{\n  \"count\": 2,\n  \"foo\": \"bar\"\n}\n"},
		{"test: block scalar object", "${{ {\"foo\": \"bar\"} }}\n", map[string]any{"foo": "bar"}},
		{"test: block scalar quoted object", "${{ quote({\"foo\": \"bar\"}) }}\n", "{\"foo\":\"bar\"}\n"},
		{"test: block scalar number", "${{ 42 }}\n", int64(42)},
		{"test: block scalar quoted number", "${{ quote(42) }}\n", "42\n"},
		{"test: alternative delimiters", "${% '{{.domain}}' %}", "{{.domain}}"},
		{"test: both delimiters", "foo ${{ aString }} and ${% 'bar' %}", "foo hello and bar"},
		// evaluateExpression: a non-string result is written as JSON, nil
		// as null.
		{"nil in text", "x=${{ nil }}", "x=null"},
		{"map in text", "x=${{ {'a': 1} }}", `x={"a":1}`},
		// Kargo yields nil for a missing key; Railyard refuses it (see
		// TestMissingKeys) except where the expression asks for nil.
		{"optional chaining", "${{ outputs.skipped?.commit }}", nil},
		{"nil coalescing", "${{ vars.typo ?? 'default' }}", "default"},
		{"compared with nil", "${{ vars.typo == nil }}", true},
		{"nested coalescing", "${{ outputs.skipped?.commit ?? outputs.clone.commit }}", "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EvaluateString(context.Background(), tc.in, compatEnv())
			if err != nil {
				t.Fatalf("EvaluateString(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EvaluateString(%q) = %#v (%T), want %#v (%T)", tc.in, got, got, tc.want, tc.want)
			}
		})
	}
}

// Kargo's if (pkg/promotion/evaluator.go ShouldSkip) is an EvaluateTemplate
// that must yield a bool.
func TestKargoIf(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr string
	}{
		{in: "${{ vars.flag }}", want: true},
		// Inside the expression vars.flag is still the string "true".
		{in: "${{ vars.flag == 'true' }}", want: true},
		{in: "${{ vars.zero }}", wantErr: "yields int64, not a bool"},
		{in: "true", wantErr: "yields string, not a bool"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := EvaluateBool(context.Background(), tc.in, compatEnv())
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

// A key a map lacks is an error in Railyard where Kargo yields null (which a
// step would write as null, or "null" inside text).
func TestMissingKeys(t *testing.T) {
	tests := []struct{ in, want string }{
		{"${{ vars.replica }}", `vars has no key "replica"`},
		{"v${{ vars.replica }}", `vars has no key "replica"`},
		{"${{ vars['replica'] }}", `vars has no key "replica"`},
		{"${{ outputs.clone.comit }}", `outputs.clone has no key "comit"`},
		{"${{ outputs.skipped.commit }}", `outputs has no key "skipped"`},
		{"${{ map([{'a': 1}], #.b) }}", `has no key "b"`},
		{"${{ 'inf' }}", "wrap the expression in quote()"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := EvaluateString(context.Background(), tc.in, compatEnv())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("EvaluateString(%q) error = %v, want %q", tc.in, err, tc.want)
			}
		})
	}
}

// pkg/expressions/function/functions.go getStatus: an alias is looked up
// among the steps of the caller's task, and only there.
func TestStatusResolvesTaskAliases(t *testing.T) {
	statuses := map[string]railyard.StepStatus{
		"a":       railyard.StepStatusSucceeded,
		"t::a":    railyard.StepStatusFailed,
		"u::a":    railyard.StepStatusErrored,
		"t::b":    railyard.StepStatusSkipped,
		"x::y::z": railyard.StepStatusSucceeded,
	}
	tests := []struct{ current, alias, want string }{
		{"top", "a", "Succeeded"},
		{"t::c", "a", "Failed"},
		{"u::c", "a", "Errored"},
		{"t::c", "b", "Skipped"},
		{"top", "b", ""},
		{"top", "t::a", ""},
		{"t::c", "t::a", ""},
		{"top", "x::y::z", "Succeeded"},
	}
	for _, tc := range tests {
		env := &Env{Steps: &StepState{Current: tc.current, Statuses: statuses}}
		got, err := EvaluateString(context.Background(), "${{ quote(status('"+tc.alias+"')) }}", env)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("status(%q) from %q = %q, want %q", tc.alias, tc.current, got, tc.want)
		}
	}
}

// docs/.../40-expressions.md sharedSecret() and sharedConfigMap(): objects of
// the shared resources namespace, an empty map when absent, and only
// Secrets labelled as generic credentials.
func TestSharedData(t *testing.T) {
	ns := DefaultSharedNamespace
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "slack",
			Labels: map[string]string{railyard.LabelKargoCredType: railyard.CredTypeGeneric}}, Data: map[string][]byte{"token": []byte("xoxb")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api",
			Labels: map[string]string{railyard.LabelCredType: railyard.CredTypeGeneric}}, Data: map[string][]byte{"key": []byte("k")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "git",
			Labels: map[string]string{railyard.LabelCredType: railyard.CredTypeGit}}, Data: map[string][]byte{"password": []byte("p")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "settings"}, Data: map[string]string{"repoURL": "https://x"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "settings"}, Data: map[string]string{"repoURL": "https://project"}},
	).Build()
	env := &Env{
		Data:       ClientLookup{Reader: c, Namespace: "demo"},
		SharedData: ClientLookup{Reader: c, Namespace: ns, GenericOnly: true},
	}
	got, err := Evaluate(context.Background(), []any{
		"Bearer ${{ sharedSecret('slack').token }}",
		"${{ sharedSecret('api').key }}",
		"${{ sharedSecret('git') }}",
		"${{ sharedSecret('missing') }}",
		"${{ sharedConfigMap('settings').repoURL }}",
		"${{ configMap('settings').repoURL }}",
		"${{ sharedConfigMap('missing') }}",
	}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"Bearer xoxb", "k", map[string]any{}, map[string]any{}, "https://x", "https://project", map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if _, err := EvaluateString(context.Background(), "${{ sharedSecret('x') }}", &Env{}); err == nil || !strings.Contains(err.Error(), "not available here") {
		t.Errorf("sharedSecret without a lookup: %v", err)
	}
}

// pkg/expressions/function/functions.go getArtifactFromFreight takes a
// subscription name and an optional origin; Railyard has no generic
// subscriptions, which the error says.
func TestArtifactFrom(t *testing.T) {
	tests := []struct{ in, want string }{
		{"${{ artifactFrom('tool') }}", "no generic subscriptions"},
		{"${{ artifactFrom('tool', warehouse('w')).version }}", "no generic subscriptions"},
		{"${{ artifactFrom() }}", "one or two arguments"},
		{"${{ artifactFrom(1) }}", "subscriptionName must be a string"},
		{"${{ artifactFrom('tool', 'w') }}", "origin must come from warehouse(name)"},
	}
	for _, tc := range tests {
		_, err := EvaluateString(context.Background(), tc.in, freightEnv())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("EvaluateString(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// pkg/promotion/evaluator.go BuildCtxMap: the keys of ctx.
func TestContextMap(t *testing.T) {
	c := PromotionContext{
		UIBaseURL: "https://ui", Project: "p", Stage: "s", Promotion: "pr", FreightAlias: "wonky-wombat",
		TargetFreight: railyard.FreightReference{Name: "f", Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "w"}},
		Actor:         "alice", Rollback: true, StepAlias: "step-1",
	}
	env := &Env{Variables: map[string]any{"ctx": c.Map()}}
	tests := map[string]any{
		"${{ ctx.uiBaseUrl }}":                 "https://ui",
		"${{ ctx.targetFreight.alias }}":       "wonky-wombat",
		"${{ ctx.targetFreight.origin.name }}": "w",
		"${{ ctx.meta.promotion.rollback }}":   true,
		"${{ ctx.meta.promotion.actor }}":      "alice",
		"${{ ctx.meta.step.alias }}":           "step-1",
	}
	for in, want := range tests {
		got, err := EvaluateString(context.Background(), in, env)
		if err != nil || got != want {
			t.Errorf("EvaluateString(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
	if _, err := EvaluateString(context.Background(), "${{ ctx.targetFreight.alais }}", env); err == nil {
		t.Error("a misspelt ctx field did not fail")
	}
}
