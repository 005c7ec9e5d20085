package promotion

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ComposeOutputStep is the name of Kargo's compose-output step, the one
// step that implements TaskOutput.
const ComposeOutputStep = "compose-output"

// TaskOutput is implemented by a step whose output is also published under
// its task's alias, which is how a task returns values to the Stage's
// template (compose-output).
type TaskOutput interface {
	TaskOutput()
}

// outputs holds step outputs by alias, as persisted in status.state.
type outputs map[string]any

func decodeState(raw *apiextensionsv1.JSON) (outputs, error) {
	out := outputs{}
	if raw == nil || len(raw.Raw) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(raw.Raw, &out); err != nil {
		return nil, fmt.Errorf("decoding status.state: %w", err)
	}
	if out == nil {
		out = outputs{}
	}
	return out, nil
}

func (o outputs) encode() (*apiextensionsv1.JSON, error) {
	if len(o) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(map[string]any(o))
	if err != nil {
		return nil, fmt.Errorf("encoding step outputs: %w", err)
	}
	return &apiextensionsv1.JSON{Raw: raw}, nil
}

// record stores a step's output under its alias; for a TaskOutput step
// inside a task it also merges the output into the task's alias.
func (o outputs) record(alias string, taskOutput bool, out map[string]any) {
	if out == nil {
		return
	}
	o[alias] = out
	if !taskOutput {
		return
	}
	task, ok := taskAlias(alias)
	if !ok {
		return
	}
	merged := map[string]any{}
	if prev, ok := o[task].(map[string]any); ok {
		maps.Copy(merged, prev)
	}
	maps.Copy(merged, out)
	o[task] = merged
}

// forTask returns the outputs of the steps of the task that alias belongs
// to, keyed by their alias within the task: `task.outputs.<step>`.
func (o outputs) forTask(alias string) map[string]any {
	task, ok := taskAlias(alias)
	if !ok {
		return nil
	}
	prefix := task + TaskSeparator
	out := map[string]any{}
	for k, v := range o {
		if inner, ok := strings.CutPrefix(k, prefix); ok {
			out[inner] = v
		}
	}
	return out
}

// severity orders step statuses; the promotion's phase comes from the worst
// step that did not continue on error.
func severity(s railyard.StepStatus) int {
	switch s {
	case railyard.StepStatusSucceeded, "":
		return 0
	case railyard.StepStatusSkipped:
		return 1
	case railyard.StepStatusPending, railyard.StepStatusRunning:
		return 2
	case railyard.StepStatusAborted:
		return 3
	case railyard.StepStatusFailed:
		return 4
	default:
		return 5
	}
}

// finalPhase computes the phase and message of a promotion whose steps have
// all finished.
func finalPhase(metas []railyard.StepExecutionMetadata) (railyard.PromotionPhase, string) {
	worst := -1
	for i, md := range metas {
		if md.ContinueOnError {
			continue
		}
		if worst < 0 || severity(md.Status) > severity(metas[worst].Status) {
			worst = i
		}
	}
	if worst < 0 || severity(metas[worst].Status) <= severity(railyard.StepStatusSkipped) {
		return railyard.PromotionPhaseSucceeded, ""
	}
	md := metas[worst]
	msg := fmt.Sprintf("step %q %s", md.Alias, strings.ToLower(string(md.Status)))
	if md.Message != "" {
		msg += ": " + md.Message
	}
	switch md.Status {
	case railyard.StepStatusFailed:
		return railyard.PromotionPhaseFailed, msg
	case railyard.StepStatusAborted:
		return railyard.PromotionPhaseAborted, msg
	default:
		return railyard.PromotionPhaseErrored, msg
	}
}

// failedSoFar reports whether a step before index i ended Failed or Errored
// without continueOnError: the default `if` then skips the step.
func failedSoFar(metas []railyard.StepExecutionMetadata, i int) bool {
	for j := 0; j < i && j < len(metas); j++ {
		md := metas[j]
		if !md.ContinueOnError && (md.Status == railyard.StepStatusFailed || md.Status == railyard.StepStatusErrored) {
			return true
		}
	}
	return false
}
