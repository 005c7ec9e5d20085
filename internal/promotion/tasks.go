package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Errors of task inflation. Both are wrapped in a TerminalError: the user
// must fix the Stage or the task.
var (
	// ErrTaskNotFound means a step references a task that does not exist.
	ErrTaskNotFound = errors.New("promotion task not found")
	// ErrMissingTaskVar means a required task input was not supplied.
	ErrMissingTaskVar = errors.New("missing value for task variable")
	// ErrInvalidSteps means the step list is malformed (duplicate aliases,
	// a step with neither uses nor task, a task within a task).
	ErrInvalidSteps = errors.New("invalid promotion steps")
)

// TaskSeparator joins a task's alias and the alias of one of its steps.
const TaskSeparator = "::"

// InflateSteps returns steps with every `task:` step replaced by the steps of
// the referenced PromotionTask (in namespace) or ClusterPromotionTask, and
// every alias filled in: step-<n> and task-<n> by position, and
// "<taskAlias>::<stepAlias>" for a task's steps. promotionVars are the Stage
// and template vars; a task input they define need not be passed again.
// Each inlined step gets vars = task inputs (defaults, then the referencing
// step's vars) followed by its own vars.
//
// reader may be nil when no step references a task. Errors the user must fix
// are TerminalErrors wrapping ErrTaskNotFound, ErrMissingTaskVar or
// ErrInvalidSteps; other errors are transient API errors.
func InflateSteps(ctx context.Context, reader client.Reader, namespace string, promotionVars []railyard.ExpressionVariable, steps []railyard.PromotionStep) ([]railyard.PromotionStep, error) {
	defined := map[string]bool{}
	for _, v := range promotionVars {
		if v.Value != "" {
			defined[v.Name] = true
		}
	}
	var out []railyard.PromotionStep
	for i, step := range steps {
		alias := step.GetAlias(i)
		switch {
		case step.Task == nil && step.Uses == "":
			return nil, Terminalf("%w: step %q sets neither uses nor task", ErrInvalidSteps, alias)
		case step.Task == nil:
			s := *step.DeepCopy()
			s.As = alias
			out = append(out, s)
			continue
		case step.Uses != "":
			return nil, Terminalf("%w: step %q sets both uses and task", ErrInvalidSteps, alias)
		}
		spec, kind, err := getTask(ctx, reader, namespace, *step.Task)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", alias, err)
		}
		taskVars, err := taskInputs(spec.Vars, defined, step.Vars)
		if err != nil {
			return nil, Terminalf("step %q (%s %q): %w", alias, kind, step.Task.Name, err)
		}
		for j, ts := range spec.Steps {
			if ts.Task != nil || ts.Uses == "" {
				return nil, Terminalf("%w: step %d of %s %q must set uses; a task cannot reference another task", ErrInvalidSteps, j+1, kind, step.Task.Name)
			}
			s := *ts.DeepCopy()
			s.As = alias + TaskSeparator + ts.GetAlias(j)
			s.Vars = append(append([]railyard.ExpressionVariable(nil), taskVars...), ts.Vars...)
			out = append(out, s)
		}
	}
	seen := map[string]bool{}
	for _, s := range out {
		if seen[s.As] {
			return nil, Terminalf("%w: alias %q is used by more than one step", ErrInvalidSteps, s.As)
		}
		seen[s.As] = true
	}
	return out, nil
}

func getTask(ctx context.Context, reader client.Reader, namespace string, ref railyard.PromotionTaskReference) (*railyard.PromotionTaskSpec, railyard.PromotionTaskReferenceKind, error) {
	kind := ref.Kind
	if kind == "" {
		kind = railyard.PromotionTaskKind
	}
	if reader == nil {
		return nil, kind, fmt.Errorf("cannot read %s %q: no client", kind, ref.Name)
	}
	var err error
	var spec *railyard.PromotionTaskSpec
	switch kind {
	case railyard.PromotionTaskKind:
		var t railyard.PromotionTask
		err = reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, &t)
		spec = &t.Spec
	case railyard.ClusterPromotionTaskKind:
		var t railyard.ClusterPromotionTask
		err = reader.Get(ctx, client.ObjectKey{Name: ref.Name}, &t)
		spec = &t.Spec
	default:
		return nil, kind, Terminalf("%w: unknown task kind %q", ErrInvalidSteps, kind)
	}
	switch {
	case apierrors.IsNotFound(err):
		where := ""
		if kind == railyard.PromotionTaskKind {
			where = " in namespace " + namespace
		}
		return nil, kind, Terminalf("%w: %s %q%s", ErrTaskNotFound, kind, ref.Name, where)
	case err != nil:
		return nil, kind, fmt.Errorf("reading %s %q: %w", kind, ref.Name, err)
	}
	return spec, kind, nil
}

// taskInputs computes the vars a task's steps start with: defaults for
// inputs the promotion does not define, then the caller's vars. A required
// input must come from the caller or the promotion.
func taskInputs(inputs []railyard.PromotionTaskVar, defined map[string]bool, callerVars []railyard.ExpressionVariable) ([]railyard.ExpressionVariable, error) {
	passed := map[string]bool{}
	for _, v := range callerVars {
		passed[v.Name] = true
	}
	var out []railyard.ExpressionVariable
	var missing []string
	for _, in := range inputs {
		switch {
		case defined[in.Name]:
		case in.Value != "":
			out = append(out, railyard.ExpressionVariable(in))
		case !passed[in.Name]:
			missing = append(missing, in.Name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w %s", ErrMissingTaskVar, quoteJoin(missing))
	}
	return append(out, callerVars...), nil
}

func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// taskAlias returns the task part of an inlined step's alias and whether
// the step came from a task.
func taskAlias(alias string) (string, bool) {
	i := strings.LastIndex(alias, TaskSeparator)
	if i < 0 {
		return "", false
	}
	return alias[:i], true
}
