package promotion

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/railyard-dev/railyard/internal/expr"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// baseEnv is the environment shared by every evaluation of one promotion:
// ctx, the promotion-level vars, Freight and data lookups.
func (r *run) baseEnv(ctx context.Context) error {
	alias, err := r.freightAlias(ctx)
	if err != nil {
		return err
	}
	r.ctxVar = expr.PromotionContext{
		UIBaseURL:     r.exprSettings().UIBaseURL,
		Project:       r.promo.Namespace,
		Stage:         r.promo.Spec.Stage,
		Promotion:     r.promo.Name,
		TargetFreight: r.target,
		FreightAlias:  alias,
		Actor:         r.promo.Annotations[railyard.AnnotationCreateActor],
		Rollback:      isRollback(r.promo),
	}
	// Promotion-level vars (Stage vars then template vars, as the Promotion
	// carries them) cannot see outputs: they are fixed for the whole run.
	vars := map[string]any{}
	env := r.env(map[string]any{"ctx": r.ctxVar.Map(), "vars": vars}, nil)
	if err := evalVars(ctx, r.promo.Spec.Vars, vars, env); err != nil {
		return err
	}
	r.vars = vars
	return nil
}

func (r *run) env(variables map[string]any, steps *expr.StepState) *expr.Env {
	env := &expr.Env{Variables: variables, Freight: r.freight, Steps: steps}
	if r.e.reader() != nil {
		env.Data = expr.ClientLookup{Reader: r.e.reader(), Namespace: r.promo.Namespace}
		env.SharedData = expr.ClientLookup{Reader: r.e.reader(), Namespace: r.exprSettings().SharedResourcesNamespace, GenericOnly: true}
		env.Objects = expr.ClientObjects{Reader: r.e.reader(), Namespace: r.promo.Namespace}
	}
	return env
}

// stepEnv builds the environment of step i: ctx, vars (the promotion's,
// then the step's own, which may read outputs), outputs, task.outputs for a
// task's steps, and the status functions. As in Kargo, the promotion's vars
// are evaluated again for each step, so they see the step's
// ctx.meta.step.alias.
func (r *run) stepEnv(ctx context.Context, i int) (*expr.Env, error) {
	step := r.steps[i]
	c := r.ctxVar
	c.StepAlias = step.As
	vars := make(map[string]any, len(r.vars)+len(step.Vars))
	if err := evalVars(ctx, r.promo.Spec.Vars, vars, r.env(map[string]any{"ctx": c.Map(), "vars": vars}, nil)); err != nil {
		return nil, err
	}
	variables := map[string]any{
		"ctx":     c.Map(),
		"vars":    vars,
		"outputs": copyOutputs(r.state),
	}
	if taskOut := r.state.forTask(step.As); taskOut != nil {
		variables["task"] = map[string]any{"outputs": taskOut}
	}
	statuses := make(map[string]railyard.StepStatus, i)
	for j := 0; j < i && j < len(r.status.StepExecutionMetadata); j++ {
		md := r.status.StepExecutionMetadata[j]
		statuses[md.Alias] = md.Status
	}
	env := r.env(variables, &expr.StepState{
		Current:  step.As,
		Failed:   failedSoFar(r.status.StepExecutionMetadata, i),
		Statuses: statuses,
	})
	if err := evalVars(ctx, step.Vars, vars, env); err != nil {
		return nil, err
	}
	return env, nil
}

// evalVars evaluates vars in order into into, which env.Variables["vars"]
// shares, so each var sees the ones before it; later names win.
func evalVars(ctx context.Context, vars []railyard.ExpressionVariable, into map[string]any, env *expr.Env) error {
	for _, v := range vars {
		val, err := expr.EvaluateString(ctx, v.Value, env)
		if err != nil {
			return fmt.Errorf("var %q: %w", v.Name, err)
		}
		into[v.Name] = val
	}
	return nil
}

// copyOutputs gives expressions a snapshot, so nothing they do can change
// the recorded state.
func copyOutputs(o outputs) map[string]any {
	raw, err := json.Marshal(map[string]any(o))
	if err != nil {
		return map[string]any{}
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return map[string]any{}
	}
	return out
}

// stepConfig decodes and evaluates a step's configuration. The result may
// hold secret() values: it is given to the step and never persisted.
func stepConfig(ctx context.Context, step railyard.PromotionStep, env *expr.Env) (map[string]any, error) {
	cfg := map[string]any{}
	if step.Config != nil && len(step.Config.Raw) > 0 {
		if err := json.Unmarshal(step.Config.Raw, &cfg); err != nil {
			return nil, fmt.Errorf("config is not a JSON object: %w", err)
		}
	}
	out, err := expr.Evaluate(ctx, cfg, env)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	m, _ := out.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
