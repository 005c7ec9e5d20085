package promotion

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Each case states what Kargo v1.11 does with the same steps; the engine
// must do the same.
func TestKargoControlFlow(t *testing.T) {
	tests := []struct {
		name      string
		steps     []railyard.PromotionStep
		vars      []railyard.ExpressionVariable
		wantPhase railyard.PromotionPhase
		want      string
	}{
		// docs/.../15-promotion-templates.md, "Conditional Steps", first example.
		{
			name: "doc: no failure",
			steps: []railyard.PromotionStep{
				{Uses: "ok", As: "a"},
				{Uses: "ok", As: "b", If: "${{ always() }}"},
				{Uses: "ok", As: "c", If: "${{ failure() }}"},
				{Uses: "ok", As: "d", If: "${{ success() }}"},
			},
			wantPhase: railyard.PromotionPhaseSucceeded,
			want:      "a=Succeeded b=Succeeded c=Skipped d=Succeeded",
		},
		// Same page, second example: after a failure, always() and failure()
		// run, success() is skipped, and the Promotion fails.
		{
			name: "doc: after a failure",
			steps: []railyard.PromotionStep{
				{Uses: "fail", As: "a"},
				{Uses: "ok", As: "b", If: "${{ always() }}"},
				{Uses: "ok", As: "c", If: "${{ failure() }}"},
				{Uses: "ok", As: "d", If: "${{ success() }}"},
			},
			wantPhase: railyard.PromotionPhaseFailed,
			want:      "a=Failed b=Succeeded c=Succeeded d=Skipped",
		},
		// Same page, status() example: an if naming neither always() nor
		// failure() is still evaluated after an error (evaluator.go
		// ShouldSkip evaluates every non-empty if).
		{
			name: "doc: status() after an error",
			steps: []railyard.PromotionStep{
				{Uses: "error", As: "my-step"},
				{Uses: "ok", As: "b", If: "${{ always() }}"},
				{Uses: "ok", As: "c", If: "${{ failure() }}"},
				{Uses: "ok", As: "d", If: "${{ status('my-step') == 'Errored' }}"},
				{Uses: "ok", As: "e"},
			},
			wantPhase: railyard.PromotionPhaseErrored,
			want:      "my-step=Errored b=Succeeded c=Succeeded d=Succeeded e=Skipped",
		},
		// Same page, continueOnError example: the failure counts for neither
		// failure() nor success(), nor for the Promotion's phase.
		{
			name: "doc: continueOnError",
			steps: []railyard.PromotionStep{
				{Uses: "fail", As: "a", ContinueOnError: true},
				{Uses: "ok", As: "b", If: "${{ always() }}"},
				{Uses: "ok", As: "c", If: "${{ failure() }}"},
				{Uses: "ok", As: "d", If: "${{ success() }}"},
			},
			wantPhase: railyard.PromotionPhaseSucceeded,
			want:      "a=Failed b=Succeeded c=Skipped d=Succeeded",
		},
		// Same page, last example: a step without if runs after a
		// continueOnError failure (HasFailures ignores such steps).
		{
			name: "doc: empty if after continueOnError",
			steps: []railyard.PromotionStep{
				{Uses: "ok", As: "a"},
				{Uses: "fail", As: "b", ContinueOnError: true},
				{Uses: "ok", As: "c"},
				{Uses: "ok", As: "d"},
			},
			wantPhase: railyard.PromotionPhaseSucceeded,
			want:      "a=Succeeded b=Failed c=Succeeded d=Succeeded",
		},
		// evaluator.go ShouldSkip: the if is an EvaluateTemplate whose text
		// is parsed back, so a var holding "true" is the bool true.
		{
			name: "if from a string var",
			vars: []railyard.ExpressionVariable{{Name: "flag", Value: "true"}, {Name: "off", Value: "false"}},
			steps: []railyard.PromotionStep{
				{Uses: "ok", As: "a", If: "${{ vars.flag }}"},
				{Uses: "ok", As: "b", If: "${{ vars.off }}"},
			},
			wantPhase: railyard.PromotionPhaseSucceeded,
			want:      "a=Succeeded b=Skipped",
		},
		// ShouldSkip: text without an expression stays a string, and an if
		// that is not a bool is an error; the step is Errored and the
		// following step without if is skipped.
		{
			name: "if that is plain text",
			steps: []railyard.PromotionStep{
				{Uses: "ok", As: "a", If: "true"},
				{Uses: "ok", As: "b"},
				{Uses: "ok", As: "c", If: "${{ status('a') == 'Errored' }}"},
			},
			wantPhase: railyard.PromotionPhaseErrored,
			want:      "a=Errored b=Skipped c=Succeeded",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t,
				&fakeStep{name: "ok"},
				failing("fail", railyard.StepStatusFailed, nil),
				failing("error", railyard.StepStatusErrored, nil),
			)
			p := promotion(tc.steps...)
			p.Spec.Vars = tc.vars
			out := h.run(p)
			if out.Phase != tc.wantPhase {
				t.Errorf("phase = %s (%s), want %s", out.Phase, p.Status.Message, tc.wantPhase)
			}
			if got := statuses(p.Status); got != tc.want {
				t.Errorf("statuses:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// pkg/expressions/function/functions.go getStatus: status() resolves an
// alias among the steps of the caller's own task ("<task>::<alias>"); from
// outside, neither the short nor the full alias of a task's step is found.
func TestStatusInsideTask(t *testing.T) {
	var log []string
	h := newHarness(t, echo(&log), failing("fail", railyard.StepStatusFailed, nil))
	c := taskClient(t)
	if err := c.Create(t.Context(), &railyard.PromotionTask{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "guarded"},
		Spec: railyard.PromotionTaskSpec{Steps: []railyard.PromotionStep{
			{Uses: "fail", As: "try", ContinueOnError: true},
			{Uses: "echo", As: "report", If: "${{ status('try') == 'Failed' }}",
				Config: cfg(map[string]any{"seen": "${{ status('try') }}", "top": "${{ status('before') }}"})},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	h.eng.Reader = c
	p := promotion(
		railyard.PromotionStep{Uses: "echo", As: "before"},
		railyard.PromotionStep{Task: &railyard.PromotionTaskReference{Name: "guarded"}, As: "g"},
		railyard.PromotionStep{Uses: "echo", As: "after", Config: cfg(map[string]any{
			"short": "${{ status('try') }}", "full": "${{ status('g::try') }}", "top": "${{ status('before') }}",
		})},
	)
	out := h.run(p)
	if out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase %s (%s)", out.Phase, p.Status.Message)
	}
	if got, want := statuses(p.Status), "before=Succeeded g::try=Failed g::report=Succeeded after=Succeeded"; got != want {
		t.Fatalf("statuses %s, want %s", got, want)
	}
	o := outputsOf(t, p.Status)
	want := map[string]any{
		"g::report": map[string]any{"seen": "Failed", "top": ""},
		"after":     map[string]any{"short": "", "full": "", "top": "Succeeded"},
	}
	for alias, w := range want {
		if !reflect.DeepEqual(o[alias], w) {
			t.Errorf("outputs[%q] = %#v, want %#v", alias, o[alias], w)
		}
	}
}

// pkg/expressions/json_templates.go EvaluateTemplate: a config value's text
// is parsed back (number, then bool, then JSON), quote() keeps a string,
// mixed text stays a string. Task inputs are strings, so a task's step sees
// the number too. evaluator.go BuildCtxMap: ctx.targetFreight.alias,
// ctx.meta.promotion.rollback (the rollback annotation) and ctx.uiBaseUrl.
// evaluator.go Vars: promotion vars are evaluated for each step, with that
// step's ctx.meta.step.alias.
func TestConfigValuesAreTypedAsInKargo(t *testing.T) {
	var log []string
	e := echo(&log)
	h := newHarness(t, e)
	c := taskClient(t)
	if err := c.Create(t.Context(), &railyard.Freight{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "f1"}, Alias: "wonky-wombat",
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(t.Context(), &railyard.PromotionTask{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "scale"},
		Spec: railyard.PromotionTaskSpec{
			Vars:  []railyard.PromotionTaskVar{{Name: "count", Value: "2"}},
			Steps: []railyard.PromotionStep{{Uses: "echo", Config: cfg(map[string]any{"replicas": "${{ vars.count }}", "me": "${{ vars.me }}"})}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	h.eng.Reader = c
	p := promotion(
		railyard.PromotionStep{Uses: "echo", As: "typed", Config: cfg(map[string]any{
			"replicas": "${{ vars.replicas }}",
			"ratio":    "${{ vars.ratio }}",
			"enabled":  "${{ vars.flag }}",
			"labels":   "${{ vars.labels }}",
			"list":     "${{ vars.list }}",
			"name":     "${{ vars.name }}",
			"tag":      "${{ quote(vars.replicas) }}",
			"mixed":    "v${{ vars.replicas }}",
			"alias":    "${{ ctx.targetFreight.alias }}",
			"rollback": "${{ ctx.meta.promotion.rollback }}",
			"ui":       "${{ ctx.uiBaseUrl }}",
			"me":       "${{ vars.me }}",
		})},
		railyard.PromotionStep{Task: &railyard.PromotionTaskReference{Name: "scale"}, As: "scale"},
	)
	p.Annotations[AnnotationKargoRollback] = "true"
	p.Spec.Vars = []railyard.ExpressionVariable{
		{Name: "replicas", Value: "3"}, {Name: "ratio", Value: "3.5"}, {Name: "flag", Value: "true"},
		{Name: "labels", Value: `{"a":1}`}, {Name: "list", Value: "[1,2]"}, {Name: "name", Value: "hello"},
		{Name: "me", Value: "${{ ctx.meta.step.alias }}"},
	}
	out := h.run(p)
	if out.Phase != railyard.PromotionPhaseSucceeded {
		t.Fatalf("phase %s (%s)", out.Phase, p.Status.Message)
	}
	want := []map[string]any{
		{
			"replicas": int64(3), "ratio": 3.5, "enabled": true, "labels": map[string]any{"a": int64(1)},
			"list": []any{int64(1), int64(2)}, "name": "hello", "tag": "3", "mixed": "v3",
			"alias": "wonky-wombat", "rollback": true, "ui": "", "me": "typed",
		},
		{"replicas": int64(2), "me": "scale::step-1"},
	}
	if !reflect.DeepEqual(e.configs, want) {
		t.Errorf("configs:\n got %#v\nwant %#v", e.configs, want)
	}
}
