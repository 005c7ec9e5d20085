package promotion

import (
	"reflect"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func TestFinalPhase(t *testing.T) {
	md := func(status railyard.StepStatus, continueOnError bool) railyard.StepExecutionMetadata {
		return railyard.StepExecutionMetadata{Alias: "s-" + string(status), Status: status, ContinueOnError: continueOnError, Message: "m"}
	}
	tests := []struct {
		name  string
		metas []railyard.StepExecutionMetadata
		want  railyard.PromotionPhase
		msg   string
	}{
		{"no steps", nil, railyard.PromotionPhaseSucceeded, ""},
		{"succeeded and skipped", []railyard.StepExecutionMetadata{md(railyard.StepStatusSucceeded, false), md(railyard.StepStatusSkipped, false)}, railyard.PromotionPhaseSucceeded, ""},
		{"failed", []railyard.StepExecutionMetadata{md(railyard.StepStatusSucceeded, false), md(railyard.StepStatusFailed, false)}, railyard.PromotionPhaseFailed, `step "s-Failed" failed: m`},
		{"errored beats failed", []railyard.StepExecutionMetadata{md(railyard.StepStatusErrored, false), md(railyard.StepStatusFailed, false)}, railyard.PromotionPhaseErrored, `step "s-Errored" errored: m`},
		{"failed beats aborted", []railyard.StepExecutionMetadata{md(railyard.StepStatusAborted, false), md(railyard.StepStatusFailed, false)}, railyard.PromotionPhaseFailed, `step "s-Failed" failed: m`},
		{"aborted", []railyard.StepExecutionMetadata{md(railyard.StepStatusAborted, false)}, railyard.PromotionPhaseAborted, `step "s-Aborted" aborted: m`},
		{"continueOnError ignored", []railyard.StepExecutionMetadata{md(railyard.StepStatusErrored, true), md(railyard.StepStatusSucceeded, false)}, railyard.PromotionPhaseSucceeded, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := finalPhase(tc.metas)
			if got != tc.want || msg != tc.msg {
				t.Errorf("finalPhase = %s %q, want %s %q", got, msg, tc.want, tc.msg)
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	o := outputs{}
	o.record("t::a", false, map[string]any{"x": 1})
	o.record("t::b", true, map[string]any{"y": 2})
	o.record("t::c", true, map[string]any{"z": 3, "y": 4})
	o.record("top", true, map[string]any{"w": 5})
	o.record("u::a", false, map[string]any{"v": 6})
	o.record("nil", false, nil)

	if want := map[string]any{"y": 4, "z": 3}; !reflect.DeepEqual(o["t"], want) {
		t.Errorf("task alias outputs = %v, want %v", o["t"], want)
	}
	if _, ok := o["nil"]; ok {
		t.Error("a nil output was recorded")
	}
	if got := o.forTask("t::d"); !reflect.DeepEqual(got, map[string]any{"a": o["t::a"], "b": o["t::b"], "c": o["t::c"]}) {
		t.Errorf("forTask = %v", got)
	}
	if got := o.forTask("top"); got != nil {
		t.Errorf("forTask outside a task = %v, want nil", got)
	}

	raw, err := o.encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeState(raw)
	if err != nil || len(back) != len(o) {
		t.Fatalf("round trip: %v, %d entries, want %d", err, len(back), len(o))
	}
}
